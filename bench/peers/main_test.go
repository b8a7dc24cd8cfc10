package main

import (
	"encoding/json"
	"testing"
)

// An answer to kit.CitizenQuery and PostGraphile's answer with the same data, its numbers as
// strings, lists in another order and region names missing, normalize to the same JSON; a
// difference in one payment does not.
func TestNormalizeComparesTheSameData(t *testing.T) {
	birlik := `{"data":{"person":{"iin":"061203519922","lastName":"Қасымов","firstName":"Дархан","patronymic":"","birthDate":"2006-12-03","sex":"M","deathDate":null,
	  "region":{"kato":"470000000","name":"Mangystau Region"},
	  "family":{"platformID":"F00000011","region":{"kato":"470000000"},"members":[
	    {"iin":"721220324432","role":"head","from":"2007-02-22","to":null,"person":{"lastName":"Қасымов","firstName":"Айдос","birthDate":"1972-12-20"}},
	    {"iin":"061203519922","role":"child","from":"2006-12-03","to":null,"person":null}]},
	  "enrollments":[{"grade":1,"year":2023,"from":"2023-09-01","to":"2024-08-31","school":{"bin":"040740001505","name":"Колледж","kind":"college","region":{"kato":"470000000","name":"Mangystau Region"},"designCapacity":8}}],
	  "payments":{"totalCount":2,"edges":[{"node":{"kind":"disability_benefit","amount":49100,"period":"2025-01","paidOn":"2025-01-25"}},{"node":{"kind":"disability_benefit","amount":49100,"period":"2025-02","paidOn":null}}]}}},
	  "extensions":{"cost":{"rows":9}}}`
	pg := `{"data":{"allPeople":{"nodes":[{"iin":"061203519922","lastName":"Қасымов","firstName":"Дархан","patronymic":"","birthDate":"2006-12-03","sex":"M","deathDate":null,"regionKato":"470000000",
	  "familyMembershipsByPersonId":{"nodes":[{"familyByFamilyId":{"platformId":"F00000011","regionKato":"470000000","familyMembershipsByFamilyId":{"nodes":[
	    {"iin":"061203519922","role":"child","from":"2006-12-03","to":null,"personByPersonId":null},
	    {"iin":"721220324432","role":"head","from":"2007-02-22","to":null,"personByPersonId":{"lastName":"Қасымов","firstName":"Айдос","birthDate":"1972-12-20"}}]}}}]},
	  "enrollmentsByChildId":{"nodes":[{"grade":"1","year":"2023","from":"2023-09-01","to":"2024-08-31","schoolBySchoolId":{"bin":"040740001505","name":"Колледж","kind":"college","regionKato":"470000000","buildingByBuildingId":{"designCapacity":"8"}}}]},
	  "paymentsByRecipientId":{"totalCount":2,"nodes":[{"kind":"disability_benefit","amount":"49100","period":"2025-02","paidOn":null},{"kind":"disability_benefit","amount":"49100","period":"2025-01","paidOn":"2025-01-25"}]}}]}}}`
	a, err := normalizeBirlik([]byte(birlik))
	if err != nil || a == nil {
		t.Fatalf("normalizeBirlik: %v, %v", a, err)
	}
	b, err := normalizePostGraphile([]byte(pg))
	if err != nil || b == nil {
		t.Fatalf("normalizePostGraphile: %v, %v", b, err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Errorf("the same data normalized differently:\n%s\n%s", ja, jb)
	}
	b.Payments[0].Amount++
	jb, _ = json.Marshal(b)
	if string(ja) == string(jb) {
		t.Error("a different amount normalized the same")
	}
	if c, err := normalizeBirlik([]byte(`{"data":{"person":null}}`)); c != nil || err != nil {
		t.Errorf("no person: %v, %v; want nil, nil", c, err)
	}
	if _, err := normalizePostGraphile([]byte(`{"errors":[{"message":"boom"}]}`)); err == nil {
		t.Error("an answer with errors was accepted")
	}
}

func TestThousands(t *testing.T) {
	for v, want := range map[float64]string{7.25: "7.2", 99.96: "100.0", 653.4: "653", 1194.6: "1,195", 1234567: "1,234,567"} {
		if got := thousands(v); got != want {
			t.Errorf("thousands(%v) = %q, want %q", v, got, want)
		}
	}
}
