package gen

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/rules"
)

// This file re-implements every definition of docs/findings.md over a Country's records only
// (no generator internals), the way the checks do it over the store. The tests demand that it
// finds exactly the generator's truth: the guard against accidental matches.

// inMonth is the period rule of docs/findings.md: [from, to] overlaps month m.
func inMonth(from, to domain.Date, m domain.Month) bool {
	fs, ts := from.String(), to.String()
	return fs <= m.Last().String() && (ts == "" || ts >= m.First().String())
}

func onDay(from, to, d domain.Date) bool {
	fs, ts, ds := from.String(), to.String(), d.String()
	return fs <= ds && (ts == "" || ts >= ds)
}

type index struct {
	current   map[domain.IIN]domain.Person
	school    map[domain.BIN]domain.School
	building  map[string]domain.Building
	employer  map[domain.BIN]domain.Employer
	enrolled  map[domain.BIN]map[domain.Month]int
	paidSO    map[domain.BIN]map[domain.Month]bool
	contracts map[domain.IIN][]domain.LabourContract
}

func buildIndex(c *Country) *index {
	x := &index{
		current: map[domain.IIN]domain.Person{}, school: map[domain.BIN]domain.School{}, building: map[string]domain.Building{},
		employer: map[domain.BIN]domain.Employer{}, enrolled: map[domain.BIN]map[domain.Month]int{}, paidSO: map[domain.BIN]map[domain.Month]bool{},
		contracts: map[domain.IIN][]domain.LabourContract{},
	}
	for _, v := range c.PersonVersions {
		x.current[v.Person.IIN] = v.Person // versions are in Seq order: the last one wins
	}
	for _, s := range c.Schools {
		x.school[s.BIN] = s
	}
	for _, b := range c.Buildings {
		x.building[b.Cadastral] = b
	}
	for _, e := range c.Employers {
		x.employer[e.BIN] = e
	}
	for _, e := range c.Enrolments {
		for _, m := range c.HistoryMonths() {
			if inMonth(e.From, e.To, m) {
				if x.enrolled[e.BIN] == nil {
					x.enrolled[e.BIN] = map[domain.Month]int{}
				}
				x.enrolled[e.BIN][m]++
			}
		}
	}
	for _, p := range c.StateOrderPayments {
		if p.Kind == domain.PayStateOrder {
			if x.paidSO[p.BIN] == nil {
				x.paidSO[p.BIN] = map[domain.Month]bool{}
			}
			x.paidSO[p.BIN][p.Month] = true
		}
	}
	for _, k := range c.Contracts {
		x.contracts[k.IIN] = append(x.contracts[k.IIN], k)
	}
	return x
}

func (x *index) capacity(bin domain.BIN) int {
	return x.building[x.school[bin].Cadastral].DesignCapacity
}

func (x *index) overCapacity(p domain.StateOrderPayment) bool {
	c := x.capacity(p.BIN)
	return c > 0 && p.Contingent > Rules.CapacityFactor*c
}

func alive(p domain.Person, on domain.Date) bool {
	return p.DeathDate.IsZero() || p.DeathDate.String() > on.String()
}

// findCases applies docs/findings.md to c.
func findCases(c *Country) []domain.Anomaly {
	x := buildIndex(c)
	cases := map[string]*domain.Anomaly{}
	var keys []string
	add := func(a domain.Anomaly, money domain.Tenge) {
		k := anomalyKey(a)
		if cases[k] == nil {
			a.MoneyAtRisk = 0
			cases[k] = &a
			keys = append(keys, k)
		}
		cases[k].MoneyAtRisk += money
	}
	// norm is the per-pupil norm of an organisation kind in month m (the rules file's, by year)
	norm := func(k domain.OrgKind, m domain.Month) domain.Tenge {
		fig, err := rules.For(m.Year())
		if err != nil {
			panic(err)
		}
		return fig.PerPupilNorm.Of(k)
	}
	dates := c.Dates()

	// ghost_pupil
	for _, e := range c.Enrolments {
		p := x.current[e.ChildIIN]
		if p.DeathDate.IsZero() || !onDay(e.From, e.To, p.DeathDate) {
			continue
		}
		dm := p.DeathDate.MonthOf()
		for _, m := range c.HistoryMonths() {
			if m > dm && inMonth(e.From, e.To, m) && x.paidSO[e.BIN][m] {
				s := x.school[e.BIN]
				add(domain.Anomaly{Kind: domain.GhostPupil, Region: s.Region, IINs: []domain.IIN{e.ChildIIN}, BINs: []domain.BIN{e.BIN}, Period: dm.String()}, norm(s.Kind, m))
			}
		}
	}
	// double_financing
	byChild := map[domain.IIN][]domain.Enrolment{}
	for _, e := range c.Enrolments {
		if s := x.school[e.BIN]; s.StateOrder && s.Kind != domain.KindKindergarten {
			byChild[e.ChildIIN] = append(byChild[e.ChildIIN], e)
		}
	}
	for child, es := range byChild {
		pairs := map[[2]domain.BIN]map[domain.Month]bool{}
		for i := range es {
			for j := range es {
				if es[i].BIN >= es[j].BIN {
					continue
				}
				for _, m := range c.HistoryMonths() {
					if inMonth(es[i].From, es[i].To, m) && inMonth(es[j].From, es[j].To, m) && x.paidSO[es[i].BIN][m] && x.paidSO[es[j].BIN][m] {
						k := [2]domain.BIN{es[i].BIN, es[j].BIN}
						if pairs[k] == nil {
							pairs[k] = map[domain.Month]bool{}
						}
						pairs[k][m] = true
					}
				}
			}
		}
		for k, ms := range pairs {
			s1, s2 := x.school[k[0]], x.school[k[1]]
			region := min(s1.Region, s2.Region)
			var money domain.Tenge
			for m := range ms {
				money += min(norm(s1.Kind, m), norm(s2.Kind, m))
			}
			add(domain.Anomaly{Kind: domain.DoubleFinancing, Region: region, IINs: []domain.IIN{child}, BINs: []domain.BIN{k[0], k[1]}}, money)
		}
	}
	// contingent_over_capacity and paid_for_absent_pupils
	for _, p := range c.StateOrderPayments {
		if p.Kind != domain.PayStateOrder {
			continue
		}
		s := x.school[p.BIN]
		extra := p.Contingent - x.enrolled[p.BIN][p.Month]
		a := domain.Anomaly{Region: s.Region, BINs: []domain.BIN{p.BIN}}
		switch {
		case x.overCapacity(p):
			a.Kind = domain.ContingentOverCapacity
		case extra > 0:
			a.Kind = domain.PaidForAbsentPupils
		default:
			continue
		}
		add(a, domain.Tenge(extra)*norm(s.Kind, p.Month))
	}
	// building_not_a_school
	paidTotal := map[domain.BIN]domain.Tenge{}
	paidYear := map[domain.BIN]domain.Tenge{}
	for _, p := range c.StateOrderPayments {
		paidTotal[p.BIN] += p.Amount
		if p.Month.Year() == dates.IncomeReportYear {
			paidYear[p.BIN] += p.Amount
		}
	}
	want := map[domain.OrgKind]domain.Designation{domain.KindSchool: domain.DesignSchool, domain.KindKindergarten: domain.DesignKindergarten, domain.KindCollege: domain.DesignCollege}
	reported := map[domain.BIN]bool{}
	for _, r := range c.IncomeReports {
		if r.Year == dates.IncomeReportYear {
			reported[r.BIN] = true
		}
	}
	for _, s := range c.Schools {
		if b := x.building[s.Cadastral]; b.Designation != want[s.Kind] {
			add(domain.Anomaly{Kind: domain.BuildingNotASchool, Region: s.Region, BINs: []domain.BIN{s.BIN}, Cadastral: s.Cadastral}, paidTotal[s.BIN])
		}
		if s.Ownership == domain.Private && s.StateOrder && paidYear[s.BIN] > 0 && !reported[s.BIN] {
			add(domain.Anomaly{Kind: domain.UnreportedIncome, Region: s.Region, BINs: []domain.BIN{s.BIN}, Period: fmt.Sprint(dates.IncomeReportYear)}, paidYear[s.BIN])
		}
	}
	// fictitious_teacher and staff_in_another_region
	contributed := map[[2]string]bool{}
	for _, p := range c.Contributions {
		contributed[[2]string{string(p.IIN), string(p.PayerBIN)}] = true
	}
	for _, st := range c.Staff {
		s := x.school[st.BIN]
		withSchool, elsewhere := false, false
		for _, k := range x.contracts[st.IIN] {
			if k.EmployerBIN == st.BIN {
				withSchool = true
			}
			overlaps := (st.To.IsZero() || k.Start.String() <= st.To.String()) && (k.End.IsZero() || k.End.String() >= st.From.String())
			if k.Region != s.Region && overlaps {
				elsewhere = true
			}
		}
		a := domain.Anomaly{Region: s.Region, IINs: []domain.IIN{st.IIN}, BINs: []domain.BIN{st.BIN}}
		switch {
		case !withSchool && elsewhere:
			a.Kind = domain.StaffInAnotherRegion
		case !withSchool && !contributed[[2]string{string(st.IIN), string(st.BIN)}]:
			a.Kind = domain.FictitiousTeacher
		default:
			continue
		}
		add(a, 0)
	}
	// contributions_without_contract
	for _, p := range c.Contributions {
		ok := false
		for _, k := range x.contracts[p.IIN] {
			if k.EmployerBIN == p.PayerBIN && inMonth(k.Start, k.End, p.Month) {
				ok = true
				break
			}
		}
		if !ok {
			add(domain.Anomaly{Kind: domain.ContributionsWithoutContract, Region: x.employer[p.PayerBIN].Region, IINs: []domain.IIN{p.IIN}, BINs: []domain.BIN{p.PayerBIN}}, p.Amount)
		}
	}
	// unregistered_position
	register := map[string]bool{}
	for _, r := range c.RegisterPositions {
		register[r.Code] = true
	}
	for _, d := range c.StaffingDeclarations {
		if !register[d.PositionCode] {
			add(domain.Anomaly{Kind: domain.UnregisteredPosition, Region: x.employer[d.BIN].Region, BINs: []domain.BIN{d.BIN}, Code: d.PositionCode}, 0)
		}
	}
	// payment_to_the_dead and unjustified_assistance
	family := map[string]domain.Family{}
	for _, f := range c.Families {
		family[f.ID] = f
	}
	for _, sp := range c.SocialPayments {
		p := x.current[sp.IIN]
		if !p.DeathDate.IsZero() && sp.PaidOn.String() > p.DeathDate.String() {
			add(domain.Anomaly{Kind: domain.PaymentToTheDead, Region: p.Region, IINs: []domain.IIN{sp.IIN}}, sp.Amount)
		}
		if sp.Kind != domain.PayTSA {
			continue
		}
		f := family[sp.FamilyID]
		members := 0
		var income domain.Tenge
		for _, mb := range f.Members {
			if !inMonth(mb.From, mb.To, sp.Month) {
				continue
			}
			members++
			for _, k := range x.contracts[mb.IIN] {
				if inMonth(k.Start, k.End, sp.Month) {
					income += k.Wage
				}
			}
		}
		fig, err := rules.For(sp.Month.Year())
		if err != nil {
			panic(err)
		}
		if income > fig.PovertyLine*domain.Tenge(members) {
			add(domain.Anomaly{Kind: domain.UnjustifiedAssistance, Region: f.Region, IINs: []domain.IIN{sp.IIN}}, sp.Amount)
		}
	}
	// preschool_without_voucher
	vouchers := map[[2]string][]domain.Voucher{}
	for _, v := range c.Vouchers {
		k := [2]string{string(v.ChildIIN), string(v.BIN)}
		vouchers[k] = append(vouchers[k], v)
	}
	for _, p := range c.StateOrderPayments {
		if p.Kind != domain.PayPreschoolOrder {
			continue
		}
		ok := false
		for _, v := range vouchers[[2]string{string(p.ChildIIN), string(p.BIN)}] {
			if inMonth(v.From, v.To, p.Month) {
				ok = true
			}
		}
		if !ok {
			add(domain.Anomaly{Kind: domain.PreschoolWithoutVoucher, Region: x.school[p.BIN].Region, IINs: []domain.IIN{p.ChildIIN}, BINs: []domain.BIN{p.BIN}}, p.Amount)
		}
	}
	// signals, as of the end of the history
	covered := map[domain.IIN]bool{}
	for _, cv := range c.Coverages {
		if onDay(cv.From, cv.To, dates.AsOf) {
			covered[cv.IIN] = true
		}
	}
	attached := map[domain.IIN]bool{}
	for _, at := range c.Attachments {
		if onDay(at.From, at.To, dates.AsOf) {
			attached[at.IIN] = true
		}
	}
	visited := map[domain.IIN]bool{}
	for _, v := range c.Visits {
		if onDay(dates.NoVisitFrom, dates.AsOf, v.Date) {
			visited[v.IIN] = true
		}
	}
	enrolledEnd := map[domain.IIN]bool{}
	for _, e := range c.Enrolments {
		if x.school[e.BIN].Kind != domain.KindKindergarten && onDay(e.From, e.To, dates.AsOf) {
			enrolledEnd[e.ChildIIN] = true
		}
	}
	period := dates.AsOf.MonthOf().String()
	for iin, p := range x.current {
		if !alive(p, dates.AsOf) {
			continue
		}
		sig := domain.Anomaly{Region: p.Region, IINs: []domain.IIN{iin}, Period: period}
		if !covered[iin] {
			sig.Kind = domain.SignalUninsured
			add(sig, 0)
		}
		if attached[iin] && !visited[iin] {
			sig.Kind = domain.SignalNoVisitTwoYears
			add(sig, 0)
		}
		if a := p.BirthDate.AgeOn(dates.SchoolAgeOn); a >= Rules.SchoolAgeMin && a <= Rules.SchoolAgeMax && !enrolledEnd[iin] {
			sig.Kind = domain.SignalChildNotEnrolled
			add(sig, 0)
		}
	}
	sort.Strings(keys)
	out := make([]domain.Anomaly, len(keys))
	for i, k := range keys {
		out[i] = *cases[k]
	}
	return out
}

func describe(a domain.Anomaly) string {
	return fmt.Sprintf("%s region=%s money=%d", anomalyKey(a), a.Region, a.MoneyAtRisk)
}

func TestDefinitionsFindExactlyTheTruth(t *testing.T) {
	type size struct {
		name   string
		seed   int64
		people int
		from   string // first month of the history ("": the default)
		months int
	}
	cases := []size{
		{"seed1_20k", 1, 20000, "", 0},
		{"seed7_20k", 7, 20000, "", 0},
		{"seed42_5k", 42, 5000, "", 0},
		// histories that end in 2026, one of them longer than the two-year no-visit window, one
		// ending the day 2025's income reports are due
		{"seed5_5k_2025-01_24m", 5, 5000, "2025-01", 24},
		{"seed6_3k_2024-07_24m", 6, 3000, "2024-07", 24},
		{"seed8_3k_2025-03_14m", 8, 3000, "2025-03", 14},
		{"seed9_3k_2024-01_36m", 9, 3000, "2024-01", 36},
	}
	if os.Getenv("BIRLIK_GEN_LONG") == "1" {
		cases = append(cases, size{"seed2_100k", 2, 100000, "", 0}, size{"seed3_100k", 3, 100000, "", 0}, size{"seed9_20k", 9, 20000, "", 0})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{Seed: tc.seed, People: tc.people, Months: tc.months}
			if tc.from != "" {
				cfg.From = domain.MustMonth(tc.from)
			}
			c, err := Generate(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if tc.from != "" {
				kinds := map[domain.FindingKind]int{}
				for _, a := range c.Truth {
					kinds[a.Kind]++
				}
				for _, k := range domain.FindingKinds {
					if kinds[k] == 0 {
						t.Errorf("the truth of %s..%s has no case of %s: the test proves nothing for it", c.From, c.Last(), k)
					}
				}
			}
			found := map[string]domain.Anomaly{}
			for _, a := range findCases(c) {
				found[anomalyKey(a)] = a
			}
			truth := map[string]domain.Anomaly{}
			for _, a := range c.Truth {
				if _, dup := truth[anomalyKey(a)]; dup {
					t.Errorf("truth lists a case twice: %s", describe(a))
				}
				truth[anomalyKey(a)] = a
			}
			var problems []string
			for k, a := range truth {
				f, ok := found[k]
				switch {
				case !ok:
					problems = append(problems, "missed (in truth, not found): "+describe(a))
				case f.MoneyAtRisk != a.MoneyAtRisk || f.Region != a.Region:
					problems = append(problems, fmt.Sprintf("differs: truth %s, found %s", describe(a), describe(f)))
				}
			}
			for k, f := range found {
				if _, ok := truth[k]; !ok {
					problems = append(problems, "accidental (found, not in truth): "+describe(f))
				}
			}
			sort.Strings(problems)
			if len(problems) > 0 {
				if len(problems) > 40 {
					problems = append(problems[:40], fmt.Sprintf("... and %d more", len(problems)-40))
				}
				t.Errorf("%d problems:\n%s", len(problems), strings.Join(problems, "\n"))
			}
		})
	}
}
