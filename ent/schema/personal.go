package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/birlik/birlik/auth"
)

// personal is the @personal(category:) directive of a field or edge holding personal data
// (graph/access.graphql declares it; graph/access applies the role's rule: returned, masked or
// FORBIDDEN).
func personal(c auth.Category) entgql.Annotation {
	return entgql.Directives(entgql.NewDirective("personal", &ast.Argument{
		Name:  "category",
		Value: &ast.Value{Raw: string(c), Kind: ast.EnumValue},
	}))
}

// withPersonal adds the @personal directive to a field built by a helper.
func withPersonal(f ent.Field, c auth.Category) ent.Field {
	d := f.Descriptor()
	d.Annotations = append(d.Annotations, personal(c))
	return f
}
