// Command chaos is Birlik's opt-in chaos test. It builds the gateway, starts the five ministry
// simulators in processes of their own (the source it will stop in one, the other four in
// another), a redis-server of its own on a free loopback port, and the gateway (`birlik serve`)
// over them with a short sync interval, on SQLite or, when DATABASE_URL is set, on a PostgreSQL
// database it creates beside DATABASE_URL's and drops at the end.
//
// While the three users' workloads run — citizens (the citizen query, and a client asking it
// with the live fields), the medical information system following the change feed, and an
// analyst sending README's analyst queries — it goes through five phases: a baseline; one
// simulator killed, then restarted on its port; the gateway's Redis killed (SIGKILL), then
// restarted on its port; the gateway's PostgreSQL connections terminated (pg_terminate_backend);
// and hostile analysts sending requests that read whole tables. It prints, per phase, the
// citizen query's latency and errors, the other workloads' outcomes with the analysts' refusals
// by code, and what /readyz said.
//
// Then it checks: every source synced without error after the faults (Query.freshness); the
// store equals a clean sync from the same simulators (table by table, without the time
// columns); `birlik audit verify` passes on the gateway's store; the citizen query's p99 under
// the hostile analysts is within 2x of the baseline's. It exits 1 when a check fails.
//
// Like bench/load it talks to the gateway over HTTP only; it reads the stores afterwards through
// the store and syncer packages, as the tests that compare a store with a clean sync do.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/birlik/birlik/bench/internal/kit"
	"github.com/birlik/birlik/sim/all"
)

type options struct {
	people       int
	seed         int64
	duration     time.Duration // all phases together
	syncInterval time.Duration
	citizens     int
	citizenRate  float64 // > 0: citizens arrive at this rate a second instead of the closed-loop clients
	live         int
	umis         int
	analysts     int
	hostile      int
	source       string
	bin          string
	keep         bool
	readyTimeout time.Duration
	gatewayEnv   []string
	// analystBudget is BIRLIK_BUDGETS' analyst entry, REQUEST/PERMINUTE rows ("" keeps the
	// gateway's default).
	analystBudget string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	passed, err := runChaos(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
	if !passed {
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "chaos: "+format+"\n", args...)
}

// run holds what the run started.
type run struct {
	o           options
	work        string
	keys        kit.Keys
	hostileKeys []string
	urls        map[string]string // simulator base URLs by name
	outage      *proc             // the simulator the run stops
	outageAddr  string
	others      *proc // the other four simulators
	redis       *redisServer
	pgAdmin     string   // DATABASE_URL
	pgURL       string   // the gateway's database
	pgNames     []string // databases the run created
}

func runChaos(ctx context.Context, args []string, out io.Writer) (bool, error) {
	var o options
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	fs.IntVar(&o.people, "people", 5000, "people in the generated country")
	fs.Int64Var(&o.seed, "seed", 1, "generator seed")
	fs.DurationVar(&o.duration, "duration", 150*time.Second, "the five phases together; each takes a fifth (a skipped phase none)")
	fs.DurationVar(&o.syncInterval, "sync-interval", 10*time.Second, "the gateway's sync interval")
	fs.IntVar(&o.citizens, "citizens", 4, "clients asking the citizen query, one request after the other")
	fs.Float64Var(&o.citizenRate, "citizen-rate", 0, "citizen queries a second, sent whatever the answers' latency (an open loop, in place of -citizens' clients); 0: -citizens clients, each asking after the last answer")
	fs.IntVar(&o.live, "live", 1, "clients asking the citizen query with the live fields (health's coverage, justice's register status)")
	fs.IntVar(&o.umis, "umis", 1, "clients following the change feed (the medical information system)")
	fs.IntVar(&o.analysts, "analysts", 1, "clients sending README's analyst queries")
	fs.IntVar(&o.hostile, "hostile", 4, "hostile analysts in the hostile phase, each with a key of its own")
	fs.StringVar(&o.source, "source", "health", "the simulator stopped and restarted: one of "+strings.Join(all.Names, ", "))
	fs.StringVar(&o.bin, "bin", "", "a built gateway binary; empty: go build the module in the current folder")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary folder (logs, SQLite stores) and the PostgreSQL databases")
	fs.DurationVar(&o.readyTimeout, "ready-timeout", 10*time.Minute, "how long the gateway may take to answer /readyz 200 after its first sync")
	budget := fs.String("analyst-budget", "auto", "the analysts' budget in rows, REQUEST/PERMINUTE; auto: 200 and 2,000 rows a person, the scale of the gateway's own test of a small country (at 5,000 people the 30-aggregate request is over it, 5 aggregates within); default: the gateway's defaults, set for a large country")
	env := fs.String("gateway-env", "", "extra environment for the gateway, comma-separated NAME=VALUE (after the run's own, so it may override them, e.g. BIRLIK_BUDGETS)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: go run ./bench/chaos [flags]\n\nRuns the three users' workloads against a gateway it starts while it stops a simulator, kills\nRedis, drops the PostgreSQL connections and runs hostile analysts; prints each phase, then checks\nthe store against a clean sync, the audit log, and the citizens' p99 under hostile analysts.\nPostgreSQL when DATABASE_URL is set (a database of its own is created and dropped), else SQLite.\nSee bench/README.md.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return true, nil
		}
		return false, err
	}
	if fs.NArg() > 0 {
		return false, fmt.Errorf("unexpected argument %q (see -help)", fs.Arg(0))
	}
	switch *budget {
	case "auto":
		o.analystBudget = fmt.Sprintf("%d/%d", 200*o.people, 2000*o.people)
	case "default":
	default:
		o.analystBudget = *budget
	}
	for _, kv := range strings.Split(*env, ",") {
		if kv = strings.TrimSpace(kv); kv != "" {
			if !strings.Contains(kv, "=") {
				return false, fmt.Errorf("-gateway-env: %q is not NAME=VALUE", kv)
			}
			o.gatewayEnv = append(o.gatewayEnv, kv)
		}
	}
	if !slices.Contains(all.Names, o.source) {
		return false, fmt.Errorf("-source %q: want one of %s", o.source, strings.Join(all.Names, ", "))
	}
	if (o.citizens < 1 && o.citizenRate <= 0) || o.citizenRate < 0 || o.live < 0 || o.umis < 0 || o.analysts < 0 || o.hostile < 1 || o.people < 1 || o.duration <= 0 || o.syncInterval <= 0 {
		return false, fmt.Errorf("-citizens and -hostile must be at least 1, -live, -umis and -analysts at least 0, -people, -duration and -sync-interval positive")
	}

	work, err := os.MkdirTemp("", "birlik-chaos-")
	if err != nil {
		return false, err
	}
	keepWork := o.keep
	defer func() {
		if keepWork {
			logf("logs and stores kept in %s", work)
			return
		}
		os.RemoveAll(work)
	}()
	if o.bin == "" {
		o.bin = filepath.Join(work, "birlik")
		logf("go build -o %s .", o.bin)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", o.bin, ".")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return false, fmt.Errorf("building the gateway (run from the module root, or pass -bin): %w", err)
		}
	}
	r := &run{o: o, work: work, keys: kit.NewKeys()}
	for i := range o.hostile {
		r.hostileKeys = append(r.hostileKeys, kit.NewKey(fmt.Sprintf("hostile-%d", i)))
	}
	defer r.cleanup()

	if dbURL := os.Getenv("DATABASE_URL"); dbURL != "" {
		name := fmt.Sprintf("birlik_chaos_%d", os.Getpid())
		u, err := kit.CreateDatabase(ctx, dbURL, name)
		if err != nil {
			return false, err
		}
		r.pgAdmin, r.pgURL, r.pgNames = dbURL, u, append(r.pgNames, name)
		logf("PostgreSQL: created database %s", name)
	} else {
		logf("DATABASE_URL is not set: the store is SQLite")
	}

	if err := r.startSims(ctx); err != nil {
		return false, err
	}
	if _, err := exec.LookPath("redis-server"); err == nil {
		if r.redis, err = startRedis(ctx, work); err != nil {
			return false, err
		}
		logf("redis-server on %s", r.redis.addr)
	} else {
		logf("redis-server is not installed: the gateway runs without Redis and the Redis phase is skipped")
	}
	g, err := r.startGateway(ctx)
	if err != nil {
		return false, err
	}
	defer g.p.stop(syscall.SIGTERM, 30*time.Second)
	s, err := kit.Sample(ctx, g.Client, r.keys)
	if err != nil {
		return false, err
	}
	logf("sampled %d people, payments from %s, %d change-feed pages", len(s.IINs), s.PeriodFrom, len(s.Cursors))
	prices := probePrices(ctx, g, r.keys, s)

	// The workloads run through every phase; a warm-up of 5 seconds is not reported.
	w := &workloads{g: g, keys: r.keys, hostile: r.hostileKeys, s: s}
	warm := newPhase("warm-up")
	warm.began = time.Now()
	w.current.Store(warm)
	wctx, stopWork := context.WithCancel(ctx)
	defer stopWork()
	var wg sync.WaitGroup
	seed := uint64(1)
	if o.citizenRate > 0 {
		w.paced(wctx, &wg, seed, func(p *phaseStats) *tally { return &p.citizen }, o.citizenRate, w.citizen(false))
		seed++
	} else {
		for range o.citizens {
			w.loop(wctx, &wg, seed, func(p *phaseStats) *tally { return &p.citizen }, 0, w.citizen(false))
			seed++
		}
	}
	for range o.live {
		w.loop(wctx, &wg, seed, func(p *phaseStats) *tally { return &p.live }, 0, w.citizen(true))
		seed++
	}
	for range o.umis {
		w.loop(wctx, &wg, seed, func(p *phaseStats) *tally { return &p.umis }, 0, w.umis())
		seed++
	}
	for range o.analysts {
		w.loop(wctx, &wg, seed, func(p *phaseStats) *tally { return &p.analyst }, time.Second, w.analyst())
		seed++
	}
	w.pollReadyz(wctx, &wg)
	if !sleepUntil(ctx, time.Now().Add(5*time.Second)) {
		return false, ctx.Err()
	}
	phases := r.runPhases(ctx, wctx, g, w)
	w.current.Store(newPhase("after"))
	// The requests of the phases still running get a minute to end (the longest deadline of the
	// gateway's bulkheads); then the workloads stop and what still runs counts as unfinished.
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline) && ctx.Err() == nil; time.Sleep(100 * time.Millisecond) {
		running := int64(0)
		for _, p := range phases {
			running += p.inflight.Load()
		}
		if running == 0 {
			break
		}
	}
	stopWork()
	wg.Wait()
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	printPhases(out, o, r, phases)
	fmt.Fprintf(out, "\nprices the gateway put on the steady queries (extensions.cost.rows): %s\n", prices)

	// The checks.
	fmt.Fprintln(out, "\nchecks:")
	passed := true
	check := func(ok bool, format string, args ...any) {
		v := "PASS"
		if !ok {
			v, passed = "FAIL", false
		}
		fmt.Fprintf(out, "  %s  %s\n", v, fmt.Sprintf(format, args...))
	}
	mark := time.Now()
	waitFor := 3*o.syncInterval + 2*time.Minute
	logf("waiting up to %v for a sync of every source after the faults", waitFor)
	missing := waitForSync(ctx, g, r.keys.Analyst, mark, all.Names, waitFor)
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	check(len(missing) == 0, "every source synced without error after the faults, none behind (Query.freshness; missing: %s)", listOrNone(missing))
	logf("stopping the gateway")
	g.p.stop(syscall.SIGTERM, 30*time.Second)

	verify, err := r.auditVerify(ctx, g)
	check(err == nil, "birlik audit verify on the gateway's store: %s", oneLine(verify))

	cleanURL := ""
	if r.pgURL != "" {
		name := fmt.Sprintf("birlik_chaos_%d_clean", os.Getpid())
		if cleanURL, err = kit.CreateDatabase(ctx, r.pgAdmin, name); err != nil {
			return false, err
		}
		r.pgNames = append(r.pgNames, name)
	}
	logf("birlik sync into a fresh store from the same simulators")
	began := time.Now()
	cleanData, err := r.cleanSync(ctx, cleanURL)
	if err != nil {
		return false, err
	}
	logf("clean sync took %v; comparing the stores", time.Since(began).Round(100*time.Millisecond))
	got, gotGap, err := dumpTables(ctx, r.pgURL, g.data)
	if err != nil {
		return false, fmt.Errorf("reading the gateway's store: %w", err)
	}
	want, wantGap, err := dumpTables(ctx, cleanURL, cleanData)
	if err != nil {
		return false, fmt.Errorf("reading the clean store: %w", err)
	}
	tables := compareTables(got, want)
	equal := gotGap == "" && wantGap == ""
	rows := 0
	for _, t := range tables {
		equal = equal && t.firstDiff == ""
		rows += t.got
	}
	check(equal, "the store equals a clean sync: %d tables, %d rows (time columns aside; changes compared without their numbers, which run 1..n without a gap)", len(tables), rows)
	for _, t := range tables {
		if t.firstDiff != "" {
			fmt.Fprintf(out, "        %s: gateway %d rows, clean sync %d; first difference at %s\n", t.table, t.got, t.want, t.firstDiff)
		}
	}
	if gotGap != "" {
		fmt.Fprintf(out, "        the gateway's change sequence has a gap: %s\n", gotGap)
	}
	if wantGap != "" {
		fmt.Fprintf(out, "        the clean sync's change sequence has a gap: %s\n", wantGap)
	}

	base, hostile := phaseNamed(phases, phaseBaseline), phaseNamed(phases, phaseHostile)
	_, bp99, _ := base.citizen.quantiles()
	_, hp99, _ := hostile.citizen.quantiles()
	check(base.citizen.answered > 0 && hostile.citizen.answered > 0 && hp99 <= 2*bp99,
		"citizen p99 under %d hostile analysts %s ms, within 2x of the baseline's %s ms (%.2fx; %d and %d requests, %d and %d unfinished)",
		o.hostile, msAtLeast(hp99, &hostile.citizen), msAtLeast(bp99, &base.citizen), ratio(hp99, bp99),
		base.citizen.requests(), hostile.citizen.requests(), base.citizen.unfinished, hostile.citizen.unfinished)
	if !passed {
		keepWork = true
		fmt.Fprintln(out, "\nchaos: FAIL")
	} else {
		fmt.Fprintln(out, "\nchaos: PASS")
	}
	return passed, nil
}

// probePrices asks each steady query once and returns the prices the gateway put on them.
func probePrices(ctx context.Context, g *gateway, k kit.Keys, s *kit.Samples) string {
	iin, key := s.IINs[0], k.Caseworker[s.IINRegion[0]]
	vars := map[string]any{"iin": iin, "from": s.PeriodFrom, "region": s.Regions[0]}
	var parts []string
	for _, q := range []struct{ name, key, purpose, query string }{
		{"citizen", key, kit.PurposeCase, kit.CitizenQuery},
		{"citizen live", key, kit.PurposeCase, kit.CitizenLiveQuery},
		{"change-feed page", k.Health, kit.PurposeUMIS, kit.UMISQuery},
		{"analyst README", k.Analyst, kit.PurposeStats, analystReadmeQuery},
		{"analyst findings", k.Analyst, kit.PurposeStats, analystFindingsQuery},
		{"analyst payments", k.Analyst, kit.PurposeStats, kit.AnalystQuery},
	} {
		v := map[string]any{}
		for name := range vars {
			if strings.Contains(q.query, "$"+name) {
				v[name] = vars[name]
			}
		}
		r := classify(g.Post(ctx, q.key, q.purpose, q.query, v))
		if r.outcome == answered || r.outcome == degraded {
			parts = append(parts, fmt.Sprintf("%s %d", q.name, r.rows))
		} else {
			parts = append(parts, fmt.Sprintf("%s %s (%s)", q.name, r.code, r.detail))
		}
	}
	return strings.Join(parts, ", ")
}

// startSims starts the simulator the run stops in a process of its own on a port it keeps, and
// the other four in another.
func (r *run) startSims(ctx context.Context) error {
	var err error
	if r.outageAddr, err = kit.FreePort(); err != nil {
		return err
	}
	var others []string
	for _, n := range all.Names {
		if n != r.o.source {
			others = append(others, n)
		}
	}
	logf("starting the simulators (%d people, seed %d): %s alone on %s, the others together", r.o.people, r.o.seed, r.o.source, r.outageAddr)
	outage, u1, err := r.startSim(ctx, r.o.source, []string{r.o.source}, r.outageAddr)
	if err != nil {
		return err
	}
	r.outage = outage
	rest, u2, err := r.startSim(ctx, "others", others, "127.0.0.1")
	if err != nil {
		return err
	}
	r.others = rest
	r.urls = map[string]string{}
	for _, u := range []map[string]string{u1, u2} {
		for k, v := range u {
			r.urls[k] = v
		}
	}
	return nil
}

// sourceEnv names the simulators for the gateway and `birlik sync`.
func (r *run) sourceEnv() []string {
	var env []string
	for _, n := range all.Names {
		env = append(env, "BIRLIK_"+strings.ToUpper(n)+"_URL="+r.urls[n])
	}
	return env
}

// keyFlag is BIRLIK_API_KEYS: the benchmark keys and a key per hostile analyst.
func (r *run) keyFlag() string {
	list := r.keys.Entries()
	for i, k := range r.hostileKeys {
		list = append(list, fmt.Sprintf("%s:analyst:chaos-hostile-%d", k, i))
	}
	return strings.Join(list, ",")
}

func (r *run) cleanup() {
	r.outage.stop(syscall.SIGTERM, 5*time.Second)
	r.others.stop(syscall.SIGTERM, 5*time.Second)
	if r.redis != nil {
		r.redis.p.stop(syscall.SIGTERM, 5*time.Second)
	}
	if r.o.keep {
		if len(r.pgNames) > 0 {
			logf("PostgreSQL databases kept: %s", strings.Join(r.pgNames, ", "))
		}
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, n := range r.pgNames {
		if err := kit.DropDatabase(ctx, r.pgAdmin, n); err != nil {
			logf("dropping database %s: %v", n, err)
		}
	}
}

const (
	phaseBaseline = "baseline"
	phaseHostile  = "hostile analysts"
)

// runPhases runs the phases in turn, each for a fifth of -duration, and returns what each saw.
func (r *run) runPhases(ctx, wctx context.Context, g *gateway, w *workloads) []*phaseStats {
	d := r.o.duration / 5
	type phase struct {
		name  string
		skip  string
		fault func(p *phaseStats, end time.Time)
	}
	skipUnless := func(ok bool, why string) string {
		if ok {
			return ""
		}
		return why
	}
	list := []phase{
		{phaseBaseline, "", func(p *phaseStats, end time.Time) { sleepUntil(ctx, end) }},
		{r.o.source + " down", "", func(p *phaseStats, end time.Time) { r.sourceOutage(ctx, p, end) }},
		{"redis killed", skipUnless(r.redis != nil, "redis-server is not installed"), func(p *phaseStats, end time.Time) { r.redisOutage(ctx, p, end) }},
		{"postgres dropped", skipUnless(r.pgURL != "", "the store is SQLite (set DATABASE_URL for PostgreSQL)"), func(p *phaseStats, end time.Time) { r.pgDrops(ctx, p, end) }},
		{phaseHostile, "", func(p *phaseStats, end time.Time) { r.hostilePhase(wctx, w, p, end) }},
	}
	var out []*phaseStats
	for _, ph := range list {
		p := newPhase(ph.name)
		out = append(out, p)
		if ph.skip != "" {
			p.skipped = ph.skip
			logf("phase %q skipped: %s", ph.name, ph.skip)
			continue
		}
		if ctx.Err() != nil {
			p.skipped = "interrupted"
			continue
		}
		p.began = time.Now()
		w.current.Store(p)
		logf("phase %q for %v", ph.name, d)
		ph.fault(p, p.began.Add(d))
		sleepUntil(ctx, p.began.Add(d))
		p.took = time.Since(p.began)
		p.load = loadAverage()
	}
	return out
}

// sourceOutage kills the outage simulator, and restarts it on the same port halfway.
func (r *run) sourceOutage(ctx context.Context, p *phaseStats, end time.Time) {
	half := p.began.Add(time.Until(end) / 2)
	r.outage.stop(syscall.SIGKILL, 5*time.Second)
	p.note("%s simulator killed (SIGKILL)", r.o.source)
	if !sleepUntil(ctx, half) {
		return
	}
	t0 := time.Now()
	pr, urls, err := r.startSim(ctx, r.o.source, []string{r.o.source}, r.outageAddr)
	if err != nil {
		p.note("restarting the %s simulator failed: %v", r.o.source, err)
		return
	}
	r.outage = pr
	p.note("%s simulator restarted; it listens again at %s after %.1fs (generating the country)", r.o.source, urls[r.o.source], time.Since(t0).Seconds())
}

// redisOutage kills the gateway's Redis and restarts it on the same port halfway.
func (r *run) redisOutage(ctx context.Context, p *phaseStats, end time.Time) {
	half := p.began.Add(time.Until(end) / 2)
	r.redis.p.stop(syscall.SIGKILL, 5*time.Second)
	p.note("redis-server killed (SIGKILL)")
	if !sleepUntil(ctx, half) {
		return
	}
	if err := r.redis.start(ctx); err != nil {
		p.note("restarting redis-server failed: %v", err)
		return
	}
	p.note("redis-server restarted on %s (empty: no persistence)", r.redis.addr)
}

// pgDrops terminates every connection of the gateway to its database three times in the phase.
func (r *run) pgDrops(ctx context.Context, p *phaseStats, end time.Time) {
	span := time.Until(end)
	for i := range 3 {
		if !sleepUntil(ctx, p.began.Add(span*time.Duration(i)/3)) {
			return
		}
		n, err := terminateBackends(ctx, r.pgURL)
		if err != nil {
			p.note("pg_terminate_backend failed: %v", err)
			continue
		}
		p.note("pg_terminate_backend: %d connections of the gateway terminated", n)
	}
}

// terminateBackends terminates every other connection to dbURL's database.
func terminateBackends(ctx context.Context, dbURL string) (int, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&n)
	return n, err
}

// hostilePhase runs the hostile analysts until end. After a refusal each waits 100 ms, as a
// client retrying at once would.
func (r *run) hostilePhase(wctx context.Context, w *workloads, p *phaseStats, end time.Time) {
	ctx, cancel := context.WithDeadline(wctx, end)
	defer cancel()
	var wg sync.WaitGroup
	for i, key := range r.hostileKeys {
		w.loop(ctx, &wg, uint64(1000+i), func(p *phaseStats) *tally { return &p.hostile }, 100*time.Millisecond, w.hostileAnalyst(key, p))
	}
	p.note("%d hostile analysts sending, in turn: %s", len(r.hostileKeys), hostileNames())
	<-ctx.Done()
	wg.Wait()
}

func hostileNames() string {
	var n []string
	for _, q := range hostileQueries {
		n = append(n, q.name)
	}
	return strings.Join(n, "; ")
}

// loadAverage is the machine's 1-minute load average from /proc/loadavg ("?" when unknown): the
// run shares the machine, and its figures move with what else runs.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

// sleepUntil waits until t; false when ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	select {
	case <-time.After(d):
		return true
	case <-ctx.Done():
		return false
	}
}

func phaseNamed(ps []*phaseStats, name string) *phaseStats {
	for _, p := range ps {
		if p.name == name {
			return p
		}
	}
	return newPhase(name)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "(no output)"
	}
	return clipString(s)
}

// msAtLeast prints a latency in milliseconds, marked ≥ when the tally holds unfinished requests
// (the value may be a lower bound).
func msAtLeast(d time.Duration, t *tally) string {
	if t.unfinished > 0 {
		return fmt.Sprintf("≥%.1f", ms(d))
	}
	return fmt.Sprintf("%.1f", ms(d))
}

func pct(n, of int) string {
	if of == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f%%", 100*float64(n)/float64(of))
}

// printPhases prints the phases' tables and, under them, what happened in each.
func printPhases(out io.Writer, o options, r *run, ps []*phaseStats) {
	store := "SQLite"
	if r.pgURL != "" {
		store = "PostgreSQL"
	}
	redis := "no Redis"
	if r.redis != nil {
		redis = "Redis"
	}
	host, _ := os.Hostname()
	budget := o.analystBudget
	if budget == "" {
		budget = "the gateway's default"
	}
	citizens := fmt.Sprintf("%d citizen clients", o.citizens)
	if o.citizenRate > 0 {
		citizens = fmt.Sprintf("citizens at %g/s", o.citizenRate)
	}
	fmt.Fprintf(out, "\nBirlik chaos test: %d people, %s, %s, sync every %v, phases of %v; %s (+%d live), %d change-feed, %d analyst, %d hostile; analyst budget %s rows; %d CPUs, host %s\n\n",
		o.people, store, redis, o.syncInterval, o.duration/5, citizens, o.live, o.umis, o.analysts, o.hostile, budget, runtime.NumCPU(), host)

	fmt.Fprintln(out, "citizens (caseworker, the citizen query; live: the same with health's coverage and justice's register status):")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tp50 ms\tp99 ms\tmax ms\trequests\terrors\terror rate\tunfinished\tlive answered\tlive degraded\tlive errors\tlive unfinished\t")
	for _, p := range ps {
		if p.skipped != "" {
			fmt.Fprintf(tw, "%s\tskipped\t\t\t\t\t\t\t\t\t\t\t\n", p.name)
			continue
		}
		p50, p99, mx := p.citizen.quantiles()
		n := p.citizen.requests()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%d\t%d\t%d\t%d\t%d\t\n", p.name, msAtLeast(p50, &p.citizen), msAtLeast(p99, &p.citizen), msAtLeast(mx, &p.citizen),
			n, p.citizen.failed, pct(p.citizen.failed, n), p.citizen.unfinished,
			p.live.answered, p.live.degraded, p.live.failed, p.live.unfinished)
	}
	tw.Flush()

	fmt.Fprintln(out, "\nthe others (requests include the unfinished; analysts' refusals are QUERY_TOO_EXPENSIVE, BUDGET_EXHAUSTED, OVERLOADED, TIMEOUT, RATE_LIMITED, not errors):")
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tfeed pages\tfeed errors\tfeed p99 ms\tanalyst req\tanswered\trefused\terrors\thostile req\tanswered\trefused\terrors\t")
	for _, p := range ps {
		if p.skipped != "" {
			fmt.Fprintf(tw, "%s\tskipped\t\t\t\t\t\t\t\t\t\t\t\n", p.name)
			continue
		}
		_, up99, _ := p.umis.quantiles()
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", p.name,
			p.umis.requests(), p.umis.failed, msAtLeast(up99, &p.umis),
			p.analyst.requests(), p.analyst.answered, p.analyst.refused, p.analyst.failed,
			p.hostile.requests(), p.hostile.answered, p.hostile.refused, p.hostile.failed)
	}
	tw.Flush()

	fmt.Fprintln(out, "\nper phase:")
	for _, p := range ps {
		if p.skipped != "" {
			fmt.Fprintf(out, "  %s: skipped: %s\n", p.name, p.skipped)
			continue
		}
		fmt.Fprintf(out, "  %s (%.1fs; the machine's load average at its end: %s)\n", p.name, p.took.Seconds(), p.load)
		for _, n := range p.notes {
			fmt.Fprintf(out, "    %s\n", n)
		}
		fmt.Fprintf(out, "    /readyz: %s\n", p.readyzList())
		for reason := range p.reasons {
			fmt.Fprintf(out, "      said: %s\n", oneLine(reason))
		}
		for _, t := range []struct {
			who string
			t   *tally
		}{{"citizens", &p.citizen}, {"live", &p.live}, {"change feed", &p.umis}, {"analysts", &p.analyst}, {"hostile analysts", &p.hostile}} {
			if t.t.requests() == t.t.answered {
				continue
			}
			fmt.Fprintf(out, "    %s: %s", t.who, t.t.codeList(nil))
			if t.t.unfinished > 0 {
				fmt.Fprintf(out, "; %d unfinished when the workload stopped", t.t.unfinished)
			}
			if t.t.firstFail != "" {
				fmt.Fprintf(out, "; first error: %s", oneLine(t.t.firstFail))
			}
			fmt.Fprintln(out)
		}
		for _, t := range []struct {
			who string
			t   *tally
		}{{"analysts", &p.analyst}, {"hostile analysts", &p.hostile}} {
			for _, code := range slices.Sorted(maps.Keys(t.t.firstByCode)) {
				fmt.Fprintf(out, "    %s, first %s: %s\n", t.who, code, oneLine(t.t.firstByCode[code]))
			}
		}
		for _, q := range hostileQueries {
			if f, ok := p.first[q.name]; ok {
				fmt.Fprintf(out, "    hostile %q, first: %s\n", q.name, oneLine(f))
			}
		}
	}
}
