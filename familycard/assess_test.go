package familycard_test

import (
	"context"
	"strings"
	"testing"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent/familyassessment"
	"github.com/birlik/birlik/familycard"
	"github.com/birlik/birlik/familycard/welfare"
	"github.com/birlik/birlik/rules"
	"github.com/birlik/birlik/syncer/synctest"
)

// TestReassess: assessing a month again rewrites the same rows (same IDs, nothing added), and a
// family that lost its members since the last run loses its assessment for the month.
func TestReassess(t *testing.T) {
	ctx := context.Background()
	_, s := synctest.Synced(t, 4, 1000)
	a, err := familycard.NewAssessor(s.Store, welfare.Default)
	if err != nil {
		t.Fatal(err)
	}
	a.BatchSize = 37 // several batches
	m := domain.MustMonth("2025-02")
	ids := func() map[string]int {
		rows, err := s.Client.FamilyAssessment.Query().Where(familyassessment.MonthEQ(m)).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, r := range rows {
			out[r.FamilyPlatformID] = r.ID
		}
		return out
	}
	first, err := a.AssessMonth(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	before := ids()
	t.Run("idempotent", func(t *testing.T) {
		again, err := a.AssessMonth(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		after := ids()
		if again.Families != first.Families || len(after) != first.Families || again.Removed != 0 {
			t.Errorf("second run: %d families (first %d), %d rows, %d removed", again.Families, first.Families, len(after), again.Removed)
		}
		for k, id := range before {
			if after[k] != id {
				t.Errorf("%s: ID %d became %d", k, id, after[k])
			}
		}
	})
	t.Run("staleRemoved", func(t *testing.T) {
		var victim string
		for k := range before {
			victim = k
			break
		}
		q := `DELETE FROM family_memberships WHERE family_platform_id = ?`
		if s.Dialect == "postgres" {
			q = `DELETE FROM family_memberships WHERE family_platform_id = $1`
		}
		if _, err := s.DB.ExecContext(ctx, q, victim); err != nil {
			t.Fatal(err)
		}
		st, err := a.AssessMonth(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		after := ids()
		if _, ok := after[victim]; ok || st.Removed != 1 || st.Families != first.Families-1 {
			t.Errorf("family %s without members: still assessed %v, removed %d, families %d (was %d)", victim, ok, st.Removed, st.Families, first.Families)
		}
	})
}

// TestAsOf: AssessAll assesses the months of data up to the as-of day: the store's latest
// complete month by default, or the configured day; a month whose year the rules file lacks is
// refused with an error naming the file and the year.
func TestAsOf(t *testing.T) {
	ctx := context.Background()
	c, s := synctest.Synced(t, 6, 1000)
	a, err := familycard.NewAssessor(s.Store, welfare.Default)
	if err != nil {
		t.Fatal(err)
	}
	first, last, ok, err := a.Months(ctx)
	if err != nil || !ok || first != c.From || last != c.Last() {
		t.Fatalf("default as-of: months %s..%s (ok %v, %v), want the history %s..%s", first, last, ok, err, c.From, c.Last())
	}
	a.AsOf = c.From.Add(5).First().AddDays(14) // the middle of the sixth month
	st, err := a.AssessAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 6 || st[5].Month != c.From.Add(5) {
		t.Fatalf("as of %s: assessed %d months, the last %s; want 6, up to %s", a.AsOf, len(st), st[len(st)-1].Month, c.From.Add(5))
	}
	n, err := s.Client.FamilyAssessment.Query().Where(familyassessment.MonthGT(c.From.Add(5))).Count(ctx)
	if err != nil || n != 0 {
		t.Errorf("%d assessments after the as-of month (%v)", n, err)
	}
	a.AsOf = c.From.First().AddDays(-1)
	if _, _, ok, err := a.Months(ctx); ok || err != nil {
		t.Errorf("as of the day before the data: ok %v, %v; want no month", ok, err)
	}

	tb, err := rules.Parse("only-2024.json", []byte(`{"years": [{"year": 2024, "mci": 1, "subsistenceMinimum": 43407, "povertyLine": 30385,
  "pensionContributionPct": 10, "perPupilNorm": {"school": 1, "college": 1, "kindergarten": 1}, "childCareAllowance": 1,
  "largeFamilyAllowance": 1, "sources": {"mci": "a", "subsistenceMinimum": "a", "povertyLine": "a", "pensionContributionPct": "a",
  "perPupilNorm": "a", "childCareAllowance": "a", "largeFamilyAllowance": "a"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	r := welfare.Default
	r.Figures = tb
	b, err := familycard.NewAssessor(s.Store, r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.AssessMonth(ctx, domain.MustMonth("2024-12")); err != nil {
		t.Fatalf("2024 with a table of 2024: %v", err)
	}
	if _, err := b.AssessAll(ctx); err == nil || !strings.Contains(err.Error(), "only-2024.json has no figures for 2025") {
		t.Fatalf("2025 with a table of 2024 only: %v, want an error naming the file and 2025", err)
	}
}
