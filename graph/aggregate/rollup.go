package aggregate

import (
	"context"
	"fmt"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/payment"
	"github.com/birlik/birlik/ent/paymentrollup"
	"github.com/birlik/birlik/ent/privacy"
	"github.com/birlik/birlik/ent/schema"
	"github.com/birlik/birlik/syncer"
)

// The rollup: every payment counted and summed by region, kind and month (ent PaymentRollup),
// computed after each sync that moved the store and read in place of the payments when it may
// answer exactly what they would. An analyst's paymentAggregate over the whole country then
// groups a few thousand rows instead of joining every payment: at 20,000 people about 3,500
// groups for 255,000 payments, at 20 million people the same groups for hundreds of millions.
//
// It may answer when the request has no filter (where), the caller sees every payment
// (schema.PaymentsUnfiltered: no row rule applies), and the store is still at the sync mark the
// rollup was computed at (syncer.Mark, read through the client that reads the rollup:
// syncer.ClientMark): every page of records moves a source's sync cursor in the same
// transaction, so an unchanged mark means unchanged payments, schools, families, persons and
// employers. Otherwise the payments themselves are aggregated (Payments).

// RefreshRollup recomputes the rollup from the payments and replaces the stored one, and returns
// how many groups it holds. The groups come from one statement (one snapshot of the store); the
// sync mark is read before and after it, and when a sync moved it meanwhile nothing is stored
// (the previous rollup, at an older mark, is not read either): the next run after that sync
// computes it. client must see every payment: the gateway's own work, without an identity.
func RefreshRollup(ctx context.Context, client *ent.Client) (groups int, err error) {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	before, err := syncer.ClientMark(ctx, client)
	if err != nil {
		return 0, fmt.Errorf("payment rollup: %w", err)
	}
	var rows []struct {
		Region *string `sql:"region"`
		Kind   string  `sql:"kind"`
		Month  string  `sql:"month"`
		Count  int64   `sql:"count"`
		Sum    int64   `sql:"sum"`
	}
	if err := client.Payment.Query().ScanWrapped(ctx, func(s *entsql.Selector) *entsql.Selector { return byRegion(s, true, true) }, &rows); err != nil {
		return 0, fmt.Errorf("payment rollup: %w", err)
	}
	after, err := syncer.ClientMark(ctx, client)
	if err != nil {
		return 0, fmt.Errorf("payment rollup: %w", err)
	}
	if after != before {
		return 0, nil
	}
	tx, err := client.Tx(ctx)
	if err != nil {
		return 0, fmt.Errorf("payment rollup: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if _, err = tx.PaymentRollup.Delete().Exec(ctx); err != nil {
		return 0, fmt.Errorf("payment rollup: clear: %w", err)
	}
	const batch = 1000
	for start := 0; start < len(rows); start += batch {
		part := rows[start:min(start+batch, len(rows))]
		creates := make([]*ent.PaymentRollupCreate, len(part))
		for i, r := range part {
			m, perr := domain.ParseMonth(r.Month)
			if perr != nil {
				return 0, fmt.Errorf("payment rollup: stored period %q: %w", r.Month, perr)
			}
			c := tx.PaymentRollup.Create().SetKind(r.Kind).SetPeriod(m).SetCount(r.Count).SetAmount(r.Sum).SetMark(after)
			if r.Region != nil {
				c.SetRegionKato(domain.KATO(*r.Region))
			}
			creates[i] = c
		}
		if _, err = tx.PaymentRollup.CreateBulk(creates...).Save(ctx); err != nil {
			return 0, fmt.Errorf("payment rollup: store: %w", err)
		}
	}
	if err = tx.Commit(); err != nil {
		return 0, fmt.Errorf("payment rollup: commit: %w", err)
	}
	return len(rows), nil
}

// PaymentsFromRollup answers Payments over every payment (no filter) from the rollup, grouped
// by dims and ordered as Payments orders them; ok is false when the rollup may not answer (the
// caller does not see every payment, or no rollup is stored at the store's current sync mark):
// aggregate the payments then.
func PaymentsFromRollup(ctx context.Context, client *ent.Client, dims []Dimension) (rows []PaymentRow, ok bool, err error) {
	if !schema.PaymentsUnfiltered(ctx) {
		return nil, false, nil
	}
	by, err := groupedBy(dims)
	if err != nil {
		return nil, false, err
	}
	mark, err := syncer.ClientMark(ctx, client)
	if err != nil {
		return nil, false, fmt.Errorf("payment rollup: %w", err)
	}
	var got []struct {
		Region *string `sql:"region"`
		Kind   *string `sql:"kind"`
		Month  *string `sql:"month"`
		Count  int64   `sql:"count"`
		Sum    int64   `sql:"sum"`
		Groups int64   `sql:"groups"` // rollup rows in the group: none when no rollup is at the mark
	}
	err = client.PaymentRollup.Query().Where(paymentrollup.Mark(mark)).Modify(func(s *entsql.Selector) {
		var group []string
		s.Select()
		if by.region {
			s.AppendSelectAs(s.C(paymentrollup.FieldRegionKato), "region")
			group = append(group, s.C(paymentrollup.FieldRegionKato))
		}
		if by.kind {
			s.AppendSelectAs(s.C(paymentrollup.FieldKind), "kind")
			group = append(group, s.C(paymentrollup.FieldKind))
		}
		if by.month {
			s.AppendSelectAs(s.C(paymentrollup.FieldPeriod), "month")
			group = append(group, s.C(paymentrollup.FieldPeriod))
		}
		s.AppendSelectExprAs(entsql.Expr(sum(s.C(paymentrollup.FieldCount))), "count")
		s.AppendSelectExprAs(entsql.Expr(sum(s.C(paymentrollup.FieldAmount))), "sum")
		s.AppendSelectExprAs(entsql.Expr("COUNT(*)"), "groups")
		if len(group) > 0 {
			s.GroupBy(group...)
			s.OrderBy(group...)
		}
	}).Scan(ctx, &got)
	if err != nil {
		return nil, false, fmt.Errorf("aggregating payments from the rollup: %w", err)
	}
	if len(got) == 0 || got[0].Groups == 0 {
		return nil, false, nil // no rollup at this mark (or no payments at all): the payments answer
	}
	rows = make([]PaymentRow, len(got))
	for i, r := range got {
		rows[i] = PaymentRow{Count: r.Count, Sum: domain.Tenge(r.Sum)}
		if r.Region != nil {
			k := domain.KATO(*r.Region)
			rows[i].Region = &k
		}
		if r.Kind != nil {
			k := payment.Kind(*r.Kind)
			rows[i].Kind = &k
		}
		if r.Month != nil {
			m, err := domain.ParseMonth(*r.Month)
			if err != nil {
				return nil, false, fmt.Errorf("aggregating payments from the rollup: stored period %q: %w", *r.Month, err)
			}
			rows[i].Month = &m
		}
	}
	return rows, true, nil
}
