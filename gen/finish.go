package gen

import (
	"fmt"
	"slices"
	"strings"

	"github.com/birlik/birlik/domain"
)

func (g *generator) finish() {
	// the register's change feed: by change date, then creation
	g.c.PersonVersions = make([]domain.PersonVersion, len(g.versions))
	for k, vi := range byDay(len(g.versions), func(i int) domain.Date { return g.versions[i].pv.ChangedOn }) {
		g.versions[vi].pv.Seq = int64(k + 1)
		g.c.PersonVersions[k] = g.versions[vi].pv
	}
	g.versions = nil
	g.c.Employers = make([]domain.Employer, len(g.orgs))
	for oi := range g.orgs {
		g.c.Employers[oi] = g.orgs[oi].emp
	}
	for fi := range g.families {
		f := &g.families[fi]
		ms := make([]domain.FamilyMember, len(f.members))
		for k, mb := range f.members {
			ms[k] = domain.FamilyMember{IIN: g.persons[mb.p].iin, Role: mb.role, From: mb.from, To: mb.to}
		}
		g.c.Families[fi].Members = ms
		g.c.Families[fi].Region = domain.Regions[f.region].KATO
	}

	// person-level truth
	for i := range g.persons {
		p := &g.persons[i]
		region := domain.Regions[p.regionNow()].KATO
		sig := func(k domain.FindingKind) {
			g.addTruth(domain.Anomaly{Kind: k, Region: region, IINs: []domain.IIN{p.iin}, Period: g.dates.AsOf.MonthOf().String()})
		}
		if p.flags&flagUninsured != 0 {
			sig(domain.SignalUninsured)
		}
		if p.flags&flagNoVisit != 0 {
			sig(domain.SignalNoVisitTwoYears)
		}
		if p.flags&flagNotEnrolled != 0 {
			sig(domain.SignalChildNotEnrolled)
		}
		if p.flags&flagGhost != 0 {
			g.ghostTruth(int32(i))
		}
	}
	// payments to the dead
	after := make(map[domain.IIN]domain.Tenge)
	for _, sp := range g.c.SocialPayments {
		i := g.byIIN[sp.IIN]
		if d := g.persons[i].death; !d.IsZero() && sp.PaidOn.After(d) {
			after[sp.IIN] += sp.Amount
		}
	}
	for _, d := range g.deadPaid {
		p := &g.persons[d.p]
		g.addTruth(domain.Anomaly{Kind: domain.PaymentToTheDead, Region: domain.Regions[p.regionNow()].KATO, IINs: []domain.IIN{p.iin}, MoneyAtRisk: after[p.iin]})
	}
	// school-level money
	schoolOf := func(bin domain.BIN) int { return g.orgs[g.orgByBIN[bin]].school }
	for t := range g.truth {
		a := &g.truth[t]
		switch a.Kind {
		case domain.BuildingNotASchool:
			a.MoneyAtRisk = g.paidAmount(a.BINs[0], 0)
		case domain.UnreportedIncome:
			a.MoneyAtRisk = g.paidAmount(a.BINs[0], g.dates.IncomeReportYear)
		case domain.ContingentOverCapacity, domain.PaidForAbsentPupils:
			s := schoolOf(a.BINs[0])
			capacity := int32(g.c.Buildings[g.orgs[g.schoolOrg[s]].building].DesignCapacity)
			for mi, m := range g.months {
				c := g.enrolled[s][mi] + g.delta[s][mi]
				over := c > int32(Rules.CapacityFactor)*capacity
				if g.delta[s][mi] > 0 && over == (a.Kind == domain.ContingentOverCapacity) {
					a.MoneyAtRisk += domain.Tenge(g.delta[s][mi]) * g.years[m.Year()].PerPupilNorm.Of(g.c.Schools[s].Kind)
				}
			}
		case domain.DoubleFinancing:
			s1, s2 := schoolOf(a.BINs[0]), schoolOf(a.BINs[1])
			i := g.byIIN[a.IINs[0]]
			for mi, m := range g.months {
				norms := g.years[m.Year()].PerPupilNorm
				norm := min(norms.Of(g.c.Schools[s1].Kind), norms.Of(g.c.Schools[s2].Kind))
				n := 0
				for _, k := range g.enrolIdx[i] {
					e := &g.c.Enrolments[k]
					if (e.BIN == a.BINs[0] || e.BIN == a.BINs[1]) && active(e.From, e.To, m) {
						n++
					}
				}
				if n >= 2 && g.paid[s1][mi] && g.paid[s2][mi] {
					a.MoneyAtRisk += norm
				}
			}
		}
	}
	order := make(map[domain.FindingKind]int)
	for k, kind := range domain.FindingKinds {
		order[kind] = k
	}
	keys := make([]string, len(g.truth))
	idx := make([]int, len(g.truth))
	for i, a := range g.truth {
		keys[i] = fmt.Sprintf("%02d|%s", order[a.Kind], anomalyKey(a))
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return strings.Compare(keys[a], keys[b]) })
	g.c.Truth = make([]domain.Anomaly, len(idx))
	for k, i := range idx {
		g.c.Truth[k] = g.truth[i]
	}
}

// anomalyKey is the identity of a case: its kind and its subjects' keys.
func anomalyKey(a domain.Anomaly) string {
	var b strings.Builder
	b.WriteString(string(a.Kind))
	for _, v := range a.IINs {
		b.WriteString("|" + string(v))
	}
	b.WriteString("|")
	for _, v := range a.BINs {
		b.WriteString("|" + string(v))
	}
	b.WriteString("|" + a.Cadastral + "|" + a.Code + "|" + a.Period)
	return b.String()
}

// ghostTruth records a dead child's enrolment that went on after death.
func (g *generator) ghostTruth(i int32) {
	p := &g.persons[i]
	dm := p.death.MonthOf()
	for _, k := range g.enrolIdx[i] {
		e := &g.c.Enrolments[k]
		if !activeOn(e.From, e.To, p.death) {
			continue
		}
		s := g.orgs[g.orgByBIN[e.BIN]].school
		var money domain.Tenge
		for mi, m := range g.months {
			if m > dm && active(e.From, e.To, m) && g.paid[s][mi] {
				money += g.years[m.Year()].PerPupilNorm.Of(g.c.Schools[s].Kind)
			}
		}
		if money > 0 {
			g.addTruth(domain.Anomaly{Kind: domain.GhostPupil, Region: g.c.Schools[s].Region, IINs: []domain.IIN{p.iin}, BINs: []domain.BIN{e.BIN}, Period: dm.String(), MoneyAtRisk: money})
		}
	}
}
