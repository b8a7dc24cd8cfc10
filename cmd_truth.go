package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/gen"
)

func init() {
	commands["truth"] = command{summary: "print the generator's ground truth (injected anomalies) as JSON", run: runTruth}
}

// rateFlags collects repeated --rate kind=x flags.
type rateFlags map[domain.FindingKind]float64

func (r rateFlags) String() string { return "" }

func (r rateFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("want kind=rate, e.g. ghost_pupil=0.001, got %q", s)
	}
	known := false
	for _, fk := range domain.FindingKinds {
		if string(fk) == k {
			known = true
		}
	}
	if !known {
		names := make([]string, len(domain.FindingKinds))
		for i, fk := range domain.FindingKinds {
			names[i] = string(fk)
		}
		return fmt.Errorf("unknown kind %q (one of %s)", k, strings.Join(names, ", "))
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || x < 0 || x > 1 {
		return fmt.Errorf("rate of %s must be a number between 0 and 1, got %q", k, v)
	}
	r[domain.FindingKind(k)] = x
	return nil
}

// historyFlags adds --from and --months (the generated country's history) to fs; the returned
// function gives the gen.Config fields after parsing, or an error saying what to fix.
func historyFlags(fs *flag.FlagSet) func() (domain.Month, int, error) {
	from := fs.String("from", "", fmt.Sprintf("first month of the generated history, YYYY-MM (default %s)", gen.DefaultFrom))
	months := fs.Int("months", 0, fmt.Sprintf("length of the history in months, %d to %d (default %d); the signals are evaluated on its last day", gen.MinMonths, gen.MaxMonths, gen.DefaultMonths))
	return func() (domain.Month, int, error) {
		var m domain.Month
		if *from != "" {
			var err error
			if m, err = domain.ParseMonth(*from); err != nil {
				return 0, 0, fmt.Errorf("--from: %w", err)
			}
		}
		if *months != 0 && (*months < gen.MinMonths || *months > gen.MaxMonths) {
			return 0, 0, fmt.Errorf("--months %d: want %d to %d", *months, gen.MinMonths, gen.MaxMonths)
		}
		return m, *months, nil
	}
}

type truthReport struct {
	Seed   int64 `json:"seed"`
	People int   `json:"people"`
	// From and To are the history's first and last months and AsOf the day its signals are
	// evaluated on, reported when --from or --months chose the history.
	From        string                              `json:"from,omitempty"`
	To          string                              `json:"to,omitempty"`
	AsOf        string                              `json:"asOf,omitempty"`
	Counts      map[domain.FindingKind]int          `json:"counts"`
	MoneyAtRisk map[domain.FindingKind]domain.Tenge `json:"moneyAtRisk"`
	Records     map[string]map[string]int           `json:"records"`
	Anomalies   []domain.Anomaly                    `json:"anomalies"`
	// FamilyCategories counts the families per month and expected welfare category under the
	// family card's default rules (docs/familycard.md); FamilyCards lists every family-month
	// with --family-card.
	FamilyCategories map[string]map[string]int `json:"familyCategories"`
	FamilyCards      []gen.FamilyMonth         `json:"familyCards,omitempty"`
}

func runTruth(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("truth", flag.ContinueOnError)
	seed := fs.Int64("seed", 1, "generator seed")
	people := fs.Int("people", 20000, "people living in the country on the first day of its history")
	history := historyFlags(fs)
	rates := rateFlags{}
	cards := fs.Bool("family-card", false, "also list every family's expected welfare category per month")
	fs.Var(rates, "rate", "anomaly rate as kind=x (repeatable; default: the seeds' rates, see docs/findings.md)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: birlik truth [--seed S] [--people N] [--from YYYY-MM] [--months N] [--rate kind=x ...]\n\nPrints the generated country's ground truth as JSON: every injected anomaly with its keys and\nmoney at risk, counts per kind and the record counts of every source.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return err
	}
	from, months, err := history()
	if err != nil {
		return err
	}
	cfg := gen.Config{Seed: *seed, People: *people, From: from, Months: months}
	if len(rates) > 0 {
		cfg.Rates = rates
	}
	c, err := gen.Generate(cfg)
	if err != nil {
		return err
	}
	rep := truthReport{
		Seed: c.Seed, People: c.People,
		Counts:      map[domain.FindingKind]int{},
		MoneyAtRisk: map[domain.FindingKind]domain.Tenge{},
		Records:     c.RecordCounts(),
		Anomalies:   c.Truth,
	}
	for _, k := range domain.FindingKinds {
		rep.Counts[k] = 0
		rep.MoneyAtRisk[k] = 0
	}
	if from != 0 || months != 0 {
		rep.From, rep.To, rep.AsOf = c.From.String(), c.Last().String(), c.AsOf().String()
	}
	for _, a := range c.Truth {
		rep.Counts[a.Kind]++
		rep.MoneyAtRisk[a.Kind] += a.MoneyAtRisk
	}
	fms, err := gen.ExpectedCategories(c)
	if err != nil {
		return err
	}
	rep.FamilyCategories = gen.CategoryCounts(fms)
	if *cards {
		rep.FamilyCards = fms
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
