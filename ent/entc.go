//go:build ignore

// entc.go runs Ent's code generation with the entgql extension. It is run by `go generate`
// from the ent directory (see generate.go), so paths are relative to ent/.
package main

import (
	"log"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
)

// overrides parses Birlik's templates (with entgql's functions, which they use) and adds them
// after the extension's: those that redefine some of entgql's win, and query_wrapped.tmpl adds
// a method to the Payment query builder (graph/aggregate's two-level aggregate).
func overrides(files ...string) entc.Option {
	return func(cfg *gen.Config) error {
		t, err := gen.NewTemplate("birlik").Funcs(entgql.TemplateFuncs).ParseFiles(files...)
		if err != nil {
			return err
		}
		cfg.Templates = append(cfg.Templates, t)
		return nil
	}
}

func main() {
	ex, err := entgql.NewExtension(
		entgql.WithConfigPath("../gqlgen.yml"),
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("../graph/ent.graphql"),
		entgql.WithWhereInputs(true),
		entgql.WithNodeDescriptor(false),
	)
	if err != nil {
		log.Fatalf("creating entgql extension: %v", err)
	}
	err = entc.Generate("./schema", &gen.Config{
		Features: []gen.Feature{
			gen.FeatureUpsert,
			gen.FeatureGlobalID,
			gen.FeatureVersionedMigration,
			gen.FeatureModifier,
			gen.FeatureExecQuery,
			gen.FeatureNamedEdges,
			gen.FeatureIntercept,
			gen.FeatureLock,
			gen.FeaturePrivacy, // row rules: ent/schema/privacy.go
		},
	},
		entc.Extensions(ex),
		// After the extension's templates, so their definitions override entgql's.
		overrides("template/load_total.tmpl", "template/paginate.tmpl", "template/query_wrapped.tmpl"),
	)
	if err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
}
