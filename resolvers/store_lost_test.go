package resolvers_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/httpapi"
	"github.com/birlik/birlik/store/storetest"
)

// loseStore takes the store away under the running gateway: on SQLite its database is closed,
// on PostgreSQL its schema is renamed (as if dropped; renamed back when the test ends, for
// storetest's own cleanup).
func loseStore(t *testing.T, st *storetest.Store) {
	t.Helper()
	ctx := context.Background()
	if !st.Postgres() {
		st.DB.Close()
		return
	}
	u, err := url.Parse(st.URL)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	if _, err := st.DB.ExecContext(ctx, `ALTER SCHEMA "`+schema+`" RENAME TO "`+schema+`_lost"`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := st.DB.ExecContext(ctx, `ALTER SCHEMA "`+schema+`_lost" RENAME TO "`+schema+`"`); err != nil {
			t.Errorf("restoring the schema: %v", err)
		}
	})
}

// TestStoreLostIsUnavailable: with the store gone, a read of personal data is refused with
// STORE_UNAVAILABLE (not an audit failure: the audit log is not at fault) and readiness
// reports the store down.
func TestStoreLostIsUnavailable(t *testing.T) {
	st := storetest.Open(t)
	w := seed(t, st.Client)
	srv, tokens, _ := accessServer(t, st, w.parent)
	ready := httpapi.NewReadiness("first sync")
	ready.Ready()
	check := httpapi.StoreCheck(st.Ping)
	check.Every = time.Nanosecond // each Report below checks again
	ready.AddCheck(httpapi.ComponentStore, check)
	ctx := context.Background()
	if rep := ready.Report(ctx); !rep.Ready() {
		t.Fatalf("readiness with the store up: %+v", rep)
	}

	const read = `query CaseFile($iin: String!) { person(iin: $iin) { iin lastName } }`
	vars := map[string]any{"iin": string(w.parent)}
	if _, r := ask(t, srv, tokens[auth.RoleCaseworker], "case-management", read, vars); len(r.Errors) != 0 {
		t.Fatalf("the read with the store up: %+v", r.Errors)
	}
	loseStore(t, st)
	_, r := ask(t, srv, tokens[auth.RoleCaseworker], "case-management", read, vars)
	if len(r.Errors) == 0 {
		t.Fatalf("the read with the store gone answered %s and no error", r.Data)
	}
	for _, e := range r.Errors {
		if e.Extensions["code"] != "STORE_UNAVAILABLE" || strings.Contains(e.Message, "audit log could not") {
			t.Errorf("error %q (%v), want STORE_UNAVAILABLE that does not blame the audit log", e.Message, e.Extensions["code"])
		}
	}
	if strings.Contains(string(r.Data), w.parent.String()) {
		t.Errorf("data returned without an audit entry: %s", r.Data)
	}
	rep := ready.Report(ctx)
	if rep.Ready() || rep.Components[httpapi.ComponentStore].State != httpapi.Down {
		t.Errorf("readiness with the store gone: %+v, want not ready with the store down", rep)
	}
}
