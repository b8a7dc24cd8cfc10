package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/birlik/birlik/gen"
	"github.com/birlik/birlik/sim/all"
)

func init() {
	commands["sim"] = command{summary: "serve the five ministry simulators over a generated country", run: runSim}
}

func runSim(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	seed := fs.Int64("seed", 1, "generator seed (the same seed and size serve identical data)")
	people := fs.Int("people", 20000, "people living in the country on the first day of its history")
	history := historyFlags(fs)
	addr := fs.String("addr", "127.0.0.1", "host to listen on, optionally host:port for the first of five consecutive ports (default: random free ports)")
	latency := fs.Duration("latency", 0, "latency added to every request of every simulator")
	errorRate := fs.Float64("error-rate", 0, "share (0..1) of requests answered with the source's outage error")
	malformed := fs.Float64("malformed-rate", 0, "share (0..1) of records each simulator corrupts, deterministically")
	rateLimit := fs.Int("labour-rate-limit", 0, "labour's quota of requests per second per client (0: none)")
	only := fs.String("only", "", "serve only these simulators, comma-separated (e.g. health), on consecutive ports from --addr's: one source can then be stopped and restarted on its own")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: birlik sim [--seed S] [--people N] [--from YYYY-MM] [--months N] [--addr HOST[:PORT]] [--only NAME,…] [fault flags]\n\nGenerates a country and serves the five ministry simulators (justice, labour, education,\nfinance, health) on loopback until interrupted. Prints each base URL as NAME=URL, one per\nline, in that order. The APIs are documented in docs/sources/.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	if *errorRate < 0 || *errorRate > 1 || *malformed < 0 || *malformed > 1 {
		return fmt.Errorf("--error-rate and --malformed-rate must be between 0 and 1")
	}
	from, months, err := history()
	if err != nil {
		return err
	}
	start := time.Now()
	c, err := gen.Generate(gen.Config{Seed: *seed, People: *people, From: from, Months: months})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "birlik sim: generated seed %d, %d people, %s to %s, in %s\n", *seed, *people, c.From, c.Last(), time.Since(start).Round(time.Millisecond))
	var names []string
	for _, n := range strings.Split(*only, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	set, err := all.Start(ctx, c, *addr, names...)
	if err != nil {
		return err
	}
	defer set.Close()
	for _, s := range set.Simulators() {
		s.Mux.Faults.SetLatency(*latency)
		s.Mux.Faults.SetErrorRate(*errorRate)
		s.Mux.Faults.SetMalformedRate(*malformed)
	}
	set.Labour.SetRateLimit(*rateLimit)
	for _, u := range set.URLs() {
		fmt.Printf("%s=%s\n", u.Name, u.URL)
	}
	fmt.Fprintln(os.Stderr, "birlik sim: serving; interrupt (Ctrl-C) to stop")
	select {
	case <-ctx.Done():
		return nil
	case err := <-set.Errors():
		return err
	}
}
