// Package welfare holds the rules of the Digital Family Card: the versioned rules that map a
// family's indicators for a month (domain.FamilyIndicators) to one of the five welfare categories
// (domain.WelfareCategory) with a reason a caseworker can read to the family
// (docs/familycard.md).
//
// It is pure: no I/O, no store, no clock. The store-facing work (computing indicators with SQL,
// keeping assessments, transitions, KPI) is in package familycard; the categories and indicators
// themselves are in package domain, which the Ent schema uses for the assessment's columns. It
// must not import ent or familycard.
package welfare

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/rules"
)

// Rules map indicators to a category. Income thresholds are percentages of the subsistence
// minimum per member; risk factors are counted as distinct kinds present in the family (at least
// one working-age adult without work; a school-age child not enrolled; a member without CSHI
// coverage; a member with a disability). Classify applies them in this order:
//
//  1. emergency: income per member below EmergencyIncomePct and at least EmergencyRisks risks;
//  2. crisis: income per member below EmergencyIncomePct (fewer risks), or below
//     UnsatisfactoryIncomePct with at least CrisisRisks risks;
//  3. unsatisfactory: income per member below UnsatisfactoryIncomePct, or at least
//     UnsatisfactoryRisks risks;
//  4. prosperous: income per member at least ProsperousIncomePct and no risk;
//  5. satisfactory: otherwise.
//
// A new set of thresholds is a new Version: assessments keep the version they were made under.
// The figures the law sets each year (the subsistence minimum, the pension contribution rate) are
// not part of a version: they are the rules file's figures of the month's year (package rules).
type Rules struct {
	// Version names this set of rules, e.g. "v1"; stored with every assessment.
	Version string
	// Figures is the table of yearly figures (nil: the embedded rules file, rules.Default): the
	// subsistence minimum per person and the pension contribution rate of a month are its
	// year's. A month whose year the table lacks cannot be assessed (an error naming the file
	// and the year).
	Figures *rules.Table
	// Income thresholds, in percent of the subsistence minimum per member.
	EmergencyIncomePct, UnsatisfactoryIncomePct, ProsperousIncomePct int64
	// Risk-count thresholds.
	EmergencyRisks, CrisisRisks, UnsatisfactoryRisks int
	// WorkingAgeMin..WorkingAgeMax: working age on the first day of the month, inclusive.
	WorkingAgeMin, WorkingAgeMax int
	// SchoolAgeMin..SchoolAgeMax: school age on 1 September of the month's school year
	// (September to August), inclusive.
	SchoolAgeMin, SchoolAgeMax int
}

// V1 are the default rules (docs/familycard.md).
var V1 = Rules{
	Version:                 "v1",
	EmergencyIncomePct:      50,
	UnsatisfactoryIncomePct: 100,
	ProsperousIncomePct:     300,
	EmergencyRisks:          2,
	CrisisRisks:             3,
	UnsatisfactoryRisks:     2,
	WorkingAgeMin:           18,
	WorkingAgeMax:           62,
	SchoolAgeMin:            7,
	SchoolAgeMax:            15,
}

// Default is the rule set assessments use unless told otherwise.
var Default = V1

// Validate says what is wrong with a rule set.
func (r Rules) Validate() error {
	switch {
	case r.Version == "":
		return fmt.Errorf("welfare rules: Version is empty; name the rule set (e.g. v2)")
	case !(0 < r.EmergencyIncomePct && r.EmergencyIncomePct <= r.UnsatisfactoryIncomePct && r.UnsatisfactoryIncomePct <= r.ProsperousIncomePct):
		return fmt.Errorf("welfare rules %s: income thresholds must satisfy 0 < emergency (%d) <= unsatisfactory (%d) <= prosperous (%d)",
			r.Version, r.EmergencyIncomePct, r.UnsatisfactoryIncomePct, r.ProsperousIncomePct)
	case r.WorkingAgeMin > r.WorkingAgeMax || r.SchoolAgeMin > r.SchoolAgeMax:
		return fmt.Errorf("welfare rules %s: an age range has its minimum above its maximum", r.Version)
	}
	return nil
}

// YearOf is the yearly figures of month m (the subsistence minimum, the pension contribution
// rate): its year's in Figures; a year the table lacks is an error naming the file and the year.
func (r Rules) YearOf(m domain.Month) (rules.Year, error) {
	t := r.Figures
	if t == nil {
		t = rules.Default()
	}
	y, err := t.For(m.Year())
	if err != nil {
		return rules.Year{}, fmt.Errorf("welfare rules %s: month %s: %w", r.Version, m, err)
	}
	return y, nil
}

// Finish fills the derived indicators: Income, IncomePerMember and SubsistenceMinimum (of m's
// year).
func (r Rules) Finish(in *domain.FamilyIndicators, m domain.Month) error {
	y, err := r.YearOf(m)
	if err != nil {
		return err
	}
	in.SubsistenceMinimum = y.SubsistenceMinimum
	in.Income = in.Wages + in.ContributionWages + in.Benefits
	if in.Members > 0 {
		in.IncomePerMember = in.Income / domain.Tenge(in.Members)
	}
	return nil
}

// risks returns the risk factors present, each as a phrase.
func risks(in domain.FamilyIndicators) []string {
	var out []string
	if in.WorkingAgeWithoutWork > 0 {
		out = append(out, plural(in.WorkingAgeWithoutWork, "working-age adult", "working-age adults")+" without work")
	}
	if in.SchoolAgeNotEnrolled > 0 {
		out = append(out, plural(in.SchoolAgeNotEnrolled, "school-age child", "school-age children")+" not enrolled")
	}
	if in.Uninsured > 0 {
		out = append(out, plural(in.Uninsured, "member", "members")+" without CSHI coverage")
	}
	if in.Disabled > 0 {
		out = append(out, plural(in.Disabled, "member", "members")+" with a disability")
	}
	return out
}

// Classify places a family in its category. in must be finished (see Finish) and have at least
// one member. The reason says which rule applied, with the figures.
func (r Rules) Classify(in domain.FamilyIndicators) (domain.WelfareCategory, string) {
	below := func(pct int64) bool {
		return int64(in.Income)*100 < pct*int64(in.SubsistenceMinimum)*int64(in.Members)
	}
	rs := risks(in)
	n := len(rs)
	inc := func(rel string, pct int64) string {
		return fmt.Sprintf("income per member %s ₸ is %s %s× the subsistence minimum %s ₸",
			Money(in.IncomePerMember), rel, multiple(pct), Money(in.SubsistenceMinimum))
	}
	withRisks := func(s, join string) string {
		if n == 0 {
			return s + "; no risk factor"
		}
		return s + join + plural(n, "risk factor", "risk factors") + ": " + strings.Join(rs, "; ")
	}
	switch {
	case below(r.EmergencyIncomePct) && n >= r.EmergencyRisks:
		return domain.Emergency, withRisks(inc("below", r.EmergencyIncomePct), ", with ")
	case below(r.EmergencyIncomePct):
		return domain.Crisis, withRisks(inc("below", r.EmergencyIncomePct), ", with ")
	case below(r.UnsatisfactoryIncomePct) && n >= r.CrisisRisks:
		return domain.Crisis, withRisks(inc("below", r.UnsatisfactoryIncomePct), ", with ")
	case below(r.UnsatisfactoryIncomePct):
		return domain.Unsatisfactory, withRisks(inc("below", r.UnsatisfactoryIncomePct), ", with ")
	case n >= r.UnsatisfactoryRisks:
		return domain.Unsatisfactory, withRisks(inc("at least", r.UnsatisfactoryIncomePct), ", but ")
	case !below(r.ProsperousIncomePct) && n == 0:
		return domain.Prosperous, withRisks(inc("at least", r.ProsperousIncomePct), "")
	case !below(r.ProsperousIncomePct):
		return domain.Satisfactory, withRisks(inc("at least", r.ProsperousIncomePct), ", but ")
	}
	return domain.Satisfactory, withRisks(inc("at least", r.UnsatisfactoryIncomePct)+fmt.Sprintf(" and below %s×", multiple(r.ProsperousIncomePct)), ", with ")
}

// Money formats whole tenge with comma thousands separators: 1234567 → "1,234,567".
func Money(t domain.Tenge) string {
	s := strconv.FormatInt(int64(t), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// multiple formats a percentage as a multiple: 50 → "0.5", 300 → "3".
func multiple(pct int64) string {
	return strconv.FormatFloat(float64(pct)/100, 'f', -1, 64)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
