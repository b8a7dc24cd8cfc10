package resolvers_test

// The leak scanner: for every role and every purpose it may state (and no purpose), a corpus of
// queries generated from the schema runs through the whole HTTP stack against a generated
// country synced into the store (SQLite, or PostgreSQL with DATABASE_URL), and every string of
// every answer — cursors and IDs decoded — is scanned for an IIN that caller must not see in
// the clear. An IIN it may see must be named by the request's audit entry; a filter on a
// personal field that answers rows is a read of that person's data under the same rules.
// Zero findings allowed. docs/access.md, "The leak scanner", says what counts and how to run it.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/checks"
	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/connectors/health"
	"github.com/birlik/birlik/connectors/justice"
	ctransport "github.com/birlik/birlik/connectors/transport"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/auditentry"
	"github.com/birlik/birlik/ent/familymembership"
	"github.com/birlik/birlik/ent/payment"
	"github.com/birlik/birlik/ent/person"
	"github.com/birlik/birlik/familycard"
	"github.com/birlik/birlik/familycard/welfare"
	"github.com/birlik/birlik/graph"
	"github.com/birlik/birlik/loaders"
	"github.com/birlik/birlik/sim/all"
	"github.com/birlik/birlik/syncer/synctest"
)

// The country the scanner runs against: the generator's, with seed and size fixed so that every
// run sees the same people.
const (
	leakSeed   = 11
	leakPeople = 1000
)

// leakWorld is the running gateway over the synced country, and the values the corpus asks with.
type leakWorld struct {
	url    string
	tokens map[string]string
	client *ent.Client
	schema *ast.Schema

	citizen              domain.IIN            // the citizen's token subject
	region               domain.KATO           // the caseworker's region: the citizen's
	family               map[domain.IIN]bool   // the citizen and the members of their current family
	inRegion             map[domain.IIN]bool   // the people of the caseworker's region
	scan                 *iinScanner           // the country's IINs and the organisations' BINs
	samples              map[string]domain.IIN // person(iin:) calls: citizen, member, neighbour (same region), outsider
	families             map[string]string     // family(platformID:) calls: citizen, outsider
	regions              map[string]string     // region arguments: citizen, outsider
	schoolBIN, clinicBIN string
	from, to             string // months of the family assessments

	// What the discovery pass (the admin) saw, for the calls that need ids and real values.
	ids      map[string]map[string]string // __typename → sample tag ("citizen", "outsider", "") → id
	values   map[string]map[string]string // Type.field → tag → a value
	holdsIIN map[string]bool              // Type.field whose values held a person's IIN
}

func TestLeakScanner(t *testing.T) {
	w := newLeakWorld(t)
	t.Logf("%d people; citizen %s (family of %d), caseworker region %s (%d people)",
		len(w.scan.known), maskIIN(w.citizen), len(w.family), w.region, len(w.inRegion))

	g := &corpusGen{s: w.schema, fill: w.fill, missing: map[string]bool{}}
	// Discovery: the admin reads everything once (no node lookups yet), so that ids, cursors and
	// real values of every field are known.
	discovery := g.roots(func(f string) bool { return f == "node" || f == "nodes" })
	admin := &leakRun{w: w, role: auth.RoleAdmin, purpose: auth.PurposeCaseManagement}
	admin.discover(t, discovery)
	if m := g.missingArgs(); len(m) > 0 {
		t.Fatalf("the corpus has no value for these arguments: %s; add them to leakWorld.fill", strings.Join(m, ", "))
	}
	corpus := append(g.roots(func(string) bool { return false }), w.filters(t, g)...)
	var leaves int
	for _, it := range corpus {
		leaves += len(it.leaves)
	}
	t.Logf("corpus: %d calls, %d selected leaves", len(corpus), leaves)

	// One subtest per caller, run in parallel (each its own requests and findings):
	// go test ./resolvers -run 'TestLeakScanner/analyst' runs the analyst's.
	policy := auth.DefaultPurposePolicy()
	for _, role := range auth.Roles {
		for _, purpose := range append(slices.Clone(policy[role]), "") {
			r := &leakRun{w: w, role: role, purpose: purpose}
			t.Run(strings.ReplaceAll(r.name(), " ", "-"), func(t *testing.T) {
				t.Parallel()
				t0 := time.Now()
				r.run(t, corpus, g)
				t.Logf("%d requests in %s (refused as a whole: %v), %d IINs checked, %d findings",
					r.requests, time.Since(t0).Round(time.Millisecond), r.refusals, r.checked, len(r.findings))
				if len(r.findings) > 0 {
					t.Errorf("%d leaks:\n%s", len(r.findings), leakReport(r.findings))
				}
			})
		}
	}
}

// newLeakWorld generates the country, syncs it, runs the derived work (findings, assessments),
// starts the live sources over the same country, and serves the store through the full stack.
func newLeakWorld(t *testing.T) *leakWorld {
	t.Helper()
	ctx := context.Background()
	country, st := synctest.Synced(t, leakSeed, leakPeople)
	if _, err := checks.Run(ctx, st.Store, checks.Defaults()); err != nil {
		t.Fatal(err)
	}
	a, err := familycard.NewAssessor(st.Store, welfare.Default)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AssessAll(ctx); err != nil {
		t.Fatal(err)
	}
	sims, err := all.Start(ctx, country, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sims.Close() })
	live := func(src connectors.Source) ctransport.Config {
		return ctransport.Config{Source: string(src), MaxRetries: -1, Timeout: 10 * time.Second}
	}
	src := loaders.Sources{Health: health.New(sims.URL("health"), live(connectors.Health)), Justice: justice.New(sims.URL("justice"), live(connectors.Justice))}

	w := &leakWorld{client: st.Client, schema: graph.NewExecutableSchema(graph.Config{}).Schema(),
		family: map[domain.IIN]bool{}, inRegion: map[domain.IIN]bool{},
		scan:    &iinScanner{known: map[domain.IIN]bool{}, notIIN: map[string]bool{}},
		samples: map[string]domain.IIN{}, families: map[string]string{}, regions: map[string]string{},
		ids: map[string]map[string]string{}, values: map[string]map[string]string{}, holdsIIN: map[string]bool{}}
	people := st.Client.Person.Query().Select(person.FieldIin, person.FieldRegionKato).AllX(ctx)
	regionOf := map[domain.IIN]domain.KATO{}
	for _, p := range people {
		w.scan.known[p.Iin] = true
		regionOf[p.Iin] = p.RegionKato
	}
	for _, pv := range country.PersonVersions {
		w.scan.known[pv.Person.IIN] = true
	}
	for _, b := range st.Client.School.Query().Select("bin").StringsX(ctx) {
		w.scan.notIIN[b] = true
	}
	for _, b := range st.Client.MedicalInstitution.Query().Select("bin").StringsX(ctx) {
		w.scan.notIIN[b] = true
	}
	for _, b := range st.Client.Employer.Query().Select("bin").StringsX(ctx) {
		w.scan.notIIN[b] = true
	}
	for b := range w.scan.notIIN {
		delete(w.scan.known, domain.IIN(b))
	}

	// The citizen: the first member (by IIN) of the first family (by platform id) with two or
	// more current members, one of whom receives payments; the outsider: a member of a family
	// of another region.
	current := st.Client.FamilyMembership.Query().Where(familymembership.ToIsNil()).
		Order(ent.Asc(familymembership.FieldFamilyPlatformID), ent.Asc(familymembership.FieldIin)).AllX(ctx)
	members := map[string][]domain.IIN{}
	var fams []string
	for _, m := range current {
		if len(members[m.FamilyPlatformID]) == 0 {
			fams = append(fams, m.FamilyPlatformID)
		}
		members[m.FamilyPlatformID] = append(members[m.FamilyPlatformID], m.Iin)
	}
	for _, f := range fams {
		ms := members[f]
		if len(ms) < 2 || w.citizen != "" {
			continue
		}
		for _, m := range ms {
			if st.Client.Payment.Query().Where(payment.RecipientIin(m)).ExistX(ctx) {
				w.citizen, w.families["citizen"] = m, f
				break
			}
		}
	}
	if w.citizen == "" {
		t.Fatal("no family with two members and payments in the country: the scanner would read nothing personal")
	}
	w.region = regionOf[w.citizen]
	for _, m := range members[w.families["citizen"]] {
		w.family[m] = true
		if m != w.citizen && w.samples["member"] == "" {
			w.samples["member"] = m
		}
	}
	w.samples["citizen"] = w.citizen
	for _, p := range people {
		if p.RegionKato == w.region {
			w.inRegion[p.Iin] = true
			if !w.family[p.Iin] && w.samples["neighbour"] == "" {
				w.samples["neighbour"] = p.Iin
			}
		}
	}
	for _, f := range fams {
		if ms := members[f]; len(ms) >= 2 && regionOf[ms[0]] != w.region {
			w.samples["outsider"], w.families["outsider"], w.regions["outsider"] = ms[0], f, string(regionOf[ms[0]])
			break
		}
	}
	w.regions["citizen"] = string(w.region)
	w.schoolBIN = string(st.Client.School.Query().FirstX(ctx).Bin)
	w.clinicBIN = string(st.Client.MedicalInstitution.Query().FirstX(ctx).Bin)
	months := st.Client.FamilyAssessment.Query().Select("month").StringsX(ctx)
	slices.Sort(months)
	if len(months) == 0 {
		t.Fatal("no family assessments: the family card's fields would answer nothing")
	}
	w.from, w.to = months[0], months[len(months)-1]
	for tag, v := range w.samples {
		if v == "" {
			t.Fatalf("no %s in the country", tag)
		}
	}

	// The corpus batches many fields per request: the query limits, other tests' subject, are raised.
	w.url, w.tokens, _ = accessServerWith(t, st, w.citizen, serverOptions{sources: src, region: w.region, unlimited: true})
	return w
}

// fill gives the corpus's argument values: page sizes, and real values of the country for the
// arguments that name something (an IIN, a BIN, a family, a region, months, ids). A root field
// is called once per sample (person(iin:) for the citizen, a member of their family, a
// neighbour of their region and an outsider of another region).
func (w *leakWorld) fill(typ string, f *ast.FieldDefinition) ([]callArgs, []string) {
	root := typ == w.schema.Query.Name
	type choice struct{ tag, lit string }
	var fixed []string
	var varying []choice
	var missing []string
	tags := func(name string, m map[string]string, order ...string) []choice {
		var out []choice
		for _, t := range order {
			if v, ok := m[t]; ok {
				out = append(out, choice{t, name + ": " + quote(v)})
			}
		}
		return out
	}
	for _, a := range f.Arguments {
		req := a.Type.NonNull && a.DefaultValue == nil
		switch a.Name {
		case "first":
			if root {
				fixed = append(fixed, "first: 3")
			} else {
				fixed = append(fixed, "first: 2")
			}
			continue
		case "last":
			if req {
				fixed = append(fixed, "last: 2")
			}
			continue
		case "after", "before", "orderBy", "where", "note":
			continue
		}
		switch {
		case a.Name == "iin" && root:
			s := map[string]string{}
			for k, v := range w.samples {
				s[k] = string(v)
			}
			varying = tags("iin", s, "citizen", "member", "neighbour", "outsider")
		case a.Name == "bin" && f.Type.Name() == "School":
			fixed = append(fixed, "bin: "+quote(w.schoolBIN))
		case a.Name == "bin" && f.Type.Name() == "MedicalInstitution":
			fixed = append(fixed, "bin: "+quote(w.clinicBIN))
		case a.Name == "platformID" && root:
			varying = tags("platformID", w.families, "citizen", "outsider")
		case a.Name == "region" && root:
			varying = tags("region", w.regions, "citizen", "outsider")
		case a.Name == "from" && a.Type.Name() == "Month":
			fixed = append(fixed, "from: "+quote(w.from))
		case a.Name == "to" && a.Type.Name() == "Month":
			fixed = append(fixed, "to: "+quote(w.to))
		case a.Name == "groupBy":
			var vs []string
			for _, v := range w.schema.Types[a.Type.Name()].EnumValues {
				vs = append(vs, v.Name)
			}
			fixed = append(fixed, "groupBy: ["+strings.Join(vs, ", ")+"]")
		case a.Name == "id" && root && req:
			for _, typ := range w.nodeTypes(f.Type.Name()) {
				for _, tag := range sortedKeys(w.ids[typ]) {
					varying = append(varying, choice{typ + "_" + orDefault(tag, "any"), "id: " + quote(w.ids[typ][tag])})
				}
			}
			if len(varying) == 0 {
				return nil, nil // before discovery: no ids yet
			}
		case a.Name == "ids" && root:
			// One call per type (the types' fragments cannot share a selection: their fields
			// of one name differ in type), with its ids of every sample.
			for _, typ := range w.nodeTypes(f.Type.Name()) {
				var ids []string
				for _, tag := range sortedKeys(w.ids[typ]) {
					ids = append(ids, quote(w.ids[typ][tag]))
				}
				varying = append(varying, choice{typ + "_all", "ids: [" + strings.Join(ids, ", ") + "]"})
			}
			if len(varying) == 0 {
				return nil, nil
			}
		case req:
			missing = append(missing, a.Name)
		}
	}
	if len(missing) > 0 {
		return nil, missing
	}
	render := func(extra string) string {
		all := slices.Clone(fixed)
		if extra != "" {
			all = append([]string{extra}, all...)
		}
		if len(all) == 0 {
			return ""
		}
		return "(" + strings.Join(all, ", ") + ")"
	}
	if len(varying) == 0 || !root {
		if len(varying) > 0 {
			return []callArgs{{args: render(varying[0].lit)}}, nil
		}
		return []callArgs{{args: render("")}}, nil
	}
	var out []callArgs
	for _, v := range varying {
		c := callArgs{tag: v.tag, args: render(v.lit)}
		if w.schema.Types[f.Type.Name()].Kind == ast.Interface && (f.Arguments.ForName("id") != nil || f.Arguments.ForName("ids") != nil) {
			c.only, _, _ = strings.Cut(v.tag, "_")
		}
		out = append(out, c)
	}
	return out, nil
}

// nodeTypes are the types with ids in the pool that implement iface.
func (w *leakWorld) nodeTypes(iface string) []string {
	var out []string
	for _, typ := range sortedKeys(w.ids) {
		if slices.ContainsFunc(w.schema.GetPossibleTypes(w.schema.Types[iface]), func(d *ast.Definition) bool { return d.Name == typ }) {
			out = append(out, typ)
		}
	}
	return out
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// whereSuffixes are the operators of a generated where filter tried on a personal field: equal,
// in a list, and a prefix (an oracle one digit at a time).
var whereSuffixes = []string{"", "In", "HasPrefix"}

// filters returns one call per filter on a personal field of every Query field taking a where:
// each input field derived from a personal field (marked @personal, or whose values held a
// person's IIN when the admin read them, or named or described as an IIN), with the citizen's
// and an outsider's real value, and each has<Edge>With filter into such a field. The call
// selects no personal field: what it answers, it answers because of the filter.
func (w *leakWorld) filters(t *testing.T, g *corpusGen) []*item {
	var out []*item
	for _, f := range w.schema.Query.Fields {
		wa := f.Arguments.ForName("where")
		if wa == nil {
			continue
		}
		calls, missing := w.fill(w.schema.Query.Name, f)
		if len(missing) > 0 || len(calls) == 0 {
			continue
		}
		base := calls[0].args
		in := w.schema.Types[wa.Type.Name()]
		typ := strings.TrimSuffix(in.Name, "WhereInput")
		var sel func(prefix []step) []leaf
		if isWrapper(f.Type.Name()) {
			sel = func(p []step) []leaf { return g.cursors(f.Type.Name(), p) }
		} else {
			sel = func(p []step) []leaf { return w.publicScalars(g, f.Type.Name(), p) }
		}
		for _, c := range w.personalFilters(typ, in, true) {
			for _, v := range c.values {
				fc := &filterCase{typ: typ, field: c.field, input: c.input, value: v.value, category: c.category}
				where := "where: " + c.literal(v.lit)
				args := "(" + where + ")"
				if base != "" {
					args = "(" + where + ", " + strings.TrimPrefix(base, "(")
				}
				alias := f.Name + "__where_" + strings.ReplaceAll(c.input, ".", "_") + "__" + v.tag
				out = append(out, &item{root: alias, filter: fc, leaves: sel([]step{{alias: alias, name: f.Name, args: args}})})
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no filter on a personal field found in the schema: is the where input still generated?")
	}
	return out
}

// publicScalars are the scalar fields of typ not marked @personal.
func (w *leakWorld) publicScalars(g *corpusGen, typ string, prefix []step) []leaf {
	var out []leaf
	for _, l := range g.scalars(typ, prefix) {
		last := l[len(l)-1]
		if fd := w.schema.Types[typ].Fields.ForName(last.name); fd != nil && fd.Directives.ForName("personal") != nil {
			continue
		}
		out = append(out, l)
	}
	return out
}

// personalFilter is one input field of a where filter on a personal field, with its values.
type personalFilter struct {
	field, input, category string
	wrap                   func(inner string) string // the literal around {input: value}
	values                 []filterValue
}

type filterValue struct{ tag, value, lit string }

func (p personalFilter) literal(lit string) string {
	last := p.input[strings.LastIndex(p.input, ".")+1:]
	return p.wrap("{" + last + ": " + lit + "}")
}

// personalFilters lists the input fields of in (the where of typ) on personal fields, and
// (intoEdges) those of the types its has<Edge>With filters reach, one edge deep.
func (w *leakWorld) personalFilters(typ string, in *ast.Definition, intoEdges bool) []personalFilter {
	def := w.schema.Types[typ]
	var out []personalFilter
	id := func(s string) string { return s }
	for _, inf := range in.Fields {
		name := inf.Name
		switch {
		case strings.HasPrefix(name, "has") && strings.HasSuffix(name, "With"):
			if !intoEdges {
				continue
			}
			// Into an edge: has<Edge>With: [<Other>WhereInput!] on the other type's personal
			// fields (equality).
			inner := w.schema.Types[inf.Type.Name()]
			other := strings.TrimSuffix(inner.Name, "WhereInput")
			for _, p := range w.personalFilters(other, inner, false) {
				if p.input != p.field || strings.Contains(p.input, ".") {
					continue
				}
				p.input = name + "." + p.input
				p.field = other + "." + p.field
				n := name
				p.wrap = func(s string) string { return "{" + n + ": [" + s + "]}" }
				out = append(out, p)
			}
			continue
		}
		for _, suf := range whereSuffixes {
			b, ok := strings.CutSuffix(name, suf)
			fd := def.Fields.ForName(b)
			if !ok || (fd == nil && (suf != "" || !mentionsIIN(inf))) {
				continue // not an operator on a field of typ (iinNotIn is not "in", iinNEQ not "equal")
			}
			cat := ""
			switch {
			case fd != nil && fd.Directives.ForName("personal") != nil:
				cat = fd.Directives.ForName("personal").Arguments.ForName("category").Value.Raw
			case w.holdsIIN[typ+"."+b], strings.Contains(strings.ToLower(b), "iin"), fd == nil && mentionsIIN(inf):
				cat = string(auth.CatIdentity)
			default:
				continue
			}
			p := personalFilter{field: b, input: name, category: cat, wrap: id}
			for _, v := range w.valuesOf(typ, b, fd == nil || strings.Contains(strings.ToLower(b), "iin")) {
				val := v.value
				if suf == "HasPrefix" && inf.Type.Name() != "String" {
					continue
				}
				if suf == "HasPrefix" {
					rs := []rune(val)
					val = string(rs[:(len(rs)*2+2)/3])
				}
				p.values = append(p.values, filterValue{v.tag, val, w.literal(inf.Type, val)})
			}
			if len(p.values) > 0 {
				out = append(out, p)
			}
			break
		}
	}
	return out
}

func mentionsIIN(f *ast.FieldDefinition) bool { return strings.Contains(f.Description, "IIN") }

// valuesOf returns real values of typ.field the admin saw: the citizen's and the outsider's
// when seen under their person(iin:) calls, else any one; an IIN field without values filters
// by the samples' IINs.
func (w *leakWorld) valuesOf(typ, field string, iin bool) []filterValue {
	seen := w.values[typ+"."+field]
	var out []filterValue
	for _, tag := range []string{"citizen", "outsider"} {
		if v, ok := seen[tag]; ok {
			out = append(out, filterValue{tag: tag, value: v})
		}
	}
	if len(out) == 0 {
		if v, ok := seen[""]; ok {
			out = append(out, filterValue{tag: "any", value: v})
		}
	}
	if len(out) == 0 && iin {
		out = append(out, filterValue{tag: "citizen", value: string(w.samples["citizen"])}, filterValue{tag: "outsider", value: string(w.samples["outsider"])})
	}
	return out
}

// literal writes value as a GraphQL literal of type tp.
func (w *leakWorld) literal(tp *ast.Type, value string) string {
	if tp.Elem != nil {
		return "[" + w.literal(tp.Elem, value) + "]"
	}
	switch def := w.schema.Types[tp.Name()]; {
	case def.Kind == ast.Enum:
		return value
	case tp.Name() == "Int" || tp.Name() == "Tenge" || tp.Name() == "Float" || tp.Name() == "Boolean":
		return value
	}
	return quote(value)
}

// leakRun is one caller: a role and the purpose it states ("" for none).
type leakRun struct {
	w             *leakWorld
	role, purpose string
	findings      []leakFinding
	requests      int
	checked       int
	refused       map[string]bool // leaves refused alone: skipped in the rest of the run
	refusals      map[string]int  // requests refused as a whole, by error code
}

func (r *leakRun) name() string {
	return r.role + "/" + orDefault(r.purpose, "no purpose")
}

// leakFinding is one IIN that left when it should not have, or left unaudited.
type leakFinding struct {
	run, op, query string
	path           string // in the answer
	class          string // the path with indices and sample tags removed: the leak's class
	iin            domain.IIN
	how            string
	why            string
}

var opSeq atomic.Int64

// answer is one request's answer.
type leakAnswer struct {
	op, query string
	status    int
	header    http.Header
	body      []byte
	data      map[string]json.RawMessage
	errors    []struct {
		Message    string
		Path       []any
		Extensions map[string]any
	}
}

func (r *leakRun) post(t *testing.T, items []*item) *leakAnswer {
	t.Helper()
	op := fmt.Sprintf("Leak%06d", opSeq.Add(1))
	q := render(op, items)
	body, _ := json.Marshal(map[string]any{"query": q})
	req, _ := http.NewRequest("POST", r.w.url+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+r.w.tokens[r.role])
	if r.purpose != "" {
		req.Header.Set(auth.PurposeHeader, r.purpose)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	r.requests++
	a := &leakAnswer{op: op, query: q, status: res.StatusCode, header: res.Header, body: b}
	var env struct {
		Data   map[string]json.RawMessage
		Errors []struct {
			Message    string
			Path       []any
			Extensions map[string]any
		}
	}
	_ = json.Unmarshal(b, &env)
	a.data, a.errors = env.Data, env.Errors
	return a
}

// refusedWhole reports whether the request was refused as a whole (no data at all), and
// whether splitting its leaves may recover some: not when a root field itself was refused (its
// error is at the root or its arguments), only when the request was refused before running (an
// error without a path) or an error in the selection took its root with it (a non-null field's
// null propagates up).
func (a *leakAnswer) refusedWhole(items []*item) (bool, bool) {
	if a.data == nil && len(a.errors) == 0 {
		return true, true
	}
	if a.data != nil {
		return false, false
	}
	selected := map[string]bool{}
	for _, it := range items {
		for _, l := range it.leaves {
			for _, s := range l[1:] {
				if s.on == "" {
					selected[orDefault(s.alias, s.name)] = true
					break
				}
			}
		}
	}
	for _, e := range a.errors {
		if len(e.Path) == 0 {
			return true, true
		}
		if len(e.Path) > 1 {
			if k, ok := e.Path[1].(string); ok && selected[k] {
				return true, true
			}
		}
	}
	return true, false
}

// maxTokens keeps a request under the gateway parser's token limit (httpapi: 15,000).
const maxTokens = 12000

var tokenRE = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*|"(?:[^"\\]|\\.)*"|-?\d+|\.\.\.|[{}():\[\],]`)

// exec runs items in one request, and splits them (items, then leaves) while the request is
// refused as a whole, so that one refused field does not hide the others' answers; a request
// too long for the parser is split before it is sent. Every answer is checked; it returns the
// answers that carried data.
func (r *leakRun) exec(t *testing.T, items []*item, split bool) []*leakAnswer {
	t.Helper()
	var kept []*item
	for _, it := range items {
		var ls []leaf
		for _, l := range it.leaves {
			if !r.refused[leafSig(l)] {
				ls = append(ls, l)
			}
		}
		if len(ls) > 0 {
			c := *it
			c.leaves = ls
			kept = append(kept, &c)
		}
	}
	if len(kept) == 0 {
		return nil
	}
	if len(tokenRE.FindAllStringIndex(render("Leak", kept), -1)) > maxTokens {
		return r.halves(t, kept, true, split)
	}
	a := r.post(t, kept)
	r.check(t, a, kept)
	whole, leaves := a.refusedWhole(kept)
	if !whole {
		return []*leakAnswer{a}
	}
	for _, e := range a.errors {
		code, _ := e.Extensions["code"].(string)
		r.refusals[code]++
		if r.refusals[code] == 1 && code != "PURPOSE_REQUIRED" {
			q := a.query
			if len(q) > 300 {
				q = q[:300] + "…"
			}
			t.Logf("%s: refused as a whole: %s %s (at %v) in %s", r.name(), code, e.Message, e.Path, q)
		}
	}
	if !split {
		return nil
	}
	if len(kept) == 1 && len(kept[0].leaves) == 1 {
		r.refused[leafSig(kept[0].leaves[0])] = true
		return nil
	}
	return r.halves(t, kept, leaves, true)
}

// halves runs the two halves of items (of its leaves when it is one item and leaves is true).
func (r *leakRun) halves(t *testing.T, items []*item, leaves, split bool) []*leakAnswer {
	t.Helper()
	if len(items) > 1 {
		h := len(items) / 2
		return append(r.exec(t, items[:h], split), r.exec(t, items[h:], split)...)
	}
	it := items[0]
	if !leaves || len(it.leaves) < 2 {
		return nil
	}
	h := len(it.leaves) / 2
	a1, a2 := *it, *it
	a1.leaves, a2.leaves = it.leaves[:h], it.leaves[h:]
	return append(r.exec(t, []*item{&a1}, split), r.exec(t, []*item{&a2}, split)...)
}

// leafSig is a leaf without its aliases and arguments: refused alone, the same leaf is left out
// of the rest of the run.
func leafSig(l leaf) string {
	var b strings.Builder
	for _, s := range l {
		b.WriteString(s.name + s.on + ".")
	}
	return b.String()
}

// run sends the corpus grouped by root field (one request per Query field, its calls aliased),
// then the second pages of every root connection from the endCursor this caller got, and the
// same second pages with a tampered cursor. Without a purpose, the corpus also runs without its
// @personal fields, so that what needs no purpose is read too.
func (r *leakRun) run(t *testing.T, corpus []*item, g *corpusGen) {
	t.Helper()
	r.refused, r.refusals = map[string]bool{}, map[string]int{}
	var answers []*leakAnswer
	for _, group := range groupByField(corpus) {
		// Without a purpose, whatever selects a personal field is refused as a whole: the
		// answers are checked, not split (the corpus without those fields follows).
		answers = append(answers, r.exec(t, group, r.purpose != "")...)
	}
	if r.purpose == "" {
		for _, group := range groupByField(r.w.withoutPersonal(corpus)) {
			answers = append(answers, r.exec(t, group, true)...)
		}
	}
	byRoot := map[string]*item{}
	for _, it := range corpus {
		byRoot[it.root] = it
	}
	var pages []*item
	paged := map[string]bool{}
	for _, a := range answers {
		for root, raw := range a.data {
			it := byRoot[root]
			if it == nil || it.second == nil || paged[root] {
				continue
			}
			paged[root] = true
			if c := endCursor(raw); c != "" {
				pages = append(pages, it.second(c, "page2"), it.second(tamper(c), "tampered"))
			}
		}
	}
	sort.Slice(pages, func(i, j int) bool { return pages[i].root < pages[j].root })
	for _, group := range groupByField(pages) {
		r.exec(t, group, true)
	}
}

// withoutPersonal is the corpus without the leaves that go through a field marked @personal.
func (w *leakWorld) withoutPersonal(corpus []*item) []*item {
	var out []*item
	for _, it := range corpus {
		var ls []leaf
	next:
		for _, l := range it.leaves {
			typ := w.schema.Query.Name
			for _, s := range l {
				if s.on != "" {
					typ = s.on
					continue
				}
				fd := w.schema.Types[typ].Fields.ForName(s.name)
				if fd == nil {
					break
				}
				if fd.Directives.ForName("personal") != nil {
					continue next
				}
				typ = fd.Type.Name()
			}
			ls = append(ls, l)
		}
		if len(ls) > 0 {
			c := *it
			c.leaves = ls
			out = append(out, &c)
		}
	}
	return out
}

// groupByField groups items by their Query field (the part of the root alias before "__").
func groupByField(items []*item) [][]*item {
	idx := map[string]int{}
	var out [][]*item
	for _, it := range items {
		f, _, _ := strings.Cut(it.root, "__")
		if it.filter != nil {
			f += "/where"
		}
		i, ok := idx[f]
		if !ok {
			i = len(out)
			idx[f] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], it)
	}
	return out
}

// endCursor is the end cursor of a page: pageInfo.endCursor, or endCursor on the page itself.
func endCursor(raw json.RawMessage) string {
	var p struct {
		PageInfo  struct{ EndCursor string }
		EndCursor string
	}
	_ = json.Unmarshal(raw, &p)
	return orDefault(p.PageInfo.EndCursor, p.EndCursor)
}

// tamper changes one character in the middle of a cursor.
func tamper(c string) string {
	if c == "" {
		return c
	}
	b := []byte(c)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// discover runs the corpus as the admin and keeps what later calls need: ids per type and
// sample, values of every field per sample, and which fields hold IINs. Its answers are checked
// like any other.
func (r *leakRun) discover(t *testing.T, corpus []*item) {
	t.Helper()
	r.refused, r.refusals = map[string]bool{}, map[string]int{}
	w := r.w
	for _, group := range groupByField(corpus) {
		for _, a := range r.exec(t, group, true) {
			for root, raw := range a.data {
				tag := ""
				if _, rest, ok := strings.Cut(root, "__"); ok && (w.samples[rest] != "" || w.families[rest] != "") {
					tag = rest
				}
				var v any
				d := json.NewDecoder(bytes.NewReader(raw))
				d.UseNumber()
				if d.Decode(&v) == nil {
					w.observe(v, tag)
				}
			}
		}
	}
	r.findings = nil // the admin's answers are checked again in its own run
}

// observe records, under an object with a __typename, each field's value.
func (w *leakWorld) observe(v any, tag string) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			w.observe(e, tag)
		}
	case map[string]any:
		typ, _ := x["__typename"].(string)
		for k, e := range x {
			f, _, _ := strings.Cut(k, "__")
			if typ != "" {
				var s string
				switch y := e.(type) {
				case string:
					s = y
				case json.Number:
					s = y.String()
				}
				if s != "" {
					key := typ + "." + f
					if w.values[key] == nil {
						w.values[key] = map[string]string{}
					}
					if _, ok := w.values[key][tag]; !ok {
						w.values[key][tag] = s
					}
					if _, ok := w.values[key][""]; !ok {
						w.values[key][""] = s
					}
					if len(w.scan.scanText("", s, "clear", 0)) > 0 {
						w.holdsIIN[key] = true
					}
					if f == "id" {
						if w.ids[typ] == nil {
							w.ids[typ] = map[string]string{}
						}
						if _, ok := w.ids[typ][tag]; !ok {
							w.ids[typ][tag] = s
						}
					}
				}
			}
			w.observe(e, tag)
		}
	}
}

// may reports whether the run may see iin in the clear, and why not.
func (r *leakRun) may(iin domain.IIN) (bool, string) {
	if r.purpose == "" {
		return false, "no purpose stated: a personal value needs X-Purpose"
	}
	if rule := auth.FieldRule(r.role, auth.CatIdentity, r.purpose); rule != auth.Allow {
		return false, fmt.Sprintf("the role %s sees IDENTITY %s under purpose %s", r.role, rule, r.purpose)
	}
	switch r.role {
	case auth.RoleCitizen:
		if !r.w.family[iin] {
			return false, "not the citizen nor a member of their current family"
		}
	case auth.RoleCaseworker:
		if !r.w.inRegion[iin] {
			return false, "a person outside the caseworker's region " + string(r.w.region)
		}
	}
	return true, ""
}

// check scans one answer: every IIN in it (body and headers) the run may not see is a finding;
// the ones it may see must be named by the request's audit entry; and a filter on a personal
// field that answered rows must be allowed and audited like reading the field.
func (r *leakRun) check(t *testing.T, a *leakAnswer, items []*item) {
	t.Helper()
	hits := r.w.scan.scanJSON("", a.body)
	for k, vs := range a.header {
		for _, v := range vs {
			hits = append(hits, r.w.scan.scanText("header "+k, v, "clear", 0)...)
		}
	}
	allowed := map[domain.IIN]hit{}
	for _, h := range hits {
		if strings.HasPrefix(h.path, ".errors.") && strings.Contains(a.query, string(h.iin)) {
			continue // an error repeating the caller's own input tells it nothing
		}
		r.checked++
		if ok, why := r.may(h.iin); !ok {
			r.add(a, h.path, h.iin, h.how, why)
			continue
		}
		if _, seen := allowed[h.iin]; !seen {
			allowed[h.iin] = h
		}
	}
	var subjects map[domain.IIN]bool
	audited := func() (bool, map[domain.IIN]bool) {
		if subjects == nil {
			subjects = map[domain.IIN]bool{}
			es := r.w.client.AuditEntry.Query().Where(auditentry.Operation(a.op)).WithSubjects().AllX(context.Background())
			for _, e := range es {
				subjects[""] = true // an entry exists
				for _, s := range e.Edges.Subjects {
					subjects[s.Iin] = true
				}
			}
		}
		return subjects[""], subjects
	}
	for _, iin := range sortedIINs(allowed) {
		h := allowed[iin]
		exists, names := audited()
		switch {
		case !exists:
			r.add(a, h.path, iin, h.how, "shown, but the request wrote no audit entry")
		case !names[iin]:
			r.add(a, h.path, iin, h.how, "shown, but the request's audit entry does not name it")
		}
	}
	if a.data == nil {
		return
	}
	for _, it := range items {
		fc := it.filter
		if fc == nil || !answeredRows(a.data[it.root]) {
			continue
		}
		path := "." + it.root
		subject := domain.IIN("")
		if r.w.scan.known[domain.IIN(fc.value)] {
			subject = domain.IIN(fc.value)
		}
		what := fmt.Sprintf("rows answered for a filter on %s.%s (%s) by %s", fc.typ, fc.field, fc.category, fc.input)
		switch rule := auth.FieldRule(r.role, auth.Category(fc.category), r.purpose); {
		case r.purpose == "":
			r.add(a, path, subject, "filter value", what+" without a purpose")
			continue
		case rule != auth.Allow:
			r.add(a, path, subject, "filter value", fmt.Sprintf("%s, which the role %s sees %s under %s", what, r.role, rule, r.purpose))
			continue
		}
		if subject != "" {
			if ok, why := r.may(subject); !ok {
				r.add(a, path, subject, "filter value", what+" about "+why)
				continue
			}
		}
		exists, names := audited()
		switch {
		case !exists:
			r.add(a, path, subject, "filter value", what+", but the request wrote no audit entry")
		case subject != "" && !names[subject]:
			r.add(a, path, subject, "filter value", what+", but the audit entry does not name the person filtered by")
		case subject == "" && len(names) < 2:
			r.add(a, path, subject, "filter value", what+", but the audit entry names nobody")
		}
	}
}

func sortedIINs(m map[domain.IIN]hit) []domain.IIN {
	out := make([]domain.IIN, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// answeredRows reports whether a filtered call answered any row: a page with a total or edges, a
// non-empty list (of groups with a count, when they have one).
func answeredRows(raw json.RawMessage) bool {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	switch x := v.(type) {
	case map[string]any:
		if n, ok := x["totalCount"].(float64); ok && n > 0 {
			return true
		}
		if es, ok := x["edges"].([]any); ok && len(es) > 0 {
			return true
		}
		if ns, ok := x["nodes"].([]any); ok && len(ns) > 0 {
			return true
		}
	case []any:
		for _, e := range x {
			m, ok := e.(map[string]any)
			if !ok {
				return true
			}
			if n, ok := m["count"].(float64); !ok || n > 0 {
				return true
			}
		}
	}
	return false
}

func (r *leakRun) add(a *leakAnswer, path string, iin domain.IIN, how, why string) {
	r.findings = append(r.findings, leakFinding{run: r.name(), op: a.op, query: a.query, path: path,
		class: leakClass(path), iin: iin, how: how, why: why})
}

var (
	indexPart = regexp.MustCompile(`\.\d+(\.|$)`)
	aliasTag  = regexp.MustCompile(`__(citizen|member|neighbour|outsider|any|[A-Z][A-Za-z]*_[a-z]+)\b`)
)

// leakClass is a path without list indices and sample tags: persons__by_IIN.edges.3.cursor →
// persons__by_IIN.edges.cursor. One class is one leak to fix, whichever rows show it.
func leakClass(path string) string {
	p := path
	for indexPart.MatchString(p) {
		p = indexPart.ReplaceAllString(p, "$1")
	}
	p = aliasTag.ReplaceAllString(p, "")
	return strings.TrimPrefix(p, ".")
}

// leakReport groups the findings by class (path, how, why) and caller: one line per class with
// how many IINs and one example (its IIN masked, its query shortened).
func leakReport(fs []leakFinding) string {
	type key struct{ class, how, why string }
	type group struct {
		runs  []string
		n     int
		first leakFinding
	}
	groups := map[key]*group{}
	var keys []key
	for _, f := range fs {
		how := f.how
		if how != "clear" && how != "filter value" {
			how = "decoded: " + how
		}
		k := key{f.class, how, f.why}
		g := groups[k]
		if g == nil {
			g = &group{first: f}
			groups[k] = g
			keys = append(keys, k)
		}
		g.n++
		if !slices.Contains(g.runs, f.run) {
			g.runs = append(g.runs, f.run)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].class != keys[j].class {
			return keys[i].class < keys[j].class
		}
		return keys[i].why < keys[j].why
	})
	var b strings.Builder
	for _, k := range keys {
		g := groups[k]
		q := g.first.query
		if len(q) > 160 {
			q = q[:160] + "…"
		}
		iin := "-"
		if g.first.iin != "" {
			iin = maskIIN(g.first.iin)
		}
		fmt.Fprintf(&b, "- %s [%s] %s\n    ×%d, callers: %s\n    e.g. %s at %s in %s: %s\n",
			k.class, k.how, k.why, g.n, strings.Join(g.runs, ", "), iin, g.first.path, g.first.op, q)
	}
	return b.String()
}
