package welfare

import (
	"strings"
	"testing"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/rules"
)

func TestClassify(t *testing.T) {
	m := domain.MustMonth("2024-05")
	const sm = 43407
	cases := []struct {
		name   string
		in     domain.FamilyIndicators
		want   domain.WelfareCategory
		reason []string // fragments the reason must contain
	}{
		{"no income, two risks", domain.FamilyIndicators{Members: 4, Wages: 0, WorkingAgeWithoutWork: 2, Uninsured: 1}, domain.Emergency,
			[]string{"income per member 0 ₸ is below 0.5× the subsistence minimum 43,407 ₸", "2 risk factors", "2 working-age adults without work", "1 member without CSHI coverage"}},
		{"low income, one risk", domain.FamilyIndicators{Members: 4, Wages: 85000, WorkingAgeWithoutWork: 1}, domain.Crisis,
			[]string{"income per member 21,250 ₸ is below 0.5×", "1 working-age adult without work"}},
		{"just under half, no risk", domain.FamilyIndicators{Members: 2, Wages: sm - 1}, domain.Crisis, []string{"below 0.5×", "no risk factor"}},
		{"exactly half is not below", domain.FamilyIndicators{Members: 2, Wages: sm}, domain.Unsatisfactory, []string{"below 1×"}},
		{"below minimum with three risks", domain.FamilyIndicators{Members: 3, Wages: 100000, WorkingAgeWithoutWork: 1, Disabled: 1, SchoolAgeNotEnrolled: 1}, domain.Crisis,
			[]string{"below 1×", "3 risk factors", "1 school-age child not enrolled", "1 member with a disability"}},
		{"benefits count as income", domain.FamilyIndicators{Members: 3, Wages: 100000, Benefits: 40000}, domain.Satisfactory, []string{"at least 1×"}},
		{"wallet is not income", domain.FamilyIndicators{Members: 3, Wages: 100000, WalletSpending: 40000}, domain.Unsatisfactory, []string{"below 1×"}},
		{"enough income, two risks", domain.FamilyIndicators{Members: 2, Wages: 400000, Uninsured: 1, Disabled: 1}, domain.Unsatisfactory, []string{"at least 1×", "but 2 risk factors"}},
		{"three times, no risk", domain.FamilyIndicators{Members: 2, Wages: 3 * sm * 2}, domain.Prosperous, []string{"at least 3×", "no risk factor"}},
		{"three times, one risk", domain.FamilyIndicators{Members: 2, Wages: 3 * sm * 2, Disabled: 1}, domain.Satisfactory, []string{"at least 3×", "but 1 risk factor"}},
		{"between one and three", domain.FamilyIndicators{Members: 2, Wages: 2 * sm * 2}, domain.Satisfactory, []string{"and below 3×"}},
		{"contribution wages count", domain.FamilyIndicators{Members: 1, ContributionWages: 3 * sm}, domain.Prosperous, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			if err := V1.Finish(&in, m); err != nil {
				t.Fatal(err)
			}
			got, reason := V1.Classify(in)
			if got != tc.want {
				t.Errorf("category %s, want %s (reason: %s)", got, tc.want, reason)
			}
			for _, f := range tc.reason {
				if !strings.Contains(reason, f) {
					t.Errorf("reason %q lacks %q", reason, f)
				}
			}
		})
	}
}

func TestRulesAreConfigurable(t *testing.T) {
	in := domain.FamilyIndicators{Members: 2, Wages: 2 * 43407 * 2}
	v2 := V1
	v2.Version, v2.ProsperousIncomePct = "v2", 200
	for _, tc := range []struct {
		r    Rules
		want domain.WelfareCategory
	}{{V1, domain.Satisfactory}, {v2, domain.Prosperous}} {
		t.Run(tc.r.Version, func(t *testing.T) {
			x := in
			if err := tc.r.Finish(&x, domain.MustMonth("2024-01")); err != nil {
				t.Fatal(err)
			}
			if got, _ := tc.r.Classify(x); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	bad := func(f func(*Rules)) Rules {
		r := V1
		f(&r)
		return r
	}
	cases := []struct {
		name string
		r    Rules
		ok   bool
	}{
		{"v1", V1, true},
		{"no version", bad(func(r *Rules) { r.Version = "" }), false},
		{"thresholds out of order", bad(func(r *Rules) { r.UnsatisfactoryIncomePct = 400 }), false},
		{"ages", bad(func(r *Rules) { r.SchoolAgeMin = 16 }), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.r.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// TestYearOf: the subsistence minimum and the pension rate are the rules file's figures of the
// month's year; a year the file lacks is an error naming the file and the year, never the
// figure of another year.
func TestYearOf(t *testing.T) {
	for _, tc := range []struct {
		m    string
		want domain.Tenge
	}{{"2024-03", 43407}, {"2025-12", 46228}, {"2026-01", 50851}, {"2026-12", 50851}} {
		y, err := V1.YearOf(domain.MustMonth(tc.m))
		if err != nil || y.SubsistenceMinimum != tc.want || y.PensionContributionPct != 10 {
			t.Errorf("%s: subsistence minimum %d, pension rate %d, %v; want %d, 10", tc.m, y.SubsistenceMinimum, y.PensionContributionPct, err, tc.want)
		}
	}
	for _, m := range []string{"2023-12", "2027-01"} {
		in := domain.FamilyIndicators{Members: 1}
		err := V1.Finish(&in, domain.MustMonth(m))
		if err == nil || !strings.Contains(err.Error(), rules.File) || !strings.Contains(err.Error(), m[:4]) {
			t.Errorf("%s: %v, want an error naming %s and %s", m, err, rules.File, m[:4])
		}
	}
	// another table (e.g. a later file) is used as given
	tb, err := rules.Parse("next.json", []byte(`{"years": [{"year": 2027, "mci": 1, "subsistenceMinimum": 55000, "povertyLine": 38500,
  "pensionContributionPct": 10, "perPupilNorm": {"school": 1, "college": 1, "kindergarten": 1}, "childCareAllowance": 1,
  "largeFamilyAllowance": 1, "sources": {"mci": "a", "subsistenceMinimum": "a", "povertyLine": "a", "pensionContributionPct": "a",
  "perPupilNorm": "a", "childCareAllowance": "a", "largeFamilyAllowance": "a"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	r := V1
	r.Figures = tb
	in := domain.FamilyIndicators{Members: 2, Wages: 54999 * 2}
	if err := r.Finish(&in, domain.MustMonth("2027-05")); err != nil || in.SubsistenceMinimum != 55000 {
		t.Fatalf("a 2027 table: subsistence minimum %d, %v", in.SubsistenceMinimum, err)
	}
	if c, _ := r.Classify(in); c != domain.Unsatisfactory {
		t.Errorf("54,999 ₸ per member against 55,000: %s, want unsatisfactory", c)
	}
}

func TestMoney(t *testing.T) {
	for in, want := range map[domain.Tenge]string{0: "0", 999: "999", 1000: "1,000", 43407: "43,407", 1234567: "1,234,567", -21300: "-21,300"} {
		if got := Money(in); got != want {
			t.Errorf("Money(%d) = %q, want %q", in, got, want)
		}
	}
}
