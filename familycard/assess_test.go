package familycard_test

import (
	"context"
	"testing"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent/familyassessment"
	"github.com/birlik/birlik/familycard"
	"github.com/birlik/birlik/familycard/welfare"
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
