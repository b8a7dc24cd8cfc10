package gen

import (
	"fmt"
	"sort"
	"time"

	"github.com/birlik/birlik/domain"
)

// declarationMonths are the months organisations declare their staffing schedules: every
// January and July of the history but its first month.
func (g *generator) declarationMonths() []domain.Month {
	var ms []domain.Month
	for _, m := range g.months[1:] {
		if m.Of() == time.January || m.Of() == time.July {
			ms = append(ms, m)
		}
	}
	return ms
}

func (g *generator) deriveLabour() {
	// contracts in feed order: by start date, then creation
	order := make([]int, len(g.contracts))
	for i := range order {
		order[i] = i
	}
	order = byDay(len(order), func(i int) domain.Date { return g.contracts[i].Start })
	g.c.Contracts = make([]domain.LabourContract, len(order))
	for k, ci := range order {
		c := g.contracts[ci]
		c.ID = idf("LC", k+1)
		g.contracts[ci].ID = c.ID
		g.c.Contracts[k] = c
	}
	g.c.Disabilities = g.disab

	// contributions without a contract: planned per month, then paid with the others
	type injected struct {
		iin   domain.IIN
		payer domain.BIN
		amt   domain.Tenge
		truth int
	}
	plan := make([][]injected, len(g.months))
	for n := g.count(domain.ContributionsWithoutContract, g.cfg.People); n > 0; n-- {
		i := g.sample(20000, func(i int32, p *person) bool {
			a := p.birth.AgeOn(g.start)
			return p.death.IsZero() && a >= 20 && a <= 60
		})
		if i < 0 {
			break
		}
		p := &g.persons[i]
		p.flags |= flagUsed
		pool := g.sectorOrg[p.regionNow()][secBusiness]
		oi := pool[g.r.IntN(len(pool))]
		bin := g.orgs[oi].emp.BIN
		for _, c := range p.contracts {
			if g.contracts[c].EmployerBIN == bin {
				oi = -1
			}
		}
		if oi < 0 {
			continue
		}
		from := g.r.IntN(len(g.months) - 3)
		to := min(len(g.months)-1, from+2+g.r.IntN(10))
		amt := g.wage(secBusiness) * domain.Tenge(g.years[g.months[from].Year()].PensionContributionPct) / 100
		t := g.addTruth(domain.Anomaly{Kind: domain.ContributionsWithoutContract, Region: g.orgs[oi].emp.Region, IINs: []domain.IIN{p.iin}, BINs: []domain.BIN{bin}})
		for mi := from; mi <= to; mi++ {
			plan[mi] = append(plan[mi], injected{p.iin, bin, amt, t})
			g.truth[t].MoneyAtRisk += amt
		}
	}
	total := 0
	for ci := range g.contracts {
		for _, m := range g.months {
			if active(g.contracts[ci].Start, g.contracts[ci].End, m) {
				total++
			}
		}
	}
	g.c.Contributions = make([]domain.PensionContribution, 0, total+len(plan)*8)
	for mi, m := range g.months {
		rate := domain.Tenge(g.years[m.Year()].PensionContributionPct)
		for ci := range g.contracts {
			c := &g.contracts[ci]
			if active(c.Start, c.End, m) {
				g.c.Contributions = append(g.c.Contributions, domain.PensionContribution{
					IIN: c.IIN, PayerBIN: c.EmployerBIN, Month: m, Amount: c.Wage * rate / 100,
				})
			}
		}
		for _, in := range plan[mi] {
			g.c.Contributions = append(g.c.Contributions, domain.PensionContribution{IIN: in.iin, PayerBIN: in.payer, Month: m, Amount: in.amt})
		}
	}

	// staffing schedules of education organisations and clinics
	codeOf := make(map[string]string, len(registerPositions))
	for _, rp := range registerPositions {
		codeOf[rp.title] = rp.code
	}
	byOrg := make([][]int32, len(g.orgs))
	for ci := range g.contracts {
		oi := g.orgByBIN[g.contracts[ci].EmployerBIN]
		if g.orgs[oi].school >= 0 || g.orgs[oi].clinic >= 0 {
			byOrg[oi] = append(byOrg[oi], int32(ci))
		}
	}
	var declaring []int
	for oi := range g.orgs {
		if g.orgs[oi].school >= 0 || g.orgs[oi].clinic >= 0 {
			declaring = append(declaring, oi)
		}
	}
	edu := 0
	for _, oi := range declaring {
		if g.orgs[oi].school >= 0 {
			edu++
		}
	}
	type extra struct {
		code, title string
		from        int // first declaration index
	}
	extras := make(map[int][]extra)
	declarationMonths := g.declarationMonths()
	var eduOrgs []int
	for _, oi := range declaring {
		if g.orgs[oi].school >= 0 {
			eduOrgs = append(eduOrgs, oi)
		}
	}
	for _, oi := range g.pickOrgs(eduOrgs, g.count(domain.UnregisteredPosition, edu)) {
		bin := g.orgs[oi].emp.BIN
		code := fmt.Sprintf("ORG-%s-%02d", bin[8:], 1+g.r.IntN(20))
		extras[oi] = append(extras[oi], extra{code, unregisteredTitles[g.r.IntN(len(unregisteredTitles))], g.r.IntN(len(declarationMonths))})
		g.addTruth(domain.Anomaly{Kind: domain.UnregisteredPosition, Region: g.orgs[oi].emp.Region, BINs: []domain.BIN{bin}, Code: code})
	}
	for di, m := range declarationMonths {
		for _, oi := range declaring {
			units := make(map[string]int)
			for _, ci := range byOrg[oi] {
				c := &g.contracts[ci]
				if active(c.Start, c.End, m) {
					units[codeOf[c.Position]]++
				}
			}
			top := "01-001"
			if g.orgs[oi].clinic >= 0 {
				top = "02-001"
			}
			if units[top] == 0 {
				units[top] = 1
			}
			codes := make([]string, 0, len(units))
			for code := range units {
				codes = append(codes, code)
			}
			sort.Strings(codes)
			titleOf := func(code string) string {
				for _, rp := range registerPositions {
					if rp.code == code {
						return rp.title
					}
				}
				return code
			}
			for _, code := range codes {
				g.c.StaffingDeclarations = append(g.c.StaffingDeclarations, domain.StaffingDeclaration{
					BIN: g.orgs[oi].emp.BIN, PositionCode: code, Title: titleOf(code), Units: units[code], Month: m,
				})
			}
			for _, x := range extras[oi] {
				if di >= x.from {
					g.c.StaffingDeclarations = append(g.c.StaffingDeclarations, domain.StaffingDeclaration{
						BIN: g.orgs[oi].emp.BIN, PositionCode: x.code, Title: x.title, Units: 1, Month: m,
					})
				}
			}
		}
	}
}
