package rules_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/rules"
	"github.com/birlik/birlik/store"
	"github.com/birlik/birlik/store/storetest"
)

// TestFileFigures pins the official figures of the embedded file and the relations between
// them, so an edit of the file that breaks one shows here.
func TestFileFigures(t *testing.T) {
	want := map[int]struct{ mci, sm, line domain.Tenge }{
		2024: {3692, 43407, 30385},
		2025: {3932, 46228, 32360},
		2026: {4325, 50851, 35596},
	}
	for y, w := range want {
		x, err := rules.For(y)
		if err != nil {
			t.Fatal(err)
		}
		if x.Year != y || x.MCI != w.mci || x.SubsistenceMinimum != w.sm || x.PovertyLine != w.line {
			t.Errorf("%d: MCI %d, subsistence minimum %d, poverty line %d; want %d, %d, %d", y, x.MCI, x.SubsistenceMinimum, x.PovertyLine, w.mci, w.sm, w.line)
		}
	}
	for _, y := range rules.Default().Years() {
		x, _ := rules.For(y)
		// the poverty line is 70% of the subsistence minimum, rounded to the tenge
		if line := domain.Tenge(math.Round(float64(x.SubsistenceMinimum) * 0.7)); x.PovertyLine != line {
			t.Errorf("%d: poverty line %d, want 70%% of %d = %d", y, x.PovertyLine, x.SubsistenceMinimum, line)
		}
		// the large-family allowance is 16.03 MCI, rounded to 100 tenge
		if a := domain.Tenge(math.Round(float64(x.MCI)*16.03/100) * 100); x.LargeFamilyAllowance != a {
			t.Errorf("%d: large-family allowance %d, want 16.03 × MCI %d = %d", y, x.LargeFamilyAllowance, x.MCI, a)
		}
		for _, k := range []string{"mci", "subsistenceMinimum", "povertyLine", "pensionContributionPct"} {
			if strings.HasPrefix(x.Sources[k], "model") {
				t.Errorf("%d: %s is an official figure, its source must name the law or decree: %q", y, k, x.Sources[k])
			}
		}
	}
}

func TestMissingYear(t *testing.T) {
	_, err := rules.For(2023)
	if err == nil || !strings.Contains(err.Error(), rules.File) || !strings.Contains(err.Error(), "2023") || !strings.Contains(err.Error(), "2024-2026") {
		t.Fatalf("For(2023): %v, want an error naming %s, the year and the years held", err, rules.File)
	}
	if _, err := rules.Default().Range(2025, 2027); err == nil || !strings.Contains(err.Error(), "2027") {
		t.Fatalf("Range(2025, 2027): %v, want an error naming 2027", err)
	}
	if ys, err := rules.Default().Range(2024, 2026); err != nil || len(ys) != 3 || ys[2025].SubsistenceMinimum != 46228 {
		t.Fatalf("Range(2024, 2026) = %v, %v", ys, err)
	}
}

func TestParseErrors(t *testing.T) {
	const figures = `"year": 2030, "mci": 1, "subsistenceMinimum": 1, "povertyLine": 1, "pensionContributionPct": 10,
  "perPupilNorm": {"school": 1, "college": 1, "kindergarten": 1}, "childCareAllowance": 1, "largeFamilyAllowance": 1`
	const sources = `"sources": {"mci": "a", "subsistenceMinimum": "a", "povertyLine": "a", "pensionContributionPct": "a",
  "perPupilNorm": "a", "childCareAllowance": "a", "largeFamilyAllowance": "a"}`
	file := func(years ...string) string { return `{"years": [{` + strings.Join(years, "}, {") + `}]}` }
	good := figures + ", " + sources
	if tb, err := rules.Parse("x.json", []byte(file(good))); err != nil || tb.Years()[0] != 2030 {
		t.Fatalf("a complete year: %v", err)
	}
	for name, tc := range map[string]struct{ text, want string }{
		"no source":      {file(strings.Replace(good, `"mci": "a", `, "", 1)), "mci has no source"},
		"unknown field":  {file(good + `, "vat": 12`), "unknown field"},
		"missing figure": {file(strings.Replace(good, `"povertyLine": 1, `, "", 1)), "povertyLine is missing"},
		"pension rate":   {file(strings.Replace(good, `"pensionContributionPct": 10`, `"pensionContributionPct": 110`, 1)), "above 100"},
		"duplicate":      {file(good, good), "appears twice"},
		"no year":        {`{"years": []}`, "no year"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := rules.Parse("x.json", []byte(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "x.json") {
				t.Fatalf("err %v, want one from x.json containing %q", err, tc.want)
			}
		})
	}
}

func TestDatesOn(t *testing.T) {
	for _, tc := range []struct {
		asOf, noVisitFrom, schoolAgeOn string
		reportYear                     int
	}{
		{"2025-12-31", "2024-01-01", "2025-09-01", 2024},
		{"2026-06-30", "2024-07-01", "2025-09-01", 2025},
		{"2026-04-29", "2024-04-30", "2025-09-01", 2024},
		{"2026-04-30", "2024-05-01", "2025-09-01", 2025},
		{"2026-12-31", "2025-01-01", "2026-09-01", 2025},
		{"2024-02-29", "2022-03-01", "2023-09-01", 2022},
		{"2025-08-31", "2023-09-01", "2024-09-01", 2024},
	} {
		d := rules.DatesOn(domain.MustDate(tc.asOf))
		if d.AsOf.String() != tc.asOf || d.NoVisitFrom.String() != tc.noVisitFrom || d.SchoolAgeOn.String() != tc.schoolAgeOn || d.IncomeReportYear != tc.reportYear {
			t.Errorf("DatesOn(%s) = %+v, want no-visit from %s, school age on %s, income report year %d", tc.asOf, d, tc.noVisitFrom, tc.schoolAgeOn, tc.reportYear)
		}
	}
}

func TestParseAsOf(t *testing.T) {
	for in, want := range map[string]string{"": "", "2026-06-30": "2026-06-30", "2026-02": "2026-02-28", "2024-02": "2024-02-29"} {
		d, err := rules.ParseAsOf(in)
		if err != nil || d.String() != want {
			t.Errorf("ParseAsOf(%q) = %s, %v; want %s", in, d, err, want)
		}
	}
	for _, in := range []string{"30.06.2026", "2026-13-01", "2026"} {
		if _, err := rules.ParseAsOf(in); err == nil || !strings.Contains(err.Error(), "YYYY-MM-DD") {
			t.Errorf("ParseAsOf(%q): %v, want an error saying the format", in, err)
		}
	}
}

// TestLatestCompleteMonth: the as-of day of a store is the end of the earliest of its payment
// streams' latest months; a stream without payments is left out; an empty store falls back to
// the clock's previous month.
func TestLatestCompleteMonth(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t)
	now := func() time.Time { return time.Date(2027, 3, 15, 10, 0, 0, 0, time.UTC) }
	asOf := func() string {
		t.Helper()
		d, err := rules.AsOf(ctx, s.DB, domain.Date{}, now)
		if err != nil {
			t.Fatal(err)
		}
		return d.String()
	}
	if got := asOf(); got != "2027-02-28" {
		t.Errorf("empty store: as of %s, want the end of the clock's previous month 2027-02-28", got)
	}
	n := 0
	pay := func(kind, period string) {
		t.Helper()
		n++
		if _, err := s.DB.ExecContext(ctx, store.Rebind(s.Dialect, `INSERT INTO payments (source, source_key, source_version, synced_at, kind, amount, period)
VALUES ('test', ?, 'v', ?, ?, 1, ?)`), "k"+string(rune('a'+n)), time.Now(), kind, period); err != nil {
			t.Fatal(err)
		}
	}
	pay("state_order", "2026-05")
	if got := asOf(); got != "2026-05-31" {
		t.Errorf("state order only: as of %s, want 2026-05-31", got)
	}
	pay("pension_contribution", "2026-04")
	pay("disability_benefit", "2026-05")
	if got := asOf(); got != "2026-04-30" {
		t.Errorf("contributions behind: as of %s, want 2026-04-30", got)
	}
	pay("pension_contribution", "2026-06")
	pay("preschool_state_order", "2026-06")
	pay("wallet_medicines", "2026-06")
	if got := asOf(); got != "2026-06-30" {
		t.Errorf("every stream at 2026-06: as of %s, want 2026-06-30", got)
	}
	if d, err := rules.AsOf(ctx, s.DB, domain.MustDate("2025-03-31"), now); err != nil || d.String() != "2025-03-31" {
		t.Errorf("configured: %s, %v; want 2025-03-31", d, err)
	}
}
