package gen

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/rules"
)

func TestExpectedCategories(t *testing.T) {
	// three seeds over the default history, and one over a history that ends in 2026
	for _, cfg := range []Config{{Seed: 1}, {Seed: 2}, {Seed: 3}, {Seed: 4, From: domain.MustMonth("2025-01"), Months: 24}} {
		cfg.People = 2000
		name := fmt.Sprintf("seed%d", cfg.Seed)
		if cfg.From != 0 {
			name += fmt.Sprintf("_%s_%dm", cfg.From, cfg.Months)
		}
		t.Run(name, func(t *testing.T) {
			c, err := Generate(cfg)
			if err != nil {
				t.Fatal(err)
			}
			fms, err := ExpectedCategories(c)
			if err != nil {
				t.Fatal(err)
			}
			t.Run("deterministic", func(t *testing.T) {
				c2, err := Generate(cfg)
				if err != nil {
					t.Fatal(err)
				}
				if fms2, err := ExpectedCategories(c2); err != nil || !reflect.DeepEqual(fms, fms2) {
					t.Error("two generations of the same seed give different expected categories")
				}
			})
			t.Run("everyCategoryOccurs", func(t *testing.T) {
				seen := map[string]int{}
				for _, x := range fms {
					seen[x.Category]++
				}
				for _, cat := range CardCategories {
					if seen[cat] == 0 {
						t.Errorf("no family-month is %s (%v)", cat, seen)
					}
				}
			})
			t.Run("categoriesMove", func(t *testing.T) {
				prev := map[string]string{}
				moved := map[string]bool{}
				for _, x := range fms {
					if p, ok := prev[x.FamilyID]; ok && p != x.Category {
						moved[x.FamilyID] = true
					}
					prev[x.FamilyID] = x.Category
				}
				if len(moved)*20 < len(c.Families) {
					t.Errorf("only %d of %d families ever change category", len(moved), len(c.Families))
				}
			})
			t.Run("consistent", func(t *testing.T) {
				size := map[string]int{}
				for _, f := range c.Families {
					size[f.ID] = len(f.Members)
				}
				for _, x := range fms {
					fig, err := rules.For(x.Month.Year())
					if err != nil {
						t.Fatal(err)
					}
					sm := fig.SubsistenceMinimum
					switch {
					case x.Members < 1 || x.Members > size[x.FamilyID]:
						t.Fatalf("%s %s: %d members of %d memberships", x.FamilyID, x.Month, x.Members, size[x.FamilyID])
					case x.Income == 0 && x.Category != "crisis" && x.Category != "emergency":
						t.Fatalf("%s %s: no income but %s", x.FamilyID, x.Month, x.Category)
					case x.Category == "emergency" && int64(x.Income)*2 >= int64(sm)*int64(x.Members):
						t.Fatalf("%s %s: emergency with income %d for %d members", x.FamilyID, x.Month, x.Income, x.Members)
					case x.Category == "prosperous" && (x.Uninsured+x.Disabled+x.WorkingAgeWithoutWork+x.SchoolAgeNotEnrolled > 0 || x.Income < 3*sm*domain.Tenge(x.Members)):
						t.Fatalf("%s %s: prosperous with a risk or too little income: %+v", x.FamilyID, x.Month, x)
					}
				}
			})
		})
	}
}

func TestCardCategoryRules(t *testing.T) {
	const sm = 43407
	cases := []struct {
		name string
		x    FamilyMonth
		want string
	}{
		{"nothing, two risks", FamilyMonth{Members: 3, WorkingAgeWithoutWork: 1, Uninsured: 2}, "emergency"},
		{"nothing, one risk", FamilyMonth{Members: 3, WorkingAgeWithoutWork: 1}, "crisis"},
		{"half exactly", FamilyMonth{Members: 2, Income: sm}, "unsatisfactory"},
		{"below minimum, three risks", FamilyMonth{Members: 2, Income: sm, Disabled: 1, Uninsured: 1, SchoolAgeNotEnrolled: 1}, "crisis"},
		{"enough, two risks", FamilyMonth{Members: 1, Income: 5 * sm, Disabled: 1, Uninsured: 1}, "unsatisfactory"},
		{"three times, no risk", FamilyMonth{Members: 1, Income: 3 * sm}, "prosperous"},
		{"three times, one risk", FamilyMonth{Members: 1, Income: 3 * sm, Disabled: 1}, "satisfactory"},
		{"just under three times", FamilyMonth{Members: 1, Income: 3*sm - 1}, "satisfactory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := cardCategory(tc.x, sm); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}
