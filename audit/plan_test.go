package audit_test

import (
	"context"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/birlik/birlik/audit"
	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/store"
	"github.com/birlik/birlik/store/storetest"
)

// TestForPersonPlan checks how SQLite runs the reads of "who read my data" (the count and the
// page, for the citizen themselves and for the admin): the entries must be found from the
// subjects' (iin, entry_id) index, never by reading the whole log, which grows with every
// read the gateway answers.
func TestForPersonPlan(t *testing.T) {
	st := storetest.OpenSQLite(t)
	const iin = "900101300001"
	for _, id := range []auth.Identity{
		{Subject: iin, Role: auth.RoleCitizen, Client: "test"},
		{Subject: "admin", Role: auth.RoleAdmin, Client: "test"},
	} {
		ctx := auth.NewContext(context.Background(), id)
		if _, err := audit.ForPerson(ctx, st.Client, iin, 20, 0); err != nil {
			t.Fatalf("%s: %v", id.Role, err)
		}
		stmts := st.Recorder.Take()
		if len(stmts) != 2 {
			t.Fatalf("%s: %d statements, want 2 (the count and the page): %v", id.Role, len(stmts), stmts)
		}
		for _, s := range stmts {
			plan := st.Plan(t, s)
			t.Logf("%s: %s\n  %s", id.Role, s.Query, strings.Join(plan, "\n  "))
			if scans := storetest.Scans(plan, "audit_entries"); len(scans) > 0 {
				t.Errorf("%s: the audit log is read whole: %q\n%s", id.Role, scans, s.Query)
			}
			if !strings.Contains(strings.Join(plan, "\n"), "auditsubject_iin_entry_id") {
				t.Errorf("%s: the subjects' (iin, entry_id) index is not used: %q", id.Role, plan)
			}
		}
	}
}

// TestVerifyPlan checks how SQLite reads the subject rows audit verify checks: by the subjects'
// entry_id index, a page of entries at a time, never the whole index per page (which would make
// a verification cost the square of the log).
func TestVerifyPlan(t *testing.T) {
	st := storetest.OpenSQLite(t)
	l := audit.New(&store.Store{Client: st.Client, DB: st.DB, Dialect: dialect.SQLite})
	recordOn(t, l, 5)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	st.Recorder.Take()
	rep, err := audit.Verify(context.Background(), st.Client)
	if err != nil || rep.Problem != nil || rep.Entries != 5 {
		t.Fatalf("report %+v (problem %v), err %v: want 5 intact entries", rep, rep.Problem, err)
	}
	var checked int
	for _, s := range st.Recorder.Take() {
		if !strings.Contains(s.Query, "audit_subjects") {
			continue
		}
		checked++
		plan := st.Plan(t, s)
		t.Logf("%s\n  %s", s.Query, strings.Join(plan, "\n  "))
		if scans := storetest.Scans(plan, "audit_subjects"); len(scans) > 0 {
			t.Errorf("the subject rows are read whole: %q\n%s", scans, s.Query)
		}
		if !strings.Contains(strings.Join(plan, "\n"), "auditsubject_entry_id") {
			t.Errorf("the subjects' entry_id index is not used: %q", plan)
		}
	}
	if checked == 0 {
		t.Fatal("verify read no subject rows")
	}
}
