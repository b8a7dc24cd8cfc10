package resolvers_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/store/storetest"
)

// TestRefusalsAreNotReads: an operation refused before it runs (no purpose stated, a purpose
// the role may not state, a limit broken, invalid variables, an unknown field) returns no one's
// data and writes no audit entry, so neither the log nor the citizen's myDataAccess counts it
// as a read; the read that does run is recorded once.
func TestRefusalsAreNotReads(t *testing.T) {
	st := storetest.Open(t)
	w := seed(t, st.Client)
	url, tokens, _ := accessServer(t, st, w.parent)
	ctx := context.Background()
	const myAccess = `{ myDataAccess(first: 1) { totalCount } }`
	state := func() (entries, mine int) {
		t.Helper()
		_, r := ask(t, url, tokens[auth.RoleCitizen], "", myAccess, nil)
		var got struct{ MyDataAccess struct{ TotalCount int } }
		if err := json.Unmarshal(r.Data, &got); err != nil || len(r.Errors) != 0 {
			t.Fatalf("myDataAccess: %s %+v (%v)", r.Data, r.Errors, err)
		}
		return st.Client.AuditEntry.Query().CountX(ctx), got.MyDataAccess.TotalCount
	}
	const read = `query CaseFile($iin: String!) { person(iin: $iin) { iin lastName } }`
	vars := map[string]any{"iin": string(w.parent)}
	if _, r := ask(t, url, tokens[auth.RoleCaseworker], "case-management", read, vars); len(r.Errors) != 0 {
		t.Fatalf("the read that runs: %+v", r.Errors)
	}
	entries, mine := state()
	if entries != 1 || mine != 1 {
		t.Fatalf("after one read: %d entries, %d in the citizen's myDataAccess; want 1 and 1", entries, mine)
	}
	refused := []struct {
		name, role, purpose, query string
		vars                       map[string]any
		code                       string
	}{
		{"no purpose", auth.RoleCaseworker, "", read, vars, "PURPOSE_REQUIRED"},
		{"no purpose, admin", auth.RoleAdmin, "", read, vars, "PURPOSE_REQUIRED"},
		{"purpose not the role's", auth.RoleHealth, "case-management", read, vars, "FORBIDDEN"},
		{"limit broken", auth.RoleCaseworker, "case-management", `{ persons(first: 100000) { edges { node { iin } } } }`, nil, "QUERY_TOO_COMPLEX"},
		{"variables missing", auth.RoleCaseworker, "case-management", read, nil, ""},
		{"unknown field", auth.RoleCaseworker, "case-management", `query P($iin: String!) { person(iin: $iin) { iin nickname } }`, vars, ""},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			entries, mine := state()
			_, r := ask(t, url, tokens[tc.role], tc.purpose, tc.query, tc.vars)
			if len(r.Errors) == 0 || (len(r.Data) > 0 && string(r.Data) != "null") {
				t.Fatalf("data %s errors %+v: want a refusal and no data", r.Data, r.Errors)
			}
			if tc.code != "" && r.Errors[0].Extensions["code"] != tc.code {
				t.Fatalf("errors %+v: want %s", r.Errors, tc.code)
			}
			if e, m := state(); e != entries || m != mine {
				t.Errorf("after the refusal: %d entries (was %d), %d in the citizen's myDataAccess (was %d): a refusal was recorded as a read", e, entries, m, mine)
			}
		})
	}
}
