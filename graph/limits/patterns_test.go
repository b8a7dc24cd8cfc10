package limits_test

import (
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/birlik/birlik/graph"
	"github.com/birlik/birlik/graph/limits"
)

// TestPatternFiltersAreScalars: the pattern check goes by field name and looks at string
// values, so every input field of the schema named like a pattern filter must take one scalar
// (a list or an input object there would go unchecked); and the schema has such filters, so
// the check has something to cover.
func TestPatternFiltersAreScalars(t *testing.T) {
	t.Parallel()
	s := graph.NewExecutableSchema(graph.Config{}).Schema()
	n := 0
	for _, def := range s.Types {
		if def.Kind != ast.InputObject {
			continue
		}
		for _, f := range def.Fields {
			if !limits.IsPatternFilter(f.Name) {
				continue
			}
			n++
			if f.Type.Elem != nil || s.Types[f.Type.NamedType].Kind != ast.Scalar {
				t.Errorf("%s.%s is %s: a pattern filter must take one scalar", def.Name, f.Name, f.Type)
			}
		}
	}
	if n < 100 {
		t.Errorf("%d pattern filters in the schema: expected the generated where inputs' hundreds", n)
	}
}
