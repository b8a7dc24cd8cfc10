package gen

// The Digital Family Card's ground truth: every family's expected welfare category for every
// month of the history under the default rules (rules v1 of docs/familycard.md), computed from
// the generated records themselves. It is an implementation of its own, independent of package
// familycard (which computes the same from the store with SQL), so that a test of one against
// the other catches a mistake in either.

import (
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/rules"
)

// CardRules are the thresholds of the family card's default rules (v1), as the generator
// applies them: income thresholds in percent of the subsistence minimum per member, risk-count
// thresholds, working age on the first day of the month, school age on 1 September of the
// month's school year.
var CardRules = struct {
	Version                                                    string
	EmergencyIncomePct, UnsatisfactoryIncomePct, ProsperousPct int64
	EmergencyRisks, CrisisRisks, UnsatisfactoryRisks           int
	WorkingAgeMin, WorkingAgeMax                               int
	SchoolAgeMin, SchoolAgeMax                                 int
}{
	Version:            "v1",
	EmergencyIncomePct: 50, UnsatisfactoryIncomePct: 100, ProsperousPct: 300,
	EmergencyRisks: 2, CrisisRisks: 3, UnsatisfactoryRisks: 2,
	WorkingAgeMin: 18, WorkingAgeMax: 62,
	SchoolAgeMin: 7, SchoolAgeMax: 15,
}

// The welfare categories, worst first.
var CardCategories = []string{"emergency", "crisis", "unsatisfactory", "satisfactory", "prosperous"}

// FamilyMonth is a family's expected assessment for a month.
type FamilyMonth struct {
	FamilyID string       `json:"family"`
	Region   domain.KATO  `json:"region"` // the family's region as the platform records it
	Month    domain.Month `json:"month"`
	Category string       `json:"category"`
	// The indicators, for diagnosing a mismatch.
	Members, WorkingAgeWithoutWork, Disabled, SchoolAgeNotEnrolled, Uninsured int          `json:"-"`
	Income                                                                    domain.Tenge `json:"-"`
}

// ExpectedCategories returns every family's expected category for every month of the history in
// which it has at least one member, ordered by family (as in c.Families) then month. The yearly
// figures (subsistence minimum, pension rate) are the rules file's; a year of the history it
// lacks is an error.
func ExpectedCategories(c *Country) ([]FamilyMonth, error) {
	years, err := rules.Default().Range(c.From.Year(), c.Last().Year())
	if err != nil {
		return nil, err
	}
	type span struct{ from, to domain.Date }
	birth := make(map[domain.IIN]domain.Date, c.People)
	for _, v := range c.PersonVersions {
		birth[v.Person.IIN] = v.Person.BirthDate
	}
	type contract struct {
		bin      domain.BIN
		from, to domain.Date
		wage     domain.Tenge
	}
	contracts := map[domain.IIN][]contract{}
	for _, k := range c.Contracts {
		contracts[k.IIN] = append(contracts[k.IIN], contract{k.EmployerBIN, k.Start, k.End, k.Wage})
	}
	type pm struct {
		iin domain.IIN
		m   domain.Month
	}
	type contrib struct {
		bin domain.BIN
		amt domain.Tenge
	}
	contribs := map[pm][]contrib{}
	for _, p := range c.Contributions {
		k := pm{p.IIN, p.Month}
		contribs[k] = append(contribs[k], contrib{p.PayerBIN, p.Amount})
	}
	spans := func(add func(map[domain.IIN][]span)) map[domain.IIN][]span {
		m := map[domain.IIN][]span{}
		add(m)
		return m
	}
	disabled := spans(func(m map[domain.IIN][]span) {
		for _, d := range c.Disabilities {
			m[d.IIN] = append(m[d.IIN], span{d.From, d.To})
		}
	})
	covered := spans(func(m map[domain.IIN][]span) {
		for _, v := range c.Coverages {
			m[v.IIN] = append(m[v.IIN], span{v.From, v.To})
		}
	})
	schoolKind := map[domain.BIN]domain.OrgKind{}
	for _, s := range c.Schools {
		schoolKind[s.BIN] = s.Kind
	}
	enrolled := spans(func(m map[domain.IIN][]span) {
		for _, e := range c.Enrolments {
			if k := schoolKind[e.BIN]; k == domain.KindSchool || k == domain.KindCollege {
				m[e.ChildIIN] = append(m[e.ChildIIN], span{e.From, e.To})
			}
		}
	})
	type fm struct {
		fam string
		m   domain.Month
	}
	benefits := map[fm]domain.Tenge{}
	for _, p := range c.SocialPayments {
		switch p.Kind {
		case domain.PayTSA, domain.PayChildBenefit, domain.PayDisabilityBenefit:
			benefits[fm{p.FamilyID, p.Month}] += p.Amount
		}
	}
	anyIn := func(ss []span, m domain.Month) bool {
		for _, s := range ss {
			if active(s.from, s.to, m) {
				return true
			}
		}
		return false
	}
	r := CardRules
	var out []FamilyMonth
	for _, f := range c.Families {
		for _, m := range c.HistoryMonths() {
			fig := years[m.Year()]
			first := m.First()
			sy := m.Year()
			if m.Of() < 9 {
				sy--
			}
			sep1 := domain.NewDate(sy, 9, 1)
			x := FamilyMonth{FamilyID: f.ID, Region: f.Region, Month: m}
			seen := map[domain.IIN]bool{}
			for _, mb := range f.Members {
				if !active(mb.From, mb.To, m) || seen[mb.IIN] {
					continue
				}
				seen[mb.IIN] = true
				x.Members++
				working := false
				for _, k := range contracts[mb.IIN] {
					if active(k.from, k.to, m) {
						x.Income += k.wage
						working = true
					}
				}
				paid := false
				for _, p := range contribs[pm{mb.IIN, m}] {
					paid = true
					withContract := false
					for _, k := range contracts[mb.IIN] {
						if k.bin == p.bin && active(k.from, k.to, m) {
							withContract = true
						}
					}
					if !withContract {
						x.Income += p.amt * 100 / domain.Tenge(fig.PensionContributionPct)
					}
				}
				b, known := birth[mb.IIN]
				if known {
					if a := b.AgeOn(first); a >= r.WorkingAgeMin && a <= r.WorkingAgeMax && !working && !paid {
						x.WorkingAgeWithoutWork++
					}
					if a := b.AgeOn(sep1); a >= r.SchoolAgeMin && a <= r.SchoolAgeMax && !anyIn(enrolled[mb.IIN], m) {
						x.SchoolAgeNotEnrolled++
					}
				}
				if anyIn(disabled[mb.IIN], m) {
					x.Disabled++
				}
				if !anyIn(covered[mb.IIN], m) {
					x.Uninsured++
				}
			}
			if x.Members == 0 {
				continue
			}
			x.Income += benefits[fm{f.ID, m}]
			x.Category = cardCategory(x, fig.SubsistenceMinimum)
			out = append(out, x)
		}
	}
	return out, nil
}

// cardCategory applies the default rules (docs/familycard.md, "Rules v1").
func cardCategory(x FamilyMonth, sm domain.Tenge) string {
	r := CardRules
	below := func(pct int64) bool { return int64(x.Income)*100 < pct*int64(sm)*int64(x.Members) }
	risks := 0
	for _, n := range []int{x.WorkingAgeWithoutWork, x.SchoolAgeNotEnrolled, x.Uninsured, x.Disabled} {
		if n > 0 {
			risks++
		}
	}
	switch {
	case below(r.EmergencyIncomePct) && risks >= r.EmergencyRisks:
		return "emergency"
	case below(r.EmergencyIncomePct):
		return "crisis"
	case below(r.UnsatisfactoryIncomePct) && risks >= r.CrisisRisks:
		return "crisis"
	case below(r.UnsatisfactoryIncomePct), risks >= r.UnsatisfactoryRisks:
		return "unsatisfactory"
	case !below(r.ProsperousPct) && risks == 0:
		return "prosperous"
	}
	return "satisfactory"
}

// CardRank is a category's place from worst (1) to best (5); 0 when unknown.
func CardRank(category string) int {
	for i, c := range CardCategories {
		if c == category {
			return i + 1
		}
	}
	return 0
}

// CategoryCounts counts the expected categories per month, for the truth report.
func CategoryCounts(fms []FamilyMonth) map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, x := range fms {
		k := x.Month.String()
		if out[k] == nil {
			out[k] = map[string]int{}
		}
		out[k][x.Category]++
	}
	return out
}
