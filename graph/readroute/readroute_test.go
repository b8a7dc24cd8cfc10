package readroute

import (
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/birlik/birlik/graph"
)

func schema(t *testing.T) *ast.Schema {
	t.Helper()
	return graph.NewExecutableSchema(graph.Config{}).Schema()
}

// TestEveryRootFieldIsRouted walks the schema's root fields: each is routed in rootFields, and
// rootFields names no field the schema does not have.
func TestEveryRootFieldIsRouted(t *testing.T) {
	s := schema(t)
	want := map[string]bool{}
	for _, root := range []*ast.Definition{s.Query, s.Subscription} {
		if root == nil {
			continue
		}
		for _, f := range root.Fields {
			key := root.Name + "." + f.Name
			want[key] = true
			if _, ok := rootFields[key]; !ok {
				t.Errorf("%s is not routed: list it in graph/readroute's rootFields as Primary (it reads what requests write) or Replica (only the syncs and the derived work write it)", key)
			}
		}
	}
	for key := range rootFields {
		if !want[key] && key != "Query.__typename" {
			t.Errorf("rootFields routes %s, which the schema does not have", key)
		}
	}
}

// TestMutationsReturnWrittenTypes: what a mutation returns is what it wrote; reading it
// anywhere reads the primary.
func TestMutationsReturnWrittenTypes(t *testing.T) {
	s := schema(t)
	if s.Mutation == nil {
		t.Fatal("the schema has no mutations")
	}
	for _, f := range s.Mutation.Fields {
		if !writtenTypes[f.Type.Name()] {
			t.Errorf("Mutation.%s returns %s, which is not in graph/readroute's writtenTypes", f.Name, f.Type.Name())
		}
	}
	for name := range writtenTypes {
		if s.Types[name] == nil {
			t.Errorf("writtenTypes names %s, which the schema does not have", name)
		}
	}
}

func TestClassify(t *testing.T) {
	s := schema(t)
	for _, tc := range []struct {
		query  string
		route  Route
		writes bool
	}{
		{`{ person(iin: "900101300001") { id region { kato } } }`, Replica, false},
		{`{ persons(first: 5) { edges { node { id } } } }`, Replica, false},
		{`{ paymentAggregate(groupBy: [REGION]) { count sum } }`, Replica, false},
		{`{ myDataAccess { totalCount } }`, Primary, false},
		{`{ findings(first: 1) { totalCount } }`, Primary, false},
		{`{ findingSummary { kind count } }`, Primary, false},
		{`{ schools(first: 1) { edges { node { findings { id status } } } } }`, Primary, false},
		{`{ node(id: 1) { id ...F } } fragment F on Finding { status }`, Primary, false},
		{`{ node(id: 1) { id ... on Finding { status } } }`, Primary, false},
		{`{ node(id: 1) { id ... on Person { syncedAt } } }`, Replica, false},
		{`mutation { confirmFinding(id: 1) { id } }`, Primary, true},
		{`{ __typename }`, Replica, false},
	} {
		doc, err := gqlparser.LoadQueryWithRules(s, tc.query, rules.NewDefaultRules())
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		route, writes := Classify(doc.Operations[0])
		if route != tc.route || writes != tc.writes {
			t.Errorf("%s: route %d writes %v, want %d %v", tc.query, route, writes, tc.route, tc.writes)
		}
	}
}
