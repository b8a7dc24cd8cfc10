package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/familycard"
	"github.com/birlik/birlik/familycard/welfare"
	"github.com/birlik/birlik/store"
)

func init() {
	commands["assess"] = command{summary: "assess every family's welfare category per month (Digital Family Card)", run: runAssess}
}

const assessUsage = `usage: birlik assess [--from YYYY-MM] [--to YYYY-MM]

Computes every family's indicators for each month from the store (one set-based query per
month), places each family in its welfare category under the default rules (docs/familycard.md)
and keeps the assessments, replacing those of an earlier run for the same months. Without
--from/--to it assesses every month the store holds payments for, up to its latest complete
month (the latest month every payment stream has reached, docs/familycard.md). Run it after sync.

The store is DATABASE_URL (PostgreSQL) or, when it is empty, SQLite in BIRLIK_DATA.

flags:`

func runAssess(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("assess", flag.ContinueOnError)
	from := fs.String("from", "", "first month to assess, YYYY-MM (default: the first month with data)")
	to := fs.String("to", "", "last month to assess, YYYY-MM (default: the latest complete month with data)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), assessUsage)
		fs.PrintDefaults()
	}
	cfg, err := loadOptions(fs, args, os.Getenv, forDerive)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	s, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return err
	}
	defer s.Close()
	a, err := familycard.NewAssessor(s, welfare.Default)
	if err != nil {
		return err
	}
	a.AsOf = cfg.AsOf
	first, last, ok, err := a.Months(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("assess: the store holds no complete month of payments yet; run sync first")
	}
	for _, f := range []struct {
		s string
		m *domain.Month
	}{{*from, &first}, {*to, &last}} {
		if f.s == "" {
			continue
		}
		if *f.m, err = domain.ParseMonth(f.s); err != nil {
			return fmt.Errorf("assess: %w", err)
		}
	}
	start := time.Now()
	for m := first; m <= last; m++ {
		st, err := a.AssessMonth(ctx, m)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "%s  families %8d", m, st.Families)
		for _, c := range domain.WelfareCategories {
			fmt.Fprintf(os.Stderr, "  %s %d", c, st.ByCategory[c])
		}
		fmt.Fprintf(os.Stderr, "  %s\n", st.Took.Round(time.Millisecond))
	}
	fmt.Fprintf(os.Stderr, "assessed %s..%s under rules %s in %s\n", first, last, welfare.Default.Version, time.Since(start).Round(time.Millisecond))
	return nil
}
