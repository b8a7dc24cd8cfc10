package familycard

import (
	"context"
	"fmt"
	"sort"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/payment"
)

// Plan is a family's financing plan over a range of months: its support measures month by
// month, the totals by kind and the grand total.
type Plan struct {
	From, To domain.Month
	Months   []SupportMonth
	ByKind   []Measure
	Total    domain.Tenge
}

// FinancingPlan is SupportMeasures with the totals by kind and overall.
func (r *Reader) FinancingPlan(ctx context.Context, platformID string, from, to domain.Month) (*Plan, error) {
	if from > to {
		return nil, fmt.Errorf("supportMeasures: from %s is after to %s", from, to)
	}
	ms, err := r.SupportMeasures(ctx, platformID, from, to)
	if err != nil {
		return nil, err
	}
	p := &Plan{From: from, To: to, Months: ms}
	by := map[payment.Kind]*Measure{}
	for _, m := range ms {
		for _, x := range m.Measures {
			if by[x.Kind] == nil {
				by[x.Kind] = &Measure{Kind: x.Kind}
			}
			by[x.Kind].Amount += x.Amount
			by[x.Kind].Count += x.Count
		}
		p.Total += m.Total
	}
	for _, x := range by {
		p.ByKind = append(p.ByKind, *x)
	}
	sort.Slice(p.ByKind, func(i, j int) bool { return p.ByKind[i].Kind < p.ByKind[j].Kind })
	return p, nil
}

// ForecastMonths is the horizon of the social obligations forecast.
const ForecastMonths = 12

// ForecastMethod describes how SocialObligationsForecast projects (also in docs/familycard.md).
const ForecastMethod = "Current entitlements, projected for the 12 months after the basis month (the latest month with " +
	"social payments): targeted social assistance, child benefits and disability benefits paid for the basis month to " +
	"living recipients of the region's families recur each month at the same amount, except that a disability benefit " +
	"stops after the end date of the recipient's disability when one is recorded; Social Wallet medicines recur at the " +
	"average of the basis month and the two before it (purchases are irregular); Social Wallet school meals recur at the " +
	"amount of the latest school month (September to May) and only in school months; the preschool state order recurs " +
	"at the per-child payments of the basis month to the region's kindergartens for children whose voucher is open or " +
	"ends after the month. No indexation: amounts are the basis year's."

// Forecast is a region's social obligations forecast.
type Forecast struct {
	Region domain.KATO
	Basis  domain.Month
	Months []SupportMonth
	Total  domain.Tenge
	Method string
}

// forecastRow is one group of the forecast's base: a kind of measure, the month its entitlement
// ends ("9999-12" when open) and the amount.
type forecastRow struct {
	Kind  payment.Kind `json:"kind"`
	Until string       `json:"until"`
	Sum   int64        `json:"sum"`
}

// SocialObligationsForecast projects the state's social obligations to the families of region
// for the ForecastMonths months after the latest month with social payments (up to the month of
// Reader.AsOf when set) (ForecastMethod).
func (r *Reader) SocialObligationsForecast(ctx context.Context, region domain.KATO) (*Forecast, error) {
	fc := &Forecast{Region: region, Method: ForecastMethod}
	var last []struct {
		Max *string `json:"max"`
	}
	q := r.Client.Payment.Query().Where(payment.KindIn(FamilyMeasureKinds...))
	if !r.AsOf.IsZero() {
		q = q.Where(payment.PeriodLTE(r.AsOf.MonthOf()))
	}
	err := q.Aggregate(ent.As(ent.Max(payment.FieldPeriod), "max")).Scan(ctx, &last)
	if err != nil {
		return nil, fmt.Errorf("socialObligationsForecast: basis month: %w", err)
	}
	if len(last) == 0 || last[0].Max == nil || *last[0].Max == "" {
		return fc, nil // nothing paid yet: nothing to project
	}
	basis, err := domain.ParseMonth(*last[0].Max)
	if err != nil {
		return nil, err
	}
	fc.Basis = basis

	// family measures of the region's families, to living recipients, with the end of the
	// recipient's disability for disability benefits
	family := func(kinds []payment.Kind, from, to domain.Month) ([]forecastRow, error) {
		var rows []forecastRow
		err := r.Client.Payment.Query().
			Where(payment.KindIn(kinds...), payment.PeriodGTE(from), payment.PeriodLTE(to)).
			Modify(func(s *entsql.Selector) {
				f := entsql.Table("families").As("f")
				p := entsql.Table("persons").As("pr")
				s.Join(f).On(s.C(payment.FieldFamilyPlatformID), f.C("platform_id"))
				s.LeftJoin(p).On(s.C(payment.FieldRecipientIin), p.C("iin"))
				s.Where(entsql.And(entsql.EQ(f.C("region_kato"), string(region)), entsql.IsNull(p.C("death_date"))))
				// the end month of the recipient's disability in force in the payment's month
				until := "COALESCE((SELECT MAX(CASE WHEN d." + quote(s, "to") + " IS NULL THEN '9999-12' ELSE SUBSTR(d." + quote(s, "to") + ", 1, 7) END) " +
					"FROM disabilities d WHERE d.iin = " + s.C(payment.FieldRecipientIin) + " AND " + s.C(payment.FieldKind) + " = 'disability_benefit' " +
					"AND d." + quote(s, "from") + " <= " + s.C(payment.FieldPeriod) + " || '-31'), '9999-12')"
				s.Select()
				s.AppendSelectAs(s.C(payment.FieldKind), "kind")
				s.AppendSelectExprAs(entsql.Raw(until), "until")
				s.AppendSelectExprAs(entsql.Raw("SUM("+s.C(payment.FieldAmount)+")"), "sum")
				s.GroupBy(s.C(payment.FieldKind), "until")
			}).Scan(ctx, &rows)
		return rows, err
	}
	var base []forecastRow
	rows, err := family([]payment.Kind{payment.KindTargetedSocialAssistance, payment.KindChildBenefit, payment.KindDisabilityBenefit}, basis, basis)
	if err != nil {
		return nil, fmt.Errorf("socialObligationsForecast: benefits: %w", err)
	}
	base = append(base, rows...)
	rows, err = family([]payment.Kind{payment.KindWalletMedicines}, basis-2, basis)
	if err != nil {
		return nil, fmt.Errorf("socialObligationsForecast: medicines: %w", err)
	}
	for _, x := range rows {
		x.Sum /= 3
		base = append(base, x)
	}
	school := basis
	for school.Of() >= 6 && school.Of() <= 8 {
		school--
	}
	rows, err = family([]payment.Kind{payment.KindWalletSchoolMeals}, school, school)
	if err != nil {
		return nil, fmt.Errorf("socialObligationsForecast: school meals: %w", err)
	}
	base = append(base, rows...)
	// preschool state order of the region's kindergartens, until the child's voucher ends
	var pre []forecastRow
	err = r.Client.Payment.Query().
		Where(payment.KindEQ(payment.KindPreschoolStateOrder), payment.PeriodEQ(basis)).
		Modify(func(s *entsql.Selector) {
			k := entsql.Table("schools").As("k")
			s.Join(k).On(s.C(payment.FieldSchoolBin), k.C("bin"))
			s.Where(entsql.EQ(k.C("region_kato"), string(region)))
			until := "COALESCE((SELECT MAX(CASE WHEN v." + quote(s, "to") + " IS NULL THEN '9999-12' ELSE SUBSTR(v." + quote(s, "to") + ", 1, 7) END) " +
				"FROM vouchers v WHERE v.child_iin = " + s.C(payment.FieldChildIin) + " AND v.school_bin = " + s.C(payment.FieldSchoolBin) + "), '0000-00')"
			s.Select()
			s.AppendSelectAs(s.C(payment.FieldKind), "kind")
			s.AppendSelectExprAs(entsql.Raw(until), "until")
			s.AppendSelectExprAs(entsql.Raw("SUM("+s.C(payment.FieldAmount)+")"), "sum")
			s.GroupBy(s.C(payment.FieldKind), "until")
		}).Scan(ctx, &pre)
	if err != nil {
		return nil, fmt.Errorf("socialObligationsForecast: preschool: %w", err)
	}
	base = append(base, pre...)

	for m := basis + 1; m <= basis+ForecastMonths; m++ {
		sm := SupportMonth{Month: m}
		by := map[payment.Kind]domain.Tenge{}
		for _, x := range base {
			if x.Kind == payment.KindWalletSchoolMeals && m.Of() >= 6 && m.Of() <= 8 {
				continue
			}
			if x.Until < m.String() {
				continue
			}
			by[x.Kind] += domain.Tenge(x.Sum)
		}
		for k, v := range by {
			if v > 0 {
				sm.Measures = append(sm.Measures, Measure{Kind: k, Amount: v})
				sm.Total += v
			}
		}
		sort.Slice(sm.Measures, func(i, j int) bool { return sm.Measures[i].Kind < sm.Measures[j].Kind })
		fc.Months = append(fc.Months, sm)
		fc.Total += sm.Total
	}
	return fc, nil
}

// quote quotes a column name (from and to are reserved words); SQLite and PostgreSQL both take
// double-quoted identifiers.
func quote(_ *entsql.Selector, col string) string { return `"` + col + `"` }
