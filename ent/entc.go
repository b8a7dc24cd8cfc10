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
		// After the extension's templates, so its definitions override entgql's.
		entc.TemplateFiles("template/load_total.tmpl"),
	)
	if err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
}
