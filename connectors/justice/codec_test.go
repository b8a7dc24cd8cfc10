package justice

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/domain"
)

func golden(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// reasons maps each quarantined record's key to its reason, checking the entry is complete.
func reasons(t *testing.T, qs []connectors.Quarantined) []string {
	t.Helper()
	var out []string
	for _, q := range qs {
		if q.Source != connectors.Justice || q.Reason == "" || q.Raw == "" || !json.Valid([]byte(q.Raw)) {
			t.Errorf("incomplete quarantine entry %+v", q)
		}
		out = append(out, q.Key+": "+q.Reason)
	}
	return out
}

func TestDecodeChangesGolden(t *testing.T) {
	var p changesPage
	if err := json.Unmarshal(golden(t, "changes_page.json"), &p); err != nil {
		t.Fatal(err)
	}
	if p.LastSeq != 48 || !p.HasMore || p.Total != 1843 {
		t.Errorf("page meta %d %v %d", p.LastSeq, p.HasMore, p.Total)
	}
	vs, qs := p.decode()
	want := []domain.PersonVersion{
		{Seq: 41, ChangedOn: domain.MustDate("2024-01-01"), Person: domain.Person{IIN: "900215400122", LastName: "Ахметова", FirstName: "Айгерим",
			Patronymic: "Серикқызы", BirthDate: domain.MustDate("1990-02-15"), Sex: domain.Female, Region: "710000000"}},
		{Seq: 42, ChangedOn: domain.MustDate("2024-03-12"), Person: domain.Person{IIN: "850101300451", LastName: "Иванов", FirstName: "Сергей",
			BirthDate: domain.MustDate("1985-01-01"), Sex: domain.Male, Region: "750000000"}},
		{Seq: 43, ChangedOn: domain.MustDate("2025-03-01"), Person: domain.Person{IIN: "710923300770", LastName: "Ким", FirstName: "Виктор",
			Patronymic: "Андреевич", BirthDate: domain.MustDate("1971-09-23"), Sex: domain.Male, Region: "350000000", DeathDate: domain.MustDate("2025-02-27")}},
	}
	if len(vs) != len(want) {
		t.Fatalf("decoded %d versions, want %d: %+v", len(vs), len(want), vs)
	}
	for i := range want {
		if vs[i] != want[i] {
			t.Errorf("version %d = %+v, want %+v", i, vs[i], want[i])
		}
	}
	got := reasons(t, qs)
	wantReasons := []string{
		"900215400123: change 44: IIN \"900215400123\": check digit should be 2, not 3",
		"200305500012: change 45: birthDate",
		"200305500012: change 46: gender \"U\"",
		"200305500012: change 47: katoCode",
		": not a change object",
	}
	if len(got) != len(wantReasons) {
		t.Fatalf("quarantined %q, want %d entries", got, len(wantReasons))
	}
	for i, w := range wantReasons {
		if !strings.Contains(got[i], w) {
			t.Errorf("quarantine %d: %q, want it to contain %q", i, got[i], w)
		}
	}
}

func TestDecodePersonsBatchGolden(t *testing.T) {
	var b personsBatch
	if err := json.Unmarshal(golden(t, "persons_batch.json"), &b); err != nil {
		t.Fatal(err)
	}
	ps, qs := b.decode()
	if len(ps) != 1 || ps[0].IIN != "850101300451" || ps[0].Patronymic != "" {
		t.Errorf("persons %+v, want only Иванов", ps)
	}
	got := reasons(t, qs)
	if len(got) != 1 || !strings.Contains(got[0], "disagrees with the IIN's birth date 1990-02-15") {
		t.Errorf("quarantined %q, want the birth date mismatch", got)
	}
	if len(b.NotFound) != 1 || b.NotFound[0] != "710923300770" {
		t.Errorf("notFound %q", b.NotFound)
	}
}

func TestDecodeBuildingsGolden(t *testing.T) {
	var p buildingsPage
	if err := json.Unmarshal(golden(t, "buildings_page.json"), &p); err != nil {
		t.Fatal(err)
	}
	bs, qs := p.decode()
	want := []domain.Building{
		{Cadastral: "19:015:042:123", Region: "190000000", Address: "Алматинская обл., г. Қонаев, ул. Абая, 12", Designation: domain.DesignSchool, DesignCapacity: 600},
		{Cadastral: "61:020:001:7", Region: "610000000", Address: "Туркестанская обл., г. Туркестан, пр. Тауке хана, 1", Designation: domain.DesignBanquetHall},
	}
	if len(bs) != len(want) || bs[0] != want[0] || bs[1] != want[1] {
		t.Errorf("buildings %+v, want %+v", bs, want)
	}
	got := reasons(t, qs)
	wantReasons := []string{`71:001:002:3: purposeCode "99.99"`, `б/н 71:001:002:4: cadastralNumber`, `: not a building object`}
	if len(got) != len(wantReasons) {
		t.Fatalf("quarantined %q, want %d", got, len(wantReasons))
	}
	for i, w := range wantReasons {
		if !strings.Contains(got[i], w) {
			t.Errorf("quarantine %d: %q, want %q", i, got[i], w)
		}
	}
}

// Fuzz tests: whatever the source sends, decoding never panics, and every record of a page
// comes out either as a valid domain record or as a quarantine entry with a reason and its raw
// payload — never dropped.

func FuzzDecodeChanges(f *testing.F) {
	f.Add(golden(f, "changes_page.json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p changesPage
		if json.Unmarshal(data, &p) != nil {
			return
		}
		vs, qs := p.decode()
		if len(vs)+len(qs) != len(p.Changes) {
			t.Fatalf("%d changes gave %d valid + %d quarantined", len(p.Changes), len(vs), len(qs))
		}
		for _, v := range vs {
			if _, err := domain.ParseIIN(string(v.Person.IIN)); err != nil || v.Seq <= 0 || v.Person.BirthDate.IsZero() {
				t.Fatalf("invalid version passed validation: %+v", v)
			}
		}
		for _, q := range qs {
			if q.Reason == "" {
				t.Fatalf("quarantined without a reason: %+v", q)
			}
		}
	})
}

func FuzzDecodePersonsBatch(f *testing.F) {
	f.Add(golden(f, "persons_batch.json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var b personsBatch
		if json.Unmarshal(data, &b) != nil {
			return
		}
		ps, qs := b.decode()
		if len(ps)+len(qs) != len(b.Persons) {
			t.Fatalf("%d persons gave %d valid + %d quarantined", len(b.Persons), len(ps), len(qs))
		}
		for _, p := range ps {
			if p.IIN.BirthDate() != p.BirthDate || p.IIN.Sex() != p.Sex {
				t.Fatalf("person disagreeing with its IIN passed validation: %+v", p)
			}
			if _, err := domain.ParseKATO(string(p.Region)); err != nil {
				t.Fatalf("bad region passed validation: %+v", p)
			}
		}
	})
}

func FuzzDecodeBuildings(f *testing.F) {
	f.Add(golden(f, "buildings_page.json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p buildingsPage
		if json.Unmarshal(data, &p) != nil {
			return
		}
		bs, qs := p.decode()
		if len(bs)+len(qs) != len(p.Buildings) {
			t.Fatalf("%d buildings gave %d valid + %d quarantined", len(p.Buildings), len(bs), len(qs))
		}
		for _, b := range bs {
			if b.Designation == "" || b.DesignCapacity < 0 || !cadastralRe.MatchString(b.Cadastral) {
				t.Fatalf("invalid building passed validation: %+v", b)
			}
		}
	})
}
