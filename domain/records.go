package domain

// This file holds the records of the five sources, in the shape the gateway understands them.
// Every connector maps its native format into these; the generator produces them.

// ---- justice: the state register of individuals and the real-estate cadastre ----

// Person is an entry of the state register of individuals.
type Person struct {
	IIN        IIN
	LastName   string // Cyrillic
	FirstName  string
	Patronymic string // may be empty
	BirthDate  Date
	Sex        Sex
	Region     KATO // region of registered residence
	DeathDate  Date // zero while alive
}

// PersonVersion is one entry of the register's change feed: the person's whole record as of a
// change (birth or first registration, a move, a death). Seq is the register's sequence number.
type PersonVersion struct {
	Seq       int64
	ChangedOn Date
	Person    Person
}

// Designation is a building's target designation in the cadastre.
type Designation string

// Target designations.
const (
	DesignSchool       Designation = "school"
	DesignKindergarten Designation = "kindergarten"
	DesignCollege      Designation = "college"
	DesignClinic       Designation = "clinic"
	DesignOffice       Designation = "office"
	DesignResidential  Designation = "residential"
	DesignBanquetHall  Designation = "banquet_hall"
	DesignShoppingMall Designation = "shopping_mall"
	DesignWarehouse    Designation = "warehouse"
)

// Building is an entry of the real-estate cadastre.
type Building struct {
	Cadastral      string // e.g. "19:015:042:123"
	Region         KATO
	Address        string
	Designation    Designation
	DesignCapacity int // places (pupils, children, patients per shift); 0 when not an institution
}

// ---- labour: Unified Digital Platform ----

// FamilyRole is a member's place in a family.
type FamilyRole string

// Family roles.
const (
	RoleHead   FamilyRole = "head"
	RoleSpouse FamilyRole = "spouse"
	RoleChild  FamilyRole = "child"
	RoleOther  FamilyRole = "other"
)

// Family is a household as the Unified Digital Platform records it.
type Family struct {
	ID      string // the platform's family id, e.g. "F00001234"
	Region  KATO
	Members []FamilyMember
}

// FamilyMember is a person's membership of a family over a period (To zero: still a member).
type FamilyMember struct {
	IIN  IIN
	Role FamilyRole
	From Date
	To   Date
}

// Disability is an established disability (group 1 to 3) from a date.
type Disability struct {
	IIN   IIN
	Group int
	From  Date
	To    Date // zero: still in force
}

// Sector is an employer's field of activity.
type Sector string

// Sectors.
const (
	SectorEducation Sector = "education"
	SectorHealth    Sector = "health"
	SectorBusiness  Sector = "business"
	SectorPublic    Sector = "public"
)

// Employer is an organisation that employs people, as the labour platform knows it.
type Employer struct {
	BIN    BIN
	Name   string
	Region KATO
	Sector Sector
}

// LabourContract is an electronic labour contract (End zero: in force).
type LabourContract struct {
	ID          string
	IIN         IIN
	EmployerBIN BIN
	Region      KATO // region of the workplace
	Position    string
	Start       Date
	End         Date
	Wage        Tenge // monthly
}

// PensionContribution is one month's compulsory pension contribution paid for a person.
type PensionContribution struct {
	IIN      IIN
	PayerBIN BIN
	Month    Month
	Amount   Tenge
}

// RegisterPosition is a position of the national Register of positions.
type RegisterPosition struct {
	Code  string
	Title string
}

// StaffingDeclaration is one line of an organisation's declared staffing schedule.
type StaffingDeclaration struct {
	BIN          BIN
	PositionCode string // the Register's code, or the organisation's own code when not in it
	Title        string
	Units        int // staff units
	Month        Month
}

// PaymentKind says what a payment is for.
type PaymentKind string

// Payment kinds across the sources.
const (
	PayTSA               PaymentKind = "targeted_social_assistance"
	PayChildBenefit      PaymentKind = "child_benefit"
	PayDisabilityBenefit PaymentKind = "disability_benefit"
	PayWalletMeals       PaymentKind = "wallet_school_meals"
	PayWalletMedicines   PaymentKind = "wallet_medicines"
	PayStateOrder        PaymentKind = "state_order"           // finance to a school or college
	PayPreschoolOrder    PaymentKind = "preschool_state_order" // finance to a kindergarten, per child
	PayPension           PaymentKind = "pension_contribution"  // employer for a person
)

// SocialPayment is a social payment to a person (on behalf of a family where it is a family
// measure).
type SocialPayment struct {
	ID       string
	IIN      IIN // recipient
	FamilyID string
	Kind     PaymentKind
	Month    Month // the month the payment is for
	PaidOn   Date
	Amount   Tenge
}

// ---- education: national education database ----

// OrgKind is the kind of an education organisation.
type OrgKind string

// Kinds of education organisation.
const (
	KindSchool       OrgKind = "school"
	KindKindergarten OrgKind = "kindergarten"
	KindCollege      OrgKind = "college"
)

// Ownership is public or private.
type Ownership string

// Ownerships.
const (
	Public  Ownership = "public"
	Private Ownership = "private"
)

// School is an education organisation: a school, kindergarten or college.
type School struct {
	BIN        BIN
	Name       string
	Kind       OrgKind
	Ownership  Ownership
	Region     KATO
	Cadastral  string // the building it works in
	StateOrder bool   // financed by the state order
}

// Enrolment is a child's enrolment in an organisation for a school year (Year 2024 is the
// year 2024/25), over a period (To zero: still enrolled).
type Enrolment struct {
	ID       string
	ChildIIN IIN
	BIN      BIN
	Grade    int // 0 for kindergarten groups
	Year     int
	From     Date
	To       Date
}

// StaffMember is a line of an organisation's staff list.
type StaffMember struct {
	BIN      BIN
	IIN      IIN
	Position string
	From     Date
	To       Date
}

// Voucher is a parent's choice of a kindergarten for a child ("money follows the child").
type Voucher struct {
	ID        string
	ChildIIN  IIN
	ParentIIN IIN
	BIN       BIN
	From      Date
	To        Date
}

// ---- finance: OrtaBilim ----

// StateOrderPayment is a monthly state-order payment to an organisation with the contingent it
// reported; for kindergartens under voucher financing it is per child (ChildIIN set).
type StateOrderPayment struct {
	ID         string
	BIN        BIN
	Month      Month
	Kind       PaymentKind // PayStateOrder or PayPreschoolOrder
	Contingent int
	Amount     Tenge
	ChildIIN   IIN
	PaidOn     Date
}

// IncomeReport is a private organisation's report of income received for a year.
type IncomeReport struct {
	BIN     BIN
	Year    int
	Income  Tenge
	FiledOn Date
}

// ---- health: UMIS, attached population, CSHI fund ----

// MedicalInstitution is a clinic or hospital.
type MedicalInstitution struct {
	BIN       BIN
	Name      string
	Region    KATO
	Cadastral string
	Primary   bool // primary health care: people attach to it
}

// Attachment is a person's attachment to a primary-care clinic (To zero: current).
type Attachment struct {
	IIN  IIN
	BIN  BIN
	From Date
	To   Date
}

// Visit is an encounter at a medical institution.
type Visit struct {
	ID   string
	IIN  IIN
	BIN  BIN
	Date Date
	Kind string // "outpatient", "inpatient", "emergency"
}

// Coverage is a period of compulsory social health insurance (To zero: still covered).
type Coverage struct {
	IIN      IIN
	Category string // "employee", "self_employed", "state_funded"
	From     Date
	To       Date
}
