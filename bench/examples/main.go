// Command examples times every GraphQL example of README.md and docs/ on the demo country right
// after the gateway's first sync: the analysts' examples (findings, findingSummary,
// paymentAggregate, akimKPI, welfareTransitions, a family's assessments) must each answer in
// under 100 ms at one client, on SQLite and on PostgreSQL.
//
// It builds the gateway (or takes -bin), starts `birlik serve` on the default demo country (the
// one the examples' IINs, BINs and regions come from) on SQLite, or with DATABASE_URL set on a
// database birlik_examples_<pid> it creates beside DATABASE_URL's and drops, waits until
// /readyz answers 200 and the work after the first sync is done, then sends each example (each
// operation of a block of several) -runs times in turn, one request at a time, with an admin
// key and purpose integrity-inspection, as TestDocExamples does. It prints per example the first
// answer's time (the cold one, right after the sync), the median and the slowest of the runs,
// and whether the median is under -target; it exits 1 when one is not, or when an example
// answers with errors.
//
//	go run ./bench/examples
//	DATABASE_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' go run ./bench/examples
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/birlik/birlik/bench/internal/kit"
	"github.com/birlik/birlik/internal/docexamples"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "examples:", err)
		}
		os.Exit(1)
	}
}

type options struct {
	runs         int
	target       time.Duration
	bin          string
	keep         bool
	readyTimeout time.Duration
}

func run(ctx context.Context, args []string) error {
	var o options
	fs := flag.NewFlagSet("examples", flag.ContinueOnError)
	fs.IntVar(&o.runs, "runs", 5, "times each example is sent (the first counts as the cold answer)")
	fs.DurationVar(&o.target, "target", 100*time.Millisecond, "the most an example's median answer may take")
	fs.StringVar(&o.bin, "bin", "", "a built gateway binary; empty: go build the module in the current folder")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary folder and the PostgreSQL database")
	fs.DurationVar(&o.readyTimeout, "ready-timeout", 20*time.Minute, "how long the gateway may take to be ready (the first sync and the work after it)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.runs < 1 {
		return errors.New("-runs must be at least 1")
	}
	examples, err := docexamples.Find(".")
	if err != nil {
		return fmt.Errorf("reading the examples (run from the module root): %w", err)
	}
	dbURL := os.Getenv("DATABASE_URL")

	work, err := os.MkdirTemp("", "birlik-examples-")
	if err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(work)
	}
	if o.bin == "" {
		o.bin = filepath.Join(work, "birlik")
		fmt.Fprintf(os.Stderr, "examples: go build -o %s .\n", o.bin)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", o.bin, ".")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("building the gateway (run from the module root, or pass -bin): %w", err)
		}
	}
	env := kit.GatewayEnv()
	storeName := "SQLite"
	if dbURL != "" {
		name := fmt.Sprintf("birlik_examples_%d", os.Getpid())
		pgURL, err := kit.CreateDatabase(ctx, dbURL, name)
		if err != nil {
			return err
		}
		if !o.keep {
			defer func() {
				c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				if err := kit.DropDatabase(c, dbURL, name); err != nil {
					fmt.Fprintf(os.Stderr, "examples: dropping database %s: %v\n", name, err)
				}
			}()
		}
		env = append(env, "DATABASE_URL="+pgURL)
		storeName = "PostgreSQL"
	}
	addr, err := kit.FreePort()
	if err != nil {
		return err
	}
	keys := kit.NewKeys()
	start := time.Now()
	g, err := kit.StartGateway(ctx, "examples", o.bin, addr, []string{"serve", "--addr", addr, "--data", filepath.Join(work, "data"),
		"--sync-interval", "0", "--log-level", "warn", "--api-keys", keys.Flag()}, env, filepath.Join(work, "gateway.log"), o.readyTimeout)
	if err != nil {
		return err
	}
	defer g.Stop()
	fmt.Fprintf(os.Stderr, "examples: %s gateway ready, work after the first sync done, after %s\n", storeName, time.Since(start).Round(time.Second))

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "example\toperation\tfirst ms\tmedian ms\tslowest ms\t\t\n")
	var slow, failed []string
	for _, ex := range examples {
		if dbURL != "" && ex.TakesNodeID() {
			fmt.Fprintf(tw, "%s\t\tskipped: takes an SQLite node id\t\t\t\t\n", ex.Where)
			continue
		}
		for _, op := range ex.Runs() {
			var times []time.Duration
			var errText string
			for i := 0; i < o.runs; i++ {
				t0 := time.Now()
				_, err := g.GQLOperation(ctx, keys.Admin, "integrity-inspection", ex.Query, op, ex.Variables)
				times = append(times, time.Since(t0))
				if err != nil {
					errText = err.Error()
					break
				}
			}
			first := times[0]
			slices.Sort(times)
			median := kit.Quantile(times, 0.5)
			verdict := "ok"
			switch {
			case errText != "":
				verdict = "ERROR " + errText
				failed = append(failed, ex.Where+" "+op)
			case median >= o.target:
				verdict = "SLOW"
				slow = append(slow, fmt.Sprintf("%s %s (%s)", ex.Where, op, median.Round(time.Millisecond)))
			}
			fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.1f\t%.1f\t%s\t\n", ex.Where, op, ms(first), ms(median), ms(times[len(times)-1]), verdict)
		}
	}
	_ = tw.Flush()
	fmt.Printf("\n%s, %d runs each, one request at a time; target: median under %s\n", storeName, o.runs, o.target)
	if len(failed) > 0 {
		return fmt.Errorf("%d example(s) answered with errors: %s", len(failed), strings.Join(failed, "; "))
	}
	if len(slow) > 0 {
		return fmt.Errorf("%d example(s) over %s: %s", len(slow), o.target, strings.Join(slow, "; "))
	}
	fmt.Println("examples: every example under the target")
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
