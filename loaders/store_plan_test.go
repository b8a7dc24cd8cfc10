package loaders

import (
	"context"
	"strings"
	"testing"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/store/storetest"
)

// TestFamilyOfPersonPlan checks how SQLite runs the family loader's statement for caseworkers
// of one region and of every region (the row rule adds "region_kato IN (…)"; of every region,
// it lets every family through): the families must be found by their ID from the
// memberships' IIN index, not each family of the caller's regions tested in turn (20–25 ms a
// request with 20,000 people and a caseworker of every region, growing with the store, where
// the lookup takes about 1 ms). PostgreSQL turns either form into a semi-join from the
// memberships, and its plans over a test's few rows would not tell.
func TestFamilyOfPersonPlan(t *testing.T) {
	st := storetest.OpenSQLite(t)
	var regions []domain.KATO
	for _, r := range domain.Regions {
		regions = append(regions, r.KATO)
	}
	for _, n := range []int{1, len(regions)} {
		ctx := auth.NewContext(context.Background(), auth.Identity{Subject: "caseworker", Role: auth.RoleCaseworker, Client: "test", Regions: regions[:n]})
		l := &Loaders{cfg: Config{Client: st.Client}}
		for _, r := range l.batchFamilyOfPerson(ctx, []domain.IIN{"900101300001", "900101300002"}) {
			if r.Error != nil && !ent.IsNotFound(r.Error) {
				t.Fatalf("%d regions: %v", n, r.Error)
			}
		}
		stmts := st.Recorder.Take()
		if len(stmts) != 1 {
			t.Fatalf("%d regions: %d statements, want 1: %v", n, len(stmts), stmts)
		}
		plan := st.Plan(t, stmts[0])
		t.Logf("%d regions: %s\n  %s", n, stmts[0].Query, strings.Join(plan, "\n  "))
		found := false
		for _, p := range plan {
			if strings.Contains(p, " families ") {
				found = true
				if !strings.HasPrefix(p, "SEARCH") || !strings.Contains(p, "rowid=?") {
					t.Errorf("%d regions: families are read by %q, want a search by their ID (rowid) from the memberships' IIN index", n, p)
				}
			}
		}
		if !found {
			t.Errorf("%d regions: the plan does not read families: %q", n, plan)
		}
		if s := storetest.Scans(plan, "family_memberships"); len(s) > 0 {
			t.Errorf("%d regions: the memberships are scanned: %q", n, s)
		}
	}
}
