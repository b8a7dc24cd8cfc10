package access

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/birlik/birlik/auth"
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

// TestUnclassifiedIsRefusedAtRunTime: the operation walk refuses a field, argument, filter or
// ordering the classification does not know (one added to the schema without a line in the
// table), even where the schema test was not run.
func TestUnclassifiedIsRefusedAtRunTime(t *testing.T) {
	s := graph.NewExecutableSchema(graph.Config{}).Schema()
	full := schemaClasses()
	cases := []struct{ drop, query, want string }{
		{"Payment.amount", `{ payments { edges { node { amount } } } }`, "the field Payment.amount"},
		{"Query.school(bin)", `{ school(bin: "150300123401") { name } }`, "the argument Query.school(bin)"},
		{"PaymentWhereInput.amountGT", `{ payments(where: {and: [{amountGT: 5}]}) { totalCount } }`, "the input field PaymentWhereInput.amountGT"},
		{"PaymentOrderField.AMOUNT", `query($o: [PaymentOrder!]) { payments(orderBy: $o) { totalCount } }`, "the value PaymentOrderField.AMOUNT"},
	}
	for _, c := range cases {
		t.Run(c.drop, func(t *testing.T) {
			items := maps.Clone(full.items)
			delete(items, c.drop)
			doc, errs := gqlparser.LoadQueryWithRules(s, c.query, rules.NewDefaultRules())
			if errs != nil {
				t.Fatal(errs)
			}
			w := &walker{cls: &classes{items: items, schema: s}, role: auth.RoleAdmin, purpose: auth.PurposeCaseManagement, r: &reads{}, seen: map[string]bool{},
				vars: map[string]any{"o": []any{map[string]any{"field": "AMOUNT", "direction": "ASC"}}}}
			w.selections(doc.Operations[0].SelectionSet)
			if w.unclassified != c.want {
				t.Errorf("unclassified %q, want %q", w.unclassified, c.want)
			}
			// With the full classification the same operation is not refused.
			w = &walker{cls: full, role: auth.RoleAdmin, purpose: auth.PurposeCaseManagement, r: &reads{}, seen: map[string]bool{},
				vars: map[string]any{"o": []any{map[string]any{"field": "AMOUNT", "direction": "ASC"}}}}
			w.selections(doc.Operations[0].SelectionSet)
			if w.unclassified != "" || w.refused != "" {
				t.Errorf("full classification: unclassified %q, refused %q", w.unclassified, w.refused)
			}
		})
	}
}
