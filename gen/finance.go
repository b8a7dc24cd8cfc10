package gen

import (
	"fmt"

	"github.com/birlik/birlik/domain"
)

func (g *generator) deriveFinance() {
	// preschool state order paid for children whose parent chose no kindergarten
	type preschool struct {
		child domain.IIN
		bin   domain.BIN
		truth int
	}
	plan := make([][]preschool, len(g.months))
	norm := func(mi int) domain.Tenge { return g.years[g.months[mi].Year()].PerPupilNorm.Kindergarten }
	for n := g.count(domain.PreschoolWithoutVoucher, len(g.c.Vouchers)); n > 0; n-- {
		from := g.r.IntN(len(g.months) - 3)
		to := min(len(g.months)-1, from+2+g.r.IntN(8))
		i := g.sample(20000, func(i int32, p *person) bool {
			return p.death.IsZero() && len(p.moves) == 0 && p.flags&flagKG == 0 &&
				p.birth.AgeOn(g.months[from].First()) >= 2 && p.birth.AgeOn(g.months[to].Last()) <= 6
		})
		if i < 0 {
			break
		}
		p := &g.persons[i]
		p.flags |= flagUsed
		pools := &g.eduOrgs[p.region0][kindIdx[domain.KindKindergarten]]
		l := append(append([]int{}, pools[poolPublic]...), pools[poolPrivateSO]...)
		oi := l[g.r.IntN(len(l))]
		t := g.addTruth(domain.Anomaly{Kind: domain.PreschoolWithoutVoucher, Region: g.orgs[oi].emp.Region, IINs: []domain.IIN{p.iin}, BINs: []domain.BIN{g.orgs[oi].emp.BIN}})
		for mi := from; mi <= to; mi++ {
			plan[mi] = append(plan[mi], preschool{p.iin, g.orgs[oi].emp.BIN, t})
			g.truth[t].MoneyAtRisk += norm(mi)
		}
	}
	g.paid = make([][]bool, len(g.c.Schools))
	for s := range g.paid {
		g.paid[s] = make([]bool, len(g.months))
	}
	nv := 0
	for _, v := range g.c.Vouchers {
		for _, m := range g.months {
			if active(v.From, v.To, m) {
				nv++
			}
		}
	}
	g.c.StateOrderPayments = make([]domain.StateOrderPayment, 0, nv+len(g.c.Schools)*len(g.months))
	pay := func(p domain.StateOrderPayment) {
		p.ID = idf("SO", len(g.c.StateOrderPayments)+1)
		g.c.StateOrderPayments = append(g.c.StateOrderPayments, p)
	}
	for mi, m := range g.months {
		paidOn := dayOf(m, 20)
		norms := g.years[m.Year()].PerPupilNorm
		for s := range g.c.Schools {
			sc := &g.c.Schools[s]
			if sc.Kind == domain.KindKindergarten || !sc.StateOrder {
				continue
			}
			c := int(g.enrolled[s][mi] + g.delta[s][mi])
			if c <= 0 {
				continue
			}
			g.paid[s][mi] = true
			pay(domain.StateOrderPayment{BIN: sc.BIN, Month: m, Kind: domain.PayStateOrder, Contingent: c, Amount: domain.Tenge(c) * norms.Of(sc.Kind), PaidOn: paidOn})
		}
		for _, v := range g.c.Vouchers {
			if active(v.From, v.To, m) {
				pay(domain.StateOrderPayment{BIN: v.BIN, Month: m, Kind: domain.PayPreschoolOrder, Contingent: 1, Amount: norms.Kindergarten, ChildIIN: v.ChildIIN, PaidOn: paidOn})
			}
		}
		for _, x := range plan[mi] {
			pay(domain.StateOrderPayment{BIN: x.bin, Month: m, Kind: domain.PayPreschoolOrder, Contingent: 1, Amount: norms.Kindergarten, ChildIIN: x.child, PaidOn: paidOn})
		}
	}

	// income reports of private organisations, for every year from the one before the history
	// to the latest one due by its end (rules.Dates.IncomeReportYear), each filed from
	// 1 February to 30 April of the next year; the report of that latest year is missing for
	// the unreported_income cases
	type rep struct {
		r     domain.IncomeReport
		order int
	}
	var privSO []int
	for s, sc := range g.c.Schools {
		if sc.Kind == domain.KindSchool && sc.Ownership == domain.Private && sc.StateOrder && g.paidIn(s, g.dates.IncomeReportYear) {
			privSO = append(privSO, s)
		}
	}
	base := 0
	for _, sc := range g.c.Schools {
		if sc.Kind == domain.KindSchool && sc.Ownership == domain.Private && sc.StateOrder {
			base++
		}
	}
	unreported := make(map[int]bool)
	for _, s := range g.pickOrgs(privSO, g.count(domain.UnreportedIncome, base)) {
		unreported[s] = true
		sc := &g.c.Schools[s]
		g.addTruth(domain.Anomaly{Kind: domain.UnreportedIncome, Region: sc.Region, BINs: []domain.BIN{sc.BIN}, Period: fmt.Sprint(g.dates.IncomeReportYear)})
	}
	var reps []rep
	for s, sc := range g.c.Schools {
		if sc.Ownership != domain.Private {
			continue
		}
		for y := g.first.Year() - 1; y <= g.dates.IncomeReportYear; y++ {
			if y == g.dates.IncomeReportYear && unreported[s] {
				continue
			}
			// the state order paid in the year is part of its income (none before the history)
			income := domain.Tenge(5_000_000+g.r.IntN(60_000_000)) + g.paidAmount(sc.BIN, y)
			filed := g.randDate(domain.NewDate(y+1, 2, 1), domain.NewDate(y+1, 4, 30))
			reps = append(reps, rep{domain.IncomeReport{BIN: sc.BIN, Year: y, Income: income, FiledOn: filed}, len(reps)})
		}
	}
	for _, ri := range byDay(len(reps), func(i int) domain.Date { return reps[i].r.FiledOn }) {
		g.c.IncomeReports = append(g.c.IncomeReports, reps[ri].r)
	}
}

func (g *generator) paidIn(s int, year int) bool {
	for mi, m := range g.months {
		if m.Year() == year && g.paid[s][mi] {
			return true
		}
	}
	return false
}

// paidAmount sums the state-order payments of both kinds to bin in year (0: every year).
func (g *generator) paidAmount(bin domain.BIN, year int) domain.Tenge {
	if g.paidByBIN == nil {
		g.paidByBIN = make(map[domain.BIN]map[int]domain.Tenge)
		for _, p := range g.c.StateOrderPayments {
			t := g.paidByBIN[p.BIN]
			if t == nil {
				t = make(map[int]domain.Tenge, 2)
				g.paidByBIN[p.BIN] = t
			}
			t[p.Month.Year()] += p.Amount
			t[0] += p.Amount
		}
	}
	return g.paidByBIN[bin][year]
}
