package resolvers_test

// The leak scanner's corpus: queries generated from the executable schema, so that a field,
// argument, filter or ordering added to the schema is in the corpus without anyone writing it
// down. See TestLeakScanner (leak_test.go) and docs/access.md, "The leak scanner".

import (
	"encoding/json"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// leakDepth is how deep the corpus goes: Query's fields are depth 1, the fields of what they
// return depth 2, and so on; an object at this depth has its scalar fields selected. A
// connection, its edges and its page info do not count as levels (edges { node { … } } is one
// step from the field to its nodes).
const leakDepth = 3

// step is one field (or inline fragment) of a selection path.
type step struct {
	alias, name, args string
	on                string // an inline fragment's type condition (name is empty)
}

func (s step) key() string { return s.alias + "|" + s.name + "|" + s.args + "|" + s.on }

func (s step) render() string {
	if s.on != "" {
		return "... on " + s.on
	}
	out := s.name
	if s.alias != "" {
		out = s.alias + ": " + s.name
	}
	return out + s.args
}

// leaf is one selected scalar, with the path to it from Query.
type leaf []step

// item is one unit of the corpus: one Query field called once (its alias tells it from the
// other calls of the same field), with the leaves selected under it. A request carries one or
// more items; refused as a whole, it is split until the item, then the leaf, it refuses is found.
type item struct {
	root   string // alias or name of the root field, unique in the corpus
	leaves []leaf
	filter *filterCase // set when the item is a filter on a personal field
	// second, for a root connection, builds the call of the page after the one this item
	// answered, from its endCursor (aliased <root>__<suffix>).
	second func(cursor, suffix string) *item
}

// filterCase is a where on a personal field: the rows it returns are data about whoever has that
// value.
type filterCase struct {
	typ, field string // the filtered type and its field (Person.iin; Payment.recipientIin…)
	input      string // the input field used (recipientIin, iinHasPrefix, hasRecipientWith.iin…)
	value      string // the value filtered by, as sent
	category   string // the field's category of personal data (IDENTITY for IIN-bearing fields)
}

// argFill gives the values of arguments: for a root field, one call per value set; nested
// fields get the first set.
type argFill func(typ string, f *ast.FieldDefinition) (calls []callArgs, missing []string)

// callArgs is one call's rendered arguments and the alias tag telling it from other calls.
type callArgs struct {
	tag  string // "" for a single call
	args string // "(iin: \"…\", first: 3)" or ""
	only string // for a field returning an interface: the one type the call selects
}

// corpusGen walks a schema.
type corpusGen struct {
	s       *ast.Schema
	fill    argFill
	missing map[string]bool // Type.field(arg) without a value: the test fails on them
}

// isWrapper reports whether a type only wraps the entities of a page: connections, edges, page
// info. Wrappers do not count as a level of depth.
func isWrapper(name string) bool {
	return strings.HasSuffix(name, "Connection") || strings.HasSuffix(name, "Edge") || name == "PageInfo" || strings.HasSuffix(name, "Page")
}

func (g *corpusGen) kind(name string) ast.DefinitionKind { return g.s.Types[name].Kind }

func isLeafKind(k ast.DefinitionKind) bool { return k == ast.Scalar || k == ast.Enum }

// selection returns the leaves under a field of type typ at depth (the depth of typ's fields).
func (g *corpusGen) selection(typ string, depth, max int, prefix []step) []leaf {
	def := g.s.Types[typ]
	var out []leaf
	with := func(s step) []step { return append(slices.Clone(prefix), s) }
	switch def.Kind {
	case ast.Interface, ast.Union:
		out = append(out, leaf(with(step{name: "__typename"})))
		for _, p := range g.s.GetPossibleTypes(def) {
			out = append(out, g.selection(p.Name, depth, max, with(step{on: p.Name}))...)
		}
		return out
	}
	out = append(out, leaf(with(step{name: "__typename"})))
	for _, f := range def.Fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		ft := f.Type.Name()
		calls := g.args(typ, f)
		if calls == nil {
			continue
		}
		st := step{name: f.Name, args: calls[0].args}
		switch {
		case isLeafKind(g.kind(ft)):
			out = append(out, leaf(with(st)))
		case isWrapper(ft):
			out = append(out, g.selection(ft, depth, max, with(st))...)
		case depth < max:
			out = append(out, g.selection(ft, depth+1, max, with(st))...)
		default:
			out = append(out, g.scalars(ft, with(st))...)
		}
		if ob := f.Arguments.ForName("orderBy"); ob != nil {
			out = append(out, g.orderings(typ, f, prefix)...)
		}
	}
	return out
}

// scalars returns the leaves of an object's scalar fields (of every type of an interface).
func (g *corpusGen) scalars(typ string, prefix []step) []leaf {
	def := g.s.Types[typ]
	with := func(s step) []step { return append(slices.Clone(prefix), s) }
	out := []leaf{leaf(with(step{name: "__typename"}))}
	if def.Kind == ast.Interface || def.Kind == ast.Union {
		for _, p := range g.s.GetPossibleTypes(def) {
			out = append(out, g.scalars(p.Name, with(step{on: p.Name}))...)
		}
		return out
	}
	for _, f := range def.Fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		ft := f.Type.Name()
		calls := g.args(typ, f)
		if calls == nil {
			continue
		}
		if isLeafKind(g.kind(ft)) {
			out = append(out, leaf(with(step{name: f.Name, args: calls[0].args})))
		}
	}
	return out
}

// cursors returns a page's cursors and the ids of its nodes: what an ordering changes.
func (g *corpusGen) cursors(typ string, prefix []step) []leaf {
	def := g.s.Types[typ]
	with := func(s ...step) []step { return append(slices.Clone(prefix), s...) }
	var out []leaf
	for _, f := range def.Fields {
		ft := f.Type.Name()
		switch {
		case isLeafKind(g.kind(ft)) && len(f.Arguments) == 0:
			out = append(out, leaf(with(step{name: f.Name})))
		case isWrapper(ft):
			out = append(out, g.cursors(ft, with(step{name: f.Name}))...)
		case f.Name == "node":
			out = append(out, leaf(with(step{name: f.Name}, step{name: "__typename"})))
			if nd := g.s.Types[ft]; nd.Fields.ForName("id") != nil {
				out = append(out, leaf(with(step{name: f.Name}, step{name: "id"})))
			}
		}
	}
	return out
}

// orderings returns, for a connection field with an orderBy argument, one call per order field
// (aliased <field>__by_<ORDER>) selecting its cursors: a cursor holds the value it is ordered by.
func (g *corpusGen) orderings(typ string, f *ast.FieldDefinition, prefix []step) []leaf {
	var out []leaf
	for _, o := range g.orderValues(f) {
		st := step{alias: f.Name + "__by_" + o.field, name: f.Name, args: "(first: 2, orderBy: " + o.literal + ")"}
		out = append(out, g.cursors(f.Type.Name(), append(slices.Clone(prefix), st))...)
	}
	return out
}

type orderValue struct{ field, literal string }

// orderValues lists the orderings of a field: {field: X} (or [{field: X}]) for each value X of
// its order field enum.
func (g *corpusGen) orderValues(f *ast.FieldDefinition) []orderValue {
	a := f.Arguments.ForName("orderBy")
	if a == nil {
		return nil
	}
	in := g.s.Types[a.Type.Name()]
	ff := in.Fields.ForName("field")
	if ff == nil {
		return nil
	}
	var out []orderValue
	for _, v := range g.s.Types[ff.Type.Name()].EnumValues {
		lit := "{field: " + v.Name + "}"
		if a.Type.Elem != nil {
			lit = "[" + lit + "]"
		}
		out = append(out, orderValue{v.Name, lit})
	}
	return out
}

// args returns the calls of f (nil when a required argument has no value: recorded in missing).
func (g *corpusGen) args(typ string, f *ast.FieldDefinition) []callArgs {
	calls, missing := g.fill(typ, f)
	for _, m := range missing {
		g.missing[typ+"."+f.Name+"("+m+")"] = true
	}
	if len(missing) > 0 || len(calls) == 0 {
		return nil
	}
	return calls
}

// roots returns the corpus's items for Query's fields: every call of every field, with its
// selection to leakDepth, and the orderings of every connection (at every depth) as aliased
// calls selecting their cursors. Root connections also get a second page from their endCursor.
func (g *corpusGen) roots(skip func(field string) bool) []*item {
	var out []*item
	q := g.s.Query
	for _, f := range q.Fields {
		if strings.HasPrefix(f.Name, "__") || skip(f.Name) {
			continue
		}
		calls := g.args(q.Name, f)
		for _, c := range calls {
			alias := f.Name
			if c.tag != "" {
				alias = f.Name + "__" + c.tag
			}
			st := step{alias: alias, name: f.Name, args: c.args}
			it := &item{root: alias}
			ft := f.Type.Name()
			switch {
			case isLeafKind(g.kind(ft)):
				it.leaves = []leaf{{st}}
			case c.only != "":
				// A lookup of one type through an interface (node(id:)): that type's fragment.
				it.leaves = append([]leaf{{st, {name: "__typename"}}}, g.selection(c.only, 2, leakDepth, []step{st, {on: c.only}})...)
			default:
				it.leaves = g.selection(ft, 2, leakDepth, []step{st})
			}
			if hasPaging(f) {
				it.second = g.secondPage(f, alias, c.args)
			}
			out = append(out, it)
		}
		if hasPaging(f) && len(calls) > 0 {
			for _, o := range g.orderValues(f) {
				alias := f.Name + "__by_" + o.field
				args := "(first: 2, orderBy: " + o.literal + ")"
				st := step{alias: alias, name: f.Name, args: args}
				it := &item{root: alias, leaves: g.cursors(f.Type.Name(), []step{st})}
				it.second = g.secondPage(f, alias, args)
				out = append(out, it)
			}
		}
	}
	return out
}

// hasPaging reports whether f is a connection paged by an after cursor.
func hasPaging(f *ast.FieldDefinition) bool {
	return f.Arguments.ForName("after") != nil && f.Arguments.ForName("first") != nil
}

// secondPage builds, from a page's endCursor, the call of the page after it (the first page's
// arguments, order included, with after: the cursor), with its nodes' fields to depth 2.
func (g *corpusGen) secondPage(f *ast.FieldDefinition, root, args string) func(string, string) *item {
	first := regexp.MustCompile(`first: \d+`)
	return func(cursor, suffix string) *item {
		alias := root + "__" + suffix
		a := first.ReplaceAllLiteralString(args, "first: 2, after: "+quote(cursor))
		st := step{alias: alias, name: f.Name, args: a}
		return &item{root: alias, leaves: g.selection(f.Type.Name(), 2, 2, []step{st})}
	}
}

// render writes the query of the given items under the operation name op: the leaves merged
// into one tree per item.
func render(op string, items []*item) string {
	type node struct {
		st   step
		kids []*node
		idx  map[string]*node
	}
	top := &node{idx: map[string]*node{}}
	for _, it := range items {
		for _, l := range it.leaves {
			n := top
			for _, s := range l {
				k := n.idx[s.key()]
				if k == nil {
					k = &node{st: s, idx: map[string]*node{}}
					n.idx[s.key()] = k
					n.kids = append(n.kids, k)
				}
				n = k
			}
		}
	}
	var b strings.Builder
	var write func(n *node)
	write = func(n *node) {
		b.WriteString(n.st.render())
		if len(n.kids) > 0 {
			b.WriteString(" {")
			for _, k := range n.kids {
				b.WriteByte(' ')
				write(k)
			}
			b.WriteString(" }")
		}
	}
	b.WriteString("query " + op + " {")
	for _, k := range top.kids {
		b.WriteByte(' ')
		write(k)
	}
	b.WriteString(" }")
	return b.String()
}

// quote writes s as a GraphQL string (JSON's string syntax is GraphQL's).
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// missingArgs lists the arguments the corpus has no value for, sorted.
func (g *corpusGen) missingArgs() []string {
	out := make([]string, 0, len(g.missing))
	for m := range g.missing {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}
