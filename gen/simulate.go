package gen

import (
	"fmt"
	"math"

	"github.com/birlik/birlik/domain"
)

// count is the number of cases of kind k to inject over a base of n candidates: rate × n,
// at least MinCases when the rate is above zero.
func (g *generator) count(k domain.FindingKind, base int) int {
	r := g.cfg.rate(k)
	if r <= 0 {
		return 0
	}
	n := int(math.Round(r * float64(base)))
	if n < MinCases {
		n = MinCases
	}
	return n
}

func annualMortality(age int) float64 {
	switch {
	case age < 1:
		return 0.008
	case age < 15:
		return 0.0003
	case age < 40:
		return 0.0015
	case age < 60:
		return 0.006
	case age < 70:
		return 0.018
	case age < 80:
		return 0.045
	}
	return 0.12
}

// die records the death of person i on d (moved later if the person had a later event).
func (g *generator) die(i int32, d domain.Date) {
	p := &g.persons[i]
	d = maxDate(d, p.busy)
	p.death = d
	p.busy = d
	if ci := g.activeContract(i); ci >= 0 {
		g.endContract(ci, d)
	}
	f := &g.families[p.family]
	for j := range f.members {
		if f.members[j].p == i && f.members[j].to.IsZero() {
			f.members[j].to = d
		}
	}
	if p.disability >= 0 && p.flags&flagPaidDead == 0 {
		g.disab[p.disability].To = d
	}
	g.record(i, d)
}

// schoolYearOf is the school year (its September's year) a date falls in.
func schoolYearOf(d domain.Date) int {
	if d.Month() >= 9 {
		return d.Year()
	}
	return d.Year() - 1
}

func sep1(y int) domain.Date { return domain.NewDate(y, 9, 1) }

type deadPaid struct {
	p     int32
	until domain.Month // disability benefit paid through this month
	truth int
}

func (g *generator) simulate() {
	// Plans of forced deaths: ghost pupils (a death month with at least one more month of the
	// same school year in the history: not August, not the last month) and recipients of a
	// disability benefit that goes on after death (death by the history's third month from the
	// end).
	ghostPlan := make([]int, len(g.months))
	deadPlan := make([]int, len(g.months))
	pupils, disabled := 0, 0
	for i := range g.persons {
		a := g.persons[i].birth.AgeOn(sep1(g.sy0))
		if a >= 7 && a <= 15 {
			pupils++
		}
		if g.persons[i].disability >= 0 {
			disabled++
		}
	}
	for n := g.count(domain.GhostPupil, pupils); n > 0; n-- {
		for {
			mi := g.r.IntN(len(g.months) - 1)
			if g.months[mi].Of() != 8 {
				ghostPlan[mi]++
				break
			}
		}
	}
	for n := g.count(domain.PaymentToTheDead, disabled); n > 0; n-- {
		deadPlan[1+g.r.IntN(len(g.months)-3)]++
	}

	for mi, m := range g.months {
		nDays := m.Last().Day()
		first := m.First()
		day := func() domain.Date { return dayOf(m, 1+g.r.IntN(nDays)) }
		nBefore := int32(len(g.persons))
		var leavers []int32
		for fi := range g.families {
			f := &g.families[fi]
			if g.chance(0.0015) {
				g.moveFamily(fi, day())
				continue
			}
			for _, mb := range f.members {
				if mb.role == domain.RoleChild && mb.to.IsZero() && g.chance(0.004) {
					if a := g.persons[mb.p].birth.AgeOn(first); a >= 19 && a <= 30 {
						leavers = append(leavers, mb.p)
					}
				}
			}
			var mother, father int32 = -1, -1
			var youngest domain.Date
			for _, mb := range f.members {
				if !mb.to.IsZero() {
					continue
				}
				p := &g.persons[mb.p]
				switch mb.role {
				case domain.RoleHead, domain.RoleSpouse:
					if p.sex == domain.Female {
						mother = mb.p
					} else {
						father = mb.p
					}
				case domain.RoleChild:
					if p.birth.After(youngest) {
						youngest = p.birth
					}
				}
			}
			if mother < 0 {
				continue
			}
			if a := g.persons[mother].birth.AgeOn(first); a < 18 || a > 44 {
				continue
			}
			if !youngest.IsZero() && youngest.AgeOn(first) < 1 {
				continue
			}
			pb := 0.002
			if father >= 0 {
				pb = 0.012
			}
			if !g.chance(pb) {
				continue
			}
			b := maxDate(day(), g.persons[mother].busy)
			if b.After(m.Last()) {
				continue
			}
			var fn *maleName
			if father >= 0 {
				if mn, ok := findMale(g.persons[father].first); ok {
					fn = &mn
				}
			}
			sex := domain.Male
			if g.chance(0.487) {
				sex = domain.Female
			}
			c := g.addPerson(fi, b, sex, fn, f.region)
			g.persons[c].busy = b
			g.persons[mother].busy = b
			g.families[fi].members = append(g.families[fi].members, member{p: c, role: domain.RoleChild, from: b})
			g.record(c, b)
		}
		for _, i := range leavers {
			g.leaveHome(i, day())
		}
		for i := int32(0); i < nBefore; i++ {
			p := &g.persons[i]
			if !p.death.IsZero() {
				continue
			}
			age := p.birth.AgeOn(first)
			if g.chance(annualMortality(age) / 12) {
				g.die(i, day())
				continue
			}
			if p.disability < 0 {
				dp := 0.00015
				if age >= 50 {
					dp = 0.0005
				}
				if g.chance(dp) {
					d := maxDate(day(), p.busy)
					if !d.After(m.Last()) {
						g.addDisability(i, d)
						p.busy = d
					}
				}
			}
			ci := g.activeContract(i)
			switch {
			case ci >= 0 && age <= 62 && g.chance(0.009), ci >= 0 && age > 62 && g.chance(0.03):
				d := maxDate(day(), p.busy)
				g.endContract(ci, d)
				p.busy = d
			case ci < 0 && age >= 18 && age <= 62:
				fp := 0.035
				if age < 22 {
					fp = 0.015
				}
				if p.disability >= 0 {
					fp *= []float64{0, 0, 0.3, 0.6}[g.disab[p.disability].Group]
				}
				if g.chance(fp) {
					d := maxDate(day(), p.busy)
					if !d.After(m.Last()) {
						g.hire(i, p.regionNow(), d)
					}
				}
			}
		}
		for n := ghostPlan[mi]; n > 0; n-- {
			g.forceGhost(m, day())
		}
		for n := deadPlan[mi]; n > 0; n-- {
			g.forcePaidDead(mi, day())
		}
	}
	for fi := range g.families {
		g.c.Families = append(g.c.Families, domain.Family{ID: g.families[fi].id, Region: domain.Regions[g.families[fi].region].KATO})
	}
}

// leaveHome makes grown-up child i leave the parents' family on d and found a family of their own
// in the same region: the old membership ends the day before.
func (g *generator) leaveHome(i int32, d domain.Date) {
	p := &g.persons[i]
	d = maxDate(d, p.busy.AddDays(1))
	if d.After(d.MonthOf().Last()) || !p.death.IsZero() {
		return
	}
	old := &g.families[p.family]
	for j := range old.members {
		if old.members[j].p == i && old.members[j].to.IsZero() {
			old.members[j].to = d.AddDays(-1)
		}
	}
	fi := len(g.families)
	g.families = append(g.families, family{
		id: fmt.Sprintf("F%08d", fi+1), region: old.region, kazakh: old.kazakh, ulyStyle: old.ulyStyle,
		surname: old.surname, tsa: g.chance(0.06),
		members: []member{{p: i, role: domain.RoleHead, from: d}},
	})
	p.family = int32(fi)
	p.busy = d
}

func (g *generator) moveFamily(fi int, d domain.Date) {
	f := &g.families[fi]
	to := f.region
	for to == f.region {
		to = g.pickRegion()
	}
	for _, mb := range f.members {
		if mb.to.IsZero() {
			d = maxDate(d, g.persons[mb.p].busy)
		}
	}
	if d.After(d.MonthOf().Last()) {
		return
	}
	f.region = to
	for _, mb := range f.members {
		if !mb.to.IsZero() {
			continue
		}
		p := &g.persons[mb.p]
		p.moves = append(p.moves, move{on: d, region: to})
		p.busy = d
		if ci := g.activeContract(mb.p); ci >= 0 {
			g.endContract(ci, d.AddDays(-1))
		}
		g.record(mb.p, d)
	}
}

// sample draws up to tries random persons and returns the first that ok accepts, or -1.
func (g *generator) sample(tries int, ok func(i int32, p *person) bool) int32 {
	for ; tries > 0; tries-- {
		i := int32(g.r.IntN(len(g.persons)))
		if p := &g.persons[i]; p.flags&flagUsed == 0 && ok(i, p) {
			return i
		}
	}
	return -1
}

// forceGhost kills a school-age child who stays enrolled (and paid for) after death.
func (g *generator) forceGhost(m domain.Month, d domain.Date) {
	y := schoolYearOf(d)
	i := g.sample(20000, func(i int32, p *person) bool {
		a := p.birth.AgeOn(sep1(y))
		return p.death.IsZero() && a >= 7 && a <= 15 && !p.busy.After(d)
	})
	if i < 0 {
		return
	}
	g.persons[i].flags |= flagGhost | flagUsed
	g.die(i, d)
}

// forcePaidDead kills a disability-benefit recipient whose benefit goes on after death.
func (g *generator) forcePaidDead(mi int, d domain.Date) {
	i := g.sample(20000, func(i int32, p *person) bool {
		return p.death.IsZero() && p.disability >= 0 && !p.busy.After(d) && p.birth.AgeOn(d) >= 18
	})
	if i < 0 {
		return
	}
	p := &g.persons[i]
	p.flags |= flagPaidDead | flagUsed
	g.die(i, d)
	until := g.months[mi].Add(1 + g.r.IntN(5))
	if until > g.last {
		until = g.last
	}
	g.deadPaid = append(g.deadPaid, deadPaid{p: i, until: until, truth: -1})
}
