package aggregate_test

import (
	"context"
	"strings"
	"testing"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/payment"
	"github.com/birlik/birlik/ent/paymentrollup"
	"github.com/birlik/birlik/graph/aggregate"
	"github.com/birlik/birlik/syncer"
	"github.com/birlik/birlik/syncer/synctest"
)

type key struct {
	region, kind, month string
}

type total struct{ count, sum int64 }

// regionOf is the payment's region as the package documents it, from the loaded edges: the
// school paid, else the family supported, else the recipient, else the paying employer.
func regionOf(p *ent.Payment) string {
	switch e := p.Edges; {
	case e.School != nil:
		return string(e.School.RegionKato)
	case e.Family != nil:
		return string(e.Family.RegionKato)
	case e.Recipient != nil:
		return string(e.Recipient.RegionKato)
	case e.Payer != nil:
		return string(e.Payer.RegionKato)
	}
	return ""
}

// TestPaymentsByRegionAgreeWithTheRows checks the two-level aggregate against the payments
// themselves, grouped here in Go, on a synced generated country: every group, with and without
// a filter, and under a caseworker's row rule.
func TestPaymentsByRegionAgreeWithTheRows(t *testing.T) {
	ctx := context.Background()
	_, st := synctest.Synced(t, 7, 1000)
	all, err := st.Client.Payment.Query().WithSchool().WithFamily().WithRecipient().WithPayer().WithChild().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 1000 {
		t.Fatalf("%d payments synced: too few to test grouping", len(all))
	}
	from := all[len(all)/2].Period

	// caseworker of the most frequent region: the payments whose recipient, child, family or
	// school lie in it (ent/schema/privacy.go).
	counts := map[domain.KATO]int{}
	for _, p := range all {
		counts[domain.KATO(regionOf(p))]++
	}
	var region domain.KATO
	for r, n := range counts {
		if r != "" && n > counts[region] {
			region = r
		}
	}
	if region == "" {
		t.Fatalf("no payment has a region: %v", counts)
	}
	visible := func(p *ent.Payment) bool {
		e := p.Edges
		return e.Recipient != nil && e.Recipient.RegionKato == region || e.Child != nil && e.Child.RegionKato == region ||
			e.Family != nil && e.Family.RegionKato == region || e.School != nil && e.School.RegionKato == region
	}
	caseworker := auth.NewContext(ctx, auth.Identity{Subject: "test", Role: auth.RoleCaseworker, Client: "test", Regions: []domain.KATO{region}})
	analyst := auth.NewContext(ctx, auth.Identity{Subject: "test", Role: auth.RoleAnalyst, Client: "test"})
	regionalAnalyst := auth.NewContext(ctx, auth.Identity{Subject: "test", Role: auth.RoleAnalyst, Client: "test", Regions: []domain.KATO{region}})
	health := auth.NewContext(ctx, auth.Identity{Subject: "test", Role: auth.RoleHealth, Client: "test"})

	groups, err := aggregate.RefreshRollup(ctx, st.Client)
	if err != nil || groups == 0 {
		t.Fatalf("RefreshRollup: %d groups, %v", groups, err)
	}

	every := func(*ent.Payment) bool { return true }
	for _, tc := range []struct {
		name  string
		ctx   context.Context
		query func() *ent.PaymentQuery
		keep  func(*ent.Payment) bool
		dims  []aggregate.Dimension
		// rollup: the rollup may answer (a caller who sees every payment); its answer must then
		// be the payments' own. A filtered query is not asked of it (paymentAggregate with a
		// where reads the payments).
		rollup, filtered bool
	}{
		{"region, kind and month", ctx, st.Client.Payment.Query, every,
			[]aggregate.Dimension{aggregate.ByRegion, aggregate.ByKind, aggregate.ByMonth}, true, false},
		{"region and kind, an analyst", analyst, st.Client.Payment.Query, every,
			[]aggregate.Dimension{aggregate.ByRegion, aggregate.ByKind}, true, false},
		{"kind, an analyst", analyst, st.Client.Payment.Query, every, []aggregate.Dimension{aggregate.ByKind}, true, false},
		{"month and kind, an analyst", analyst, st.Client.Payment.Query, every, []aggregate.Dimension{aggregate.ByMonth, aggregate.ByKind}, true, false},
		{"nothing, an analyst", analyst, st.Client.Payment.Query, every, nil, true, false},
		{"region, filtered by period", ctx, func() *ent.PaymentQuery { return st.Client.Payment.Query().Where(payment.PeriodGTE(from)) },
			func(p *ent.Payment) bool { return p.Period >= from }, []aggregate.Dimension{aggregate.ByRegion}, false, true},
		{"region and kind, a caseworker's rows", caseworker, st.Client.Payment.Query, visible,
			[]aggregate.Dimension{aggregate.ByRegion, aggregate.ByKind}, false, false},
		{"region and kind, an analyst of one region", regionalAnalyst, st.Client.Payment.Query, visible,
			[]aggregate.Dimension{aggregate.ByRegion, aggregate.ByKind}, false, false},
		{"kind, the medical information system (no payments)", health, st.Client.Payment.Query, func(*ent.Payment) bool { return false },
			[]aggregate.Dimension{aggregate.ByKind}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			by := map[aggregate.Dimension]bool{}
			for _, d := range tc.dims {
				by[d] = true
			}
			want := map[key]total{}
			for _, p := range all {
				if !tc.keep(p) {
					continue
				}
				var k key
				if by[aggregate.ByRegion] {
					k.region = regionOf(p)
				}
				if by[aggregate.ByKind] {
					k.kind = string(p.Kind)
				}
				if by[aggregate.ByMonth] {
					k.month = p.Period.String()
				}
				w := want[k]
				want[k] = total{w.count + 1, w.sum + int64(p.Amount)}
			}
			rows, err := aggregate.Payments(tc.ctx, tc.query(), tc.dims)
			if err != nil {
				t.Fatal(err)
			}
			agree(t, "the payments", rows, want)
			if tc.filtered {
				return
			}
			rolled, ok, err := aggregate.PaymentsFromRollup(tc.ctx, st.Client, tc.dims)
			switch {
			case err != nil:
				t.Fatal(err)
			case ok != tc.rollup:
				t.Fatalf("the rollup may answer: %v, want %v", ok, tc.rollup)
			case ok:
				agree(t, "the rollup", rolled, want)
				for i := range rows {
					if i < len(rolled) && !sameGroup(rows[i], rolled[i]) {
						t.Errorf("group %d: the rollup answers %+v, the payments %+v: want the same order", i, rolled[i], rows[i])
						break
					}
				}
			}
		})
	}
}

// sameGroup reports whether a and b are the same group (dimensions, count and sum).
func sameGroup(a, b aggregate.PaymentRow) bool {
	return a.Count == b.Count && a.Sum == b.Sum && (a.Region == nil) == (b.Region == nil) && (a.Region == nil || *a.Region == *b.Region) &&
		(a.Kind == nil) == (b.Kind == nil) && (a.Kind == nil || *a.Kind == *b.Kind) &&
		(a.Month == nil) == (b.Month == nil) && (a.Month == nil || *a.Month == *b.Month)
}

// agree checks that rows (from what) hold exactly the groups of want.
func agree(t *testing.T, what string, rows []aggregate.PaymentRow, want map[key]total) {
	t.Helper()
	{
		{
			got := map[key]total{}
			for _, r := range rows {
				var k key
				if r.Region != nil {
					k.region = string(*r.Region)
				}
				if r.Kind != nil {
					k.kind = string(*r.Kind)
				}
				if r.Month != nil {
					k.month = r.Month.String()
				}
				if _, dup := got[k]; dup {
					t.Errorf("%s: group %+v answered twice", what, k)
				}
				got[k] = total{r.Count, int64(r.Sum)}
			}
			if len(want) == 0 && len(got) == 1 && got[key{}] == (total{}) {
				return // no payments: one group of none
			}
			if len(got) != len(want) {
				t.Errorf("%s: %d groups, want %d", what, len(got), len(want))
			}
			for k, w := range want {
				if got[k] != w {
					t.Errorf("%s: group %+v: count and sum %+v, want %+v", what, k, got[k], w)
				}
			}
		}
	}
}

// TestRollupFollowsTheStore: the rollup answers only while the store is at the sync mark it was
// computed at. A sync page (a payment changed with its source's cursor, in one transaction)
// takes it out of use, so that the payments answer with the change, until it is computed again.
func TestRollupFollowsTheStore(t *testing.T) {
	ctx := context.Background()
	_, st := synctest.Synced(t, 3, 1000)
	analyst := auth.NewContext(ctx, auth.Identity{Subject: "test", Role: auth.RoleAnalyst, Client: "test"})
	byKind := []aggregate.Dimension{aggregate.ByKind}
	sums := func(rows []aggregate.PaymentRow) map[payment.Kind]int64 {
		out := map[payment.Kind]int64{}
		for _, r := range rows {
			out[*r.Kind] = int64(r.Sum)
		}
		return out
	}
	if _, ok, err := aggregate.PaymentsFromRollup(analyst, st.Client, byKind); err != nil || ok {
		t.Fatalf("before any rollup was computed it may answer: %v (%v)", ok, err)
	}
	if _, err := aggregate.RefreshRollup(ctx, st.Client); err != nil {
		t.Fatal(err)
	}
	before, ok, err := aggregate.PaymentsFromRollup(analyst, st.Client, byKind)
	if err != nil || !ok {
		t.Fatalf("after RefreshRollup it may not answer: %v (%v)", ok, err)
	}
	// The rows carry the store's syncer.Mark, the same whether read through the client or not.
	mark, err := syncer.Mark(ctx, st.Store)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := st.Client.PaymentRollup.Query().Where(paymentrollup.MarkNEQ(mark)).Count(ctx); err != nil || n != 0 {
		t.Fatalf("%d rollup rows are not at the store's mark %q (%v)", n, mark, err)
	}

	// A sync page: one payment's amount changes, and the source's cursor moves with it.
	p, err := st.Client.Payment.Query().Order(ent.Asc(payment.FieldID)).First(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := st.DB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE payments SET amount = amount + 1000 WHERE id = ?`, `UPDATE sync_cursors SET records = records + 1`} {
		args := []any{}
		if strings.Contains(q, "?") {
			args = append(args, p.ID)
		}
		if _, err := tx.ExecContext(ctx, st.Rebind(q), args...); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := aggregate.PaymentsFromRollup(analyst, st.Client, byKind); err != nil || ok {
		t.Fatalf("after a sync page moved the store the rollup may still answer: %v (%v)", ok, err)
	}
	raw, err := aggregate.Payments(analyst, st.Client.Payment.Query(), byKind)
	if err != nil {
		t.Fatal(err)
	}
	if got, was := sums(raw)[p.Kind], sums(before)[p.Kind]; got != was+1000 {
		t.Errorf("the payments answer %d for %s, want %d (the rollup's %d and the change)", got, p.Kind, was+1000, was)
	}
	if _, err := aggregate.RefreshRollup(ctx, st.Client); err != nil {
		t.Fatal(err)
	}
	after, ok, err := aggregate.PaymentsFromRollup(analyst, st.Client, byKind)
	if err != nil || !ok {
		t.Fatalf("after RefreshRollup at the new mark it may not answer: %v (%v)", ok, err)
	}
	if got, want := sums(after), sums(raw); len(got) != len(want) || got[p.Kind] != want[p.Kind] {
		t.Errorf("the recomputed rollup answers %v, the payments %v", got, want)
	}
}
