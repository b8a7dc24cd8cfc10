package gen

import (
	"github.com/birlik/birlik/domain"
)

// Benefit amounts per month, in tenge, that do not change with the year in the generated
// country; the child benefits do (rules.Year's ChildCareAllowance and LargeFamilyAllowance).
var (
	disabilityBenefit = map[int]domain.Tenge{1: 90_300, 2: 72_200, 3: 49_100}
	walletMeal        = domain.Tenge(15_000) // a month of school meals for a child of a TSA family
)

// adultCutoff is the last birth date of a person aged 18 or more on d.
func adultCutoff(d domain.Date) domain.Date {
	t := d.Time().AddDate(-18, 0, 0)
	return domain.NewDate(t.Year(), t.Month(), t.Day())
}

// adultCutoffs caches adultCutoff of the first day of the cached months (generate.go).
var adultCutoffs = func() []domain.Date {
	c := make([]domain.Date, cachedMonths)
	for i := range c {
		c[i] = adultCutoff(cachedFrom.Add(i).First())
	}
	return c
}()

// familyMonth is what the rules see of a family in a month.
type familyMonth struct {
	members  int
	income   domain.Tenge
	children []int32 // members under 18 on the first day of the month
}

// familyIn computes the family's members and wage income in month m (docs/findings.md:
// unjustified_assistance).
func (g *generator) familyIn(f *family, m domain.Month) familyMonth {
	var fm familyMonth
	var cutoff domain.Date
	if i := int(m - cachedFrom); i >= 0 && i < len(adultCutoffs) {
		cutoff = adultCutoffs[i]
	} else {
		cutoff = adultCutoff(m.First())
	}
	for _, mb := range f.members {
		if !active(mb.from, mb.to, m) {
			continue
		}
		fm.members++
		p := &g.persons[mb.p]
		for _, ci := range p.contracts {
			c := &g.contracts[ci]
			if active(c.Start, c.End, m) {
				fm.income += c.Wage
			}
		}
		if p.birth.After(cutoff) {
			fm.children = append(fm.children, mb.p)
		}
	}
	return fm
}

// recipient is the member who receives a family payment on day d: the head, else the spouse,
// else another adult member, alive on d; -1 when none.
func (g *generator) recipient(f *family, d domain.Date, mother bool) int32 {
	best, rank := int32(-1), 99
	for _, mb := range f.members {
		p := &g.persons[mb.p]
		if !activeOn(mb.from, mb.to, d) || !p.alive(d) || p.birth.AgeOn(d) < 18 {
			continue
		}
		r := 3
		switch {
		case mother && (mb.role == domain.RoleHead || mb.role == domain.RoleSpouse) && p.sex == domain.Female:
			r = 0
		case mb.role == domain.RoleHead:
			r = 1
		case mb.role == domain.RoleSpouse:
			r = 2
		}
		if r < rank {
			best, rank = mb.p, r
		}
	}
	return best
}

func (g *generator) deriveSocial() {
	g.enrolIdx = make([][]int32, len(g.persons))
	for k, e := range g.c.Enrolments {
		i := g.byIIN[e.ChildIIN]
		g.enrolIdx[i] = append(g.enrolIdx[i], int32(k))
	}
	recs := make([]domain.SocialPayment, 0, len(g.persons)*3)
	pay := func(i int32, fam string, kind domain.PaymentKind, m domain.Month, on domain.Date, amt domain.Tenge) {
		recs = append(recs, domain.SocialPayment{IIN: g.persons[i].iin, FamilyID: fam, Kind: kind, Month: m, PaidOn: on, Amount: amt})
	}
	tsaFamilies := make([]bool, len(g.families))
	for _, m := range g.months {
		on := dayOf(m, 25)
		fig := g.years[m.Year()]
		line := fig.PovertyLine
		school := m.Of() < 6 || m.Of() > 8
		for fi := range g.families {
			f := &g.families[fi]
			fm := g.familyIn(f, m)
			if fm.members == 0 {
				continue
			}
			tsaPaid := false
			if f.tsa && len(fm.children) > 0 && fm.income <= line*domain.Tenge(fm.members) {
				if r := g.recipient(f, on, false); r >= 0 {
					pay(r, f.id, domain.PayTSA, m, on, line*domain.Tenge(fm.members)-fm.income)
					tsaPaid = true
					tsaFamilies[fi] = true
				}
			}
			under1 := 0
			for _, c := range fm.children {
				if g.persons[c].birth.AgeOn(m.First()) < 1 && g.persons[c].alive(on) {
					under1++
				}
			}
			if under1 > 0 || len(fm.children) >= 4 {
				if r := g.recipient(f, on, true); r >= 0 {
					if under1 > 0 {
						pay(r, f.id, domain.PayChildBenefit, m, on, fig.ChildCareAllowance*domain.Tenge(under1))
					}
					if len(fm.children) >= 4 {
						pay(r, f.id, domain.PayChildBenefit, m, on, fig.LargeFamilyAllowance)
					}
				}
			}
			if tsaPaid && school {
				for _, c := range fm.children {
					if !g.persons[c].alive(on) {
						continue
					}
					for _, k := range g.enrolIdx[c] {
						e := &g.c.Enrolments[k]
						if e.Grade > 0 && active(e.From, e.To, m) && g.c.Schools[g.orgs[g.orgByBIN[e.BIN]].school].Kind == domain.KindSchool {
							pay(c, f.id, domain.PayWalletMeals, m, on, walletMeal)
							break
						}
					}
				}
			}
		}
	}
	// disability benefits and Social Wallet medicines
	until := make(map[int32]domain.Month, len(g.deadPaid))
	for _, d := range g.deadPaid {
		until[d.p] = d.until
	}
	for mi, m := range g.months {
		on := dayOf(m, 25)
		for di := range g.disab {
			d := &g.disab[di]
			if !active(d.From, d.To, m) {
				continue
			}
			i := g.byIIN[d.IIN]
			p := &g.persons[i]
			fam := g.families[p.family].id
			if p.alive(on) || (p.flags&flagPaidDead != 0 && m <= until[i]) {
				pay(i, fam, domain.PayDisabilityBenefit, m, on, disabilityBenefit[d.Group])
			}
			if d.Group <= 2 && (mi+di)%3 == 0 {
				bought := dayOf(m, 1+g.r.IntN(28))
				if p.alive(bought) {
					pay(i, fam, domain.PayWalletMedicines, m, bought, domain.Tenge(8_000+1_000*g.r.IntN(20)))
				}
			}
		}
	}
	// targeted social assistance to families above the poverty line
	nTSA := 0
	for _, t := range tsaFamilies {
		if t {
			nTSA++
		}
	}
	var cands []int32
	for fi := range g.families {
		f := &g.families[fi]
		if f.tsa || tsaFamilies[fi] {
			continue
		}
		ok := false
		for _, mb := range f.members {
			if mb.role == domain.RoleHead && mb.to.IsZero() && g.persons[mb.p].flags&flagUsed == 0 && len(g.persons[mb.p].contracts) > 0 {
				ok = true
			}
		}
		if ok {
			cands = append(cands, int32(fi))
		}
	}
	for _, fi := range g.pickN(cands, g.count(domain.UnjustifiedAssistance, nTSA)) {
		f := &g.families[fi]
		var head int32
		for _, mb := range f.members {
			if mb.role == domain.RoleHead {
				head = mb.p
			}
		}
		from := g.r.IntN(len(g.months) - 4)
		to := min(len(g.months)-1, from+3+g.r.IntN(9))
		var money domain.Tenge
		for mi := from; mi <= to; mi++ {
			m := g.months[mi]
			fm := g.familyIn(f, m)
			line := g.years[m.Year()].PovertyLine
			if fm.income > line*domain.Tenge(fm.members) {
				amt := 12_000 * domain.Tenge(fm.members)
				pay(head, f.id, domain.PayTSA, m, dayOf(m, 25), amt)
				money += amt
			}
		}
		if money > 0 {
			g.persons[head].flags |= flagUsed
			g.addTruth(domain.Anomaly{Kind: domain.UnjustifiedAssistance, Region: domain.Regions[f.region].KATO, IINs: []domain.IIN{g.persons[head].iin}, MoneyAtRisk: money})
		}
	}
	g.c.SocialPayments = make([]domain.SocialPayment, len(recs))
	for k, ri := range byDay(len(recs), func(i int) domain.Date { return recs[i].PaidOn }) {
		recs[ri].ID = idf("SP", k+1)
		g.c.SocialPayments[k] = recs[ri]
	}
}
