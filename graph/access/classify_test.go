package access

import (
	"slices"
	"strings"
	"testing"

	"github.com/birlik/birlik/graph"
)

// TestSchemaIsClassified walks the whole schema: every field of every object and interface
// type, every argument, every input field and every value of an enum that selects what is read
// is personal or public, by the directive or by the table in classify.go.
func TestSchemaIsClassified(t *testing.T) {
	s := graph.NewExecutableSchema(graph.Config{}).Schema()
	c, missing := classify(s)
	for _, m := range missing {
		t.Errorf("unclassified: %s; mark it @personal(category:) or list it as public in graph/access/classify.go with its reason", m)
	}
	if len(c.items) < 1000 {
		t.Errorf("only %d items classified: the walk missed part of the schema", len(c.items))
	}
}

// TestPublicTableIsCurrent: every field the table calls public exists and carries no @personal
// (a field that became personal, or was removed, leaves the table too).
func TestPublicTableIsCurrent(t *testing.T) {
	s := graph.NewExecutableSchema(graph.Config{}).Schema()
	for _, g := range public {
		for _, line := range g.fields {
			typ, fields, _ := strings.Cut(line, ":")
			def := s.Types[typ]
			if def == nil {
				t.Errorf("the public table names the type %s, which the schema does not have", typ)
				continue
			}
			for _, f := range strings.Fields(fields) {
				fd := def.Fields.ForName(f)
				switch {
				case fd == nil:
					t.Errorf("the public table names %s.%s, which the schema does not have", typ, f)
				case fd.Directives.ForName(DirectiveName) != nil:
					t.Errorf("the public table names %s.%s, which is @personal", typ, f)
				}
			}
		}
	}
	for key := range personalArgs {
		if _, ok := schemaClasses().lookup(key); !ok {
			t.Errorf("personalArgs names %s, which the schema does not have", key)
		}
	}
}

// TestGatedTypes: the types public because only @personal fields reach them are reached by
// nothing else.
func TestGatedTypes(t *testing.T) {
	s := graph.NewExecutableSchema(graph.Config{}).Schema()
	for _, g := range gated {
		n := 0
		for name, def := range s.Types {
			for _, f := range def.Fields {
				if f.Type.Name() != g {
					continue
				}
				n++
				if f.Directives.ForName(DirectiveName) == nil && !slices.Contains(gated, name) {
					t.Errorf("%s.%s reaches %s without @personal: %s's fields are public only as long as a personal field gates them", name, f.Name, g, g)
				}
			}
		}
		if n == 0 {
			t.Errorf("nothing reaches %s: remove it from gated", g)
		}
	}
}
