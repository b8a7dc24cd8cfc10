package loaders_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/birlik/birlik/graph"
	"github.com/birlik/birlik/resolvers"
)

// edgeQuery is a query selecting one edge of the schema under N parents.
type edgeQuery struct {
	name   string // Type.field
	query  string // with $n, the number of parents
	levels int    // edges from the root connection to the edge itself, included
	conns  int    // nested connections selected (each may add a COUNT)
}

// edgeQueries walks the schema from the root connections (persons, families, schools, …) and
// returns one query per edge (a field whose type is an object or a connection of objects) of
// every type reachable from them, at the shallowest path that reaches the type. The parent
// level is the root connection's first $n nodes or what an edge of them yields.
func edgeQueries(s *ast.Schema) []edgeQuery {
	type frame struct {
		wrap   func(string) string
		levels int
		conns  int
	}
	seen := map[string]frame{}
	var queue []string
	for _, f := range s.Query.Fields {
		node := connectionNode(s, f.Type.Name())
		if node == "" || argument(f, "first") == nil || requiredArgs(f, "first") {
			continue
		}
		if _, ok := seen[node]; ok {
			continue
		}
		root := f.Name
		seen[node] = frame{wrap: func(sel string) string {
			return fmt.Sprintf("query($n: Int!) { %s(first: $n) { edges { node { %s } } } }", root, sel)
		}}
		queue = append(queue, node)
	}
	for len(queue) > 0 {
		typ := queue[0]
		queue = queue[1:]
		fr := seen[typ]
		for _, f := range s.Types[typ].Fields {
			target, conn := s.Types[f.Type.Name()], false
			if target == nil || target.Kind != ast.Object || strings.HasPrefix(f.Name, "__") {
				continue
			}
			if n := connectionNode(s, target.Name); n != "" {
				target, conn = s.Types[n], true
			}
			if requiredArgs(f) {
				continue // an argument we cannot invent
			}
			args := ""
			if conn && argument(f, "first") != nil {
				args = "(first: 3)"
			}
			name := f.Name + args
			next := frame{levels: fr.levels + 1, conns: fr.conns}
			if conn {
				next.conns++
				wrap := fr.wrap
				next.wrap = func(sel string) string {
					return wrap(fmt.Sprintf("%s { totalCount edges { node { %s } } }", name, sel))
				}
			} else {
				wrap := fr.wrap
				next.wrap = func(sel string) string { return wrap(fmt.Sprintf("%s { %s }", name, sel)) }
			}
			if _, ok := seen[target.Name]; !ok && target.Name != "Region" {
				seen[target.Name] = next
				queue = append(queue, target.Name)
			}
			// The edge's own query: select a leaf of the target.
			q := next.wrap(leaf(s, target))
			seen["#"+typ+"."+f.Name] = frame{wrap: func(string) string { return q }, levels: next.levels, conns: next.conns}
		}
	}
	var out []edgeQuery
	for k, fr := range seen {
		if strings.HasPrefix(k, "#") {
			out = append(out, edgeQuery{name: k[1:], query: fr.wrap(""), levels: fr.levels, conns: fr.conns})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// connectionNode is the node type of a Relay connection type, "" for other types.
func connectionNode(s *ast.Schema, name string) string {
	t := s.Types[name]
	if t == nil || !strings.HasSuffix(name, "Connection") {
		return ""
	}
	edges := t.Fields.ForName("edges")
	if edges == nil {
		return ""
	}
	node := s.Types[edges.Type.Name()].Fields.ForName("node")
	if node == nil {
		return ""
	}
	return node.Type.Name()
}

func argument(f *ast.FieldDefinition, name string) *ast.ArgumentDefinition {
	return f.Arguments.ForName(name)
}

// requiredArgs reports whether f has a non-null argument without a default (other than skip).
func requiredArgs(f *ast.FieldDefinition, skip ...string) bool {
	for _, a := range f.Arguments {
		if a.Type.NonNull && a.DefaultValue == nil && !contains(skip, a.Name) {
			return true
		}
	}
	return false
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// leaf selects the id of t, or its first scalar field without arguments.
func leaf(s *ast.Schema, t *ast.Definition) string {
	if t.Fields.ForName("id") != nil {
		return "id"
	}
	for _, f := range t.Fields {
		if ft := s.Types[f.Type.Name()]; ft != nil && (ft.Kind == ast.Scalar || ft.Kind == ast.Enum) && len(f.Arguments) == 0 {
			return f.Name
		}
	}
	return "__typename"
}

// TestNoNPlusOne runs, for every edge of the schema, a query selecting it under 1, 10 and 100
// parents, and counts the SQL statements the store receives and the requests the simulators
// serve (live fields). A nested query must cost at most one store query (plus one COUNT per
// connection) per edge per level, and one request per source per level, whatever the number
// of parents: the counts stay under a budget set by the query's shape, far below the 100 an
// N+1 would cost.
func TestNoNPlusOne(t *testing.T) {
	g := newGateway(t, 2000)
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &resolvers.Resolver{}}).Schema()
	queries := edgeQueries(schema)
	if len(queries) < 40 {
		t.Fatalf("found only %d edges in the schema: the walk is broken", len(queries))
	}
	// The live fields are scalars-with-objects on Person; make sure they are among the edges.
	for _, want := range []string{"Person.family", "Person.liveCoverage", "Person.liveVisits", "Person.registerStatus", "Person.enrollments", "Enrollment.school", "School.pupils", "Change.person", "LiveVisit.institution"} {
		found := false
		for _, q := range queries {
			found = found || q.name == want
		}
		if !found {
			t.Errorf("edge %s not covered by the walk", want)
		}
	}
	for _, q := range queries {
		t.Run(q.name, func(t *testing.T) {
			budget := int64(1 + 2*q.levels + q.conns) // root + ≤2 per level + COUNTs
			var counts [3][2]int64
			for i, n := range []int{1, 10, 100} {
				h := g.handler(t, nil) // a fresh cache: every live value is fetched
				sql0, sim0 := g.sql.Load(), g.simRequests()
				r := post(t, h, q.query, map[string]any{"n": n})
				if len(r.Errors) > 0 {
					t.Fatalf("n=%d: %s\nquery: %s", n, r.Errors[0].Message, q.query)
				}
				counts[i] = [2]int64{g.sql.Load() - sql0, g.simRequests() - sim0}
			}
			t.Logf("sql %d/%d/%d, source requests %d/%d/%d for 1/10/100 parents: %s",
				counts[0][0], counts[1][0], counts[2][0], counts[0][1], counts[1][1], counts[2][1], q.query)
			for i, n := range []int{1, 10, 100} {
				if counts[i][0] > budget {
					t.Errorf("%d parents: %d SQL statements, budget %d (one per edge per level): N+1", n, counts[i][0], budget)
				}
				if counts[i][1] > int64(q.levels) {
					t.Errorf("%d parents: %d source requests, more than one per level (%d)", n, counts[i][1], q.levels)
				}
			}
			if counts[2][0] > counts[1][0]+int64(q.levels) || counts[2][1] > counts[1][1]+1 {
				t.Errorf("counts grow with the number of parents: %v", counts)
			}
		})
	}
}
