package aggregate_test

import (
	"context"
	"testing"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/payment"
	"github.com/birlik/birlik/graph/aggregate"
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

	for _, tc := range []struct {
		name  string
		ctx   context.Context
		query func() *ent.PaymentQuery
		keep  func(*ent.Payment) bool
		dims  []aggregate.Dimension
	}{
		{"region, kind and month", ctx, st.Client.Payment.Query, func(*ent.Payment) bool { return true },
			[]aggregate.Dimension{aggregate.ByRegion, aggregate.ByKind, aggregate.ByMonth}},
		{"region, filtered by period", ctx, func() *ent.PaymentQuery { return st.Client.Payment.Query().Where(payment.PeriodGTE(from)) },
			func(p *ent.Payment) bool { return p.Period >= from }, []aggregate.Dimension{aggregate.ByRegion}},
		{"region and kind, a caseworker's rows", caseworker, st.Client.Payment.Query, visible,
			[]aggregate.Dimension{aggregate.ByRegion, aggregate.ByKind}},
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
				k := key{region: regionOf(p)}
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
					t.Errorf("group %+v answered twice", k)
				}
				got[k] = total{r.Count, int64(r.Sum)}
			}
			if len(got) != len(want) {
				t.Errorf("%d groups, want %d", len(got), len(want))
			}
			for k, w := range want {
				if got[k] != w {
					t.Errorf("group %+v: count and sum %+v, want %+v", k, got[k], w)
				}
			}
		})
	}
}
