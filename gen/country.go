// Package gen is the deterministic generator of Birlik's data universe: from a seed and a number
// of people it builds one consistent country across the five ministry sources over a history of
// whole months (by default 24, January 2024 to December 2025; Config.From and Config.Months
// choose another), injects the anomalies DESIGN.md lists at configurable rates, and records them
// as ground truth, evaluated as of the history's last day.
//
// Only the simulators (sim/), tests and benchmarks use it; the gateway never imports it.
package gen

import (
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/rules"
)

// Country is one generated data universe. Every slice is in its source's feed order: a record's
// sequence number in its source is its position in the slice plus one.
type Country struct {
	Seed   int64
	People int
	// From is the first month of the history and Months its length.
	From   domain.Month
	Months int

	// justice
	PersonVersions []domain.PersonVersion // the register's change feed (several versions per person)
	Buildings      []domain.Building

	// labour
	Families             []domain.Family
	Disabilities         []domain.Disability
	Employers            []domain.Employer
	Contracts            []domain.LabourContract
	Contributions        []domain.PensionContribution
	RegisterPositions    []domain.RegisterPosition
	StaffingDeclarations []domain.StaffingDeclaration
	SocialPayments       []domain.SocialPayment

	// education
	Schools    []domain.School
	Enrolments []domain.Enrolment
	Staff      []domain.StaffMember
	Vouchers   []domain.Voucher

	// finance
	StateOrderPayments []domain.StateOrderPayment
	IncomeReports      []domain.IncomeReport

	// health
	MedicalInstitutions []domain.MedicalInstitution
	Attachments         []domain.Attachment
	Visits              []domain.Visit
	Coverages           []domain.Coverage

	// Truth is every injected anomaly. The gateway never sees it.
	Truth []domain.Anomaly
}

// Last is the last month of the history.
func (c *Country) Last() domain.Month { return c.From.Add(c.Months - 1) }

// HistoryMonths lists the months of the history in order.
func (c *Country) HistoryMonths() []domain.Month {
	ms := make([]domain.Month, c.Months)
	for i := range ms {
		ms[i] = c.From.Add(i)
	}
	return ms
}

// AsOf is the day the country's signals and ground truth are evaluated on: the last day of its
// history, which is what the checks take by default (the store's latest complete month).
func (c *Country) AsOf() domain.Date { return c.Last().Last() }

// Dates are the evaluation days that follow from AsOf (rules.DatesOn).
func (c *Country) Dates() rules.Dates { return rules.DatesOn(c.AsOf()) }
