// Package checks runs Birlik's integrity checks: one set-based SQL check per finding and signal
// of DESIGN.md ("The data universe"), following the exact definitions of docs/findings.md, over
// the records sync has put in the store. Each check writes its cases to the findings table with
// a stable identity (kind + the subjects' natural keys + period), upserting them on every run:
// a case keeps its status and the analyst's who/when/note across reruns, a case the data no
// longer shows is marked resolved (never deleted), and a resolved case that comes back is
// reopened. Findings link to the people, organisations, buildings, families and payments they
// name, and carry the evidence (the facts of each source, with provenance) and the money at
// risk by a rule documented beside each check (kinds.go).
//
// The checks are SQL statements that run unchanged on SQLite and PostgreSQL, never a Go loop
// over rows. The package reads the store and writes only the findings and their links; it
// never calls a source, never reads the generator or its ground truth, and holds no HTTP or
// GraphQL code (resolvers call Confirm, Dismiss and Summarize).
package checks

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/birlik/birlik/domain"
)

// Config holds the thresholds of the checks. Defaults returns the values of docs/findings.md
// ("Thresholds"); the gateway never imports the generator, so they are copied here, and the
// ground-truth test proves they agree with the generator's rules.
type Config struct {
	// CapacityFactor: a reported contingent above CapacityFactor × the building's design
	// capacity is contingent_over_capacity (default 2).
	CapacityFactor int
	// PovertyLine per family member per month, by calendar year (70% of the subsistence
	// minimum): 2024 30,385 ₸, 2025 32,360 ₸. A TSA payment for a month whose year has no line
	// here is not judged.
	PovertyLine map[int]domain.Tenge
	// PerPupilNorm is the monthly state-order norm per pupil by organisation kind ("school",
	// "college", "kindergarten"): 38,500, 45,000 and 32,000 ₸. Money at risk of the education
	// findings is counted in these norms.
	PerPupilNorm map[string]domain.Tenge
	// AsOf is the day the signals are evaluated on (default 2025-12-31); their period is its month.
	AsOf domain.Date
	// NoVisitFrom..AsOf (both inclusive) is the window of no_visit_two_years (default 2024-01-01).
	NoVisitFrom domain.Date
	// A child whose age on SchoolAgeOn is SchoolAgeMin..SchoolAgeMax (inclusive) must be enrolled
	// on AsOf (defaults 2025-09-01, 7, 15).
	SchoolAgeOn                domain.Date
	SchoolAgeMin, SchoolAgeMax int
	// IncomeReportYear is the year whose income report private state-order schools must file
	// (default 2024).
	IncomeReportYear int
	// Severity of each kind's findings (low, medium, high or critical); a kind missing here is
	// "medium". Defaults: see DefaultSeverity.
	Severity map[domain.FindingKind]string
	// Kinds limits a run to these kinds (default: every kind of domain.FindingKinds).
	Kinds []domain.FindingKind
	// Progress, when set, is called before each check (done checks so far, total) and once at
	// the end with done == total.
	Progress func(kind domain.FindingKind, done, total int)
	// Now is the clock (default time.Now); tests fix it.
	Now func() time.Time
}

// DefaultSeverity is the severity of each kind by default: money paid for people or places that
// do not exist is critical, other payments against the rules high, reporting and registration
// faults medium or low, and the signals (not fraud) low.
var DefaultSeverity = map[domain.FindingKind]string{
	domain.GhostPupil:                   "critical",
	domain.DoubleFinancing:              "critical",
	domain.ContingentOverCapacity:       "critical",
	domain.PaymentToTheDead:             "critical",
	domain.PaidForAbsentPupils:          "high",
	domain.BuildingNotASchool:           "high",
	domain.FictitiousTeacher:            "high",
	domain.UnjustifiedAssistance:        "high",
	domain.PreschoolWithoutVoucher:      "high",
	domain.UnreportedIncome:             "medium",
	domain.StaffInAnotherRegion:         "medium",
	domain.ContributionsWithoutContract: "medium",
	domain.UnregisteredPosition:         "low",
	domain.SignalUninsured:              "low",
	domain.SignalNoVisitTwoYears:        "low",
	domain.SignalChildNotEnrolled:       "low",
}

// Defaults returns the thresholds of docs/findings.md.
func Defaults() Config {
	return Config{
		CapacityFactor:   2,
		PovertyLine:      map[int]domain.Tenge{2024: 30385, 2025: 32360},
		PerPupilNorm:     map[string]domain.Tenge{"school": 38500, "college": 45000, "kindergarten": 32000},
		AsOf:             domain.MustDate("2025-12-31"),
		NoVisitFrom:      domain.MustDate("2024-01-01"),
		SchoolAgeOn:      domain.MustDate("2025-09-01"),
		SchoolAgeMin:     7,
		SchoolAgeMax:     15,
		IncomeReportYear: 2024,
		Severity:         maps.Clone(DefaultSeverity),
	}
}

var severities = []string{"low", "medium", "high", "critical"}

// validate checks cfg and fills what is left empty with the defaults.
func (c *Config) validate() error {
	d := Defaults()
	if c.CapacityFactor == 0 {
		c.CapacityFactor = d.CapacityFactor
	}
	if c.PovertyLine == nil {
		c.PovertyLine = d.PovertyLine
	}
	if c.PerPupilNorm == nil {
		c.PerPupilNorm = d.PerPupilNorm
	}
	if c.AsOf.IsZero() {
		c.AsOf = d.AsOf
	}
	if c.NoVisitFrom.IsZero() {
		c.NoVisitFrom = d.NoVisitFrom
	}
	if c.SchoolAgeOn.IsZero() {
		c.SchoolAgeOn = d.SchoolAgeOn
	}
	if c.SchoolAgeMin == 0 && c.SchoolAgeMax == 0 {
		c.SchoolAgeMin, c.SchoolAgeMax = d.SchoolAgeMin, d.SchoolAgeMax
	}
	if c.IncomeReportYear == 0 {
		c.IncomeReportYear = d.IncomeReportYear
	}
	if c.Severity == nil {
		c.Severity = d.Severity
	}
	if len(c.Kinds) == 0 {
		c.Kinds = domain.FindingKinds
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	switch {
	case c.CapacityFactor < 1:
		return fmt.Errorf("checks: CapacityFactor %d: want 1 or more", c.CapacityFactor)
	case c.SchoolAgeMin < 0 || c.SchoolAgeMax < c.SchoolAgeMin:
		return fmt.Errorf("checks: school age %d..%d: want 0 <= min <= max", c.SchoolAgeMin, c.SchoolAgeMax)
	case c.NoVisitFrom.After(c.AsOf):
		return fmt.Errorf("checks: NoVisitFrom %s is after AsOf %s", c.NoVisitFrom, c.AsOf)
	}
	for k, s := range c.Severity {
		if !slices.Contains(severities, s) {
			return fmt.Errorf("checks: severity of %s is %q: want one of %v", k, s, severities)
		}
	}
	for _, k := range c.Kinds {
		if _, ok := checkByKind[k]; !ok {
			return fmt.Errorf("checks: no check for kind %q", k)
		}
	}
	for k, v := range c.PovertyLine {
		if v < 0 || k < 1900 || k > 9999 {
			return fmt.Errorf("checks: poverty line %d for year %d: want a year and an amount >= 0", v, k)
		}
	}
	return nil
}

func (c *Config) severity(k domain.FindingKind) string {
	if s, ok := c.Severity[k]; ok {
		return s
	}
	return "medium"
}
