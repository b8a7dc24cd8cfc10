package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"

	"github.com/birlik/birlik/audit"
	"github.com/birlik/birlik/config"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/graph/access"
	"github.com/birlik/birlik/httpapi"
)

func init() {
	commands["serve"] = command{
		summary: "serve the gateway (the default; the embedded demo with nothing configured)",
		run: func(ctx context.Context, args []string) error {
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			fs.Usage = func() {
				fmt.Fprintf(fs.Output(), "usage: birlik [serve] [flags]\n\nServes /query, the playground at /, /healthz, /readyz and /metrics. With no source URL\nconfigured it starts the five simulators over a generated demo country, an SQLite store in\nBIRLIK_DATA, a first sync, and prints a demo API key.\n\nEvery flag can also be set by the environment variable named beside it. GOGC, when set,\nreplaces the serve command's garbage-collector target of %d.\n\nflags:\n", serveGCPercent)
				fs.PrintDefaults()
			}
			cfg, err := loadOptions(fs, args, os.Getenv, nil)
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			if err != nil {
				return err
			}
			serveGC(os.Getenv)
			return runServe(ctx, cfg, os.Stdout)
		},
	}
}

// serveGCPercent is the garbage collector's target (GOGC) of the serve command when GOGC is
// not set. The gateway's live heap is small (70 MB with the embedded demo, less without) and
// nearly everything a request allocates is garbage when it ends, so at Go's default of 100 the
// collector runs every few dozen requests and takes a sixth of the CPU under load. At 400 it runs
// a quarter as often, for a heap at most five times the live one: 11 to 19% more citizen
// queries per second at 64 clients (measured with bench/load).
const serveGCPercent = 400

// serveGC sets serveGCPercent unless the operator set GOGC (getenv is os.Getenv), whose value
// the runtime has already applied and which then wins.
func serveGC(getenv func(string) string) {
	if getenv("GOGC") != "" {
		return
	}
	debug.SetGCPercent(serveGCPercent)
}

// withoutAuditForBenchmark replaces the access layer's audit extension by one that checks
// purposes and applies every field rule as before but records nothing, when (and only when)
// cfg.BenchmarkAuditOff: BIRLIK_BENCHMARK_AUDIT_OFF=1 together with --benchmark-audit-off,
// for bench/load -audit-overhead. It says so loudly at start and every 10,000 reads.
func withoutAuditForBenchmark(cfg options, acc *access.Layer, log *slog.Logger) {
	if !cfg.BenchmarkAuditOff {
		return
	}
	msg := "BENCHMARK MODE: THE AUDIT LOG IS OFF: reads of personal data are NOT recorded (" + config.AuditOffEnv + "=1 and --" + config.AuditOffFlag + "); never run this in service"
	fmt.Fprintln(os.Stderr, "birlik: "+msg)
	log.Error(msg)
	acc.Extensions = []graphql.HandlerExtension{access.Extension{
		Audit: &unrecorded{log: log}, Logger: log, RequestID: httpapi.RequestID, Purposes: cfg.Access.Purposes,
		PersonIINs: func(context.Context, []int) ([]domain.IIN, error) { return nil, nil }, // nothing is recorded
		FamilyIINs: func(context.Context, []int) ([]domain.IIN, error) { return nil, nil },
	}}
}

// unrecorded is the benchmark's audit recorder: it records nothing and keeps saying so.
type unrecorded struct {
	log *slog.Logger
	n   atomic.Int64
}

func (u *unrecorded) Record(ctx context.Context, _ audit.Entry) error {
	if n := u.n.Add(1); n%10000 == 1 {
		u.log.ErrorContext(ctx, "BENCHMARK MODE: the audit log is off, this read is not recorded", "unrecorded_reads", n)
	}
	return nil
}
