package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/birlik/birlik/checks"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/store"
)

func init() {
	commands["check"] = command{summary: "run the integrity checks over the store and print the findings by kind and region", run: runCheck}
}

const checkUsage = `usage: birlik check [flags]

Runs every integrity check (docs/findings.md) over what the last sync put in the store, writes
the findings (a case keeps its identity and status across runs; a case the data no longer shows
is marked resolved), and prints the open findings by kind and region: count and money at risk.
Run it after 'birlik sync'. The thresholds are the defaults of package checks (docs/findings.md).

The store is DATABASE_URL (PostgreSQL) or, when it is empty, SQLite in BIRLIK_DATA.
A progress bar shows on a terminal; otherwise each check is logged.

Every flag can also be set by the environment variable named beside it.

flags:`

func runCheck(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	kinds := fs.String("kinds", "", "comma-separated kinds to run (default: every kind)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), checkUsage)
		fs.PrintDefaults()
	}
	cfg, err := loadOptions(fs, args, os.Getenv, forDerive)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log := newLogger(cfg, os.Stderr)
	cc := checks.Defaults()
	cc.AsOf, cc.Workers = cfg.AsOf, cfg.CheckWorkers
	if *kinds != "" {
		for _, k := range strings.Split(*kinds, ",") {
			cc.Kinds = append(cc.Kinds, domain.FindingKind(strings.TrimSpace(k)))
		}
	}
	s, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return err
	}
	defer s.Close()

	var bar *progressbar.ProgressBar
	if term.IsTerminal(int(os.Stderr.Fd())) {
		bar = progressbar.NewOptions(len(domain.FindingKinds), progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionShowCount(), progressbar.OptionClearOnFinish(), progressbar.OptionFullWidth())
	}
	started := time.Now()
	cc.Progress = func(k domain.FindingKind, done, total int) {
		if bar != nil {
			bar.ChangeMax(total)
			bar.Describe(fmt.Sprintf("check %-31s", k))
			_ = bar.Set(done)
			if done == total {
				_ = bar.Finish()
			}
			return
		}
		if done < total {
			log.Info("check: running", "kind", k, "check", done+1, "of", total, "elapsed", time.Since(started).Round(time.Millisecond))
		}
	}
	sum, err := checks.Run(ctx, s, cc)
	if err != nil {
		return err
	}
	printCheckSummary(os.Stdout, sum)
	return nil
}

// printCheckSummary writes what each check found, then the open findings by kind and region.
func printCheckSummary(out io.Writer, sum checks.Summary) {
	w := tabwriter.NewWriter(out, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "kind\tcases\tmoney at risk ₸\tnew\treopened\tresolved\ttook\t")
	var cases, newc, reop, res int
	var money domain.Tenge
	for _, r := range sum.Kinds {
		fmt.Fprintf(w, "%s\t%d\t%s\t%d\t%d\t%d\t%s\t\n", r.Kind, r.Cases, groupDigits(int64(r.MoneyAtRisk)), r.New, r.Reopened, r.Resolved, r.Took.Round(time.Millisecond))
		cases, newc, reop, res, money = cases+r.Cases, newc+r.New, reop+r.Reopened, res+r.Resolved, money+r.MoneyAtRisk
	}
	fmt.Fprintf(w, "total\t%d\t%s\t%d\t%d\t%d\t%s\t\n", cases, groupDigits(int64(money)), newc, reop, res, sum.Took.Round(time.Millisecond))
	w.Flush()

	fmt.Fprintln(out, "\nopen findings (open, confirmed, dismissed) by kind and region:")
	w = tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "kind\tregion\tKATO\tcount\tmoney at risk ₸")
	for _, r := range sum.Rows {
		name := string(r.Region)
		if reg, ok := domain.RegionOf(r.Region); ok {
			name = reg.Name
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\n", r.Kind, name, r.Region, r.Count, groupDigits(int64(r.MoneyAtRisk)))
	}
	w.Flush()
}

// groupDigits writes n with thousands separated by commas.
func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
