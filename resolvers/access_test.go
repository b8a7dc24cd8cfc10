package resolvers_test

// The access rules through HTTP: every role against every entry point and personal field (returned,
// masked, forbidden or absent), on the real store (SQLite, or PostgreSQL with DATABASE_URL),
// through the whole HTTP stack with the access layer; and a caseworker's read showing in the
// citizen's myDataAccess with its purpose.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	gqlgraphql "github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/birlik/birlik/audit"
	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/cache"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/auditentry"
	"github.com/birlik/birlik/ent/auditsubject"
	"github.com/birlik/birlik/ent/person"
	"github.com/birlik/birlik/graph"
	"github.com/birlik/birlik/graph/access"
	"github.com/birlik/birlik/graph/limits"
	"github.com/birlik/birlik/graph/model"
	"github.com/birlik/birlik/httpapi"
	"github.com/birlik/birlik/loaders"
	"github.com/birlik/birlik/ratelimit"
	"github.com/birlik/birlik/resolvers"
	"github.com/birlik/birlik/store/storetest"
)

// accessServer serves the store with the full access layer and returns its URL and a token per
// role (the citizen is citizen, the caseworker works in Astana).
func accessServer(t testing.TB, st *storetest.Store, citizen domain.IIN, noAudit ...bool) (string, map[string]string, *access.Layer) {
	t.Helper()
	return accessServerWith(t, st, citizen, serverOptions{noAudit: len(noAudit) > 0 && noAudit[0]})
}

// serverOptions are what a test changes in the server accessServerWith builds.
type serverOptions struct {
	sources loaders.Sources // the live sources (health, justice) for the live fields
	noAudit bool            // record no audit entries (the layer's recorder is replaced)
	region  domain.KATO     // the caseworker's region; Astana when empty
	// unlimited raises the query limits out of the way, for tests that batch many fields per
	// request; the limits are other tests' subject.
	unlimited bool
}

// astana is the caseworker's region when serverOptions.region is empty.
const astana domain.KATO = "710000000"

// accessServerWith is accessServer with the options o.
func accessServerWith(t testing.TB, st *storetest.Store, citizen domain.IIN, o serverOptions) (string, map[string]string, *access.Layer) {
	t.Helper()
	opts := access.DefaultOptions(limits.Limits{Depth: 12, Aliases: 30, Complexity: 50000, PageSize: 1000})
	keys, err := auth.ParseSigningKeys("t1:" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")))
	if err != nil {
		t.Fatal(err)
	}
	opts.TokenKeys = keys
	opts.RateLimits = ratelimit.Policy{} // no rate limit in these tests (ratelimit has its own)
	if o.unlimited {
		opts.Limits = limits.Options{Base: limits.Limits{Depth: 30, Aliases: 100000, Complexity: 1 << 30, PageSize: 1000}}
	}
	log := slog.New(slog.DiscardHandler)
	opts.Logger, opts.RequestID = log, httpapi.RequestID
	layer, err := access.NewLayer(opts, st.Store, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { layer.Close() })
	c, err := cache.Open(nil, cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	lf, err := loaders.NewFactory(loaders.Config{Client: st.Client, Cache: c, Sources: o.sources})
	if err != nil {
		t.Fatal(err)
	}
	h, err := httpapi.New(httpapi.Options{
		Schema: graph.NewExecutableSchema(graph.Config{
			Resolvers:  &resolvers.Resolver{Client: st.Client},
			Directives: graph.DirectiveRoot{Personal: access.Personal[model.PersonalData]},
		}),
		Authenticator:   layer.Authenticator,
		Limits:          layer.Limits,
		QueryMiddleware: append(slices.Clone(layer.QueryMiddleware), lf.Middleware),
		Extensions:      extensions(layer, log, o.noAudit),
		Logger:          log,
		Registry:        prometheus.NewRegistry(),
		Ready:           httpapi.NewReadiness("test"),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	tokens := map[string]string{}
	for _, role := range auth.Roles {
		id := auth.Identity{Role: role, Subject: "officer-" + role, Client: "org-" + role}
		switch role {
		case auth.RoleCitizen:
			id.Subject = string(citizen)
		case auth.RoleCaseworker:
			id.Regions = []domain.KATO{astana}
			id.Client = "akimat-astana"
			if o.region != "" && o.region != astana {
				id.Regions = []domain.KATO{o.region}
				id.Client = "akimat-" + string(o.region)
			}
		}
		tok, err := layer.Tokens.Issue(id, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		tokens[role] = tok
	}
	return srv.URL, tokens, layer
}

func ask(t testing.TB, url, token, purpose, q string, vars map[string]any) (int, response) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req, _ := http.NewRequest("POST", url+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	if purpose != "" {
		req.Header.Set("X-Purpose", purpose)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r response
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, r
}

// The outcomes of a personal field.
const (
	returned  = "returned"
	masked    = "masked"
	forbidden = "forbidden"
	absent    = "absent" // the row is not there: null for a lookup, missing from lists and totals
)

var purposeOf = map[string]string{
	auth.RoleCitizen: "own-data", auth.RoleCaseworker: "case-management", auth.RoleAnalyst: "statistics",
	auth.RoleInspector: "integrity-inspection", auth.RoleHealth: "medical-care", auth.RoleAdmin: "case-management",
}

// personFields reads a person by node ID (a lookup by IIN is a read of the IIN: an analyst
// stating statistics, who sees IINs masked, may not look a person up by one).
const personFields = `query P($id: ID!) {
  person: node(id: $id) { ... on Person {
    iin lastName birthDate
    family { platformID }
    enrollments { grade }
    payments(first: 10) { totalCount }
    coverage { id }
    visits(first: 5) { totalCount }
    findings { id }
  } }
}`

// fieldErr returns the code of the error on person.<field>, or "".
func fieldErr(r response, field string) string {
	for _, e := range r.Errors {
		if len(e.Path) == 2 && e.Path[0] == "person" && e.Path[1] == field {
			c, _ := e.Extensions["code"].(string)
			return c
		}
	}
	return ""
}

func TestRoleByFieldByEntryPoint(t *testing.T) {
	st := storetest.Open(t)
	w := seed(t, st.Client)
	url, tokens, _ := accessServer(t, st, w.parent)
	ctx := context.Background()
	parent := st.Client.Person.Query().Where(person.Iin(w.parent)).OnlyX(ctx)

	// What each role gets of the parent's fields (the parent lives in Astana, in family F1).
	fields := []string{"iin", "lastName", "birthDate", "family", "enrollments", "payments", "coverage", "visits", "findings"}
	want := map[string]map[string]string{
		auth.RoleCitizen:    {"iin": returned, "lastName": returned, "birthDate": returned, "family": returned, "enrollments": returned, "payments": returned, "coverage": returned, "visits": returned, "findings": forbidden},
		auth.RoleCaseworker: {"iin": returned, "lastName": returned, "birthDate": returned, "family": returned, "enrollments": returned, "payments": returned, "coverage": returned, "visits": forbidden, "findings": returned},
		auth.RoleAnalyst:    {"iin": masked, "lastName": masked, "birthDate": returned, "family": returned, "enrollments": returned, "payments": returned, "coverage": forbidden, "visits": forbidden, "findings": returned},
		auth.RoleInspector:  {"iin": returned, "lastName": returned, "birthDate": returned, "family": returned, "enrollments": returned, "payments": returned, "coverage": forbidden, "visits": forbidden, "findings": returned},
		auth.RoleHealth:     {"iin": returned, "lastName": returned, "birthDate": returned, "family": forbidden, "enrollments": forbidden, "payments": forbidden, "coverage": returned, "visits": returned, "findings": forbidden},
		auth.RoleAdmin:      {"iin": returned, "lastName": returned, "birthDate": returned, "family": returned, "enrollments": returned, "payments": returned, "coverage": returned, "visits": returned, "findings": returned},
	}
	for _, role := range auth.Roles {
		for _, field := range fields {
			t.Run("person(iin:)/"+role+"/"+field, func(t *testing.T) {
				_, r := ask(t, url, tokens[role], purposeOf[role], personFields, map[string]any{"id": parent.ID})
				var got struct {
					Person map[string]json.RawMessage
				}
				if err := json.Unmarshal(r.Data, &got); err != nil || got.Person == nil {
					t.Fatalf("no person in %s (errors %+v)", r.Data, r.Errors)
				}
				value := string(got.Person[field])
				code := fieldErr(r, field)
				switch want[role][field] {
				case returned:
					if code != "" {
						t.Fatalf("error %s on %s, want it returned", code, field)
					}
					switch field {
					case "iin":
						if value != `"`+string(parent.Iin)+`"` {
							t.Errorf("iin = %s, want %s", value, parent.Iin)
						}
					case "lastName":
						if value != `"`+parent.LastName+`"` {
							t.Errorf("lastName = %s, want %s", value, parent.LastName)
						}
					case "payments":
						if !strings.Contains(value, `"totalCount":3`) {
							t.Errorf("payments = %s, want the parent's 3 payments", value)
						}
					}
				case masked:
					if code != "" || !strings.Contains(value, "***") || strings.Contains(value, string(parent.Iin)) || strings.Contains(value, parent.LastName) {
						t.Errorf("%s = %s (error %q), want a masked value", field, value, code)
					}
				case forbidden:
					if code != "FORBIDDEN" {
						t.Errorf("%s: error code %q (value %s), want FORBIDDEN", field, code, value)
					}
					if strings.Contains(value, `"totalCount":3`) {
						t.Errorf("%s = %s: forbidden data leaked", field, value)
					}
					if got.Person["birthDate"] == nil || string(got.Person["birthDate"]) == "null" {
						t.Error("the rest of the answer did not stay")
					}
				}
			})
		}
	}

	// Rows: who sees the other person (Shymkent region, another family) at each entry point.
	otherNode := st.Client.Person.Query().Where(person.Iin(w.other)).OnlyX(ctx).ID
	rows := map[string]struct {
		other        string // person(iin:) and node(id:) for the other person
		persons      int    // persons.totalCount
		payments     int    // payments.totalCount
		aggregateSum int64  // paymentAggregate total
		families     int
	}{
		auth.RoleCitizen:    {absent, 2, 3, 77_500, 1},
		auth.RoleCaseworker: {absent, 2, 4, 3_000_077_500, 1},
		auth.RoleAnalyst:    {returned, 3, 6, 4_250_095_500, 2},
		auth.RoleInspector:  {returned, 3, 6, 4_250_095_500, 2},
		auth.RoleHealth:     {returned, 3, 0, 0, 2},
		auth.RoleAdmin:      {returned, 3, 6, 4_250_095_500, 2},
	}
	const rowQuery = `query R($iin: String!, $id: ID!) {
  person(iin: $iin) { birthDate }
  node(id: $id) { id }
  persons { totalCount }
  payments { totalCount }
  families { totalCount }
  paymentAggregate(groupBy: []) { sum count }
}`
	for _, role := range auth.Roles {
		t.Run("rows/"+role, func(t *testing.T) {
			purpose := purposeOf[role]
			if role == auth.RoleAnalyst {
				purpose = "integrity-inspection" // rows do not depend on it; statistics may not look up by IIN
			}
			_, r := ask(t, url, tokens[role], purpose, rowQuery, map[string]any{"iin": string(w.other), "id": otherNode})
			var got struct {
				Person           *struct{ BirthDate string }
				Node             *struct{ ID json.Number }
				Persons          struct{ TotalCount int }
				Payments         struct{ TotalCount int }
				Families         struct{ TotalCount int }
				PaymentAggregate []struct {
					Sum   json.Number
					Count int
				}
			}
			if err := json.Unmarshal(r.Data, &got); err != nil {
				t.Fatalf("%v: %s %+v", err, r.Data, r.Errors)
			}
			wr := rows[role]
			if (got.Person == nil) != (wr.other == absent) || (got.Node == nil) != (wr.other == absent) {
				t.Errorf("other person: person %v node %v, want %s", got.Person, got.Node, wr.other)
			}
			var sum int64
			for _, a := range got.PaymentAggregate {
				n, _ := a.Sum.Int64()
				sum += n
			}
			if got.Persons.TotalCount != wr.persons || got.Payments.TotalCount != wr.payments || sum != wr.aggregateSum || got.Families.TotalCount != wr.families {
				t.Errorf("persons %d payments %d sum %d families %d; want %d %d %d %d (errors %+v)",
					got.Persons.TotalCount, got.Payments.TotalCount, sum, got.Families.TotalCount, wr.persons, wr.payments, wr.aggregateSum, wr.families, r.Errors)
			}
		})
	}

	t.Run("analyst with a case purpose sees IINs", func(t *testing.T) {
		_, r := ask(t, url, tokens[auth.RoleAnalyst], "integrity-inspection", personFields, map[string]any{"id": parent.ID})
		if !strings.Contains(string(r.Data), string(w.parent)) || fieldErr(r, "iin") != "" {
			t.Errorf("data %s: want the IIN unmasked", r.Data)
		}
	})
	t.Run("no purpose", func(t *testing.T) {
		_, r := ask(t, url, tokens[auth.RoleAdmin], "", personFields, map[string]any{"id": parent.ID})
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "PURPOSE_REQUIRED" || (len(r.Data) > 0 && string(r.Data) != "null") {
			t.Errorf("errors %+v data %s: want PURPOSE_REQUIRED and no data", r.Errors, r.Data)
		}
	})
	t.Run("no purpose needed without personal fields", func(t *testing.T) {
		_, r := ask(t, url, tokens[auth.RoleAdmin], "", `{ regions { kato } }`, nil)
		if len(r.Errors) != 0 {
			t.Errorf("errors %+v", r.Errors)
		}
	})
	t.Run("purpose not allowed for the role", func(t *testing.T) {
		status, r := ask(t, url, tokens[auth.RoleHealth], "case-management", personFields, map[string]any{"id": parent.ID})
		if status != 403 || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "FORBIDDEN" {
			t.Errorf("status %d errors %+v: want 403 FORBIDDEN", status, r.Errors)
		}
	})
}

// TestAuditNamesPersonsShownWithoutIIN: an answer that shows family members by name only (their
// persons loaded without the IIN column) still names each of them in its audit entry.
func TestAuditNamesPersonsShownWithoutIIN(t *testing.T) {
	st := storetest.Open(t)
	w := seed(t, st.Client)
	url, tokens, _ := accessServer(t, st, w.parent)
	ctx := context.Background()

	_, r := ask(t, url, tokens[auth.RoleCaseworker], "case-management",
		`query Names($iin: String!) { person(iin: $iin) { family { members { person { lastName } } } } }`,
		map[string]any{"iin": string(w.parent)})
	if len(r.Errors) != 0 {
		t.Fatalf("errors %+v", r.Errors)
	}
	if !strings.Contains(string(r.Data), "Сейтова") {
		t.Fatalf("the child's name is not in the answer %s: the test does not show what it should", r.Data)
	}
	e := st.Client.AuditEntry.Query().Where(auditentry.Operation("Names")).OnlyX(ctx)
	got := strings.Split(e.Iins, ",")
	want := []string{string(w.child), string(w.parent)}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("audit entry names %q, want %q: every person the answer shows, and no empty IIN", got, want)
	}
	subjects := st.Client.AuditSubject.Query().Where(auditsubject.EntryID(e.ID)).AllX(ctx)
	var names []string
	for _, s := range subjects {
		names = append(names, string(s.Iin))
	}
	slices.Sort(names)
	if !slices.Equal(names, want) {
		t.Errorf("audit subjects %q, want %q", names, want)
	}
}

// TestPersonsReadWithTheirIIN: persons loaded with some of their columns carry their IIN (the
// Person row rule adds it), eager-loaded under another record too, so the audit entry can name
// them without a statement of its own; reads that select no person record are left alone.
func TestPersonsReadWithTheirIIN(t *testing.T) {
	st := storetest.Open(t)
	w := seed(t, st.Client)
	ctx := context.Background()

	ms := st.Client.FamilyMembership.Query().
		WithPerson(func(q *ent.PersonQuery) { q.Select(person.FieldLastName) }).AllX(ctx)
	if len(ms) < 2 {
		t.Fatalf("%d memberships: the test shows nothing", len(ms))
	}
	for _, m := range ms {
		p := m.Edges.Person
		if p == nil || p.LastName == "" || p.Iin != m.Iin {
			t.Errorf("membership %s: eager-loaded person %+v, want its last name and IIN %s", m.Iin, p, m.Iin)
		}
	}
	byName := st.Client.Person.Query().Where(person.Iin(w.child)).Select(person.FieldLastName).OnlyX(ctx)
	if byName.Iin != w.child || byName.LastName == "" {
		t.Errorf("person read by its last name: %+v, want IIN %s too", byName, w.child)
	}
	// Selections without a person record: one column, the IDs, a count.
	names := st.Client.Person.Query().Where(person.Iin(w.child)).Select(person.FieldLastName).StringsX(ctx)
	ids := st.Client.Person.Query().Where(person.Iin(w.child)).IDsX(ctx)
	n := st.Client.Person.Query().Where(person.Iin(w.child)).CountX(ctx)
	if len(names) != 1 || names[0] != byName.LastName || len(ids) != 1 || ids[0] != byName.ID || n != 1 {
		t.Errorf("names %q, IDs %v, count %d: want [%s], [%d], 1", names, ids, n, byName.LastName, byName.ID)
	}
}

func TestCaseworkerReadShowsInMyDataAccess(t *testing.T) {
	st := storetest.Open(t)
	w := seed(t, st.Client)
	url, tokens, _ := accessServer(t, st, w.parent)

	const myAccess = `{ myDataAccess(first: 10) { totalCount edges { node { organisation role purpose operation official at } } } }`
	_, before := ask(t, url, tokens[auth.RoleCitizen], "", myAccess, nil)
	if len(before.Errors) != 0 {
		t.Fatalf("errors %+v", before.Errors)
	}
	_, r := ask(t, url, tokens[auth.RoleCaseworker], "case-management", `query CaseFile($iin: String!) { person(iin: $iin) { lastName } }`, map[string]any{"iin": string(w.parent)})
	if len(r.Errors) != 0 {
		t.Fatalf("caseworker read: %+v", r.Errors)
	}
	_, after := ask(t, url, tokens[auth.RoleCitizen], "", myAccess, nil)
	if n := st.Client.AuditEntry.Query().CountX(context.Background()); n == 0 {
		t.Fatalf("no audit entry written; myDataAccess %s %+v", after.Data, after.Errors)
	}
	var got struct {
		MyDataAccess struct {
			TotalCount int
			Edges      []struct {
				Node struct {
					Organisation, Role, Purpose string
					Operation, Official         *string
				}
			}
		}
	}
	if err := json.Unmarshal(after.Data, &got); err != nil || len(after.Errors) != 0 {
		t.Fatalf("%v %+v", err, after.Errors)
	}
	var found bool
	for _, e := range got.MyDataAccess.Edges {
		n := e.Node
		if n.Role == "caseworker" && n.Organisation == "akimat-astana" && n.Purpose == "case-management" && n.Operation != nil && *n.Operation == "CaseFile" {
			found = true
			if n.Official != nil {
				t.Errorf("official %q shown although configuration does not say so", *n.Official)
			}
		}
	}
	if !found {
		t.Errorf("myDataAccess = %+v: want the caseworker's CaseFile read with purpose case-management", got.MyDataAccess)
	}
	// Another citizen's reads are not the parent's: the child's entry is not listed under
	// a read that named only the other person.
	_, _ = ask(t, url, tokens[auth.RoleAdmin], "case-management", `query Other($iin: String!) { person(iin: $iin) { lastName } }`, map[string]any{"iin": string(w.other)})
	_, again := ask(t, url, tokens[auth.RoleCitizen], "", myAccess, nil)
	if strings.Contains(string(again.Data), `"operation":"Other"`) {
		t.Errorf("the parent's myDataAccess lists a read of someone else: %s", again.Data)
	}
	// It pages as a Relay connection: pageInfo.endCursor gives the next page, which follows on.
	const paged = `query($after: String) { myDataAccess(first: 1, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor } } }`
	type page struct {
		MyDataAccess struct {
			TotalCount int
			PageInfo   struct {
				HasNextPage, HasPreviousPage bool
				StartCursor, EndCursor       *string
			}
			Edges []struct{ Cursor string }
		}
	}
	var p1, p2 page
	if _, r := ask(t, url, tokens[auth.RoleCaseworker], "case-management", `query Again($iin: String!) { person(iin: $iin) { lastName } }`, map[string]any{"iin": string(w.parent)}); len(r.Errors) != 0 {
		t.Fatalf("second caseworker read: %+v", r.Errors)
	}
	_, r1 := ask(t, url, tokens[auth.RoleCitizen], "", paged, nil)
	if err := json.Unmarshal(r1.Data, &p1); err != nil || len(r1.Errors) > 0 || p1.MyDataAccess.TotalCount < 2 {
		t.Fatalf("first page: %s %+v", r1.Data, r1.Errors)
	}
	pi := p1.MyDataAccess.PageInfo
	if !pi.HasNextPage || pi.HasPreviousPage || pi.EndCursor == nil || pi.StartCursor == nil || len(p1.MyDataAccess.Edges) != 1 || *pi.EndCursor != p1.MyDataAccess.Edges[0].Cursor {
		t.Fatalf("first page's pageInfo %+v, edges %+v", pi, p1.MyDataAccess.Edges)
	}
	_, r2 := ask(t, url, tokens[auth.RoleCitizen], "", paged, map[string]any{"after": *pi.EndCursor})
	if err := json.Unmarshal(r2.Data, &p2); err != nil || len(r2.Errors) > 0 || len(p2.MyDataAccess.Edges) != 1 || !p2.MyDataAccess.PageInfo.HasPreviousPage || p2.MyDataAccess.Edges[0].Cursor == *pi.EndCursor {
		t.Fatalf("second page: %s %+v", r2.Data, r2.Errors)
	}
	// Other roles may not ask it.
	_, r = ask(t, url, tokens[auth.RoleCaseworker], "", myAccess, nil)
	if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "FORBIDDEN" {
		t.Errorf("caseworker asking myDataAccess: %+v, want FORBIDDEN", r.Errors)
	}
}

// nopRecorder writes nothing: the baseline of the audit's cost.
type nopRecorder struct{}

func (nopRecorder) Record(context.Context, audit.Entry) error { return nil }

func extensions(l *access.Layer, log *slog.Logger, noAudit bool) []gqlgraphql.HandlerExtension {
	if noAudit {
		return []gqlgraphql.HandlerExtension{access.Extension{Audit: nopRecorder{}, Logger: log,
			PersonIINs: func(context.Context, []int) ([]domain.IIN, error) { return nil, nil },
			FamilyIINs: func(context.Context, []int) ([]domain.IIN, error) { return nil, nil }}}
	}
	return l.Extensions
}
