package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/connectors/education"
	"github.com/birlik/birlik/connectors/finance"
	"github.com/birlik/birlik/connectors/health"
	"github.com/birlik/birlik/connectors/justice"
	"github.com/birlik/birlik/connectors/labour"
	"github.com/birlik/birlik/connectors/transport"
	"github.com/birlik/birlik/gen"
	"github.com/birlik/birlik/sim/all"
	"github.com/birlik/birlik/store"
	"github.com/birlik/birlik/syncer"
)

func init() {
	commands["sync"] = command{summary: "pull every source's change feed into the store", run: runSync}
}

const syncUsage = `usage: birlik sync [flags]

Pulls the change feed of every ministry system (justice, labour, education, finance, health,
in that order) into the store, from where the last sync stopped, then links records to those
other sources sent. Each page commits together with the cursor after it: a sync killed at any
moment and run again ends with the same store, and a run with nothing new writes nothing.

The store is DATABASE_URL (PostgreSQL) or, when it is empty, SQLite in BIRLIK_DATA. The sources
are BIRLIK_JUSTICE_URL, BIRLIK_LABOUR_URL, BIRLIK_EDUCATION_URL, BIRLIK_FINANCE_URL and
BIRLIK_HEALTH_URL; with none set, sync starts the five simulators over the demo country
(BIRLIK_DEMO_SEED, BIRLIK_DEMO_PEOPLE) and pulls from them.

A progress bar shows on a terminal; otherwise progress is logged.

Every flag can also be set by the environment variable named beside it.

flags:`

func runSync(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), syncUsage)
		fs.PrintDefaults()
	}
	cfg, err := loadOptions(fs, args, os.Getenv, forSync)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log := newLogger(cfg, os.Stderr)
	sources := sourceURLs(cfg.Sources)
	if cfg.Sources.Embedded() {
		log.Info("no source URL configured: starting the simulators over the demo country",
			"seed", cfg.Demo.Seed, "people", cfg.Demo.People)
		c, err := gen.Generate(gen.Config{Seed: cfg.Demo.Seed, People: cfg.Demo.People})
		if err != nil {
			return fmt.Errorf("generate the demo country: %w", err)
		}
		sims, err := all.Start(ctx, c, "127.0.0.1")
		if err != nil {
			return err
		}
		defer sims.Close()
		for src := range sources {
			sources[src] = sims.URL(string(src))
		}
	}
	s, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return err
	}
	defer s.Close()
	sy := syncer.New(s, syncer.Options{Logger: log, Progress: os.Stderr})
	start := time.Now()
	st, err := sy.Run(ctx, feeds(sources)...)
	for _, f := range st.Feeds {
		fmt.Fprintf(os.Stderr, "%-9s records %9d  written %9d  changes %8d  quarantined %6d  %s\n",
			f.Source, f.Records, f.Written, f.Changes, f.Quarantined, f.Duration.Round(time.Millisecond))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "sync done in %s: %d rows written, %d links\n", time.Since(start).Round(time.Millisecond), st.Written(), st.Linked)
	return nil
}

// feeds builds the connectors of the five sources, in the order sync applies them.
func feeds(urls map[connectors.Source]string) []connectors.Feed {
	tc := func(src connectors.Source) transport.Config { return transport.Config{Source: string(src)} }
	return []connectors.Feed{
		justice.New(urls[connectors.Justice], tc(connectors.Justice)),
		labour.New(urls[connectors.Labour], tc(connectors.Labour)),
		education.New(urls[connectors.Education], tc(connectors.Education)),
		finance.New(urls[connectors.Finance], tc(connectors.Finance)),
		health.New(urls[connectors.Health], tc(connectors.Health)),
	}
}
