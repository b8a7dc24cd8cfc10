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
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/rules"
)

// Config holds the thresholds of the checks and the day they are evaluated on. Defaults returns
// the values of docs/findings.md ("Thresholds"); the figures that change with the year come from
// the rules file (package rules) and the evaluation days from the data, so nothing here names a
// year. The gateway never imports the generator; the ground-truth test proves both agree.
type Config struct {
	// CapacityFactor: a reported contingent above CapacityFactor × the building's design
	// capacity is contingent_over_capacity (default 2).
	CapacityFactor int
	// Rules is the table of yearly figures (nil: the embedded rules file, rules.Default): the
	// poverty line per family member (unjustified_assistance) and the monthly per-pupil norms
	// by organisation kind (the money at risk of the education findings) of the month a payment
	// is for. Every year from the first to the last month of the store's payments must be in
	// it; Run fails naming the file and the year otherwise.
	Rules *rules.Table
	// AsOf is the day the signals are evaluated on; their period is its month. Zero (the
	// default): the last day of the store's latest complete month (rules.LatestCompleteMonth;
	// the previous month's last day by Now when the store has no payment). The gateway passes
	// a configured day here.
	AsOf domain.Date
	// NoVisitFrom..AsOf (both inclusive) is the window of no_visit_two_years (zero: the two
	// years that end on AsOf, rules.DatesOn).
	NoVisitFrom domain.Date
	// A child whose age on SchoolAgeOn is SchoolAgeMin..SchoolAgeMax (inclusive) must be enrolled
	// on AsOf (SchoolAgeOn zero: 1 September of AsOf's school year; ages 7 and 15 by default).
	SchoolAgeOn                domain.Date
	SchoolAgeMin, SchoolAgeMax int
	// IncomeReportYear is the year whose income report private state-order schools must file
	// (zero: the latest year whose report is due by AsOf, rules.DatesOn).
	IncomeReportYear int
	// Severity of each kind's findings (low, medium, high or critical); a kind missing here is
	// "medium". Defaults: see DefaultSeverity.
	Severity map[domain.FindingKind]string
	// Kinds limits a run to these kinds (default: every kind of domain.FindingKinds).
	Kinds []domain.FindingKind
	// Workers is how many kinds run at once on PostgreSQL, each on a connection of its own
	// (default 1: one after the other, leaving the server's other cores to the queries). Each
	// kind's statements run on one core, so a server with cores to spare finishes the run up to
	// Workers times sooner. SQLite runs one kind at a time whatever Workers says (one writer).
	Workers int
	// Progress, when set, is called before each check (done checks so far, total) and once at
	// the end with done == total; with several Workers, from their goroutines, one at a time.
	Progress func(kind domain.FindingKind, done, total int)
	// Now is the clock (default time.Now); tests fix it.
	Now func() time.Time

	// the yearly figures of the store's payment years, by year (resolve)
	povertyLine map[int]domain.Tenge
	norms       map[int]rules.Norms
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

// Defaults returns the thresholds of docs/findings.md. The yearly figures (Rules) and the
// evaluation days (AsOf and what follows from it) are left to Run, which takes them from the
// rules file and the store.
func Defaults() Config {
	return Config{
		CapacityFactor: 2,
		SchoolAgeMin:   7,
		SchoolAgeMax:   15,
		Severity:       maps.Clone(DefaultSeverity),
	}
}

var severities = []string{"low", "medium", "high", "critical"}

// validate checks cfg and fills what is left empty with the defaults.
func (c *Config) validate() error {
	d := Defaults()
	if c.CapacityFactor == 0 {
		c.CapacityFactor = d.CapacityFactor
	}
	if c.Rules == nil {
		c.Rules = rules.Default()
	}
	if c.SchoolAgeMin == 0 && c.SchoolAgeMax == 0 {
		c.SchoolAgeMin, c.SchoolAgeMax = d.SchoolAgeMin, d.SchoolAgeMax
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
	if c.Workers == 0 {
		c.Workers = 1
	}
	switch {
	case c.Workers < 1:
		return fmt.Errorf("checks: Workers %d: want 1 or more", c.Workers)
	case c.CapacityFactor < 1:
		return fmt.Errorf("checks: CapacityFactor %d: want 1 or more", c.CapacityFactor)
	case c.SchoolAgeMin < 0 || c.SchoolAgeMax < c.SchoolAgeMin:
		return fmt.Errorf("checks: school age %d..%d: want 0 <= min <= max", c.SchoolAgeMin, c.SchoolAgeMax)
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
	return nil
}

// resolve fills what depends on the store: AsOf (when not set) and the days that follow from it,
// and the yearly figures of every year of the store's payments.
func (c *Config) resolve(ctx context.Context, db *sql.DB) error {
	asOf, err := rules.AsOf(ctx, db, c.AsOf, c.Now)
	if err != nil {
		return fmt.Errorf("checks: %w", err)
	}
	c.AsOf = asOf
	d := rules.DatesOn(asOf)
	if c.NoVisitFrom.IsZero() {
		c.NoVisitFrom = d.NoVisitFrom
	}
	if c.SchoolAgeOn.IsZero() {
		c.SchoolAgeOn = d.SchoolAgeOn
	}
	if c.IncomeReportYear == 0 {
		c.IncomeReportYear = d.IncomeReportYear
	}
	if c.NoVisitFrom.After(c.AsOf) {
		return fmt.Errorf("checks: NoVisitFrom %s is after AsOf %s", c.NoVisitFrom, c.AsOf)
	}
	var lo, hi sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT MIN(period), MAX(period) FROM payments`).Scan(&lo, &hi); err != nil {
		return fmt.Errorf("checks: find the years of the payments: %w", err)
	}
	c.povertyLine, c.norms = map[int]domain.Tenge{}, map[int]rules.Norms{}
	if !lo.Valid || !hi.Valid {
		return nil // no payment: nothing to judge by a yearly figure
	}
	first, err := domain.ParseMonth(lo.String)
	if err != nil {
		return fmt.Errorf("checks: a payment's period: %w", err)
	}
	last, err := domain.ParseMonth(hi.String)
	if err != nil {
		return fmt.Errorf("checks: a payment's period: %w", err)
	}
	years, err := c.Rules.Range(first.Year(), last.Year())
	if err != nil {
		return fmt.Errorf("checks: the store holds payments for %s to %s: %w", first, last, err)
	}
	for y, x := range years {
		c.povertyLine[y], c.norms[y] = x.PovertyLine, x.PerPupilNorm
	}
	return nil
}

func (c *Config) severity(k domain.FindingKind) string {
	if s, ok := c.Severity[k]; ok {
		return s
	}
	return "medium"
}
