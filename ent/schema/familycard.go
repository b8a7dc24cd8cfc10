package schema

// The Digital Family Card: a family's welfare assessment for a month under a versioned rule set.
// The categories and indicators are domain types; the rules and the computation are in package
// familycard, described in docs/familycard.md.

import (
	"context"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent/privacy"
)

// FamilyAssessment is a family's welfare category for one month under one version of the rules,
// with the indicators that produced it and the reason. It is derived data (not a source record):
// the assessment run writes it, keyed by (family, month, rule version), and rewrites it when run
// again.
type FamilyAssessment struct {
	ent.Schema
}

// Fields of FamilyAssessment.
func (FamilyAssessment) Fields() []ent.Field {
	return []ent.Field{
		field.Int("family_id").Comment("The assessed family's node ID.").
			Annotations(entgql.Skip(entgql.SkipType, entgql.SkipOrderField)),
		field.String("family_platform_id").Comment(`The platform's family id, e.g. "F00001234".`),
		regionField("Region of the family when assessed"),
		monthField("month", "The month assessed"),
		field.Int("month_seq").
			Comment("The month as a number (year × 12 + month − 1), so consecutive months join as n and n + 1.").
			Annotations(entgql.Skip()),
		field.Enum("category").GoType(domain.WelfareCategory("")).
			Comment("The welfare category: emergency, crisis, unsatisfactory, satisfactory or prosperous.").
			Annotations(entgql.Type("WelfareCategory"), entgql.OrderField("CATEGORY")),
		field.JSON("indicators", domain.FamilyIndicators{}).
			Comment("The indicators the category was chosen from.").
			Annotations(entgql.Skip()),
		field.String("rule_version").Comment(`The version of the rules applied, e.g. "v1".`),
		field.Text("reason").Comment("Why this category: the rule that applied, with the figures."),
		field.Time("assessed_at").Default(time.Now).Comment("When the assessment was computed."),
	}
}

// Indexes of FamilyAssessment.
func (FamilyAssessment) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("family_id", "month", "rule_version").Unique(),
		index.Fields("rule_version", "month", "region_kato", "category"),
		index.Fields("rule_version", "region_kato", "month_seq"),
		index.Fields("family_id", "month_seq"),
		index.Fields("family_platform_id"),
	}
}

// Annotations of FamilyAssessment.
func (FamilyAssessment) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// Policy of FamilyAssessment: the rows of the families the caller may see (the Family rule of
// privacy.go): a citizen's current family, a regional scope's regions (the region when
// assessed); everything for the gateway's own work.
func (FamilyAssessment) Policy() ent.Policy {
	return privacy.Policy{Mutation: readOnly, Query: privacy.QueryPolicy{rowRule(func(_ context.Context, sc scope) (func(*sql.Selector), bool) {
		switch {
		case sc.all:
			return nil, false
		case sc.citizen.Role != "":
			return func(s *sql.Selector) { s.Where(sql.In(s.C(colFamilyPlatform), familiesOf(sc.citizen.Subject))) }, true
		}
		return func(s *sql.Selector) { s.Where(sql.In(s.C(colRegion), anys(sc.regions)...)) }, true
	})}}
}
