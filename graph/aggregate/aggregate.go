// Package aggregate owns the analysts' grouped aggregates over the store, computed by the
// database (one SELECT … GROUP BY), never by loading rows into Go.
//
// A payment's region is not a column of its own: it is the region of the organisation paid
// (state-order payments), else of the family supported (family measures), else of the recipient,
// else of the paying employer — resolved with LEFT JOINs only when grouping by region, on the
// natural keys the payment carries (BINs, the family's platform id, the recipient's IIN), so
// that a group does not depend on whether sync has linked the payment to those rows yet. Then the
// statement aggregates twice: first the payments by the keys the joins need (school, family,
// recipient, payer, and the other dimensions), then those groups, joined, by region. A year of
// payments holds about 13 times more rows than groups of keys, so the joins and the last GROUP
// BY see that many fewer (on PostgreSQL the planner, unable to estimate the groups of the
// region's COALESCE, sorted every joined row).
//
// aggregate reads the store and nothing else; it never writes. Its statements go on a connection of
// their own (store.Alone), not in the store's pipeline batches.
package aggregate

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/employer"
	"github.com/birlik/birlik/ent/family"
	"github.com/birlik/birlik/ent/payment"
	"github.com/birlik/birlik/ent/person"
	"github.com/birlik/birlik/ent/school"
	"github.com/birlik/birlik/store"
)

// Dimension is what payments can be grouped by.
type Dimension int

// The dimensions.
const (
	ByRegion Dimension = iota + 1
	ByKind
	ByMonth
)

// PaymentRow is one group: the dimensions grouped by are set, the others nil.
type PaymentRow struct {
	Region *domain.KATO // nil when not grouped by region, or when the payment's region is unknown
	Kind   *payment.Kind
	Month  *domain.Month
	Count  int64
	Sum    domain.Tenge
}

// Payments counts and sums the payments q selects (q carries the filters), grouped by dims,
// ordered by the dimensions.
func Payments(ctx context.Context, q *ent.PaymentQuery, dims []Dimension) ([]PaymentRow, error) {
	by, err := groupedBy(dims)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		Region sql.NullString `sql:"region"`
		Kind   sql.NullString `sql:"kind"`
		Month  sql.NullString `sql:"month"`
		Count  int64          `sql:"count"`
		Sum    int64          `sql:"sum"`
	}
	// A year of payments takes the store a tenth of a second or more: on a connection of its
	// own, not in a pipeline batch, where the reads behind it would wait for it.
	ctx = store.Alone(ctx)
	if by.region {
		err = q.ScanWrapped(ctx, func(s *entsql.Selector) *entsql.Selector { return byRegion(s, by.kind, by.month) }, &rows)
	} else {
		err = q.Modify(func(s *entsql.Selector) {
			var group []string
			s.Select()
			if by.kind {
				s.AppendSelectAs(s.C(payment.FieldKind), "kind")
				group = append(group, s.C(payment.FieldKind))
			}
			if by.month {
				s.AppendSelectAs(s.C(payment.FieldPeriod), "month")
				group = append(group, s.C(payment.FieldPeriod))
			}
			s.AppendSelectExprAs(entsql.Expr("COUNT(*)"), "count")
			s.AppendSelectExprAs(entsql.Expr(sum(s.C(payment.FieldAmount))), "sum")
			if len(group) > 0 {
				s.GroupBy(group...)
				s.OrderBy(group...)
			}
		}).Scan(ctx, &rows)
	}
	if err != nil {
		return nil, fmt.Errorf("aggregating payments: %w", err)
	}
	out := make([]PaymentRow, len(rows))
	for i, r := range rows {
		out[i] = PaymentRow{Count: r.Count, Sum: domain.Tenge(r.Sum)}
		if by.region && r.Region.Valid {
			k := domain.KATO(r.Region.String)
			out[i].Region = &k
		}
		if by.kind && r.Kind.Valid {
			k := payment.Kind(r.Kind.String)
			out[i].Kind = &k
		}
		if by.month && r.Month.Valid {
			m, err := domain.ParseMonth(r.Month.String)
			if err != nil {
				return nil, fmt.Errorf("aggregating payments: stored period %q: %w", r.Month.String, err)
			}
			out[i].Month = &m
		}
	}
	return out, nil
}

// grouping is which dimensions a request groups by.
type grouping struct{ region, kind, month bool }

// groupedBy returns the dimensions dims groups by, or an error naming one it does not know.
func groupedBy(dims []Dimension) (grouping, error) {
	var by grouping
	for _, d := range dims {
		switch d {
		case ByRegion:
			by.region = true
		case ByKind:
			by.kind = true
		case ByMonth:
			by.month = true
		default:
			return grouping{}, fmt.Errorf("aggregate: unknown dimension %d", d)
		}
	}
	return by, nil
}

// sum is the SQL of a whole-tenge sum of column, 0 over no rows.
func sum(column string) string { return "CAST(COALESCE(SUM(" + column + "), 0) AS BIGINT)" }

// byRegion is the statement grouping the payments filtered selects by region (and by kind and
// month when asked): filtered grouped by the joins' keys and the other dimensions, then those
// groups joined to their school, family, recipient and payer (each by its unique natural key)
// and grouped by region.
func byRegion(filtered *entsql.Selector, kind, month bool) *entsql.Selector {
	keys := []string{payment.FieldSchoolBin, payment.FieldFamilyPlatformID, payment.FieldRecipientIin, payment.FieldPayerBin}
	if kind {
		keys = append(keys, payment.FieldKind)
	}
	if month {
		keys = append(keys, payment.FieldPeriod)
	}
	cols := filtered.Columns(keys...)
	filtered.Select(cols...)
	filtered.AppendSelectExprAs(entsql.Expr("COUNT(*)"), "n")
	filtered.AppendSelectExprAs(entsql.Expr(sum(filtered.C(payment.FieldAmount))), "amount")
	filtered.GroupBy(cols...)
	groups := filtered.As("agg_groups")

	d := entsql.Dialect(filtered.Dialect())
	sch := d.Table(school.Table).As("agg_school")
	fam := d.Table(family.Table).As("agg_family")
	rec := d.Table(person.Table).As("agg_recipient")
	emp := d.Table(employer.Table).As("agg_payer")
	region := "COALESCE(" + strings.Join([]string{
		sch.C(school.FieldRegionKato), fam.C(family.FieldRegionKato),
		rec.C(person.FieldRegionKato), emp.C(employer.FieldRegionKato),
	}, ", ") + ")"
	s := d.Select().From(groups).
		LeftJoin(sch).On(groups.C(payment.FieldSchoolBin), sch.C(school.FieldBin)).
		LeftJoin(fam).On(groups.C(payment.FieldFamilyPlatformID), fam.C(family.FieldPlatformID)).
		LeftJoin(rec).On(groups.C(payment.FieldRecipientIin), rec.C(person.FieldIin)).
		LeftJoin(emp).On(groups.C(payment.FieldPayerBin), emp.C(employer.FieldBin))
	s.AppendSelectExprAs(entsql.Expr(region), "region")
	group := []string{region}
	if kind {
		s.AppendSelectAs(groups.C(payment.FieldKind), "kind")
		group = append(group, groups.C(payment.FieldKind))
	}
	if month {
		s.AppendSelectAs(groups.C(payment.FieldPeriod), "month")
		group = append(group, groups.C(payment.FieldPeriod))
	}
	s.AppendSelectExprAs(entsql.Expr(sum(groups.C("n"))), "count")
	s.AppendSelectExprAs(entsql.Expr(sum(groups.C("amount"))), "sum")
	return s.GroupBy(group...).OrderBy(group...)
}
