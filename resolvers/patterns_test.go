package resolvers_test

import (
	"strings"
	"testing"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/graph/limits"
	"github.com/birlik/birlik/store/storetest"
)

// TestLongPatternsAreBadInput: a pattern filter (…Contains and the like) longer than
// limits.MaxPattern, at the top of a where input or nested in or/has…With, in the query or in
// its variables, is BAD_INPUT naming the field and the bound; never INTERNAL (SQLite: "LIKE
// pattern too complex"). One at the bound runs.
func TestLongPatternsAreBadInput(t *testing.T) {
	st := storetest.Open(t)
	w := seed(t, st.Client)
	url, tokens, _ := accessServer(t, st, w.parent)
	long := strings.Repeat("7", 200000)
	tests := []struct {
		name, role, purpose, query string
		vars                       map[string]any
		field                      string // named in the message; "" for a query that runs
	}{
		{"aggregate, literal", auth.RoleAdmin, "case-management",
			`{ paymentAggregate(where: {sourceKeyContains: "` + long + `"}, groupBy: [REGION]) { count } }`, nil, "where.sourceKeyContains"},
		{"connection, variable", auth.RoleAnalyst, "statistics",
			`query S($p: String) { schools(where: {nameContains: $p}) { totalCount } }`, map[string]any{"p": long}, "where.nameContains"},
		{"whole where in a variable, nested", auth.RoleAnalyst, "statistics",
			`query S($w: SchoolWhereInput) { schools(where: $w) { totalCount } }`,
			map[string]any{"w": map[string]any{"or": []any{map[string]any{"nameHasPrefix": "School"}, map[string]any{"hasBuildingWith": []any{map[string]any{"cadastralHasSuffix": long}}}}}},
			"where.or[1].hasBuildingWith[0].cadastralHasSuffix"},
		{"fold", auth.RoleAnalyst, "statistics",
			`query S($p: String) { schools(where: {not: {nameContainsFold: $p}}) { totalCount } }`, map[string]any{"p": long}, "where.not.nameContainsFold"},
		{"at the bound", auth.RoleAnalyst, "statistics",
			`query S($p: String) { schools(where: {nameContains: $p}) { totalCount } }`, map[string]any{"p": strings.Repeat("ы", limits.MaxPattern)}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, r := ask(t, url, tokens[tc.role], tc.purpose, tc.query, tc.vars)
			if tc.field == "" {
				if len(r.Errors) != 0 {
					t.Errorf("a pattern of %d characters: %+v, want it to run", limits.MaxPattern, r.Errors)
				}
				return
			}
			if len(r.Errors) != 1 {
				t.Fatalf("errors %+v, want one BAD_INPUT", r.Errors)
			}
			e := r.Errors[0]
			if e.Extensions["code"] != "BAD_INPUT" || !strings.Contains(e.Message, tc.field) || !strings.Contains(e.Message, "256") {
				t.Errorf("error %q (%v), want BAD_INPUT naming %s and the bound of 256", e.Message, e.Extensions["code"], tc.field)
			}
			if strings.Contains(e.Message, "7777777777") {
				t.Errorf("the message echoes the pattern: %.200s", e.Message)
			}
		})
	}
}
