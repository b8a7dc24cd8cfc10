package domain

import (
	"fmt"
	"io"
	"strconv"
)

// WelfareCategory is a family's welfare category in the Digital Family Card, from worst to best:
// emergency, crisis, unsatisfactory, satisfactory, prosperous. The rules that choose it are in
// package familycard/welfare; the store keeps it with each assessment.
type WelfareCategory string

// The five welfare categories.
const (
	Emergency      WelfareCategory = "emergency"
	Crisis         WelfareCategory = "crisis"
	Unsatisfactory WelfareCategory = "unsatisfactory"
	Satisfactory   WelfareCategory = "satisfactory"
	Prosperous     WelfareCategory = "prosperous"
)

// WelfareCategories lists the categories from worst to best.
var WelfareCategories = []WelfareCategory{Emergency, Crisis, Unsatisfactory, Satisfactory, Prosperous}

// Values lists the category names (Ent uses it for the enum column).
func (WelfareCategory) Values() []string {
	v := make([]string, len(WelfareCategories))
	for i, c := range WelfareCategories {
		v[i] = string(c)
	}
	return v
}

// Rank is the category's place from worst (1, emergency) to best (5, prosperous); 0 when the
// category is unknown.
func (c WelfareCategory) Rank() int {
	for i, k := range WelfareCategories {
		if k == c {
			return i + 1
		}
	}
	return 0
}

// Valid reports whether c is one of the five categories.
func (c WelfareCategory) Valid() bool { return c.Rank() > 0 }

// ParseWelfareCategory parses a category name.
func ParseWelfareCategory(s string) (WelfareCategory, error) {
	c := WelfareCategory(s)
	if !c.Valid() {
		return "", fmt.Errorf("welfare category %q: want one of emergency, crisis, unsatisfactory, satisfactory, prosperous", s)
	}
	return c, nil
}

// MarshalGQL writes the category as a GraphQL enum value (gqlgen).
func (c WelfareCategory) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(c))) }

// UnmarshalGQL reads a GraphQL enum value (gqlgen).
func (c *WelfareCategory) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("welfare category: want a string, got %T", v)
	}
	x, err := ParseWelfareCategory(s)
	if err != nil {
		return err
	}
	*c = x
	return nil
}

// FamilyIndicators are what a family is assessed on for one month. Counts are of the family's
// members in the month (memberships active in the month); money is monthly, in whole tenge. The
// age ranges and the pension rate they are counted with are the rules' (familycard/welfare.Rules).
type FamilyIndicators struct {
	// Members is the number of family members in the month.
	Members int `json:"members"`
	// Wages is the sum of the monthly wages of the members' labour contracts active in the month.
	Wages Tenge `json:"wages"`
	// ContributionWages is the wage base of pension contributions paid in the month for a member
	// by a payer the member has no labour contract with in the month: amount ÷ pension rate.
	ContributionWages Tenge `json:"contributionWages"`
	// Benefits is the cash social payments for the family for the month: targeted social
	// assistance, child benefits, disability benefits.
	Benefits Tenge `json:"benefits"`
	// WalletSpending is the Social Wallet spending for the family for the month (school meals,
	// medicines): support in kind, not income.
	WalletSpending Tenge `json:"walletSpending"`
	// Income is Wages + ContributionWages + Benefits.
	Income Tenge `json:"income"`
	// IncomePerMember is Income ÷ Members, rounded down.
	IncomePerMember Tenge `json:"incomePerMember"`
	// SubsistenceMinimum is the subsistence minimum per person of the month's year.
	SubsistenceMinimum Tenge `json:"subsistenceMinimum"`
	// WorkingAge is the number of members of working age on the first day of the month.
	WorkingAge int `json:"workingAge"`
	// WorkingAgeWithoutWork is the number of those with no labour contract active in the month
	// and no pension contribution paid for the month.
	WorkingAgeWithoutWork int `json:"workingAgeWithoutWork"`
	// Disabled is the number of members with a disability in force in the month.
	Disabled int `json:"disabled"`
	// SchoolAge is the number of members of school age in the month (age on 1 September of the
	// month's school year).
	SchoolAge int `json:"schoolAge"`
	// SchoolAgeNotEnrolled is the number of those with no enrolment at a school or college active
	// in the month.
	SchoolAgeNotEnrolled int `json:"schoolAgeNotEnrolled"`
	// Uninsured is the number of members with no CSHI coverage active in the month.
	Uninsured int `json:"uninsured"`
}
