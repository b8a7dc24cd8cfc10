// Package gen is the deterministic generator of Birlik's data universe: from a seed and a number
// of people it builds one consistent country across the five ministry sources, with 24 months of
// history (January 2024 to December 2025), injects the anomalies DESIGN.md lists at configurable
// rates, and records them as ground truth.
//
// Only the simulators (sim/), tests and benchmarks use it; the gateway never imports it.
package gen

import "github.com/birlik/birlik/domain"

// Country is one generated data universe. Every slice is in its source's feed order: a record's
// sequence number in its source is its position in the slice plus one.
type Country struct {
	Seed   int64
	People int

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
