package resolvers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/birlik/birlik/apperr"
	"github.com/birlik/birlik/cache"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/familycard/welfare"
	"github.com/birlik/birlik/graph"
	"github.com/birlik/birlik/graph/cursor"
	"github.com/birlik/birlik/graph/model"
	"github.com/birlik/birlik/loaders"
	"github.com/birlik/birlik/resolvers"
	"github.com/birlik/birlik/store/storetest"
)

// loaderServer is a GraphQL handler over c as the gateway builds it, without authentication or
// field rules (tested elsewhere): with the per-request loaders when withLoaders, otherwise
// without them (a miswired server). Internal errors are logged to log.
func loaderServer(t *testing.T, c *ent.Client, withLoaders bool, log *slog.Logger) http.Handler {
	t.Helper()
	pass := func(ctx context.Context, _ any, next graphql.Resolver, _ model.PersonalData) (any, error) {
		return next(ctx)
	}
	gh := handler.New(graph.NewExecutableSchema(graph.Config{Resolvers: &resolvers.Resolver{Client: c},
		Directives: graph.DirectiveRoot{Personal: pass}}))
	gh.AddTransport(transport.POST{})
	gh.SetErrorPresenter(apperr.Presenter(log, func(context.Context) string { return "test" }))
	cursors, err := cursor.NewRandomSealer()
	if err != nil {
		t.Fatal(err)
	}
	sealed := cursor.Middleware(cursors)
	if !withLoaders {
		return sealed(gh)
	}
	kv, err := cache.Open(nil, cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kv.Close() })
	// A batch closes when its wait ends; the wait outlasts resolving a page of a few dozen
	// parents on any machine, so a page is one batch (the gateway's 2ms is for speed).
	lf, err := loaders.NewFactory(loaders.Config{Client: c, Cache: kv, Wait: 250 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return sealed(lf.Middleware(gh))
}

// askGraphQL posts q to h and decodes the answer.
func askGraphQL(t *testing.T, h http.Handler, q string, vars map[string]any) response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var r response
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("response %d %q: %v", rec.Code, rec.Body.String(), err)
	}
	return r
}

// seedTransitions adds n families of region, each assessed crisis in 2025-01 and satisfactory
// in 2025-02 (one transition up each), and returns their platform IDs.
func seedTransitions(t *testing.T, c *ent.Client, region domain.KATO, n int) []string {
	t.Helper()
	ctx := context.Background()
	var ids []string
	for i := range n {
		pid := fmt.Sprintf("F9%07d", i)
		f := c.Family.Create().SetPlatformID(pid).SetRegionKato(region).
			SetSource("labour").SetSourceKey(pid).SetSourceVersion("v1").SaveX(ctx)
		for j, cat := range []domain.WelfareCategory{domain.Crisis, domain.Satisfactory} {
			m := domain.MustMonth(fmt.Sprintf("2025-%02d", j+1))
			c.FamilyAssessment.Create().SetFamilyID(f.ID).SetFamilyPlatformID(pid).SetRegionKato(region).
				SetMonth(m).SetMonthSeq(2025*12 + j).SetCategory(cat).SetIndicators(domain.FamilyIndicators{Members: 1}).
				SetRuleVersion(welfare.Default.Version).SetReason("test").SaveX(ctx)
		}
		ids = append(ids, pid)
	}
	return ids
}

// familyReads counts the statements that read the families table (quoted as SQLite or
// PostgreSQL quotes it).
func familyReads(stmts []storetest.Statement) int {
	n := 0
	for _, s := range stmts {
		if strings.Contains(s.Query, "FROM `families`") || strings.Contains(s.Query, `FROM "families"`) {
			n++
		}
	}
	return n
}

// TestFamiliesOfAPageReadOnce: a page of welfare transitions, or of a family's assessments,
// reads the families it shows in one store query, whatever the page size (the family loader),
// and every node gets its own family.
func TestFamiliesOfAPageReadOnce(t *testing.T) {
	st := storetest.Open(t)
	const region = domain.KATO("710000000")
	pids := seedTransitions(t, st.Client, region, 30)
	rec := &storetest.Recorder{Driver: entsql.OpenDB(st.Dialect, st.DB)}
	c := ent.NewClient(ent.Driver(rec))
	h := loaderServer(t, c, true, slog.New(slog.DiscardHandler))

	t.Run("transitions", func(t *testing.T) {
		var total []int
		for _, n := range []int{1, 10, 30} {
			rec.Take()
			r := askGraphQL(t, h, `query($r: String!, $n: Int) { welfareTransitions(region: $r, from: "2025-01", to: "2025-02", first: $n) {
				nodes { familyPlatformID family { platformID region { kato } } } } }`, map[string]any{"r": string(region), "n": n})
			if len(r.Errors) > 0 {
				t.Fatalf("first %d: %v", n, r.Errors)
			}
			var d struct {
				WelfareTransitions struct {
					Nodes []struct {
						FamilyPlatformID string
						Family           *struct{ PlatformID string }
					}
				}
			}
			if err := json.Unmarshal(r.Data, &d); err != nil {
				t.Fatal(err)
			}
			nodes := d.WelfareTransitions.Nodes
			if len(nodes) != n {
				t.Fatalf("first %d: %d transitions", n, len(nodes))
			}
			for _, x := range nodes {
				if x.Family == nil || x.Family.PlatformID != x.FamilyPlatformID {
					t.Errorf("first %d: the transition of %s shows family %+v", n, x.FamilyPlatformID, x.Family)
				}
			}
			stmts := rec.Take()
			if got := familyReads(stmts); got != 1 {
				t.Errorf("first %d: %d statements read families, want 1", n, got)
			}
			total = append(total, len(stmts))
		}
		if total[0] != total[1] || total[1] != total[2] {
			t.Errorf("statements per page of 1, 10, 30 transitions: %v, want the same count", total)
		}
	})

	t.Run("assessments", func(t *testing.T) {
		rec.Take()
		r := askGraphQL(t, h, `query($id: String!) { family(platformID: $id) {
			assessments(first: 10) { edges { node { month family { platformID } } } } } }`, map[string]any{"id": pids[3]})
		if len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		var d struct {
			Family struct {
				Assessments struct {
					Edges []struct {
						Node struct {
							Month  string
							Family *struct{ PlatformID string }
						}
					}
				}
			}
		}
		if err := json.Unmarshal(r.Data, &d); err != nil {
			t.Fatal(err)
		}
		if len(d.Family.Assessments.Edges) != 2 {
			t.Fatalf("%d assessments, want 2", len(d.Family.Assessments.Edges))
		}
		for _, e := range d.Family.Assessments.Edges {
			if e.Node.Family == nil || e.Node.Family.PlatformID != pids[3] {
				t.Errorf("assessment %s shows family %+v, want %s", e.Node.Month, e.Node.Family, pids[3])
			}
		}
		// The root family, then the assessments' families in one statement.
		if got := familyReads(rec.Take()); got != 2 {
			t.Errorf("%d statements read families, want 2 (the root, then one for the page)", got)
		}
	})
}

// TestWithoutLoaders: a request that reaches the resolvers without the loaders middleware gets,
// on every field that reads through the loaders, an internal error whose log line says to install
// the middleware; no field falls back to reading the store itself. With the middleware, the same
// fields answer.
func TestWithoutLoaders(t *testing.T) {
	st := storetest.Open(t)
	w := seed(t, st.Client)
	const region = domain.KATO("710000000")
	pids := seedTransitions(t, st.Client, region, 2)
	ctx := context.Background()
	assessment := st.Client.FamilyAssessment.Query().FirstIDX(ctx)
	st.Client.Change.Create().SetSeq(1).SetEntity("person").SetKey(string(w.parent)).SetIin(w.parent).SetOp("create").SaveX(ctx)

	fields := []struct {
		name, query string
		path        string // the field's path in the answer, indices dropped
		live        bool   // a live field: with loaders but no source it answers SOURCE_UNAVAILABLE
	}{
		{"Person.family", `{ person(iin: "` + string(w.parent) + `") { family { platformID } } }`, "person.family", false},
		{"Person.liveCoverage", `{ person(iin: "` + string(w.parent) + `") { liveCoverage { insured } } }`, "person.liveCoverage", true},
		{"Person.liveVisits", `{ person(iin: "` + string(w.parent) + `") { liveVisits(last: 3) { id } } }`, "person.liveVisits", true},
		{"Person.registerStatus", `{ person(iin: "` + string(w.parent) + `") { registerStatus { alive } } }`, "person.registerStatus", true},
		{"Change.person", `{ changes(first: 5) { edges { node { person { iin } } } } }`, "changes.edges.node.person", false},
		{"Family.category", `{ family(platformID: "` + pids[0] + `") { category } }`, "family.category", false},
		{"Family.assessment", `{ family(platformID: "` + pids[0] + `") { assessment { month } } }`, "family.assessment", false},
		{"Family.assessments", `{ family(platformID: "` + pids[0] + `") { assessments(first: 5) { totalCount } } }`, "family.assessments", false},
		{"FamilyAssessment.family", fmt.Sprintf(`{ node(id: %d) { ... on FamilyAssessment { family { platformID } } } }`, assessment), "node.family", false},
		{"WelfareTransition.family", `{ welfareTransitions(region: "710000000", from: "2025-01", to: "2025-02") { nodes { family { platformID } } } }`, "welfareTransitions.nodes.family", false},
	}
	var log bytes.Buffer
	without := loaderServer(t, st.Client, false, slog.New(slog.NewTextHandler(&log, nil)))
	with := loaderServer(t, st.Client, true, slog.New(slog.DiscardHandler))
	for _, f := range fields {
		t.Run(f.name, func(t *testing.T) {
			log.Reset()
			r := askGraphQL(t, without, f.query, nil)
			found := false
			for _, e := range r.Errors {
				if pathOf(e.Path) != f.path {
					t.Errorf("error at %s (%s), want errors only at %s", pathOf(e.Path), e.Message, f.path)
					continue
				}
				found = true
				if e.Extensions["code"] != string(apperr.Internal) {
					t.Errorf("code %v, want %s: the server is miswired, not the query", e.Extensions["code"], apperr.Internal)
				}
			}
			if !found {
				t.Errorf("no error at %s without loaders: %s", f.path, r.Data)
			}
			if !strings.Contains(log.String(), "loaders.Factory.Middleware") {
				t.Errorf("the log does not say to install the loaders middleware: %q", log.String())
			}

			r = askGraphQL(t, with, f.query, nil)
			for _, e := range r.Errors {
				if !f.live || e.Extensions["code"] != string(apperr.SourceUnavailable) {
					t.Errorf("with loaders: error at %s: %s (%v)", pathOf(e.Path), e.Message, e.Extensions["code"])
				}
			}
		})
	}
}

// pathOf is a GraphQL error path without list indices, e.g. "changes.edges.node.person".
func pathOf(p []any) string {
	var parts []string
	for _, el := range p {
		if s, ok := el.(string); ok {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ".")
}
