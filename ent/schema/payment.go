package schema

// Payment is every kind of money in one entity: social payments (labour), pension contributions
// (labour), state-order payments to organisations and per-child preschool payments (finance).
// Income reports of private organisations (finance) are here too.

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/birlik/birlik/auth"
)

// PaymentKinds are the values of Payment.kind (domain.PaymentKind).
var PaymentKinds = []string{
	"targeted_social_assistance", "child_benefit", "disability_benefit",
	"wallet_school_meals", "wallet_medicines",
	"state_order", "preschool_state_order", "pension_contribution",
}

// Payment is one payment of money. Which references are set depends on the kind:
// social payments have a recipient (and a family for family measures); pension contributions a
// recipient (the employee) and a payer (the employer); state-order payments an organisation and
// the contingent it reported; preschool per-child payments an organisation and a child.
type Payment struct {
	ent.Schema
}

// Mixin of Payment.
func (Payment) Mixin() []ent.Mixin {
	return []ent.Mixin{Provenance{Personal: auth.CatIdentity}}
}

// Fields of Payment.
func (Payment) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Values(PaymentKinds...).
			Comment("What the payment is for.").
			Annotations(entgql.OrderField("KIND")),
		moneyField("amount", "Amount paid"),
		monthField("period", "The month the payment is for"),
		dateField("paid_on", "Date paid; null when the source does not say", true, "PAID_ON"),
		binField("payer_bin", "The payer's BIN: the employer for pension contributions; empty for state payments.", true),
		iinField("recipient_iin", "The recipient's IIN: the person paid, or the employee a contribution is for.", true),
		field.String("family_platform_id").Optional().Comment("The platform's id of the family a social payment supports."),
		binField("school_bin", "The organisation paid, for state-order payments.", true),
		iinField("child_iin", "The child a per-child preschool payment is for.", true),
		field.Int("contingent").Optional().Nillable().
			Comment("Contingent (pupils or children) the organisation reported for the month.").
			Annotations(entgql.OrderField("CONTINGENT")),
		fk("recipient_id"),
		fk("payer_id"),
		fk("family_id"),
		fk("school_id"),
		fk("child_id"),
	}
}

// Edges of Payment.
func (Payment) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("recipient", Person.Type).Ref("payments").Field("recipient_id").Unique().
			Comment("The person paid (or the employee a pension contribution is for)."),
		edge.From("payer", Employer.Type).Ref("contributions").Field("payer_id").Unique().
			Comment("The employer paying a pension contribution."),
		edge.From("family", Family.Type).Ref("payments").Field("family_id").Unique().
			Comment("The family a social payment supports."),
		edge.From("school", School.Type).Ref("state_order_payments").Field("school_id").Unique().
			Comment("The organisation paid under the state order."),
		edge.From("child", Person.Type).Ref("child_payments").Field("child_id").Unique().
			Comment("The child a per-child preschool payment is for."),
		edge.From("findings", Finding.Type).Ref("payments").Comment("Integrity findings naming the payment."),
	}
}

// Indexes of Payment. Each kind fills only some of the columns (a pension contribution names no
// family, school or child; a state-order payment no recipient), so the indexes of those columns
// are partial (WHERE column IS NOT NULL): a payment is entered only in the indexes of the
// columns it fills, which keeps the bulk of the rows (contributions) out of half of them. A
// lookup by value (=, IN, a join) implies IS NOT NULL, so it uses them all the same.
func (Payment) Indexes() []ent.Index {
	notNull := func(col string) schema.Annotation { return entsql.IndexWhere(col + " IS NOT NULL") }
	return []ent.Index{
		index.Fields("kind", "period"),
		index.Fields("period"),
		index.Fields("recipient_iin", "kind").Annotations(notNull("recipient_iin")),
		index.Fields("payer_bin", "recipient_iin").Annotations(notNull("payer_bin")),
		index.Fields("school_bin", "period").Annotations(notNull("school_bin")),
		index.Fields("child_iin", "school_bin").Annotations(notNull("child_iin")),
		index.Fields("family_platform_id").Annotations(notNull("family_platform_id")),
		index.Fields("recipient_id").Annotations(notNull("recipient_id")),
		index.Fields("payer_id").Annotations(notNull("payer_id")),
		index.Fields("family_id").Annotations(notNull("family_id")),
		index.Fields("school_id").Annotations(notNull("school_id")),
		index.Fields("child_id").Annotations(notNull("child_id")),
	}
}

// Annotations of Payment.
func (Payment) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField(), entgql.MultiOrder()}
}

// IncomeReport is a private organisation's report of income received for a year.
type IncomeReport struct {
	ent.Schema
}

// Mixin of IncomeReport.
func (IncomeReport) Mixin() []ent.Mixin { return []ent.Mixin{Provenance{}} }

// Fields of IncomeReport.
func (IncomeReport) Fields() []ent.Field {
	return []ent.Field{
		binField("school_bin", "The reporting organisation's BIN.", false),
		field.Int("year").Comment("The year reported.").Annotations(entgql.OrderField("YEAR")),
		moneyField("income", "Income received in the year"),
		dateField("filed_on", "Date filed", false, "FILED_ON"),
		fk("school_id"),
	}
}

// Edges of IncomeReport.
func (IncomeReport) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("school", School.Type).Ref("income_reports").Field("school_id").Unique(),
	}
}

// Indexes of IncomeReport.
func (IncomeReport) Indexes() []ent.Index {
	return []ent.Index{index.Fields("school_bin", "year"), index.Fields("school_id")}
}
