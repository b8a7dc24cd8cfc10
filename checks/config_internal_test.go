package checks

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/rules"
	"github.com/birlik/birlik/store"
	"github.com/birlik/birlik/store/storetest"
)

// yearTable is a rules table of the given years, each year's figures scaled by its position (so
// that every year differs).
func yearTable(t *testing.T, years ...int) *rules.Table {
	t.Helper()
	var parts []string
	for i, y := range years {
		k := domain.Tenge(i + 1)
		parts = append(parts, fmt.Sprintf(`{"year": %d, "mci": 1, "subsistenceMinimum": %d, "povertyLine": %d, "pensionContributionPct": 10,
  "perPupilNorm": {"school": %d, "college": %d, "kindergarten": %d}, "childCareAllowance": 1, "largeFamilyAllowance": 1,
  "sources": {"mci": "a", "subsistenceMinimum": "a", "povertyLine": "a", "pensionContributionPct": "a", "perPupilNorm": "a",
  "childCareAllowance": "a", "largeFamilyAllowance": "a"}}`, y, 40000*k, 30000*k, 1000*k, 2000*k, 3000*k))
	}
	tb, err := rules.Parse("test-rules.json", []byte(`{"years": [`+strings.Join(parts, ", ")+`]}`))
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func insertPayment(t *testing.T, s *storetest.Store, kind, period string) {
	t.Helper()
	if _, err := s.DB.ExecContext(context.Background(), store.Rebind(s.Dialect, `INSERT INTO payments (source, source_key, source_version, synced_at, kind, amount, period)
VALUES ('test', ?, 'v', ?, ?, 1, ?)`), kind+"|"+period, time.Now(), kind, period); err != nil {
		t.Fatal(err)
	}
}

// TestResolveYearsAndAsOf: the as-of day comes from the store (or the configuration), the days
// that follow from it are derived, and the poverty line and the per-pupil norms of a payment are
// its month's year's, in the SQL the checks run on both dialects.
func TestResolveYearsAndAsOf(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t)
	for _, p := range []string{"2025-11", "2025-12", "2026-01", "2026-02"} {
		insertPayment(t, s, "state_order", p)
	}
	insertPayment(t, s, "pension_contribution", "2026-01")

	cfg := Config{Rules: yearTable(t, 2025, 2026)}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	if err := cfg.resolve(ctx, s.DB); err != nil {
		t.Fatal(err)
	}
	// contributions stop at 2026-01: the latest complete month
	if cfg.AsOf.String() != "2026-01-31" || cfg.NoVisitFrom.String() != "2024-02-01" || cfg.SchoolAgeOn.String() != "2025-09-01" || cfg.IncomeReportYear != 2024 {
		t.Errorf("resolved as of %s, no visit from %s, school age on %s, income report year %d", cfg.AsOf, cfg.NoVisitFrom, cfg.SchoolAgeOn, cfg.IncomeReportYear)
	}
	b := sqlb{d: s.Dialect, cfg: &cfg}
	for _, tc := range []struct {
		kind, period string
		norm, line   int64
	}{
		{"school", "2025-12", 1000, 30000}, {"college", "2025-11", 2000, 30000}, {"kindergarten", "2025-12", 3000, 30000},
		{"school", "2026-01", 2000, 60000}, {"college", "2026-02", 4000, 60000}, {"kindergarten", "2026-01", 6000, 60000},
		{"office", "2026-01", 0, 60000},
	} {
		var norm, line int64
		q := `SELECT ` + b.norm("x.k", "x.p") + `, ` + b.povertyLine("x.p") + ` FROM (SELECT ` + quote(tc.kind) + ` AS k, ` + quote(tc.period) + ` AS p) x`
		if err := s.DB.QueryRowContext(ctx, q).Scan(&norm, &line); err != nil {
			t.Fatalf("%s\n%v", q, err)
		}
		if norm != tc.norm || line != tc.line {
			t.Errorf("%s in %s: norm %d, poverty line %d; want %d, %d", tc.kind, tc.period, norm, line, tc.norm, tc.line)
		}
	}

	t.Run("configured", func(t *testing.T) {
		cfg := Config{AsOf: domain.MustDate("2025-12-31")}
		if err := cfg.validate(); err != nil {
			t.Fatal(err)
		}
		if err := cfg.resolve(ctx, s.DB); err != nil {
			t.Fatal(err)
		}
		if cfg.AsOf.String() != "2025-12-31" || cfg.NoVisitFrom.String() != "2024-01-01" || cfg.IncomeReportYear != 2024 || cfg.povertyLine[2026] != 35596 {
			t.Errorf("configured: as of %s, no visit from %s, income report year %d, 2026 poverty line %d", cfg.AsOf, cfg.NoVisitFrom, cfg.IncomeReportYear, cfg.povertyLine[2026])
		}
	})
	t.Run("missingYear", func(t *testing.T) {
		cfg := Config{Rules: yearTable(t, 2026)}
		if err := cfg.validate(); err != nil {
			t.Fatal(err)
		}
		err := cfg.resolve(ctx, s.DB)
		if err == nil || !strings.Contains(err.Error(), "test-rules.json has no figures for 2025") {
			t.Fatalf("a table without 2025: %v, want an error naming the file and 2025", err)
		}
	})
	t.Run("runRefusesAYearTheFileLacks", func(t *testing.T) {
		insertPayment(t, s, "disability_benefit", "2099-01")
		_, err := Run(ctx, s.Store, Defaults())
		if err == nil || !strings.Contains(err.Error(), rules.File+" has no figures for 2027") {
			t.Fatalf("payments up to 2099 with the embedded file: %v, want an error naming %s and 2027", err, rules.File)
		}
	})
}
