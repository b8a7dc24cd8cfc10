package resolvers_test

// Cursors and node IDs carry no personal data, and a cursor or ID the gateway did not issue is
// BAD_INPUT, through the whole HTTP stack with the access layer.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"entgo.io/contrib/entgql"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/person"
	"github.com/birlik/birlik/graph"
	"github.com/birlik/birlik/graph/access"
	"github.com/birlik/birlik/graph/cursor"
	"github.com/birlik/birlik/graph/limits"
	"github.com/birlik/birlik/graph/model"
	"github.com/birlik/birlik/httpapi"
	"github.com/birlik/birlik/resolvers"
	"github.com/birlik/birlik/store/storetest"
)

// morePeople adds people to the seeded world so that lists span several pages, with repeated
// last names and birth dates so that orderings have ties (broken by id).
func morePeople(t *testing.T, c *ent.Client) {
	t.Helper()
	ctx := context.Background()
	births := []string{"1970-02-03", "1985-07-01", "1999-12-31", "2001-05-05", "1985-07-01", "1962-11-11", "2010-01-09", "1999-12-31", "1977-04-18"}
	names := []string{"Абаев", "Сейтов", "Жумабеков", "Абаев", "Ким", "Сейтов", "Омарова", "Ли", "Абаев"}
	for i, b := range births {
		v := iin(t, b, domain.Sex([]domain.Sex{domain.Male, domain.Female}[i%2]), 400+10*i)
		c.Person.Create().SetIin(v).SetLastName(names[i]).SetFirstName(fmt.Sprintf("Имя%d", i)).
			SetBirthDate(v.BirthDate()).SetSex(person.Sex(v.Sex())).SetRegionKato("710000000").
			SetSource("justice").SetSourceKey(string(v)).SetSourceVersion("v1").SaveX(ctx)
	}
}

type personPage struct {
	Persons struct {
		Edges []struct {
			Cursor string
			Node   struct{ Iin, LastName, BirthDate string }
		}
		PageInfo struct {
			HasNextPage, HasPreviousPage bool
			StartCursor, EndCursor       *string
		}
	}
}

const personsPage = `query Page($first: Int, $after: Cursor, $last: Int, $before: Cursor, $order: [PersonOrder!]) {
  persons(first: $first, after: $after, last: $last, before: $before, orderBy: $order) {
    edges { cursor node { iin lastName birthDate } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`

// personalStrings are the values no cursor may show in any decoding: every IIN, last name and
// birth date in the store.
func personalStrings(t *testing.T, c *ent.Client) []string {
	t.Helper()
	var out []string
	for _, p := range c.Person.Query().AllX(context.Background()) {
		out = append(out, string(p.Iin), p.Iin.String()[:6], p.LastName, p.BirthDate.String())
	}
	return out
}

// leaks returns what of personal a cursor shows: in its text, in any base64 decoding of it, or
// decoded as entgql decodes cursors (base64 and msgpack).
func leaks(tok string, personal []string) []string {
	texts := []string{tok}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(tok); err == nil {
			texts = append(texts, string(b))
		}
	}
	var c entgql.Cursor[int]
	if err := c.UnmarshalGQL(tok); err == nil {
		texts = append(texts, fmt.Sprint(c.Value))
	}
	var found []string
	for _, s := range personal {
		for _, text := range texts {
			if strings.Contains(text, s) {
				found = append(found, s)
				break
			}
		}
	}
	return found
}

func TestCursorsHideTheOrderValueAndPageBothWays(t *testing.T) {
	st := storetest.Open(t)
	w := seed(t, st.Client)
	morePeople(t, st.Client)
	url, tokens, _ := accessServer(t, st, w.parent)
	personal := personalStrings(t, st.Client)
	admin := func(vars map[string]any) personPage {
		t.Helper()
		_, r := ask(t, url, tokens[auth.RoleAdmin], "case-management", personsPage, vars)
		if len(r.Errors) > 0 {
			t.Fatalf("persons %v: %+v", vars, r.Errors)
		}
		var p personPage
		if err := json.Unmarshal(r.Data, &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	check := func(where string, p personPage) {
		t.Helper()
		toks := []*string{p.Persons.PageInfo.StartCursor, p.Persons.PageInfo.EndCursor}
		for i := range p.Persons.Edges {
			toks = append(toks, &p.Persons.Edges[i].Cursor)
		}
		for _, tok := range toks {
			if tok == nil {
				continue
			}
			if found := leaks(*tok, personal); len(found) > 0 {
				t.Errorf("%s: cursor %q shows %q", where, *tok, found)
			}
		}
		if n := len(p.Persons.Edges); n > 0 {
			if *p.Persons.PageInfo.EndCursor != p.Persons.Edges[n-1].Cursor || *p.Persons.PageInfo.StartCursor != p.Persons.Edges[0].Cursor {
				t.Errorf("%s: startCursor/endCursor differ from the first/last edge's cursor", where)
			}
		}
	}
	iins := func(p personPage) []string {
		var out []string
		for _, e := range p.Persons.Edges {
			out = append(out, e.Node.Iin)
		}
		return out
	}

	total := st.Client.Person.Query().CountX(context.Background())
	for _, field := range []string{"IIN", "LAST_NAME", "BIRTH_DATE", "FIRST_NAME"} {
		for _, dir := range []string{"ASC", "DESC"} {
			order := []map[string]any{{"field": field, "direction": dir}}
			name := field + "/" + dir
			t.Run(name, func(t *testing.T) {
				all := admin(map[string]any{"first": 100, "order": order})
				check(name+" whole list", all)
				want := iins(all)
				if len(want) != total {
					t.Fatalf("%d persons listed, want %d", len(want), total)
				}

				// Forward: first/after to the end.
				var got []string
				var after any
				for pages := 0; ; pages++ {
					p := admin(map[string]any{"first": 3, "after": after, "order": order})
					check(name+" forward", p)
					got = append(got, iins(p)...)
					if !p.Persons.PageInfo.HasNextPage {
						break
					}
					if pages > total {
						t.Fatal("forward paging does not end")
					}
					after = *p.Persons.PageInfo.EndCursor
				}
				if !slices.Equal(got, want) {
					t.Errorf("forward pages %v, want %v", got, want)
				}

				// Backward: last/before from the end to the start.
				got = nil
				var before any
				for pages := 0; ; pages++ {
					p := admin(map[string]any{"last": 3, "before": before, "order": order})
					check(name+" backward", p)
					got = append(iins(p), got...)
					if !p.Persons.PageInfo.HasPreviousPage {
						break
					}
					if pages > total {
						t.Fatal("backward paging does not end")
					}
					before = *p.Persons.PageInfo.StartCursor
				}
				if !slices.Equal(got, want) {
					t.Errorf("backward pages %v, want %v", got, want)
				}

				// An edge's cursor continues right after that edge, both ways.
				mid := all.Persons.Edges[total/2].Cursor
				if next := iins(admin(map[string]any{"first": 2, "after": mid, "order": order})); !slices.Equal(next, want[total/2+1:total/2+3]) {
					t.Errorf("after the middle edge: %v, want %v", next, want[total/2+1:total/2+3])
				}
				if prev := iins(admin(map[string]any{"last": 2, "before": mid, "order": order})); !slices.Equal(prev, want[total/2-2:total/2]) {
					t.Errorf("before the middle edge: %v, want %v", prev, want[total/2-2:total/2])
				}
			})
		}
	}
}

func TestRefusedCursorsAreBadInput(t *testing.T) {
	st := storetest.Open(t)
	w := seed(t, st.Client)
	morePeople(t, st.Client)
	url, tokens, _ := accessServer(t, st, w.parent)
	order := []map[string]any{{"field": "IIN", "direction": "ASC"}}
	_, r := ask(t, url, tokens[auth.RoleAdmin], "case-management", personsPage, map[string]any{"first": 2, "order": order})
	var p personPage
	if err := json.Unmarshal(r.Data, &p); err != nil || len(r.Errors) > 0 || p.Persons.PageInfo.EndCursor == nil {
		t.Fatalf("first page: %s %+v", r.Data, r.Errors)
	}
	tok := *p.Persons.PageInfo.EndCursor
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		t.Fatalf("cursor %q is not base64url: %v", tok, err)
	}
	changed := func(i int) string {
		b := bytes.Clone(raw)
		b[i] ^= 0x20
		return base64.RawURLEncoding.EncodeToString(b)
	}
	// The same position, sealed under another key.
	other, err := cursor.NewRandomSealer()
	if err != nil {
		t.Fatal(err)
	}
	var genuine entgql.Cursor[int]
	var buf bytes.Buffer
	first := st.Client.Person.Query().Order(ent.Asc(person.FieldIin)).FirstX(context.Background())
	genuine = entgql.Cursor[int]{ID: first.ID, Value: string(first.Iin)}
	if err := cursor.MarshalCursor(genuine).MarshalGQLContext(cursor.NewContext(context.Background(), other), &buf); err != nil {
		t.Fatal(err)
	}
	otherKey, _ := strconv.Unquote(buf.String())
	// What entgql alone wrote before cursors were sealed: base64 msgpack of the IIN.
	buf.Reset()
	genuine.MarshalGQL(&buf)
	plainEntgql, _ := strconv.Unquote(buf.String())

	cases := map[string]string{
		"another key":         otherKey,
		"entgql's own cursor": plainEntgql,
		"first byte changed":  changed(0),
		"middle byte changed": changed(len(raw) / 2),
		"last byte changed":   changed(len(raw) - 1),
		"truncated":           tok[:len(tok)-3],
		"a byte added":        tok + "A",
		"not base64":          "this is not a cursor!",
		"myDataAccess's":      "",
	}
	// A cursor of another list (myDataAccess, sealed with this gateway's key) is refused too.
	_, r = ask(t, url, tokens[auth.RoleCaseworker], "case-management", `query($iin: String!) { person(iin: $iin) { lastName } }`, map[string]any{"iin": string(w.parent)})
	if len(r.Errors) > 0 {
		t.Fatalf("caseworker read: %+v", r.Errors)
	}
	_, r = ask(t, url, tokens[auth.RoleCitizen], "", `{ myDataAccess(first: 1) { endCursor } }`, nil)
	var mda struct{ MyDataAccess struct{ EndCursor *string } }
	if err := json.Unmarshal(r.Data, &mda); err != nil || mda.MyDataAccess.EndCursor == nil {
		t.Fatalf("myDataAccess: %s %+v", r.Data, r.Errors)
	}
	cases["myDataAccess's"] = *mda.MyDataAccess.EndCursor

	for name, bad := range cases {
		for _, arg := range []string{"after", "before"} {
			vars := map[string]any{arg: bad, "order": order}
			if arg == "after" {
				vars["first"] = 2
			} else {
				vars["last"] = 2
			}
			status, r := ask(t, url, tokens[auth.RoleAdmin], "case-management", personsPage, vars)
			if len(r.Errors) == 0 {
				t.Errorf("%s as %s: answered %s, want BAD_INPUT", name, arg, r.Data)
				continue
			}
			e := r.Errors[0]
			if e.Extensions["code"] != "BAD_INPUT" || !strings.Contains(e.Message, "not one this gateway issued") {
				t.Errorf("%s as %s: HTTP %d, %q %v, want BAD_INPUT saying the cursor is not one this gateway issued", name, arg, status, e.Message, e.Extensions)
			}
		}
	}

	// The hand-made cursors refuse tampering the same way.
	var tampered string
	if b, err := base64.RawURLEncoding.DecodeString(cases["myDataAccess's"]); err == nil {
		b[len(b)-1] ^= 1
		tampered = base64.RawURLEncoding.EncodeToString(b)
	}
	for name, bad := range map[string]string{"tampered": tampered, "a persons cursor": tok, "an old plain cursor": base64.RawURLEncoding.EncodeToString([]byte("a:12"))} {
		_, r := ask(t, url, tokens[auth.RoleCitizen], "", `query($a: String) { myDataAccess(first: 1, after: $a) { totalCount } }`, map[string]any{"a": bad})
		if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "BAD_INPUT" {
			t.Errorf("myDataAccess after %s cursor: %s %+v, want BAD_INPUT", name, r.Data, r.Errors)
		}
	}
	for name, bad := range map[string]string{"a persons cursor": tok, "an old plain cursor": "600.4294967297"} {
		_, r := ask(t, url, tokens[auth.RoleAdmin], "statistics", `query($a: String) { welfareTransitions(region: "710000000", from: "2024-01", to: "2025-12", first: 1, after: $a) { totalCount } }`, map[string]any{"a": bad})
		if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "BAD_INPUT" {
			t.Errorf("welfareTransitions after %s: %s %+v, want BAD_INPUT", name, r.Data, r.Errors)
		}
	}
}

// errorLog counts the log records at ERROR and above.
type errorLog struct {
	mu      sync.Mutex
	records []string
}

func (l *errorLog) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelError }
func (l *errorLog) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r.Message)
	return nil
}
func (l *errorLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *errorLog) WithGroup(string) slog.Handler      { return l }

func TestMalformedNodeIDsAreBadInput(t *testing.T) {
	st := storetest.Open(t)
	w := seed(t, st.Client)
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
	post := func(q string, vars map[string]any) response {
		t.Helper()
		_, r := ask(t, srv.URL, key, "case-management", q, vars)
		return r
	}

	// A well-formed ID still finds its node.
	fam := st.Client.Family.Query().FirstX(context.Background())
	r := post(`query($id: ID!) { node(id: $id) { id ... on Family { platformID } } }`, map[string]any{"id": strconv.Itoa(fam.ID)})
	if len(r.Errors) > 0 || !strings.Contains(string(r.Data), fam.PlatformID) {
		t.Fatalf("node(id: %d): %s %+v", fam.ID, r.Data, r.Errors)
	}
	_ = w

	cases := []struct {
		name, q string
		vars    map[string]any
	}{
		{"node literal abc", `{ node(id: "abc") { id } }`, nil},
		{"node variable abc", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": "abc"}},
		{"node a cursor", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": "gqFpzwAAAAEAAAAB"}},
		{"node an IIN-looking id with letters", `{ node(id: "8507010000x1") { id } }`, nil},
		{"node a fraction", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": "1.5"}},
		{"node negative", `{ node(id: "-4") { id } }`, nil},
		{"node too big", `{ node(id: "99999999999999999999999") { id } }`, nil},
		{"nodes with one bad", fmt.Sprintf(`{ nodes(ids: ["%d", "zz"]) { id } }`, fam.ID), nil},
		{"family id", `{ family(id: "F00000001") { platformID } }`, nil},
		{"family id variable", `query($id: ID) { family(id: $id) { platformID } }`, map[string]any{"id": "…"}},
		{"where idIn", `{ persons(first: 1, where: {idIn: ["x"]}) { totalCount } }`, nil},
	}
	for _, c := range cases {
		r := post(c.q, c.vars)
		if len(r.Errors) == 0 {
			t.Errorf("%s: answered %s, want BAD_INPUT", c.name, r.Data)
			continue
		}
		if code := r.Errors[0].Extensions["code"]; code != "BAD_INPUT" {
			t.Errorf("%s: %q code %v, want BAD_INPUT", c.name, r.Errors[0].Message, code)
		}
		if strings.Contains(r.Errors[0].Message, "internal error") {
			t.Errorf("%s: message %q", c.name, r.Errors[0].Message)
		}
	}
	if len(errs.records) > 0 {
		t.Errorf("malformed IDs were logged at ERROR: %q", errs.records)
	}
}
