package gen

import (
	"fmt"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/rules"
)

// Config says what to generate: the seed, the number of people living in the country on the
// first day of its history, the history (From and Months), and the anomaly rates (nil:
// DefaultRates).
type Config struct {
	Seed   int64
	People int
	// From is the first month of the history (zero: DefaultFrom) and Months its length (0:
	// DefaultMonths, at least MinMonths). The history ends on the last day of its last month,
	// the day the signals are evaluated on (rules.DatesOn). Every year of the history must be
	// in the rules file (rules.For).
	From   domain.Month
	Months int
	// Rates maps a finding or signal kind to its injection rate over the kind's base (see
	// docs/findings.md). A kind missing from a non-nil map gets its default rate; a rate of 0
	// injects no case of that kind.
	Rates map[domain.FindingKind]float64
}

// The history of a Config that names none: January 2024 to December 2025.
var DefaultFrom = domain.MustMonth("2024-01")

// DefaultMonths is the length of the default history; MinMonths and MaxMonths bound
// Config.Months (a year at least, so that every kind of case fits: staffing declarations in
// July, a school year's September, injections spread over several months).
const (
	DefaultMonths = 24
	MinMonths     = 12
	MaxMonths     = 120
)

// history returns the first and last month of cfg's history.
func (c Config) history() (first, last domain.Month) {
	first, n := c.From, c.Months
	if first == 0 {
		first = DefaultFrom
	}
	if n == 0 {
		n = DefaultMonths
	}
	return first, first.Add(n - 1)
}

// MinPeople and MaxPeople bound Config.People.
const (
	MinPeople = 1000
	MaxPeople = 5_000_000
)

// MinCases is the floor of cases injected for a kind whose rate is above zero, as long as
// there are that many candidates, so that every kind shows at small sizes.
const MinCases = 3

// DefaultRates returns the seeds' rates, each over the base docs/findings.md names for the kind.
func DefaultRates() map[domain.FindingKind]float64 {
	return map[domain.FindingKind]float64{
		domain.GhostPupil:                   0.0005,          // "thousands of ghost students" of ~3.9M pupils
		domain.DoubleFinancing:              0.0003,          // per pupil
		domain.ContingentOverCapacity:       64.0 / 745.0,    // per private state-order school
		domain.PaidForAbsentPupils:          0.03,            // per state-order school or college
		domain.BuildingNotASchool:           0.3 * 427 / 745, // ~30% of the 427 checked, per private state-order school
		domain.UnreportedIncome:             155.0 / 745.0,   // per private state-order school
		domain.FictitiousTeacher:            0.02,            // per school
		domain.StaffInAnotherRegion:         0.01,            // per school
		domain.ContributionsWithoutContract: 40000.0 / 20e6,  // per person
		domain.UnregisteredPosition:         75.0 / 9600.0,   // per education organisation
		domain.PaymentToTheDead:             0.003,           // per disability-benefit recipient
		domain.UnjustifiedAssistance:        0.10,            // per family receiving TSA
		domain.PreschoolWithoutVoucher:      0.01,            // per child with a preschool voucher
		domain.SignalUninsured:              0.15,            // per person alive at the end
		domain.SignalNoVisitTwoYears:        0.20,            // per person attached at the end (>4M of ~20M)
		domain.SignalChildNotEnrolled:       0.005,           // per school-age child
	}
}

func (c Config) rate(k domain.FindingKind) float64 {
	if c.Rates != nil {
		if r, ok := c.Rates[k]; ok {
			return r
		}
	}
	return DefaultRates()[k]
}

func (c Config) validate() error {
	if c.People < MinPeople {
		return fmt.Errorf("gen: people must be at least %d (got %d): smaller countries cannot hold every anomaly kind", MinPeople, c.People)
	}
	if c.People > MaxPeople {
		return fmt.Errorf("gen: people must be at most %d (got %d)", MaxPeople, c.People)
	}
	if c.Months != 0 && (c.Months < MinMonths || c.Months > MaxMonths) {
		return fmt.Errorf("gen: months must be between %d and %d (got %d)", MinMonths, MaxMonths, c.Months)
	}
	if c.From < 0 {
		return fmt.Errorf("gen: from %s is not a month", c.From)
	}
	first, last := c.history()
	if _, err := rules.Default().Range(first.Year(), last.Year()); err != nil {
		return fmt.Errorf("gen: the history %s..%s: %w", first, last, err)
	}
	known := map[domain.FindingKind]bool{}
	for _, k := range domain.FindingKinds {
		known[k] = true
	}
	for k, r := range c.Rates {
		if !known[k] {
			return fmt.Errorf("gen: unknown anomaly kind %q in rates (known: see domain.FindingKinds)", k)
		}
		if r < 0 || r > 1 {
			return fmt.Errorf("gen: rate of %s must be between 0 and 1, got %v", k, r)
		}
	}
	return nil
}

// RulesT holds the thresholds the generator follows and the checks apply that do not change
// with the year. The yearly figures (poverty line, subsistence minimum, per-pupil norms, pension
// rate, benefit amounts) are in the rules file (rules.For); the days the signals are evaluated on
// follow from the end of the history (Country.Dates).
type RulesT struct {
	// CapacityFactor: a reported contingent above CapacityFactor × design capacity is a finding.
	CapacityFactor int
	// SchoolAgeMin and SchoolAgeMax: a child whose age on the school-age day
	// (rules.Dates.SchoolAgeOn) is in [SchoolAgeMin, SchoolAgeMax] must be enrolled on the as-of
	// day.
	SchoolAgeMin, SchoolAgeMax int
}

// Rules are the thresholds of docs/findings.md that do not change with the year.
var Rules = RulesT{
	CapacityFactor: 2,
	SchoolAgeMin:   7,
	SchoolAgeMax:   15,
}
