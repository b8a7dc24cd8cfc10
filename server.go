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
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent/familyassessment"
	"github.com/birlik/birlik/ent/finding"
	"github.com/birlik/birlik/gen"
	"github.com/birlik/birlik/graph"
	"github.com/birlik/birlik/graph/access"
	"github.com/birlik/birlik/graph/cursor"
	"github.com/birlik/birlik/graph/demand"
	"github.com/birlik/birlik/graph/model"
	"github.com/birlik/birlik/graph/readroute"
	"github.com/birlik/birlik/httpapi"
	"github.com/birlik/birlik/lease"
	"github.com/birlik/birlik/redisconn"
	"github.com/birlik/birlik/resolvers"
	"github.com/birlik/birlik/sim/all"
	"github.com/birlik/birlik/store"
	"github.com/birlik/birlik/syncer"
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
	rows    *demand.TableRows
	lease   *lease.Lease      // whether this replica runs the syncs and the derived work
	sched   *syncer.Scheduler // the sources' syncs
	deriver *deriver          // the findings and assessments after them
	counts  syncCounts        // each source's records synced so far (printFirstStart)
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
	var tabValues map[string]string // the playground tabs' variables: demo IINs and BINs
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
		tabValues = demoValues(country)
	}

	st, err := store.OpenWith(ctx, cfg.DatabaseURL, cfg.DataDir, store.Options{Pipeline: cfg.DBPipeline, ReadURL: cfg.DatabaseReadURL})
	if err != nil {
		return nil, err
	}
	// The resolvers' client: with a read replica, its reads go there (store.Router, routed per
	// operation by graph/readroute).
	client, db := st.ReadClient, st.DB
	if cfg.DatabaseURL != "" {
		n := cfg.DBMaxConns
		if n <= 0 {
			n = max(8, 4*runtime.GOMAXPROCS(0))
		}
		if st.ReadDB != nil {
			st.ReadDB.SetMaxOpenConns(n)
			st.ReadDB.SetMaxIdleConns(n)
		}
		n++ // the audit log keeps one for itself (audit.Log), so the queries keep n
		db.SetMaxOpenConns(n)
		db.SetMaxIdleConns(n)
	}
	g.closers = append(g.closers, st.Close)
	g.store = st
	g.Ready.AddCheck(httpapi.ComponentStore, httpapi.StoreCheck(st.Ping))
	var routes []graphql.HandlerExtension
	if r := st.Router; r != nil {
		g.Ready.AddCheck(httpapi.ComponentReadReplica, httpapi.ReadReplicaCheck(r.Check))
		routes = append(routes, readroute.Extension{W: r})
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	dm := newDerivedMetrics()
	reg.MustRegister(dm.collectors()...)
	g.deriver = newDeriver(st, cfg.AsOf, cfg.CheckWorkers, log, dm)
	if g.sched, err = syncer.NewScheduler(syncer.New(st, syncer.Options{Logger: log, OnProgress: g.counts.set}), syncer.ScheduleOptions{
		Interval: cfg.SyncInterval, Logger: log, OnChange: g.afterSync,
	}, feeds(g.Sources)...); err != nil {
		return nil, err
	}
	reg.MustRegister(g.sched.Collectors()...)
	g.lease = lease.New(st, lease.Options{Logger: log})
	reg.MustRegister(g.lease.Collectors()...)
	if r := st.Router; r != nil {
		reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "birlik_db_reads_total", Help: "Reads of the GraphQL resolvers by the database that served them.", ConstLabels: prometheus.Labels{"pool": "replica"}},
				func() float64 { n, _, _ := r.Served(); return float64(n) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "birlik_db_reads_total", Help: "Reads of the GraphQL resolvers by the database that served them.", ConstLabels: prometheus.Labels{"pool": "primary"}},
				func() float64 { _, n, _ := r.Served(); return float64(n) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "birlik_db_replica_fallbacks_total", Help: "Reads the read replica failed (lost, refused, a conflict with recovery) that the primary served instead."},
				func() float64 { _, _, n := r.Served(); return float64(n) }),
		)
	}
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
		g.Ready.AddCheck(httpapi.ComponentRedis, httpapi.RedisCheck(func(ctx context.Context) error { return rdb.Ping(ctx).Err() }))
	}
	ao := cfg.Access
	ao.APIKeys, ao.Logger, ao.RequestID = keys, log, httpapi.RequestID
	ao.OnRateLimitBackend = g.Ready.RateLimitBackend
	if ao.TokenKeys, err = tokenKeys(cfg, cfg.Sources.Embedded()); err != nil {
		return nil, err
	}
	acc, err := access.NewLayer(ao, st, rdb)
	if err != nil {
		return nil, err
	}
	g.closers = append(g.closers, acc.Close)
	reg.MustRegister(acc.Collectors()...)
	g.Tokens = acc.Tokens
	withoutAuditForBenchmark(cfg, acc, log)                               // only with BIRLIK_BENCHMARK_AUDIT_OFF=1 and --benchmark-audit-off
	perf, err := newPerfLayer(ctx, cfg, client, rdb, g.Sources, reg, log) // cache, loaders, APQ, metrics (server_perf.go)
	if err != nil {
		return nil, err
	}
	g.closers = append(g.closers, perf.Close)
	// Demand control: requests are priced by the rows they may read and held to their role's
	// budget; each class of roles then runs in its own bulkhead (after the price, so that a
	// refused request never waits for a place).
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
			Resolvers:  &resolvers.Resolver{Client: client, ShowOfficial: cfg.ShowOfficial, FreshnessOf: g.freshness},
			Directives: graph.DirectiveRoot{Personal: access.Personal[model.PersonalData]},
		}),
		Authenticator:     acc.Authenticator,
		AuthGuard:         acc.AuthGuard,
		Limits:            acc.Limits,
		QueryMiddleware:   slices.Concat(acc.QueryMiddleware, perf.QueryMiddleware),
		Extensions:        slices.Concat(perf.Extensions, []graphql.HandlerExtension{priced, bulkheads}, acc.Extensions, routes), // APQ first: it fills in the query text
		Logger:            log,
		Registry:          reg,
		Ready:             g.Ready,
		PlaygroundHeaders: headers,
		PlaygroundTabs:    playgroundTabs(readme, tabValues),
		Cursors:           cursors,
		CORSOrigins:       cfg.CORSOrigins,
	})
	if err != nil {
		return nil, err
	}

	return g, nil
}

// Start starts the background work until ctx ends. Of the replicas sharing a store, the one
// holding the lease (package lease; on SQLite, always this one) runs each source's syncs and,
// after any sync that moved the store, the derived work; the others answer queries over what the
// leader wrote, and take over when it is gone. Readiness: "sync" is down until every source has
// synced once and degraded while one is behind; "derived" is down until the findings and
// assessments have been computed once over the synced data, degraded while they are recomputed
// or after a failed run (docs/operations.md). A follower reads both from the store.
func (g *gateway) Start(ctx context.Context) {
	g.Ready.Set(httpapi.ComponentSync, httpapi.Down, "the first sync of every source has not finished")
	if g.derivedInStore(ctx) {
		// A restart over a store that holds them: they answer, though maybe behind the sources.
		g.Ready.Set(httpapi.ComponentDerived, httpapi.Degraded, "the findings and family assessments in the store are recomputed after the first sync")
	} else {
		g.Ready.Set(httpapi.ComponentDerived, httpapi.Down, "the findings and family assessments have not been computed yet")
	}
	go g.lease.Run(ctx, g.lead)
	go g.follow(ctx)
}

// lead runs the syncs and the derived work while this replica holds the lease (until ctx ends).
// It returns once the scheduler has stopped, so that the lease is let go only after this
// replica's last write.
func (g *gateway) lead(ctx context.Context) {
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		g.sched.Run(ctx)
	}()
	defer func() { <-stopped }()
	select {
	case <-ctx.Done():
		return
	case <-g.sched.Synced():
	}
	g.rows.Refresh(ctx) // price requests by the synced tables
	g.log.Info("every source has synced once")
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		state, detail := syncState(g.sched.Status())
		g.Ready.Set(httpapi.ComponentSync, state, detail)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// follow keeps the readiness and the table counts of a replica that does not lead up to date
// from the store, every few seconds, until ctx ends.
func (g *gateway) follow(ctx context.Context) {
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	var counted time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if g.lease.Leading() {
			continue
		}
		status, err := g.storedStatus(ctx)
		if err != nil {
			continue // the store's own readiness check says so
		}
		state, detail := syncState(status)
		if state == httpapi.OK {
			detail = "every source is synced (by the leading replica)"
		}
		g.Ready.Set(httpapi.ComponentSync, state, detail)
		if d, err := derivedStored(ctx, g.store, status); err == nil {
			if d.Current {
				g.Ready.Set(httpapi.ComponentDerived, httpapi.OK, "the findings and family assessments are up to date with the store (computed by the leading replica)")
			} else if d.Succeeded {
				g.Ready.Set(httpapi.ComponentDerived, httpapi.Degraded, "the leading replica is recomputing the findings and family assessments after a newer sync")
			}
		}
		if state == httpapi.OK && time.Since(counted) > time.Minute {
			g.rows.Refresh(ctx)
			counted = time.Now()
		}
	}
}

// storedStatus is the sources' status as the store shows it (for a replica that does not lead).
func (g *gateway) storedStatus(ctx context.Context) ([]syncer.SourceStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var sources []connectors.Source
	for _, s := range g.sched.Status() {
		sources = append(sources, s.Source)
	}
	return syncer.StoredStatus(ctx, g.store, sources)
}

// derivedInStore reports whether the store holds findings or family assessments already (an
// error counts as no: the derived work then decides).
func (g *gateway) derivedInStore(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var n int
	err := g.store.DB.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM (SELECT 1 FROM `+finding.Table+` LIMIT 1) f) + (SELECT count(*) FROM (SELECT 1 FROM `+familyassessment.Table+` LIMIT 1) a)`).Scan(&n)
	return err == nil && n > 0
}

// syncState is the readiness of the sync: ok, or degraded naming the sources behind and why.
func syncState(status []syncer.SourceStatus) (httpapi.State, string) {
	var behind []string
	for _, s := range status {
		if s.Behind {
			behind = append(behind, string(s.Source)+": "+s.BehindReason)
		}
	}
	if len(behind) == 0 {
		return httpapi.OK, "every source is synced"
	}
	return httpapi.Degraded, "behind: " + strings.Join(behind, "; ")
}

// afterSync is the scheduler's OnChange: the derived work over the store at mark, with its
// readiness.
func (g *gateway) afterSync(ctx context.Context, mark string) error {
	before := g.deriver.state()
	if before.Succeeded {
		g.Ready.Set(httpapi.ComponentDerived, httpapi.Degraded, "the findings and family assessments are being recomputed after a newer sync")
	}
	ran, err := g.deriver.afterSync(ctx, mark)
	switch {
	case err != nil && g.deriver.state().Succeeded:
		g.Ready.Set(httpapi.ComponentDerived, httpapi.Degraded, "the last recomputation of the findings and family assessments failed; it is retried: "+err.Error())
	case err != nil:
		g.Ready.Set(httpapi.ComponentDerived, httpapi.Down, "computing the findings and family assessments failed; it is retried: "+err.Error())
	case ran || before.Succeeded:
		g.Ready.Set(httpapi.ComponentDerived, httpapi.OK, "the findings and family assessments are up to date with the store")
	}
	return err
}

// freshness is Query.freshness: the sources' syncs and the derived work, as the leading replica
// knows them, or as the store shows them on a replica that does not lead.
func (g *gateway) freshness(ctx context.Context) *model.DataFreshness {
	st, status := g.deriver.state(), g.sched.Status()
	if !g.lease.Leading() {
		var err error
		if status, err = g.storedStatus(ctx); err != nil {
			status = nil
		}
		if st, err = derivedStored(ctx, g.store, status); err != nil {
			st = derivedState{}
		}
	}
	out := &model.DataFreshness{DerivedCurrent: st.Current, Sources: []*model.SourceFreshness{}}
	if !st.FindingsAt.IsZero() {
		out.FindingsComputedAt = &st.FindingsAt
	}
	if !st.AssessmentsAt.IsZero() {
		out.AssessmentsComputedAt = &st.AssessmentsAt
	}
	for _, s := range status {
		f := &model.SourceFreshness{Source: string(s.Source), Behind: s.Behind}
		if !s.LastSuccess.IsZero() {
			t := s.LastSuccess
			f.LastSyncedAt = &t
		}
		out.Sources = append(out.Sources, f)
	}
	return out
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
		fmt.Fprintf(out, "  curl -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' -d '{\"query\":\"{ regions { kato name } }\"}' %squery\n", g.DemoKey, url)
		if g.Tokens != nil && g.DemoCitizen != "" {
			if err := demoTokens(out, g.Tokens, g.DemoCitizen, g.DemoRegion, 8*time.Hour); err != nil {
				return err
			}
		}
	}
	go g.printFirstStart(ctx, out)
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
