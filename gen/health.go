package gen

import (
	"github.com/birlik/birlik/domain"
)

var attachSince = domain.MustDate("2019-01-01")
var cshiSince = domain.MustDate("2020-01-01")

func (g *generator) deriveHealth() {
	// signals: people alive at the end without coverage, and attached people without a visit
	var alive, uninsured, noVisit []int32
	for i := range g.persons {
		p := &g.persons[i]
		if !p.death.IsZero() {
			continue
		}
		alive = append(alive, int32(i))
		a := p.birth.AgeOn(g.dates.AsOf)
		if a >= 18 && a <= 62 && p.disability < 0 && g.contractOn(int32(i), g.dates.AsOf) < 0 {
			uninsured = append(uninsured, int32(i))
		}
		if p.birth.Before(g.start) {
			noVisit = append(noVisit, int32(i))
		}
	}
	for _, i := range g.pickN(uninsured, g.count(domain.SignalUninsured, len(alive))) {
		g.persons[i].flags |= flagUninsured
	}
	for _, i := range g.pickN(noVisit, g.count(domain.SignalNoVisitTwoYears, len(alive))) {
		g.persons[i].flags |= flagNoVisit
	}

	visits := make([]domain.Visit, 0, len(g.persons)*5/2)
	atts := make([]domain.Attachment, 0, len(g.persons)+len(g.persons)/20)
	for i := range g.persons {
		p := &g.persons[i]
		// attachments: one per region lived in
		first := len(atts)
		from := maxDate(p.birth, attachSince)
		region := p.region0
		for _, mv := range p.moves {
			atts = append(atts, domain.Attachment{IIN: p.iin, BIN: g.orgs[g.pickClinic(region)].emp.BIN, From: from, To: mv.on.AddDays(-1)})
			from, region = mv.on, mv.region
		}
		atts = append(atts, domain.Attachment{IIN: p.iin, BIN: g.orgs[g.pickClinic(region)].emp.BIN, From: from, To: p.death})
		// visits within the history, those of the living within the two-year window of the
		// no-visit signal (rules.Dates.NoVisitFrom to the end of the history)
		if p.flags&flagNoVisit != 0 {
			continue
		}
		lo := maxDate(p.birth, g.start)
		if p.death.IsZero() {
			lo = maxDate(lo, g.dates.NoVisitFrom)
		}
		hi := g.end
		n := 1 + g.r.IntN(4)
		if !p.death.IsZero() {
			hi = p.death
			n = g.r.IntN(3)
		}
		for ; n > 0; n-- {
			d := g.randDate(lo, hi)
			bin := atts[first].BIN
			for k := first; k < len(atts); k++ {
				if activeOn(atts[k].From, atts[k].To, d) {
					bin = atts[k].BIN
				}
			}
			kind := "outpatient"
			if g.chance(0.08) {
				bin = g.orgs[g.hospitals[p.regionAt(d)]].emp.BIN
				kind = []string{"inpatient", "emergency"}[g.r.IntN(2)]
			}
			visits = append(visits, domain.Visit{IIN: p.iin, BIN: bin, Date: d, Kind: kind})
		}
	}
	g.c.Attachments = make([]domain.Attachment, len(atts))
	for k, ai := range byDay(len(atts), func(i int) domain.Date { return atts[i].From }) {
		g.c.Attachments[k] = atts[ai]
	}
	g.c.Visits = make([]domain.Visit, len(visits))
	for k, vi := range byDay(len(visits), func(i int) domain.Date { return visits[i].Date }) {
		visits[vi].ID = idf("VS", k+1)
		g.c.Visits[k] = visits[vi]
	}
	visits = nil

	// CSHI coverage
	covs := make([]domain.Coverage, 0, len(g.persons))
	for i := range g.persons {
		p := &g.persons[i]
		from := maxDate(p.birth, cshiSince)
		cat := "state_funded"
		if g.contractOn(int32(i), minDate(g.dates.AsOf, maxDate(from, p.death))) >= 0 {
			cat = "employee"
		} else if a := p.birth.AgeOn(g.dates.AsOf); a >= 18 && a <= 62 && p.disability < 0 && g.chance(0.4) {
			cat = "self_employed"
		}
		if p.flags&flagUninsured != 0 {
			if g.chance(0.3) {
				continue
			}
			// coverage that ended before the history's last month
			to := g.randDate(maxDate(from, g.start), g.last.Add(-1).Last())
			covs = append(covs, domain.Coverage{IIN: p.iin, Category: "self_employed", From: from, To: to})
			continue
		}
		covs = append(covs, domain.Coverage{IIN: p.iin, Category: cat, From: from, To: p.death})
	}
	g.c.Coverages = make([]domain.Coverage, len(covs))
	for k, ci := range byDay(len(covs), func(i int) domain.Date { return covs[i].From }) {
		g.c.Coverages[k] = covs[ci]
	}
}

func (g *generator) pickClinic(region int8) int {
	l := g.clinics[region]
	return l[g.r.IntN(len(l))]
}

// contractOn is a contract of person i in force on d, or -1.
func (g *generator) contractOn(i int32, d domain.Date) int32 {
	for _, ci := range g.persons[i].contracts {
		if activeOn(g.contracts[ci].Start, g.contracts[ci].End, d) {
			return ci
		}
	}
	return -1
}
