package familycard

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/familyassessment"
	"github.com/birlik/birlik/ent/familymembership"
	"github.com/birlik/birlik/ent/payment"
	"github.com/birlik/birlik/familycard/welfare"
)

// Reader answers questions over the kept assessments and the payments, through the Ent client
// (so the same code runs on SQLite and PostgreSQL). Every aggregate is one GROUP BY in the
// database.
type Reader struct {
	Client *ent.Client
	// Version is the rule version read (default welfare.Default.Version).
	Version string
	// AsOf, when set, bounds the social obligations forecast: its basis month is the latest
	// month with family social payments up to AsOf's month (zero: the latest in the store).
	AsOf domain.Date
}

// NewReader returns a Reader of the default rule version.
func NewReader(c *ent.Client) *Reader { return &Reader{Client: c, Version: welfare.Default.Version} }

func (r *Reader) version() string {
	if r.Version == "" {
		return welfare.Default.Version
	}
	return r.Version
}

// rankSQL is the category's rank (1 emergency … 5 prosperous) of a category column.
func rankSQL(col string) string {
	var b strings.Builder
	b.WriteString("(CASE " + col)
	for i, c := range domain.WelfareCategories {
		fmt.Fprintf(&b, " WHEN '%s' THEN %d", c, i+1)
	}
	b.WriteString(" ELSE 0 END)")
	return b.String()
}

// CurrentCategoryIs is a predicate on families: the family's latest assessment under the rule
// version has category c (the `category` filter of `families`).
func CurrentCategoryIs(version string, c domain.WelfareCategory) func(*entsql.Selector) {
	return func(s *entsql.Selector) {
		d := entsql.Dialect(s.Dialect())
		a := d.Table(familyassessment.Table).As("fa")
		b := d.Table(familyassessment.Table).As("fb")
		latest := d.Select().From(b).Where(entsql.And(
			entsql.ColumnsEQ(b.C(familyassessment.FieldFamilyID), a.C(familyassessment.FieldFamilyID)),
			entsql.EQ(b.C(familyassessment.FieldRuleVersion), version),
		))
		latest.AppendSelectExpr(entsql.Raw("MAX(" + b.C(familyassessment.FieldMonth) + ")"))
		sub := d.Select(a.C(familyassessment.FieldFamilyID)).From(a).Where(entsql.And(
			entsql.EQ(a.C(familyassessment.FieldRuleVersion), version),
			entsql.EQ(a.C(familyassessment.FieldCategory), string(c)),
			entsql.P(func(bd *entsql.Builder) {
				bd.WriteString(a.C(familyassessment.FieldMonth) + " = ").Wrap(func(bd *entsql.Builder) { bd.Join(latest) })
			}),
		))
		s.Where(entsql.In(s.C("id"), sub))
	}
}

// KPI is a region's akim KPI over a range of months: how the categories of its families moved
// between the first and the last month of the range (docs/familycard.md, "Akim KPI").
type KPI struct {
	Region           domain.KATO `json:"region_kato"`
	Families         int         `json:"families"`
	MovedUp          int         `json:"moved_up"`
	MovedDown        int         `json:"moved_down"`
	LeftCrisis       int         `json:"left_crisis"`
	LeftEmergency    int         `json:"left_emergency"`
	EnteredCrisis    int         `json:"entered_crisis"`
	EnteredEmergency int         `json:"entered_emergency"`
	Net              int         `json:"net"`
	Rank             int         `json:"-"`
}

// AkimKPI computes the KPI of every region over from..to: families assessed in both months,
// counted in their region in month to. Regions are ranked by Net (best first), then by
// (LeftCrisis + LeftEmergency − EnteredCrisis − EnteredEmergency), then by KATO code; every one of
// the 20 regions is listed, with zeros when it has no family assessed in both months.
func (r *Reader) AkimKPI(ctx context.Context, from, to domain.Month) ([]KPI, error) {
	if from > to {
		return nil, fmt.Errorf("akimKPI: from %s is after to %s", from, to)
	}
	var rows []KPI
	err := r.Client.FamilyAssessment.Query().
		Where(familyassessment.RuleVersion(r.version()), familyassessment.MonthEQ(from)).
		Modify(func(s *entsql.Selector) {
			b := entsql.Table(familyassessment.Table).As("b")
			s.Join(b).OnP(entsql.And(
				entsql.ColumnsEQ(s.C(familyassessment.FieldFamilyID), b.C(familyassessment.FieldFamilyID)),
				entsql.ColumnsEQ(s.C(familyassessment.FieldRuleVersion), b.C(familyassessment.FieldRuleVersion)),
			))
			s.Where(entsql.EQ(b.C(familyassessment.FieldMonth), to.String()))
			ra, rb := rankSQL(s.C(familyassessment.FieldCategory)), rankSQL(b.C(familyassessment.FieldCategory))
			ca, cb := s.C(familyassessment.FieldCategory), b.C(familyassessment.FieldCategory)
			sum := func(cond, as string) {
				s.AppendSelectExprAs(entsql.Raw("SUM(CASE WHEN "+cond+" THEN 1 ELSE 0 END)"), as)
			}
			s.Select()
			s.AppendSelectAs(b.C(familyassessment.FieldRegionKato), "region_kato")
			s.AppendSelectExprAs(entsql.Raw("COUNT(*)"), "families")
			sum(rb+" > "+ra, "moved_up")
			sum(rb+" < "+ra, "moved_down")
			sum(ca+" = 'crisis' AND "+rb+" > 2", "left_crisis")
			sum(ca+" = 'emergency' AND "+rb+" > 1", "left_emergency")
			sum(ra+" > 2 AND "+cb+" = 'crisis'", "entered_crisis")
			sum(ca+" <> 'emergency' AND "+cb+" = 'emergency'", "entered_emergency")
			s.GroupBy(b.C(familyassessment.FieldRegionKato))
		}).
		Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("akimKPI %s..%s: %w", from, to, err)
	}
	byRegion := map[domain.KATO]KPI{}
	for _, k := range rows {
		byRegion[k.Region] = k
	}
	out := make([]KPI, 0, len(domain.Regions))
	for _, reg := range domain.Regions {
		k := byRegion[reg.KATO]
		k.Region = reg.KATO
		k.Net = k.MovedUp - k.MovedDown
		out = append(out, k)
	}
	Rank(out)
	return out, nil
}

// Rank orders KPIs best first and numbers them 1..n (see AkimKPI for the order).
func Rank(ks []KPI) {
	crisis := func(k KPI) int { return k.LeftCrisis + k.LeftEmergency - k.EnteredCrisis - k.EnteredEmergency }
	sort.SliceStable(ks, func(i, j int) bool {
		if ks[i].Net != ks[j].Net {
			return ks[i].Net > ks[j].Net
		}
		if ci, cj := crisis(ks[i]), crisis(ks[j]); ci != cj {
			return ci > cj
		}
		return ks[i].Region < ks[j].Region
	})
	for i := range ks {
		ks[i].Rank = i + 1
	}
}

// Transition is a family's change of category between two consecutive months.
type Transition struct {
	FamilyID         int                    `json:"family_id"`
	FamilyPlatformID string                 `json:"family_platform_id"`
	Region           domain.KATO            `json:"region_kato"`
	FromMonth        domain.Month           `json:"from_month"`
	ToMonth          domain.Month           `json:"to_month"`
	MonthSeq         int                    `json:"month_seq"`
	FromCategory     domain.WelfareCategory `json:"from_category"`
	ToCategory       domain.WelfareCategory `json:"to_category"`
}

// Up reports whether the family moved to a better category.
func (t Transition) Up() bool { return t.ToCategory.Rank() > t.FromCategory.Rank() }

// TransitionCursor is where a page of transitions continues: after the transition into month
// MonthSeq of family FamilyID.
type TransitionCursor struct{ MonthSeq, FamilyID int }

// MaxTransitionsPage is the largest page of transitions the GraphQL API serves.
const MaxTransitionsPage = 1000

// Cursor is the position of t in the order of Transitions.
func (t Transition) Cursor() TransitionCursor {
	return TransitionCursor{MonthSeq: t.MonthSeq, FamilyID: t.FamilyID}
}

// String encodes the cursor as "<month number>.<family node ID>".
func (c TransitionCursor) String() string {
	return strconv.Itoa(c.MonthSeq) + "." + strconv.Itoa(c.FamilyID)
}

// ParseTransitionCursor decodes a cursor String made.
func ParseTransitionCursor(s string) (*TransitionCursor, error) {
	a, b, ok := strings.Cut(s, ".")
	m, err1 := strconv.Atoi(a)
	f, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil {
		return nil, fmt.Errorf("cursor %q is not one this API returned (pass endCursor as is)", s)
	}
	return &TransitionCursor{MonthSeq: m, FamilyID: f}, nil
}

// Transitions lists the changes of category of region's families (region as assessed in the
// later month) between consecutive months within from..to, ordered by month then family, at most
// limit after the cursor (nil: from the start), and the total number of such changes.
func (r *Reader) Transitions(ctx context.Context, region domain.KATO, from, to domain.Month, after *TransitionCursor, limit int) ([]Transition, int, error) {
	// t1 is the later month's assessment, p the previous month's.
	base := func(s *entsql.Selector) *entsql.SelectTable {
		p := entsql.Table(familyassessment.Table).As("p")
		s.Join(p).OnP(entsql.And(
			entsql.ColumnsEQ(p.C(familyassessment.FieldFamilyID), s.C(familyassessment.FieldFamilyID)),
			entsql.ColumnsEQ(p.C(familyassessment.FieldRuleVersion), s.C(familyassessment.FieldRuleVersion)),
			entsql.ExprP(p.C(familyassessment.FieldMonthSeq)+" = "+s.C(familyassessment.FieldMonthSeq)+" - 1"),
		))
		s.Where(entsql.ColumnsNEQ(p.C(familyassessment.FieldCategory), s.C(familyassessment.FieldCategory)))
		return p
	}
	q := func() *ent.FamilyAssessmentQuery {
		return r.Client.FamilyAssessment.Query().Where(
			familyassessment.RuleVersion(r.version()),
			familyassessment.RegionKato(region),
			familyassessment.MonthSeqGT(int(from)),
			familyassessment.MonthSeqLTE(int(to)),
		)
	}
	total, err := q().Modify(func(s *entsql.Selector) {
		base(s)
		s.Select()
		s.AppendSelectExprAs(entsql.Raw("COUNT(*)"), "n")
	}).Int(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("welfareTransitions: count: %w", err)
	}
	var out []Transition
	err = q().Modify(func(s *entsql.Selector) {
		p := base(s)
		if after != nil {
			s.Where(entsql.Or(
				entsql.GT(s.C(familyassessment.FieldMonthSeq), after.MonthSeq),
				entsql.And(entsql.EQ(s.C(familyassessment.FieldMonthSeq), after.MonthSeq), entsql.GT(s.C(familyassessment.FieldFamilyID), after.FamilyID)),
			))
		}
		s.Select()
		s.AppendSelectAs(s.C(familyassessment.FieldFamilyID), "family_id")
		s.AppendSelectAs(s.C(familyassessment.FieldFamilyPlatformID), "family_platform_id")
		s.AppendSelectAs(s.C(familyassessment.FieldRegionKato), "region_kato")
		s.AppendSelectAs(p.C(familyassessment.FieldMonth), "from_month")
		s.AppendSelectAs(s.C(familyassessment.FieldMonth), "to_month")
		s.AppendSelectAs(s.C(familyassessment.FieldMonthSeq), "month_seq")
		s.AppendSelectAs(p.C(familyassessment.FieldCategory), "from_category")
		s.AppendSelectAs(s.C(familyassessment.FieldCategory), "to_category")
		s.OrderBy(s.C(familyassessment.FieldMonthSeq), s.C(familyassessment.FieldFamilyID))
		if limit > 0 {
			s.Limit(limit)
		}
	}).Scan(ctx, &out)
	if err != nil {
		return nil, 0, fmt.Errorf("welfareTransitions: %w", err)
	}
	return out, total, nil
}

// FamilyMeasureKinds are the support measures paid on behalf of a family (labour): targeted
// social assistance, child and disability benefits, Social Wallet school meals and medicines.
var FamilyMeasureKinds = []payment.Kind{
	payment.KindTargetedSocialAssistance, payment.KindChildBenefit, payment.KindDisabilityBenefit,
	payment.KindWalletSchoolMeals, payment.KindWalletMedicines,
}

// Measure is the money of one kind of support measure.
type Measure struct {
	Kind   payment.Kind `json:"kind"`
	Amount domain.Tenge `json:"amount"`
	Count  int          `json:"count"`
}

// SupportMonth is a family's support measures in one month, with the total.
type SupportMonth struct {
	Month    domain.Month
	Measures []Measure
	Total    domain.Tenge
}

// SupportMeasures is the family financing plan of family platformID over from..to: every
// support measure it received, month by month (months with none are left out): the family
// measures paid on its behalf (FamilyMeasureKinds) and the preschool state order paid per child
// through the voucher for its children (while members of the family).
func (r *Reader) SupportMeasures(ctx context.Context, platformID string, from, to domain.Month) ([]SupportMonth, error) {
	var rows []struct {
		Period string       `json:"period"`
		Kind   payment.Kind `json:"kind"`
		Sum    int64        `json:"sum"`
		Count  int          `json:"count"`
	}
	err := r.Client.Payment.Query().
		Where(payment.FamilyPlatformID(platformID), payment.KindIn(FamilyMeasureKinds...),
			payment.PeriodGTE(from), payment.PeriodLTE(to)).
		GroupBy(payment.FieldPeriod, payment.FieldKind).
		Aggregate(ent.As(ent.Sum(payment.FieldAmount), "sum"), ent.As(ent.Count(), "count")).
		Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("supportMeasures of %s: %w", platformID, err)
	}
	months := map[domain.Month]map[payment.Kind]*Measure{}
	add := func(m domain.Month, k payment.Kind, amt domain.Tenge, n int) {
		if months[m] == nil {
			months[m] = map[payment.Kind]*Measure{}
		}
		x := months[m][k]
		if x == nil {
			x = &Measure{Kind: k}
			months[m][k] = x
		}
		x.Amount += amt
		x.Count += n
	}
	for _, row := range rows {
		m, err := domain.ParseMonth(row.Period)
		if err != nil {
			return nil, err
		}
		add(m, row.Kind, domain.Tenge(row.Sum), row.Count)
	}
	// preschool state order for the family's children
	mems, err := r.Client.FamilyMembership.Query().Where(familymembership.FamilyPlatformID(platformID)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("supportMeasures of %s: members: %w", platformID, err)
	}
	var iins []domain.IIN
	for _, mb := range mems {
		iins = append(iins, mb.Iin)
	}
	if len(iins) > 0 {
		ps, err := r.Client.Payment.Query().
			Where(payment.KindEQ(payment.KindPreschoolStateOrder), payment.ChildIinIn(iins...),
				payment.PeriodGTE(from), payment.PeriodLTE(to)).
			All(ctx)
		if err != nil {
			return nil, fmt.Errorf("supportMeasures of %s: preschool: %w", platformID, err)
		}
		for _, p := range ps {
			for _, mb := range mems {
				if mb.Iin == p.ChildIin && activeIn(mb.From, mb.To, p.Period) {
					add(p.Period, p.Kind, p.Amount, 1)
					break
				}
			}
		}
	}
	var out []SupportMonth
	for m, ks := range months {
		sm := SupportMonth{Month: m}
		for _, x := range ks {
			sm.Measures = append(sm.Measures, *x)
			sm.Total += x.Amount
		}
		sort.Slice(sm.Measures, func(i, j int) bool { return sm.Measures[i].Kind < sm.Measures[j].Kind })
		out = append(out, sm)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Month < out[j].Month })
	return out, nil
}

func activeIn(from domain.Date, to *domain.Date, m domain.Month) bool {
	return !from.After(m.Last()) && (to == nil || to.IsZero() || !to.Before(m.First()))
}
