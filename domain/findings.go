package domain

// FindingKind names an integrity finding or signal (DESIGN.md, "The data universe").
type FindingKind string

// Findings: violations with money at risk.
const (
	GhostPupil                   FindingKind = "ghost_pupil"
	DoubleFinancing              FindingKind = "double_financing"
	ContingentOverCapacity       FindingKind = "contingent_over_capacity"
	PaidForAbsentPupils          FindingKind = "paid_for_absent_pupils"
	BuildingNotASchool           FindingKind = "building_not_a_school"
	UnreportedIncome             FindingKind = "unreported_income"
	FictitiousTeacher            FindingKind = "fictitious_teacher"
	StaffInAnotherRegion         FindingKind = "staff_in_another_region"
	ContributionsWithoutContract FindingKind = "contributions_without_contract"
	UnregisteredPosition         FindingKind = "unregistered_position"
	PaymentToTheDead             FindingKind = "payment_to_the_dead"
	UnjustifiedAssistance        FindingKind = "unjustified_assistance"
	PreschoolWithoutVoucher      FindingKind = "preschool_without_voucher"
)

// Signals: not fraud, but what the seeds ask to see.
const (
	SignalUninsured        FindingKind = "uninsured"
	SignalNoVisitTwoYears  FindingKind = "no_visit_two_years"
	SignalChildNotEnrolled FindingKind = "child_not_enrolled"
)

// FindingKinds lists every finding kind, then every signal kind.
var FindingKinds = []FindingKind{
	GhostPupil, DoubleFinancing, ContingentOverCapacity, PaidForAbsentPupils, BuildingNotASchool,
	UnreportedIncome, FictitiousTeacher, StaffInAnotherRegion, ContributionsWithoutContract,
	UnregisteredPosition, PaymentToTheDead, UnjustifiedAssistance, PreschoolWithoutVoucher,
	SignalUninsured, SignalNoVisitTwoYears, SignalChildNotEnrolled,
}

// IsSignal reports whether k is a signal rather than a finding.
func (k FindingKind) IsSignal() bool {
	return k == SignalUninsured || k == SignalNoVisitTwoYears || k == SignalChildNotEnrolled
}

// Anomaly is one case of a finding or signal, identified by its subjects' keys. The generator
// writes them as ground truth; the checks find them in the store.
type Anomaly struct {
	Kind        FindingKind `json:"kind"`
	Region      KATO        `json:"region"`
	IINs        []IIN       `json:"iins,omitempty"`
	BINs        []BIN       `json:"bins,omitempty"`
	Cadastral   string      `json:"cadastral,omitempty"`
	Code        string      `json:"code,omitempty"`   // an organisation's own position code (unregistered_position)
	Period      string      `json:"period,omitempty"` // YYYY-MM, or YYYY for yearly cases
	MoneyAtRisk Tenge       `json:"moneyAtRisk"`
}
