package gen

import (
	"math"
	"time"

	"github.com/birlik/birlik/domain"
)

// pickN chooses n distinct items of cands at random (fewer when there are fewer candidates), in
// the order drawn.
func (g *generator) pickN(cands []int32, n int) []int32 {
	if n > len(cands) {
		n = len(cands)
	}
	for i := 0; i < n; i++ {
		j := i + g.r.IntN(len(cands)-i)
		cands[i], cands[j] = cands[j], cands[i]
	}
	return cands[:n]
}

func (g *generator) pickOrgs(cands []int, n int) []int {
	if n > len(cands) {
		n = len(cands)
	}
	for i := 0; i < n; i++ {
		j := i + g.r.IntN(len(cands)-i)
		cands[i], cands[j] = cands[j], cands[i]
	}
	return cands[:n]
}

// pickEdu chooses an organisation of kind in region; soOnly keeps to state-order ones; avoid is
// an org index not to choose when there is another.
func (g *generator) pickEdu(kind domain.OrgKind, region int8, soOnly bool, avoid int) int {
	pools := &g.eduOrgs[region][kindIdx[kind]]
	x := g.r.Float64()
	pool := poolPublic
	switch kind {
	case domain.KindSchool:
		if x >= 0.88 {
			pool = poolPrivateSO
			if x >= 0.97 {
				pool = poolPrivate
			}
		}
	case domain.KindKindergarten:
		if x >= 0.45 {
			pool = poolPrivateSO
			if x >= 0.85 {
				pool = poolPrivate
			}
		}
	default:
		if x >= 0.8 {
			pool = poolPrivateSO
		}
	}
	if soOnly && pool == poolPrivate {
		pool = poolPublic
	}
	if len(pools[pool]) == 0 {
		pool = poolPublic
	}
	l := pools[pool]
	o := l[g.r.IntN(len(l))]
	if o == avoid {
		all := append(append([]int{}, pools[poolPublic]...), pools[poolPrivateSO]...)
		if !soOnly {
			all = append(all, pools[poolPrivate]...)
		}
		if len(all) > 1 {
			for o == avoid {
				o = all[g.r.IntN(len(all))]
			}
		}
	}
	return o
}

type enrolRec struct {
	e     domain.Enrolment
	order int
}

func (g *generator) addTruth(a domain.Anomaly) int {
	g.truth = append(g.truth, a)
	return len(g.truth) - 1
}

func (g *generator) deriveEducation() {
	// children who will lack an enrolment at the end, and children enrolled twice
	var notEnrolled, double []int32
	schoolAge := 0
	for i := range g.persons {
		p := &g.persons[i]
		a := p.birth.AgeOn(g.dates.SchoolAgeOn)
		if a >= Rules.SchoolAgeMin && a <= Rules.SchoolAgeMax && p.death.IsZero() {
			schoolAge++
			if p.flags&flagUsed == 0 {
				notEnrolled = append(notEnrolled, int32(i))
			}
		}
	}
	for _, i := range g.pickN(notEnrolled, g.count(domain.SignalChildNotEnrolled, schoolAge)) {
		g.persons[i].flags |= flagNotEnrolled | flagUsed
	}
	for i := range g.persons {
		p := &g.persons[i]
		a := p.birth.AgeOn(sep1(g.sy0))
		if p.flags&flagUsed == 0 && p.death.IsZero() && len(p.moves) == 0 && a >= 7 && a <= 14 {
			double = append(double, int32(i))
		}
	}
	// double financing happens in a school year that starts in the history at least two months
	// before its end (none in a history too short to hold one)
	doubleYears := 0
	for y := g.sy0; domain.MonthOfYear(y, time.September) <= g.last-1; y++ {
		doubleYears++
	}
	if doubleYears == 0 {
		double = nil
	}
	double = g.pickN(double, g.count(domain.DoubleFinancing, schoolAge))
	for _, i := range double {
		g.persons[i].flags |= flagDouble | flagUsed
	}

	var recs []enrolRec
	add := func(e domain.Enrolment) {
		recs = append(recs, enrolRec{e, len(recs)})
	}
	for i := range g.persons {
		g.enrolChild(int32(i), add)
	}
	// the second enrolment of each double-financed child
	for _, i := range double {
		p := &g.persons[i]
		y := g.sy0 + g.r.IntN(doubleYears)
		var prim *domain.Enrolment
		for k := len(recs) - 1; k >= 0; k-- {
			if recs[k].e.ChildIIN == p.iin && recs[k].e.Year == y {
				prim = &recs[k].e
				break
			}
		}
		if prim == nil {
			continue
		}
		po := g.orgByBIN[prim.BIN]
		other := g.pickEdu(domain.KindSchool, p.region0, true, po)
		if other == po {
			continue
		}
		span := min(6, int(g.last-1-domain.MonthOfYear(y, 9)))
		s := domain.MonthOfYear(y, 9).Add(g.r.IntN(span + 1))
		e := s.Add(1 + g.r.IntN(5))
		if e > g.last {
			e = g.last
		}
		if e > domain.MonthOfYear(y+1, 8) {
			e = domain.MonthOfYear(y+1, 8)
		}
		add(domain.Enrolment{ChildIIN: p.iin, BIN: g.orgs[other].emp.BIN, Grade: prim.Grade, Year: y, From: s.First(), To: e.Last()})
		bins := sortedBINs(prim.BIN, g.orgs[other].emp.BIN)
		g.addTruth(domain.Anomaly{Kind: domain.DoubleFinancing, Region: g.c.Schools[g.orgs[po].school].Region, IINs: []domain.IIN{p.iin}, BINs: bins})
	}
	g.c.Enrolments = make([]domain.Enrolment, len(recs))
	for k, ri := range byDay(len(recs), func(i int) domain.Date { return recs[i].e.From }) {
		recs[ri].e.ID = idf("EN", k+1)
		g.c.Enrolments[k] = recs[ri].e
	}

	// enrolled counts per organisation and history month; design capacities from them
	g.enrolled = make([][]int32, len(g.c.Schools))
	g.delta = make([][]int32, len(g.c.Schools))
	for s := range g.c.Schools {
		g.enrolled[s] = make([]int32, len(g.months))
		g.delta[s] = make([]int32, len(g.months))
	}
	for _, e := range g.c.Enrolments {
		s := g.orgs[g.orgByBIN[e.BIN]].school
		for mi, m := range g.months {
			if active(e.From, e.To, m) {
				g.enrolled[s][mi]++
			}
		}
	}
	for s := range g.c.Schools {
		mx := int32(0)
		for _, n := range g.enrolled[s] {
			mx = max(mx, n)
		}
		capacity := max(8, int(math.Ceil(float64(mx)*(0.8+0.7*g.r.Float64()))))
		g.c.Buildings[g.orgs[g.schoolOrg[s]].building].DesignCapacity = capacity
	}
	g.vouchers()
	g.injectSchools()
	g.staff()
}

func (g *generator) enrolChild(i int32, add func(domain.Enrolment)) {
	p := &g.persons[i]
	ghost := p.flags&flagGhost != 0
	soOnly := p.flags&(flagGhost|flagDouble) != 0
	cur := -1
	for y := schoolYearOf(g.start); y <= g.syLast; y++ {
		start := sep1(y)
		end := domain.NewDate(y+1, 8, 31)
		if y == g.syLast {
			end = domain.Date{}
		}
		if p.birth.After(start) {
			return
		}
		if !p.death.IsZero() && p.death.Before(start) {
			return
		}
		a := p.birth.AgeOn(start)
		var kind domain.OrgKind
		grade := 0
		switch {
		case a >= 2 && a <= 6 && p.flags&flagKG != 0:
			kind = domain.KindKindergarten
		case a >= 7 && a <= 15, (a == 16 || a == 17) && p.track == trackSchool:
			kind, grade = domain.KindSchool, a-6
		case a >= 16 && a <= 19 && p.track == trackCollege:
			kind, grade = domain.KindCollege, a-15
		default:
			cur = -1
			continue
		}
		if p.flags&flagNotEnrolled != 0 && y == g.syLast {
			return
		}
		// a school change within the year (not for children in an injected case)
		var change domain.Date
		if p.flags&flagUsed == 0 && g.chance(0.03) {
			change = dayOf(domain.MonthOfYear(y, 10).Add(g.r.IntN(8)), 15)
		}
		segStart := start
		forceNew := false
		for {
			region := p.regionAt(segStart)
			o := cur
			if o < 0 || forceNew || g.c.Schools[g.orgs[o].school].Kind != kind || g.orgs[o].emp.Region != domain.Regions[region].KATO ||
				(soOnly && !g.c.Schools[g.orgs[o].school].StateOrder) {
				o = g.pickEdu(kind, region, soOnly, cur)
			}
			cur, forceNew = o, false
			segEnd := end
			next := domain.Date{}
			for _, mv := range p.moves {
				if mv.on.After(segStart) {
					next = mv.on
					break
				}
			}
			if !change.IsZero() && change.After(segStart) && (next.IsZero() || change.Before(next)) {
				next = change
				forceNew = true
			}
			if !next.IsZero() && (end.IsZero() || next.MonthOf() < end.MonthOf()) && next.MonthOf() < g.last {
				segEnd = next.MonthOf().Last()
			} else {
				next = domain.Date{}
			}
			stop := false
			if !ghost && !p.death.IsZero() && (segEnd.IsZero() || !p.death.After(segEnd)) {
				segEnd, stop = p.death, true
			}
			add(domain.Enrolment{ChildIIN: p.iin, BIN: g.orgs[o].emp.BIN, Grade: grade, Year: y, From: segStart, To: segEnd})
			if stop {
				return
			}
			if next.IsZero() {
				break
			}
			segStart = next.MonthOf().Add(1).First()
		}
	}
}

func sortedBINs(a, b domain.BIN) []domain.BIN {
	if b < a {
		a, b = b, a
	}
	return []domain.BIN{a, b}
}

// parentOf is the parent who chooses a kindergarten: the mother in the family, else its head.
func (g *generator) parentOf(i int32) domain.IIN {
	f := &g.families[g.persons[i].family]
	var head domain.IIN
	for _, mb := range f.members {
		if mb.role == domain.RoleHead || mb.role == domain.RoleSpouse {
			if g.persons[mb.p].sex == domain.Female {
				return g.persons[mb.p].iin
			}
			if mb.role == domain.RoleHead {
				head = g.persons[mb.p].iin
			}
		}
	}
	if head == "" {
		return g.persons[f.members[0].p].iin
	}
	return head
}

func (g *generator) vouchers() {
	idx := make(map[domain.IIN]int32, len(g.persons))
	for i := range g.persons {
		idx[g.persons[i].iin] = int32(i)
	}
	g.byIIN = idx
	for _, e := range g.c.Enrolments {
		s := &g.c.Schools[g.orgs[g.orgByBIN[e.BIN]].school]
		if s.Kind != domain.KindKindergarten || !s.StateOrder {
			continue
		}
		g.c.Vouchers = append(g.c.Vouchers, domain.Voucher{
			ID: idf("VC", len(g.c.Vouchers)+1), ChildIIN: e.ChildIIN, ParentIIN: g.parentOf(idx[e.ChildIIN]), BIN: e.BIN, From: e.From, To: e.To,
		})
	}
}

// injectSchools injects the school-level findings: buildings that are not schools, contingents
// over capacity, contingents above the enrolled pupils.
func (g *generator) injectSchools() {
	var privSO, so []int
	for s, sc := range g.c.Schools {
		if sc.Kind == domain.KindSchool && sc.Ownership == domain.Private && sc.StateOrder {
			privSO = append(privSO, s)
		}
		if sc.Kind != domain.KindKindergarten && sc.StateOrder {
			so = append(so, s)
		}
	}
	base := len(privSO)
	used := make(map[int]bool)
	cands := append([]int{}, privSO...)
	for _, s := range g.pickOrgs(cands, g.count(domain.BuildingNotASchool, base)) {
		used[s] = true
		b := &g.c.Buildings[g.orgs[g.schoolOrg[s]].building]
		b.Designation = []domain.Designation{domain.DesignBanquetHall, domain.DesignShoppingMall, domain.DesignWarehouse, domain.DesignOffice, domain.DesignResidential}[g.r.IntN(5)]
		b.DesignCapacity = 0
		g.addTruth(domain.Anomaly{Kind: domain.BuildingNotASchool, Region: g.c.Schools[s].Region, BINs: []domain.BIN{g.c.Schools[s].BIN}, Cadastral: b.Cadastral})
	}
	cands = cands[:0]
	for _, s := range privSO {
		if !used[s] {
			cands = append(cands, s)
		}
	}
	for _, s := range g.pickOrgs(cands, g.count(domain.ContingentOverCapacity, base)) {
		used[s] = true
		capacity := g.c.Buildings[g.orgs[g.schoolOrg[s]].building].DesignCapacity
		reported := int32(float64(capacity) * (2.3 + 9.5*g.r.Float64()))
		if reported <= int32(2*capacity) {
			reported = int32(2*capacity) + 1
		}
		from := g.r.IntN(len(g.months) * 3 / 4)
		for mi := from; mi < len(g.months); mi++ {
			g.delta[s][mi] = reported - g.enrolled[s][mi]
		}
		g.addTruth(domain.Anomaly{Kind: domain.ContingentOverCapacity, Region: g.c.Schools[s].Region, BINs: []domain.BIN{g.c.Schools[s].BIN}})
	}
	cands = cands[:0]
	for _, s := range so {
		if !used[s] {
			cands = append(cands, s)
		}
	}
	for _, s := range g.pickOrgs(cands, g.count(domain.PaidForAbsentPupils, len(so))) {
		capacity := int32(g.c.Buildings[g.orgs[g.schoolOrg[s]].building].DesignCapacity)
		k := 1 + int32(g.r.IntN(int(max(1, capacity/3))))
		from := g.r.IntN(len(g.months) * 5 / 6)
		to := min(len(g.months)-1, from+2+g.r.IntN(10))
		n := 0
		for mi := from; mi <= to; mi++ {
			d := min(k, 2*capacity-g.enrolled[s][mi])
			if d >= 1 {
				g.delta[s][mi] = d
				n++
			}
		}
		if n > 0 {
			g.addTruth(domain.Anomaly{Kind: domain.PaidForAbsentPupils, Region: g.c.Schools[s].Region, BINs: []domain.BIN{g.c.Schools[s].BIN}})
		}
	}
}

// staff builds the staff lists from the contracts with education organisations, then adds the
// fictitious teachers and the staff who work in another region.
func (g *generator) staff() {
	type rec struct {
		s     domain.StaffMember
		order int
	}
	var recs []rec
	for ci, c := range g.contracts {
		if o := g.orgs[g.orgByBIN[c.EmployerBIN]]; o.school >= 0 {
			recs = append(recs, rec{domain.StaffMember{BIN: c.EmployerBIN, IIN: c.IIN, Position: c.Position, From: c.Start, To: c.End}, ci})
		}
	}
	var schools []int
	for s, sc := range g.c.Schools {
		if sc.Kind == domain.KindSchool {
			schools = append(schools, s)
		}
	}
	order := len(g.contracts)
	for _, s := range g.pickOrgs(append([]int{}, schools...), g.count(domain.FictitiousTeacher, len(schools))) {
		sc := &g.c.Schools[s]
		i := g.sample(20000, func(i int32, p *person) bool {
			a := p.birth.AgeOn(g.start)
			if !p.death.IsZero() || len(p.moves) != 0 || domain.Regions[p.region0].KATO != sc.Region || a < 23 || a > 58 {
				return false
			}
			for _, c := range p.contracts {
				if g.contracts[c].EmployerBIN == sc.BIN {
					return false
				}
			}
			return true
		})
		if i < 0 {
			continue
		}
		g.persons[i].flags |= flagUsed
		from := g.months[g.r.IntN(len(g.months)*3/4)].First()
		recs = append(recs, rec{domain.StaffMember{BIN: sc.BIN, IIN: g.persons[i].iin, Position: "Учитель", From: from}, order})
		order++
		g.addTruth(domain.Anomaly{Kind: domain.FictitiousTeacher, Region: sc.Region, IINs: []domain.IIN{g.persons[i].iin}, BINs: []domain.BIN{sc.BIN}})
	}
	for _, s := range g.pickOrgs(append([]int{}, schools...), g.count(domain.StaffInAnotherRegion, len(schools))) {
		sc := &g.c.Schools[s]
		var ci int32 = -1
		i := g.sample(20000, func(i int32, p *person) bool {
			if !p.death.IsZero() || len(p.moves) != 0 || domain.Regions[p.region0].KATO == sc.Region {
				return false
			}
			for _, c := range p.contracts {
				if g.contracts[c].End.IsZero() {
					ci = c
					return true
				}
			}
			return false
		})
		if i < 0 {
			continue
		}
		g.persons[i].flags |= flagUsed
		c := g.contracts[ci]
		from := maxDate(c.Start, g.months[g.r.IntN(len(g.months)/2)].First())
		recs = append(recs, rec{domain.StaffMember{BIN: sc.BIN, IIN: c.IIN, Position: "Учитель", From: from}, order})
		order++
		g.addTruth(domain.Anomaly{Kind: domain.StaffInAnotherRegion, Region: sc.Region, IINs: []domain.IIN{c.IIN}, BINs: []domain.BIN{sc.BIN}})
	}
	g.c.Staff = make([]domain.StaffMember, len(recs))
	for k, ri := range byDay(len(recs), func(i int) domain.Date { return recs[i].s.From }) {
		g.c.Staff[k] = recs[ri].s
	}
}
