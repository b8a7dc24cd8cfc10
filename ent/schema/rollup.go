package schema

import (
	"context"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent/privacy"
)

// PaymentRollup is the payments counted and summed by region, kind and month: derived data that
// the work after a sync rewrites whole (package aggregate), so that an analyst's
// paymentAggregate over every payment reads a few thousand groups instead of every payment with
// four joins. Each row carries the sync mark of the store it was computed from (syncer.Mark:
// a SHA-256, in hex, of every source's sync cursor); it is read only while the store is still at
// that mark, so it never answers older figures than the payments themselves would.
type PaymentRollup struct {
	ent.Schema
}

// Fields of PaymentRollup.
func (PaymentRollup) Fields() []ent.Field {
	return []ent.Field{
		field.String("region_kato").GoType(domain.KATO("")).MaxLen(9).Optional().Nillable().
			Comment("The payments' region (aggregate's rule: the organisation's, else the family's, the recipient's, the payer's); null when none is known."),
		field.String("kind").Comment("The payments' kind."),
		field.String("period").GoType(domain.Month(0)).MaxLen(7).Comment("The payments' month (YYYY-MM)."),
		field.Int64("count").Comment("How many payments."),
		field.Int64("amount").Comment("Their sum, in whole tenge."),
		field.Text("mark").Comment("The sync mark (syncer.Mark) of the store the group was computed from."),
	}
}

// Annotations of PaymentRollup: not a GraphQL type (paymentAggregate answers from it).
func (PaymentRollup) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// PaymentsUnfiltered reports whether the caller in ctx sees every payment (Payment's rule has no
// row filter for it): only then may a rollup of every payment answer for it. The gateway's own
// work (no identity) sees every payment.
func PaymentsUnfiltered(ctx context.Context) bool {
	return scopeOf(ctx).all && role(ctx) != auth.RoleHealth
}

// Policy of PaymentRollup: the rollup counts every payment, so a caller who does not see every
// payment (PaymentsUnfiltered) reads none of it, and no caller writes it.
func (PaymentRollup) Policy() ent.Policy {
	return privacy.Policy{Mutation: readOnly, Query: privacy.QueryPolicy{rowRule(func(ctx context.Context, _ scope) (func(*sql.Selector), bool) {
		if PaymentsUnfiltered(ctx) {
			return nil, false
		}
		return nothing, true
	})}}
}
