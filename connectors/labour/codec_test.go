package labour

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/domain"
)

var goldenFiles = map[string]string{
	"families": "families.json", "disabilities": "disabilities.json", "employers": "employers.json", "contracts": "contracts.json",
	"contributions": "contributions.json", "register-positions": "positions.json", "staffing-declarations": "declarations.json", "payments": "payments.json",
}

func golden(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeGolden(t *testing.T) {
	cases := []struct {
		list    string
		valid   int
		reasons []string // in order, a substring of each quarantined record's reason
		check   func(t *testing.T, p *connectors.Page)
	}{
		{"families", 1, []string{`members[0]: role "COUSIN"`, `members[0]: IIN "710923300771": check digit should be 0, not 1`}, func(t *testing.T, p *connectors.Page) {
			f := p.Families[0]
			if f.ID != "F00001234" || f.Region != "610000000" || len(f.Members) != 3 || f.Members[2].Role != domain.RoleChild ||
				f.Members[2].To != domain.MustDate("2025-06-30") || !f.Members[0].To.IsZero() {
				t.Errorf("family %+v", f)
			}
		}},
		{"disabilities", 1, []string{`group "IV"`, "valid_until 2023-01-01 is before established_on 2024-05-14"}, func(t *testing.T, p *connectors.Page) {
			if d := p.Disabilities[0]; d.Group != 2 || d.IIN != "710923300770" || d.From != domain.MustDate("2024-05-14") {
				t.Errorf("disability %+v", d)
			}
		}},
		{"employers", 2, []string{"check digit should be 9, not 8", `oked_section "Z"`}, func(t *testing.T, p *connectors.Page) {
			if p.Employers[0].Sector != domain.SectorEducation || p.Employers[1].Sector != domain.SectorBusiness {
				t.Errorf("employers %+v", p.Employers)
			}
		}},
		{"contracts", 1, []string{"start_date", `monthly_wage "-350000.00"`, `monthly_wage "350000.50": not whole tenge`}, func(t *testing.T, p *connectors.Page) {
			k := p.Contracts[0]
			if k.Wage != 350000 || k.ID != "C000123456" || k.EmployerBIN != "150440001236" || k.Start != domain.MustDate("2023-09-01") || !k.End.IsZero() {
				t.Errorf("contract %+v", k)
			}
		}},
		{"contributions", 1, []string{`period "2024-3"`, `period "202413"`, `amount "n/a"`}, func(t *testing.T, p *connectors.Page) {
			if c := p.Contributions[0]; c.Month != domain.MustMonth("2024-03") || c.Amount != 35000 {
				t.Errorf("contribution %+v", c)
			}
		}},
		{"register-positions", 1, []string{"code is empty"}, nil},
		{"staffing-declarations", 1, []string{"staff_units -1 is negative"}, func(t *testing.T, p *connectors.Page) {
			if d := p.StaffingDeclarations[0]; d.Units != 24 || d.Month != domain.MustMonth("2024-09") {
				t.Errorf("declaration %+v", d)
			}
		}},
		{"payments", 2, []string{`payment_type "BONUS"`, "paid_on"}, func(t *testing.T, p *connectors.Page) {
			if x := p.SocialPayments[0]; x.Kind != domain.PayTSA || x.FamilyID != "F00001234" || x.Amount != 42500 || x.Month != domain.MustMonth("2024-03") {
				t.Errorf("payment %+v", x)
			}
			if x := p.SocialPayments[1]; x.Kind != domain.PayWalletMeals || x.FamilyID != "" {
				t.Errorf("payment %+v", x)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.list, func(t *testing.T) {
			var l *list
			for i := range lists {
				if lists[i].path == tc.list {
					l = &lists[i]
				}
			}
			lp, err := decodeListPage(golden(t, goldenFiles[tc.list]), l.array)
			if err != nil {
				t.Fatal(err)
			}
			if lp.Next == "" {
				t.Error("no next_page_token")
			}
			page := &connectors.Page{}
			n := l.decodeRecords(lp.Records, page)
			if got := page.Len() - n; got != tc.valid {
				t.Errorf("%d valid records, want %d", got, tc.valid)
			}
			if n != len(tc.reasons) {
				t.Fatalf("%d quarantined, want %d: %+v", n, len(tc.reasons), page.Quarantined)
			}
			for i, want := range tc.reasons {
				q := page.Quarantined[i]
				if !strings.Contains(q.Reason, want) || q.Raw == "" || q.Entity != l.entity {
					t.Errorf("quarantine %d: %+v, want reason containing %q", i, q, want)
				}
			}
			if tc.check != nil && tc.valid > 0 {
				tc.check(t, page)
			}
		})
	}
}

func TestDecodeListPageErrors(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"not json", "<html>"},
		{"no token", `{"families":[],"more":false}`},
		{"records not an array", `{"families":{},"next_page_token":"x"}`},
		{"more not a bool", `{"families":[],"next_page_token":"x","more":"yes"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := decodeListPage([]byte(tc.body), "families"); err == nil {
				t.Errorf("decodeListPage(%s) accepted", tc.body)
			}
		})
	}
}

// FuzzDecodeListPage: whatever a list answers, decoding never panics, and every record comes
// out as a domain record or a quarantine entry with a reason — never dropped.
func FuzzDecodeListPage(f *testing.F) {
	for i, l := range lists {
		f.Add(uint8(i), golden(f, goldenFiles[l.path]))
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		l := &lists[int(which)%len(lists)]
		lp, err := decodeListPage(data, l.array)
		if err != nil {
			return
		}
		page := &connectors.Page{}
		n := l.decodeRecords(lp.Records, page)
		if page.Len() != len(lp.Records) || len(page.Quarantined) != n {
			t.Fatalf("%d records gave %d valid and %d quarantined", len(lp.Records), page.Len()-n, n)
		}
		for _, q := range page.Quarantined {
			if q.Reason == "" || q.Raw == "" {
				t.Fatalf("incomplete quarantine %+v", q)
			}
		}
		for _, k := range page.Contracts {
			if _, err := domain.ParseIIN(string(k.IIN)); err != nil || k.Wage < 0 {
				t.Fatalf("invalid contract passed: %+v", k)
			}
		}
		for _, p := range page.SocialPayments {
			if p.Amount < 0 || p.PaidOn.IsZero() || p.Kind == "" {
				t.Fatalf("invalid payment passed: %+v", p)
			}
		}
	})
}

// FuzzDecodeMoney: parseMoney accepts exactly non-negative whole-tenge decimals.
func FuzzDecodeMoney(f *testing.F) {
	for _, s := range []string{"35000.00", "0.00", "-1.00", "1.5", "1.50", "abc", "9223372036854775807.00", "9223372036854775808.00", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseMoney("amount", s)
		if err != nil {
			return
		}
		if v < 0 || !strings.HasSuffix(s, ".00") {
			t.Fatalf("parseMoney(%q) = %d", s, v)
		}
	})
}
