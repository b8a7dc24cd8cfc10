package main

// server.go is the gateway's composition root: newGateway builds every part from its package's
// options (the sources — the embedded simulators or the configured URLs —, the store, Redis, the
// access layer, demand control, the GraphQL schema and the HTTP surface), Run starts the
// background work (syncs, derived work) and serves, Close releases everything in reverse order.
// It holds no logic of its own: every step is a call into a package.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/gen"
	"github.com/birlik/birlik/graph"
	"github.com/birlik/birlik/graph/access"
	"github.com/birlik/birlik/graph/cursor"
	"github.com/birlik/birlik/graph/demand"
	"github.com/birlik/birlik/graph/model"
	"github.com/birlik/birlik/httpapi"
	"github.com/birlik/birlik/redisconn"
	"github.com/birlik/birlik/resolvers"
	"github.com/birlik/birlik/sim/all"
	"github.com/birlik/birlik/store"
)

// gateway is a built gateway: its handler, readiness, demo key, its parts and what to close.
type gateway struct {
	Handler http.Handler
	Ready   *httpapi.Readiness
	DemoKey string // empty unless the embedded default runs
	// Tokens, DemoCitizen and DemoRegion give the embedded default's demo tokens (cmd_token.go).
	Tokens      *auth.Tokens
	DemoCitizen domain.IIN
	DemoRegion  domain.KATO
	Sources     map[connectors.Source]string
	closers     []func() error

	cfg     options
	log     *slog.Logger
	store   *store.Store
	derived derivedMetrics
	rows    *demand.TableRows
}

// Close stops the simulators and closes the store.
func (g *gateway) Close() error {
	var errs []error
	for i := len(g.closers) - 1; i >= 0; i-- {
		errs = append(errs, g.closers[i]())
	}
	return errors.Join(errs...)
}

// newLogger returns the process logger for cfg, adding request ids to every line.
func newLogger(cfg options, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(httpapi.LogHandler(h))
}

// newGateway builds the gateway for cfg: the embedded simulators with a demo country when no
// source URL is configured, the store, the schema and the HTTP handler. Nothing runs in the
// background until Start (or Run); ctx bounds the parts' own background work.
func newGateway(ctx context.Context, cfg options, log *slog.Logger) (_ *gateway, err error) {
	g := &gateway{Ready: httpapi.NewReadiness("the first sync has not finished"), Sources: sourceURLs(cfg.Sources), cfg: cfg, log: log}
	defer func() {
		if err != nil {
			_ = g.Close()
		}
	}()
	keys := cfg.Access.APIKeys
	if cfg.Sources.Embedded() {
		log.Info("no source URLs configured: generating the demo country", "seed", cfg.Demo.Seed, "people", cfg.Demo.People)
		country, err := gen.Generate(gen.Config{Seed: cfg.Demo.Seed, People: cfg.Demo.People})
		if err != nil {
			return nil, fmt.Errorf("generating the demo country: %w", err)
		}
		sims, err := all.Start(ctx, country, "127.0.0.1")
		if err != nil {
			return nil, fmt.Errorf("starting the simulators: %w", err)
		}
		g.closers = append(g.closers, sims.Close)
		for _, s := range sims.URLs() {
			g.Sources[connectors.Source(s.Name)] = s.URL
		}
		demo, err := auth.LoadOrCreateDemoKey(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		g.DemoKey = demo.Key
		if len(country.PersonVersions) > 0 {
			p := country.PersonVersions[0].Person
			g.DemoCitizen, g.DemoRegion = p.IIN, p.Region
		}
		keys = append(keys, demo)
	}

	st, err := store.OpenWith(ctx, cfg.DatabaseURL, cfg.DataDir, store.Options{Pipeline: cfg.DBPipeline})
	if err != nil {
		return nil, err
	}
	client, db := st.Client, st.DB
	if cfg.DatabaseURL != "" {
		n := cfg.DBMaxConns
		if n <= 0 {
			n = max(8, 4*runtime.GOMAXPROCS(0))
		}
		n++ // the audit log keeps one for itself (audit.Log), so the queries keep n
		db.SetMaxOpenConns(n)
		db.SetMaxIdleConns(n)
	}
	g.closers = append(g.closers, st.Close)
	g.store = st

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	g.derived = newDerivedMetrics()
	reg.MustRegister(g.derived.collectors()...)
	if p := st.Pipeline; p != nil {
		reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "birlik_db_pipeline_batches_total", Help: "Batches of PostgreSQL reads sent in pipeline mode, one round trip each."},
				func() float64 { b, _ := p.Stats(); return float64(b) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "birlik_db_pipeline_reads_total", Help: "Reads those batches carried (reads / batches: the mean batch)."},
				func() float64 { _, r := p.Stats(); return float64(r) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "birlik_db_pipeline_stalls_total", Help: "Batches still running after 10 ms, each of which let another connection send (a slow statement, or a busy machine)."},
				func() float64 { return float64(p.Stalls()) }),
		)
	}
	headers := playgroundHeaders(cfg, g.DemoKey)
	// One Redis client for the cache, the persisted queries and the rate limits.
	var rdb redis.UniversalClient
	if cfg.RedisURL != "" {
		if rdb, err = redisconn.Open(ctx, cfg.RedisURL); err != nil {
			return nil, err
		}
		g.closers = append(g.closers, rdb.Close)
	}
	ao := cfg.Access
	ao.APIKeys, ao.Logger, ao.RequestID = keys, log, httpapi.RequestID
	if ao.TokenKeys, err = tokenKeys(cfg, cfg.Sources.Embedded()); err != nil {
		return nil, err
	}
	acc, err := access.NewLayer(ao, st, rdb)
	if err != nil {
		return nil, err
	}
	g.closers = append(g.closers, acc.Close)
	reg.MustRegister(acc.Audit.Collectors()...)
	g.Tokens = acc.Tokens
	withoutAuditForBenchmark(cfg, acc, log)                               // only with BIRLIK_BENCHMARK_AUDIT_OFF=1 and --benchmark-audit-off
	perf, err := newPerfLayer(ctx, cfg, client, rdb, g.Sources, reg, log) // cache, loaders, APQ, metrics (server_perf.go)
	if err != nil {
		return nil, err
	}
	g.closers = append(g.closers, perf.Close)
	// Demand control: requests are priced by the rows they may read and held to their role's
	// budget; each class of roles runs in its own bulkhead.
	g.rows = demand.NewTableRows(ctx, st, 30*time.Second, log)
	priced := demand.New(g.rows, cfg.Demand.Budgets)
	bulkheads := demand.NewBulkheads(cfg.Demand.Classes, log)
	reg.MustRegister(bulkheads.Collectors()...)
	cursors, err := cursorSealer(cfg, log)
	if err != nil {
		return nil, err
	}
	g.Handler, err = httpapi.New(httpapi.Options{
		Schema: graph.NewExecutableSchema(graph.Config{
			Resolvers:  &resolvers.Resolver{Client: client, ShowOfficial: cfg.ShowOfficial},
			Directives: graph.DirectiveRoot{Personal: access.Personal[model.PersonalData]},
		}),
		Authenticator:     acc.Authenticator,
		AuthGuard:         acc.AuthGuard,
		Limits:            acc.Limits,
		QueryMiddleware:   slices.Concat(acc.QueryMiddleware, []func(http.Handler) http.Handler{bulkheads.Middleware}, perf.QueryMiddleware),
		Extensions:        slices.Concat(perf.Extensions, []graphql.HandlerExtension{priced}, acc.Extensions), // APQ first: it fills in the query text
		Logger:            log,
		Registry:          reg,
		Ready:             g.Ready,
		PlaygroundHeaders: headers,
		Cursors:           cursors,
	})
	if err != nil {
		return nil, err
	}

	return g, nil
}

// Start starts the background work until ctx ends: the syncs and, after each that moved the
// store, the derived work (readiness turns on when the first sync finishes).
func (g *gateway) Start(ctx context.Context) {
	go func() {
		err := syncLoop(ctx, g.store, g.Sources, g.cfg.SyncInterval, g.log, g.derived, func() {
			g.rows.Refresh(ctx) // price the first requests by the synced tables
			g.Ready.Ready()
			g.log.Info("first sync finished: ready")
		})
		if err != nil && ctx.Err() == nil {
			g.Ready.NotReady("sync failed: " + err.Error())
			g.log.Error("sync failed", "err", err)
		}
	}()
}

// keyHint is what the playground's headers editor says when it may not show the demo key.
const keyHint = "Bearer <API key or token: ask the gateway's administrator, or on its machine run `birlik token --role ROLE --subject WHO` (from the source: go run . token …)>"

// playgroundHeaders are the headers the playground at / fills in: the demo key only when the
// gateway listens on loopback alone, where nobody but this machine's users can load the page;
// listening on other addresses, the page says how to get a key instead of handing an admin
// key to anyone who reaches the port.
func playgroundHeaders(cfg options, demoKey string) map[string]string {
	if demoKey != "" && cfg.LoopbackOnly() {
		return map[string]string{"Authorization": "Bearer " + demoKey}
	}
	return map[string]string{"Authorization": keyHint}
}

// runServe builds the gateway for cfg and runs it until ctx ends, printing the URL (and the
// demo key) to out.
func runServe(ctx context.Context, cfg options, out io.Writer) error {
	g, err := newGateway(ctx, cfg, newLogger(cfg, os.Stderr))
	if err != nil {
		return err
	}
	defer g.Close()
	return g.Run(ctx, out)
}

// Run starts the background work and serves on the configured address until ctx ends, printing
// the URL (and the demo key) to out.
func (g *gateway) Run(ctx context.Context, out io.Writer) error {
	cfg, log := g.cfg, g.log
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on BIRLIK_ADDR=%s: %w", cfg.Addr, err)
	}
	url := "http://" + ln.Addr().String() + "/"
	if cfg.PprofAddr != "" {
		if err := servePprof(ctx, cfg.PprofAddr, log); err != nil {
			return err
		}
	}
	g.Start(ctx)
	fmt.Fprintf(out, "Birlik is serving the playground at %s (GraphQL at %squery)\n", url, url)
	if g.DemoKey != "" {
		fmt.Fprintf(out, "demo API key (role admin, kept in %s): %s\n", cfg.DataDir, g.DemoKey)
		if !cfg.LoopbackOnly() {
			fmt.Fprintf(out, "  listening beyond loopback (BIRLIK_ADDR=%s): the playground does not show this key; hand out keys or tokens yourself\n", cfg.Addr)
		}
		fmt.Fprintf(out, "  curl -H 'Authorization: Bearer %s' -d '{\"query\":\"{ regions { kato name } }\"}' %squery\n", g.DemoKey, url)
		if g.Tokens != nil && g.DemoCitizen != "" {
			if err := demoTokens(out, g.Tokens, g.DemoCitizen, g.DemoRegion, 8*time.Hour); err != nil {
				return err
			}
		}
	}
	return httpapi.Serve(ctx, ln, g.Handler, cfg.ShutdownTimeout, log)
}

// cursorSealer returns the sealer of the gateway's cursors: BIRLIK_CURSOR_KEY, else a key kept
// in BIRLIK_DATA (cursors survive a restart, but another gateway refuses them).
func cursorSealer(cfg options, log *slog.Logger) (*cursor.Sealer, error) {
	key := cfg.CursorKey
	if key == nil {
		var err error
		if key, err = cursor.LoadOrCreateKey(cfg.DataDir); err != nil {
			return nil, err
		}
		if !cfg.Sources.Embedded() {
			log.Warn("BIRLIK_CURSOR_KEY is unset: cursors are sealed with a key kept in BIRLIK_DATA; replicas behind one address must share one BIRLIK_CURSOR_KEY", "file", filepath.Join(cfg.DataDir, cursor.KeyFile))
		}
	}
	s, err := cursor.NewSealer(key)
	if err != nil {
		return nil, fmt.Errorf("BIRLIK_CURSOR_KEY: %w", err)
	}
	return s, nil
}
