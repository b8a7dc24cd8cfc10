package resolvers_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/graph"
	"github.com/birlik/birlik/graph/access"
	"github.com/birlik/birlik/graph/limits"
	"github.com/birlik/birlik/graph/model"
	"github.com/birlik/birlik/httpapi"
	"github.com/birlik/birlik/resolvers"
	"github.com/birlik/birlik/store/storetest"
)

// TestNodeIDsNamingNothing: beside the malformed IDs (TestMalformedNodeIDsAreBadInput), an ID
// of digits that names no row (beyond every type's range, or in a range with no such row) is
// null at node(id:) and NOT_FOUND at its index of nodes(ids:), never INTERNAL; a malformed ID
// in a where input is BAD_INPUT; an ID of 100,000 digits is not sent back whole; nothing is
// logged at ERROR.
func TestNodeIDsNamingNothing(t *testing.T) {
	st := storetest.Open(t)
	seed(t, st.Client)
	errs := &errorLog{}
	h, err := httpapi.New(httpapi.Options{
		Schema: graph.NewExecutableSchema(graph.Config{Resolvers: &resolvers.Resolver{Client: st.Client},
			Directives: graph.DirectiveRoot{Personal: access.Personal[model.PersonalData]}}),
		Authenticator: auth.NewAPIKeys([]auth.APIKey{{Key: key, Role: "admin", Client: "test"}}),
		Limits: func(context.Context) limits.Limits {
			return limits.Limits{Depth: 8, Aliases: 5, Complexity: 20000, PageSize: 50}
		},
		Logger:   slog.New(errs),
		Registry: prometheus.NewRegistry(),
		Ready:    httpapi.NewReadiness("test"),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	huge := strings.Repeat("9", 100000)
	cases := []struct {
		name, q string
		data    string // the answer's data, "" when not checked
		codes   []string
	}{
		{"node beyond every type", `{ node(id: "99999999999999") { id } }`, `{"node":null}`, nil},
		{"node in a type's range, no row", `{ node(id: "8294967296") { id } }`, `{"node":null}`, nil},
		{"nodes naming nothing", `{ nodes(ids: ["99999999999999", "8294967296"]) { id } }`, `{"nodes":[null,null]}`, []string{"NOT_FOUND", "NOT_FOUND"}},
		{"where id", `{ persons(first: 1, where: {id: "abc"}) { totalCount } }`, "", []string{"BAD_INPUT"}},
		{"where idGT out of range", `{ persons(first: 1, where: {idGT: "99999999999999999999999999"}) { totalCount } }`, "", []string{"BAD_INPUT"}},
		{"an id of 100,000 digits", `{ node(id: "` + huge + `") { id } }`, "", []string{"BAD_INPUT"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, r := ask(t, srv.URL, key, "case-management", c.q, nil)
			if c.data != "" && string(r.Data) != c.data {
				t.Errorf("data %s, want %s", r.Data, c.data)
			}
			var codes []string
			for _, e := range r.Errors {
				code, _ := e.Extensions["code"].(string)
				codes = append(codes, code)
				if len(e.Message) > 300 {
					t.Errorf("a %d-character message echoes the id: %.100s…", len(e.Message), e.Message)
				}
			}
			if strings.Join(codes, ",") != strings.Join(c.codes, ",") {
				t.Errorf("codes %v (%+v), want %v", codes, r.Errors, c.codes)
			}
		})
	}
	if len(errs.records) > 0 {
		t.Errorf("IDs naming nothing were logged at ERROR: %q", errs.records)
	}
}
