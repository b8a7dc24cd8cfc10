// Package rules holds what the integrity checks, the Digital Family Card and the generator are
// evaluated with that changes with the calendar: the yearly figures of rules.json (subsistence
// minimum, poverty line, monthly calculation index, pension contribution rate, per-pupil norms,
// the generated country's benefit amounts), each with its source, and the as-of rule (asof.go):
// the day the checks and the assessments are evaluated on, and the dates that follow from it.
//
// It holds no constant date: a year is looked up in the file (a year the file lacks is an error
// naming the file and the year), and the evaluation day comes from the configuration or the data
// (the clock the caller passes only for a store without any payment).
package rules

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/birlik/birlik/domain"
)

// File is the rules file's path in the repository, named in errors.
const File = "rules/rules.json"

//go:embed rules.json
var embedded []byte

// Year is the figures of one calendar year. Amounts are whole tenge per month.
type Year struct {
	Year int `json:"year"`
	// MCI is the monthly calculation index (МРП) the republican budget law sets for the year;
	// benefits are set in MCI (LargeFamilyAllowance is 16.03 MCI).
	MCI domain.Tenge `json:"mci"`
	// SubsistenceMinimum per person per month: the family card's income thresholds are
	// percentages of it.
	SubsistenceMinimum domain.Tenge `json:"subsistenceMinimum"`
	// PovertyLine per family member per month (70% of the subsistence minimum): targeted social
	// assistance to a family whose wages exceed it times its members is unjustified_assistance.
	PovertyLine domain.Tenge `json:"povertyLine"`
	// PensionContributionPct is the compulsory pension contribution, in percent of the wage.
	PensionContributionPct int64 `json:"pensionContributionPct"`
	// PerPupilNorm is the monthly state-order norm per pupil by organisation kind.
	PerPupilNorm Norms `json:"perPupilNorm"`
	// ChildCareAllowance (per child under one year) and LargeFamilyAllowance (a family with four
	// or more children under 18) are the monthly child benefits the generator pays.
	ChildCareAllowance   domain.Tenge `json:"childCareAllowance"`
	LargeFamilyAllowance domain.Tenge `json:"largeFamilyAllowance"`
	// Sources names, for every figure above (by its JSON name), the law or decree that sets it,
	// or "model: …" for a figure of the generated country.
	Sources map[string]string `json:"sources"`
}

// Norms are the monthly per-pupil state-order norms by organisation kind.
type Norms struct {
	School       domain.Tenge `json:"school"`
	College      domain.Tenge `json:"college"`
	Kindergarten domain.Tenge `json:"kindergarten"`
}

// Of is the norm of organisation kind k (0 for a kind without one).
func (n Norms) Of(k domain.OrgKind) domain.Tenge {
	switch k {
	case domain.KindSchool:
		return n.School
	case domain.KindCollege:
		return n.College
	case domain.KindKindergarten:
		return n.Kindergarten
	}
	return 0
}

// NormKinds are the organisation kinds that have a per-pupil norm.
var NormKinds = []domain.OrgKind{domain.KindSchool, domain.KindCollege, domain.KindKindergarten}

// Table is a parsed rules file: the figures of each year it holds.
type Table struct {
	name  string
	years map[int]Year
}

type file struct {
	About string `json:"about"`
	Years []Year `json:"years"`
}

// figures lists every figure of a Year by its JSON name with its value, for validation.
func (y Year) figures() map[string]int64 {
	return map[string]int64{
		"mci": int64(y.MCI), "subsistenceMinimum": int64(y.SubsistenceMinimum), "povertyLine": int64(y.PovertyLine),
		"pensionContributionPct": y.PensionContributionPct,
		"perPupilNorm":           min(int64(y.PerPupilNorm.School), int64(y.PerPupilNorm.College), int64(y.PerPupilNorm.Kindergarten)),
		"childCareAllowance":     int64(y.ChildCareAllowance), "largeFamilyAllowance": int64(y.LargeFamilyAllowance),
	}
}

// Parse reads a rules file; name is the file's name in errors. Every year must have every figure
// (above zero; a pension rate of at most 100%) and a source for each, and appear once.
func Parse(name string, data []byte) (*Table, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	var f file
	if err := d.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	t := &Table{name: name, years: map[int]Year{}}
	for _, y := range f.Years {
		if y.Year < 1900 || y.Year > 9999 {
			return nil, fmt.Errorf("%s: year %d: want a four-digit year", name, y.Year)
		}
		if _, dup := t.years[y.Year]; dup {
			return nil, fmt.Errorf("%s: year %d appears twice", name, y.Year)
		}
		figs := y.figures()
		keys := make([]string, 0, len(figs))
		for k := range figs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if figs[k] <= 0 {
				return nil, fmt.Errorf("%s: year %d: %s is missing or not above zero", name, y.Year, k)
			}
			if strings.TrimSpace(y.Sources[k]) == "" {
				return nil, fmt.Errorf("%s: year %d: %s has no source: name the law or decree that sets it (or \"model: …\")", name, y.Year, k)
			}
		}
		for k := range y.Sources {
			if _, ok := figs[k]; !ok {
				return nil, fmt.Errorf("%s: year %d: a source for %q, which is not a figure of the file", name, y.Year, k)
			}
		}
		if y.PensionContributionPct > 100 {
			return nil, fmt.Errorf("%s: year %d: pensionContributionPct %d is above 100", name, y.Year, y.PensionContributionPct)
		}
		t.years[y.Year] = y
	}
	if len(t.years) == 0 {
		return nil, fmt.Errorf("%s: no year", name)
	}
	return t, nil
}

var (
	defaultOnce  sync.Once
	defaultTable *Table
)

// Default is the table of the embedded rules file. The file is checked by this package's tests;
// a malformed one is a build mistake and panics.
func Default() *Table {
	defaultOnce.Do(func() {
		t, err := Parse(File, embedded)
		if err != nil {
			panic(err)
		}
		defaultTable = t
	})
	return defaultTable
}

// For is the figures of year y in the embedded rules file.
func For(y int) (Year, error) { return Default().For(y) }

// For is the figures of year y; a year the table lacks is an error naming the file and the year.
func (t *Table) For(y int) (Year, error) {
	if x, ok := t.years[y]; ok {
		return x, nil
	}
	return Year{}, fmt.Errorf("%s has no figures for %d (it holds %s): add the year's subsistence minimum, poverty line, MCI, pension contribution rate, per-pupil norms and benefit amounts, each with its source",
		t.name, y, t.span())
}

// Range is the figures of every year from first to last (inclusive), by year; the first year the
// table lacks is an error.
func (t *Table) Range(first, last int) (map[int]Year, error) {
	out := make(map[int]Year, max(0, last-first+1))
	for y := first; y <= last; y++ {
		x, err := t.For(y)
		if err != nil {
			return nil, err
		}
		out[y] = x
	}
	return out, nil
}

// Years lists the years of the table in order.
func (t *Table) Years() []int {
	ys := make([]int, 0, len(t.years))
	for y := range t.years {
		ys = append(ys, y)
	}
	slices.Sort(ys)
	return ys
}

// span describes the years held, e.g. "2024-2026" or "2024, 2026".
func (t *Table) span() string {
	ys := t.Years()
	if ys[len(ys)-1]-ys[0] == len(ys)-1 {
		if len(ys) == 1 {
			return fmt.Sprint(ys[0])
		}
		return fmt.Sprintf("%d-%d", ys[0], ys[len(ys)-1])
	}
	parts := make([]string, len(ys))
	for i, y := range ys {
		parts[i] = fmt.Sprint(y)
	}
	return strings.Join(parts, ", ")
}
