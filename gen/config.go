package gen

import (
	"fmt"

	"github.com/birlik/birlik/domain"
)

// Config says what to generate: the seed, the number of people living in the country on
// 1 January 2024, and the anomaly rates (nil: DefaultRates).
type Config struct {
	Seed   int64
	People int
	// Rates maps a finding or signal kind to its injection rate over the kind's base (see
	// docs/findings.md). A kind missing from a non-nil map gets its default rate; a rate of 0
	// injects no case of that kind.
	Rates map[domain.FindingKind]float64
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

// RulesT holds the thresholds and norms the generator follows and the checks apply.
type RulesT struct {
	// CapacityFactor: a reported contingent above CapacityFactor × design capacity is a finding.
	CapacityFactor int
	// PovertyLine per month per family member, by year (70% of the subsistence minimum).
	PovertyLine map[int]domain.Tenge
	// SubsistenceMinimum per month per person, by year.
	SubsistenceMinimum map[int]domain.Tenge
	// PerPupilNorm is the monthly state-order payment per pupil by organisation kind.
	PerPupilNorm map[domain.OrgKind]domain.Tenge
	// PensionRate is the compulsory pension contribution, in percent of the wage.
	PensionRate int
	// AsOf is the date signals are evaluated on.
	AsOf domain.Date
	// NoVisitFrom..AsOf is the two-year window of the no-visit signal.
	NoVisitFrom domain.Date
	// SchoolAgeOn, SchoolAgeMin and SchoolAgeMax: a child whose age on SchoolAgeOn is in
	// [SchoolAgeMin, SchoolAgeMax] must be enrolled on AsOf.
	SchoolAgeOn                domain.Date
	SchoolAgeMin, SchoolAgeMax int
	// IncomeReportYear is the year whose income report private state-order schools must file.
	IncomeReportYear int
}

// Rules are the thresholds of docs/findings.md.
var Rules = RulesT{
	CapacityFactor:     2,
	PovertyLine:        map[int]domain.Tenge{2024: 30385, 2025: 32360},
	SubsistenceMinimum: map[int]domain.Tenge{2024: 43407, 2025: 46228},
	PerPupilNorm: map[domain.OrgKind]domain.Tenge{
		domain.KindSchool:       38500,
		domain.KindCollege:      45000,
		domain.KindKindergarten: 32000,
	},
	PensionRate:      10,
	AsOf:             domain.MustDate("2025-12-31"),
	NoVisitFrom:      domain.MustDate("2024-01-01"),
	SchoolAgeOn:      domain.MustDate("2025-09-01"),
	SchoolAgeMin:     7,
	SchoolAgeMax:     15,
	IncomeReportYear: 2024,
}
