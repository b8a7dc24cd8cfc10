package auth

// What each role may see of a person, by category of personal data: the one table the
// @personal directive (graph/access) and docs/access.md follow. Rows (which persons, families,
// payments a role sees at all) are the store's privacy policies (ent/schema/privacy.go).

import (
	"fmt"
	"slices"
	"strings"
)

// Category is a kind of personal data; every personal field of the schema names one in its
// @personal directive. The values are the GraphQL enum PersonalData's.
type Category string

// The categories of personal data.
const (
	CatIdentity        Category = "IDENTITY"         // IIN and names
	CatDemographic     Category = "DEMOGRAPHIC"      // birth date, sex, death date
	CatFamily          Category = "FAMILY"           // family and memberships
	CatEducation       Category = "EDUCATION"        // enrolments, vouchers, staff positions
	CatEmployment      Category = "EMPLOYMENT"       // labour contracts
	CatIncome          Category = "INCOME"           // payments received or made for the person
	CatHealthInsurance Category = "HEALTH_INSURANCE" // CSHI coverage and clinic attachment
	CatMedical         Category = "MEDICAL"          // visits to medical institutions
	CatDisability      Category = "DISABILITY"       // established disabilities
	CatFindings        Category = "FINDINGS"         // integrity findings naming the person
)

// Categories lists every category, in the order of the documentation table.
var Categories = []Category{CatIdentity, CatDemographic, CatFamily, CatEducation, CatEmployment, CatIncome, CatHealthInsurance, CatMedical, CatDisability, CatFindings}

// Rule is what a role gets of a category.
type Rule int

// The rules.
const (
	Forbid Rule = iota // the field answers null (or empty) with a FORBIDDEN error; the rest stays
	Mask               // the field answers a masked value (IIN 900101******, names И***)
	Allow              // the field answers its value
)

func (r Rule) String() string {
	return [...]string{"forbidden", "masked", "returned"}[r]
}

// The purposes a request can state in X-Purpose.
const (
	PurposeCaseManagement      = "case-management"
	PurposeIntegrityInspection = "integrity-inspection"
	PurposeMedicalCare         = "medical-care"
	PurposeStatistics          = "statistics"
	PurposeOwnData             = "own-data"
)

// Purposes lists every purpose the gateway knows.
var Purposes = []string{PurposeCaseManagement, PurposeIntegrityInspection, PurposeMedicalCare, PurposeStatistics, PurposeOwnData}

// CasePurposes are the purposes that concern a case about named people: with one of them an
// analyst sees IINs and names unmasked.
var CasePurposes = []string{PurposeCaseManagement, PurposeIntegrityInspection}

// rules is the role × category table (see docs/access.md).
var rules = map[string]map[Category]Rule{
	RoleCitizen: {CatIdentity: Allow, CatDemographic: Allow, CatFamily: Allow, CatEducation: Allow, CatEmployment: Allow,
		CatIncome: Allow, CatHealthInsurance: Allow, CatMedical: Allow, CatDisability: Allow, CatFindings: Forbid},
	RoleCaseworker: {CatIdentity: Allow, CatDemographic: Allow, CatFamily: Allow, CatEducation: Allow, CatEmployment: Allow,
		CatIncome: Allow, CatHealthInsurance: Allow, CatMedical: Forbid, CatDisability: Allow, CatFindings: Allow},
	RoleAnalyst: {CatIdentity: Mask, CatDemographic: Allow, CatFamily: Allow, CatEducation: Allow, CatEmployment: Allow,
		CatIncome: Allow, CatHealthInsurance: Forbid, CatMedical: Forbid, CatDisability: Allow, CatFindings: Allow},
	RoleInspector: {CatIdentity: Allow, CatDemographic: Allow, CatFamily: Allow, CatEducation: Allow, CatEmployment: Allow,
		CatIncome: Allow, CatHealthInsurance: Forbid, CatMedical: Forbid, CatDisability: Allow, CatFindings: Allow},
	RoleHealth: {CatIdentity: Allow, CatDemographic: Allow, CatFamily: Forbid, CatEducation: Forbid, CatEmployment: Forbid,
		CatIncome: Forbid, CatHealthInsurance: Allow, CatMedical: Allow, CatDisability: Allow, CatFindings: Forbid},
	RoleAdmin: {CatIdentity: Allow, CatDemographic: Allow, CatFamily: Allow, CatEducation: Allow, CatEmployment: Allow,
		CatIncome: Allow, CatHealthInsurance: Allow, CatMedical: Allow, CatDisability: Allow, CatFindings: Allow},
}

// FieldRule returns what role gets of category c under purpose. An unknown role or category
// is forbidden.
func FieldRule(role string, c Category, purpose string) Rule {
	r, ok := rules[role][c]
	if !ok {
		return Forbid
	}
	if r == Mask && role == RoleAnalyst && slices.Contains(CasePurposes, purpose) {
		return Allow
	}
	return r
}

// PurposePolicy is which purposes each role may state (configuration: BIRLIK_PURPOSES).
type PurposePolicy map[string][]string

// DefaultPurposePolicy is the purposes per role with nothing configured.
func DefaultPurposePolicy() PurposePolicy {
	return PurposePolicy{
		RoleCitizen:    {PurposeOwnData},
		RoleCaseworker: {PurposeCaseManagement},
		RoleAnalyst:    {PurposeStatistics, PurposeIntegrityInspection},
		RoleInspector:  {PurposeIntegrityInspection},
		RoleHealth:     {PurposeMedicalCare},
		RoleAdmin:      slices.Clone(Purposes),
	}
}

// Allowed reports whether role may state purpose.
func (p PurposePolicy) Allowed(role, purpose string) bool { return slices.Contains(p[role], purpose) }

// ParsePurposePolicy reads BIRLIK_PURPOSES: `role=purpose|purpose;role=…`, e.g.
// `caseworker=case-management|integrity-inspection;analyst=statistics`. Roles not named keep
// their default purposes.
func ParsePurposePolicy(s string) (PurposePolicy, error) {
	p := DefaultPurposePolicy()
	if strings.TrimSpace(s) == "" {
		return p, nil
	}
	for _, entry := range strings.Split(s, ";") {
		role, list, ok := strings.Cut(strings.TrimSpace(entry), "=")
		if !ok {
			return nil, fmt.Errorf("entry %q: want role=purpose|purpose", entry)
		}
		role = strings.TrimSpace(role)
		if !ValidRole(role) {
			return nil, fmt.Errorf("entry %q: role %q is unknown; use one of %s", entry, role, strings.Join(Roles, ", "))
		}
		var purposes []string
		for _, pp := range strings.Split(list, "|") {
			pp = strings.TrimSpace(pp)
			if pp == "" {
				continue
			}
			if !slices.Contains(Purposes, pp) {
				return nil, fmt.Errorf("entry %q: purpose %q is unknown; use one of %s", entry, pp, strings.Join(Purposes, ", "))
			}
			purposes = append(purposes, pp)
		}
		p[role] = purposes
	}
	return p, nil
}
