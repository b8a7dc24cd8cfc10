// Command scale measures how Birlik grows with the country, on PostgreSQL: for each size it
// generates a country (seed 1), holds its last month back, loads the rest into an empty schema of
// its own as a first load (in bulk: secondary indexes deferred and rebuilt), syncs the held-back
// month as an incremental sync, runs every integrity check and one month of family assessments,
// measures the citizen query through a gateway over that store, and reads the store's size.
//
//	DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go run ./bench/scale -people 1000000,2000000 -results scale.jsonl
//	go run ./bench/scale -fit scale.jsonl     # the table of every size measured, and the projection
//
// Each size appends one JSON line to -results; -fit reads such lines (any number of runs, on
// any day) and prints the table of docs/scale.md: each step by size, the power law fitted to it
// (time = a·people^b; b near 1 is linear, above 1 superlinear) and its projection to 20 million.
// Every step also records the machine's CPU time (all processes: PostgreSQL's work is most of
// it), which moves less than wall time when something else runs on the machine.
//
// A size needs about 4 GB of memory per million people (the generated country) and about 20 min
// per million on a 2-core machine; the schema is dropped at the end unless -keep.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/birlik/birlik/bench/internal/kit"
	"github.com/birlik/birlik/checks"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/familycard"
	"github.com/birlik/birlik/familycard/welfare"
	"github.com/birlik/birlik/gen"
	"github.com/birlik/birlik/store"
	"github.com/birlik/birlik/syncer"
	"github.com/birlik/birlik/syncer/synctest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

type options struct {
	people      []int
	databaseURL string
	bin         string
	results     string
	fit         string
	keep        bool
	pageSize    int
	citizen     time.Duration
	rate        int
	// resume is a kept schema whose run stopped after its first load (a store URL), with what
	// that run's log measured before it stopped.
	resume         string
	resumedLoad    float64
	resumedIndexes float64
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("scale", flag.ContinueOnError)
	var o options
	people := fs.String("people", "1000000", "sizes to measure, comma-separated numbers of people")
	fs.StringVar(&o.databaseURL, "database-url", os.Getenv("DATABASE_URL"), "PostgreSQL server (default $DATABASE_URL); each size gets a schema of its own")
	fs.StringVar(&o.bin, "bin", "", "the gateway's binary for the citizen query; empty: built from this checkout")
	fs.StringVar(&o.results, "results", "", "file to append each size's result to, one JSON line each")
	fs.StringVar(&o.fit, "fit", "", "print the table and the projection of the results in this file, and measure nothing")
	fs.BoolVar(&o.keep, "keep", false, "keep each size's schema (its name is printed)")
	fs.IntVar(&o.pageSize, "page", synctest.BenchPageSize, "records per page of the in-memory feeds")
	fs.DurationVar(&o.citizen, "citizen-duration", 15*time.Second, "how long each citizen cell runs (1 and 16 clients, and the fixed rate)")
	fs.IntVar(&o.rate, "citizen-rate", 100, "requests per second of the citizen cell at a fixed rate (the load one replica serves), 0: none")
	fs.StringVar(&o.resume, "resume", "", "the URL of a schema kept by a run (-keep) that stopped after its first load: go on from its index rebuild, for one size (-people)")
	fs.Float64Var(&o.resumedLoad, "resumed-first-load", 0, "with -resume: the first load's seconds, from the stopped run's log (scale: first load done)")
	fs.Float64Var(&o.resumedIndexes, "resumed-indexes", 0, "with -resume: the seconds of index rebuild the stopped run's log shows finished before it stopped")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.fit != "" {
		rs, err := readResults(o.fit)
		if err != nil {
			return err
		}
		return printFit(out, rs)
	}
	for _, p := range strings.Split(*people, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 1000 {
			return fmt.Errorf("-people %q: want numbers of people of 1000 or more, comma-separated", *people)
		}
		o.people = append(o.people, n)
	}
	if o.resume != "" && (len(o.people) != 1 || o.resumedLoad <= 0) {
		return errors.New("-resume takes one size (-people) and the stopped run's -resumed-first-load")
	}
	if !strings.HasPrefix(o.databaseURL, "postgres") {
		return errors.New("set DATABASE_URL (or -database-url) to a PostgreSQL server: the growth curve is measured on PostgreSQL")
	}
	if o.bin == "" {
		dir, err := os.MkdirTemp("", "birlik-scale-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		o.bin = filepath.Join(dir, "birlik")
		fmt.Fprintln(os.Stderr, "scale: building the gateway")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", o.bin, ".")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("building the gateway (run from the checkout's root, or pass -bin): %w", err)
		}
	}
	var rs []Result
	for _, n := range o.people {
		r, err := measure(ctx, o, n)
		if err != nil {
			return fmt.Errorf("%d people: %w", n, err)
		}
		rs = append(rs, r)
		if o.results != "" {
			if err := appendResult(o.results, r); err != nil {
				return err
			}
		}
		fmt.Fprintf(out, "%d people: %s\n", n, r.summary())
	}
	return printFit(out, rs)
}

// Step is the time one step took: on the wall, in the CPU of this process (the syncer, the
// checks' and assessments' Go side) and of the PostgreSQL server, which together move far less
// than wall time when something else runs on the machine, and in the whole machine's CPU.
type Step struct {
	Seconds        float64 `json:"seconds"`
	SelfCPUSeconds float64 `json:"self_cpu_seconds"`
	PgCPUSeconds   float64 `json:"pg_cpu_seconds"` // 0 when the server runs on another machine
	MachCPUSeconds float64 `json:"machine_cpu_seconds"`
}

// Cell is the citizen query at a number of clients, or at a fixed rate (Rate requests a second
// sent on schedule whatever the answers' times, Clients 0).
type Cell struct {
	Clients  int     `json:"clients"`
	Rate     int     `json:"rate,omitempty"`
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	RPS      float64 `json:"rps"`
	P50ms    float64 `json:"p50_ms"`
	P99ms    float64 `json:"p99_ms"`
}

// Result is one size's measurements.
type Result struct {
	People      int       `json:"people"`
	When        time.Time `json:"when"`
	Machine     string    `json:"machine"`
	Postgres    string    `json:"postgres"`
	LoadAverage string    `json:"load_average"` // /proc/loadavg before the size began
	Records     int64     `json:"records"`      // every record of the country
	MonthRecs   int64     `json:"month_records"`
	HeldMonth   string    `json:"held_month"`
	// Resumed says how a run that stopped after its first load was finished (-resume): its first
	// load and part of its index rebuild come from the stopped run's log (wall time only).
	Resumed string `json:"resumed,omitempty"`

	Generate   Step    `json:"generate"`
	FirstLoad  Step    `json:"first_load"` // the sync of everything but the held month
	Indexes    Step    `json:"indexes"`    // rebuilding the deferred indexes and foreign keys
	Analyze    Step    `json:"analyze"`
	MonthSync  Step    `json:"month_sync"` // the incremental sync of the held month
	Checks     Step    `json:"checks"`     // every integrity check over an empty findings table
	Findings   int     `json:"findings"`
	Truth      int     `json:"truth"`
	Assess     Step    `json:"assess"` // the family assessments of the held month
	Families   int     `json:"families"`
	StoreBytes int64   `json:"store_bytes"`
	Citizen    []Cell  `json:"citizen"`
	PeakHeapGB float64 `json:"peak_heap_gb"`
}

func (r Result) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "generate %.1fs, first load %.1fs + indexes %.1fs, month %.1fs, checks %.1fs (%d findings, truth %d), assess %.1fs (%d families), store %.1f GB",
		r.Generate.Seconds, r.FirstLoad.Seconds, r.Indexes.Seconds, r.MonthSync.Seconds, r.Checks.Seconds, r.Findings, r.Truth,
		r.Assess.Seconds, r.Families, float64(r.StoreBytes)/1e9)
	for _, c := range r.Citizen {
		at := fmt.Sprintf("%d clients", c.Clients)
		if c.Rate > 0 {
			at = fmt.Sprintf("%d req/s", c.Rate)
		}
		fmt.Fprintf(&b, ", citizen at %s: %.0f req/s p50 %.1f ms p99 %.1f ms (%d errors)", at, c.RPS, c.P50ms, c.P99ms, c.Errors)
	}
	return b.String()
}

// timed runs f and returns its step.
func (m *meter) timed(f func() error) (Step, error) {
	m0, p0, s0, t0 := kit.ReadCPU(), m.pgCPU(), selfCPU(), time.Now()
	err := f()
	m1, p1, s1 := kit.ReadCPU(), m.pgCPU(), selfCPU()
	return Step{Seconds: time.Since(t0).Seconds(), SelfCPUSeconds: (s1 - s0).Seconds(), PgCPUSeconds: (p1 - p0).Seconds(),
		MachCPUSeconds: (m1.Machine - m0.Machine).Seconds()}, err
}

// meter reads the CPU time of the PostgreSQL server the store is on (postmaster 0: it runs on
// another machine, and its CPU is not read).
type meter struct{ postmaster int }

func (m *meter) pgCPU() time.Duration {
	if m.postmaster == 0 {
		return 0
	}
	d, _ := kit.PostgresCPU(m.postmaster)
	return d
}

// selfCPU is this process's user and system time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func measure(ctx context.Context, o options, people int) (Result, error) {
	r := Result{People: people, When: time.Now().UTC(), Machine: fmt.Sprintf("%d CPUs, %s", runtime.NumCPU(), kit.MemTotal())}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		r.LoadAverage = strings.TrimSpace(string(b))
	}
	m := &meter{}
	var peak uint64
	heap := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		peak = max(peak, m.HeapInuse)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	logger.Info("scale: generating", "people", people)

	var c *gen.Country
	var err error
	if r.Generate, err = m.timed(func() error {
		c, err = gen.Generate(gen.Config{Seed: 1, People: people})
		return err
	}); err != nil {
		return r, err
	}
	heap()
	r.Records, r.Truth = int64(c.Records()), len(c.Truth)
	held := c.Last()
	r.HeldMonth = held.String()
	late := synctest.HoldBack(c, held)
	r.MonthRecs = int64(late.Records())
	first, later := synctest.CountryFeeds(c, o.pageSize), synctest.CountryFeeds(late, o.pageSize)

	u, drop, err := o.resume, func() error { return nil }, error(nil)
	if o.resume == "" {
		u, drop, err = store.TempSchema(ctx, o.databaseURL, fmt.Sprintf("scale%d", people))
	}
	if err != nil {
		return r, err
	}
	if o.keep || o.resume != "" {
		logger.Info("scale: the schema is kept", "url", u)
	} else {
		defer func() {
			if err := drop(); err != nil {
				logger.Error("scale: dropping the schema", "err", err)
			}
		}()
	}
	st, err := store.Open(ctx, u, "")
	if err != nil {
		return r, err
	}
	defer st.Close()
	if err := st.DB.QueryRowContext(ctx, `SHOW server_version`).Scan(&r.Postgres); err != nil {
		return r, err
	}
	var backend int
	if err := st.DB.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&backend); err != nil {
		return r, err
	}
	if pm, ok := kit.Postmaster(backend); ok {
		m.postmaster = pm
	} else {
		logger.Warn("scale: PostgreSQL runs on another machine: its CPU time is not measured")
	}
	var sb string
	if err := st.DB.QueryRowContext(ctx, `SHOW shared_buffers`).Scan(&sb); err == nil {
		r.Postgres += ", shared_buffers " + sb
	}

	// The first load: everything but the held month, into empty tables without their secondary
	// indexes, which are built once at the end (as an operator loads a country).
	sy := syncer.New(st, syncer.Options{Logger: logger, LogEvery: time.Minute})
	if r.FirstLoad, err = m.timed(func() error {
		if o.resume == "" {
			if _, err := syncer.DeferIndexes(ctx, st); err != nil {
				return err
			}
		}
		_, err := sy.Run(ctx, synctest.Feeds(first)...) // resumed: finishes what the stopped run left, if anything
		return err
	}); err != nil {
		return r, fmt.Errorf("first load: %w", err)
	}
	if o.resume != "" {
		r.Resumed = fmt.Sprintf("the first load (%.0f s) and %.0f s of index rebuild are the stopped run's, from its log; the rebuild after them and every later step were measured on its kept schema", o.resumedLoad, o.resumedIndexes)
		r.FirstLoad = Step{Seconds: o.resumedLoad + r.FirstLoad.Seconds}
	}
	logger.Info("scale: first load done", "seconds", r.FirstLoad.Seconds)
	if r.Indexes, err = m.timed(func() error {
		_, err := syncer.RestoreIndexes(ctx, st, "1GB", logger)
		return err
	}); err != nil {
		return r, fmt.Errorf("rebuilding the indexes: %w", err)
	}
	r.Indexes.Seconds += o.resumedIndexes
	// This server runs no autovacuum: statistics come from an explicit ANALYZE, as the derived
	// work runs one after each sync.
	if r.Analyze, err = m.timed(func() error { _, err := st.DB.ExecContext(ctx, `ANALYZE`); return err }); err != nil {
		return r, err
	}

	// The incremental sync: each source resumes at its cursor and sends the held month.
	if r.MonthSync, err = m.timed(func() error {
		_, err := sy.Run(ctx, synctest.Feeds(synctest.Then(first, later))...)
		return err
	}); err != nil {
		return r, fmt.Errorf("syncing the held month: %w", err)
	}
	logger.Info("scale: the month synced", "seconds", r.MonthSync.Seconds)
	c, late, first, later = nil, nil, nil, nil // let the country go before the reads are measured
	runtime.GC()
	if _, err := st.DB.ExecContext(ctx, `ANALYZE`); err != nil {
		return r, err
	}

	var sum checks.Summary
	if r.Checks, err = m.timed(func() error { sum, err = checks.Run(ctx, st, checks.Defaults()); return err }); err != nil {
		return r, fmt.Errorf("checks: %w", err)
	}
	for _, k := range sum.Kinds {
		r.Findings += k.Cases
	}
	if r.Findings != r.Truth {
		logger.Warn("scale: the checks found another number of cases than the country holds", "found", r.Findings, "truth", r.Truth)
	}
	logger.Info("scale: checks done", "seconds", r.Checks.Seconds, "findings", r.Findings)

	a, err := familycard.NewAssessor(st, welfare.Default)
	if err != nil {
		return r, err
	}
	var ms familycard.MonthStats
	if r.Assess, err = m.timed(func() error { ms, err = a.AssessMonth(ctx, held); return err }); err != nil {
		return r, fmt.Errorf("assessing %s: %w", held, err)
	}
	r.Families = ms.Families
	logger.Info("scale: assessments done", "seconds", r.Assess.Seconds, "families", r.Families)

	if err := st.DB.QueryRowContext(ctx, `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')`).Scan(&r.StoreBytes); err != nil {
		return r, err
	}

	if r.Citizen, err = citizen(ctx, o, u, st, held); err != nil {
		return r, fmt.Errorf("citizen query: %w", err)
	}
	r.PeakHeapGB = float64(peak) / (1 << 30)
	return r, nil
}

// citizen starts the gateway over the store at u (its sources unreachable, so it syncs nothing
// and only answers) and measures the citizen query at 1 and 16 clients over a sample of persons
// spread over the whole table, each asked by a caseworker of the person's region.
func citizen(ctx context.Context, o options, u string, st *store.Store, held domain.Month) ([]Cell, error) {
	var n int64
	if err := st.DB.QueryRowContext(ctx, `SELECT count(*) FROM persons`).Scan(&n); err != nil {
		return nil, err
	}
	rows, err := st.DB.QueryContext(ctx, `SELECT iin, region_kato FROM persons WHERE id % $1 = 0 LIMIT 5000`, max(1, n/5000))
	if err != nil {
		return nil, err
	}
	var iins, regions []string
	for rows.Next() {
		var iin, region string
		if err := rows.Scan(&iin, &region); err != nil {
			rows.Close()
			return nil, err
		}
		iins, regions = append(iins, iin), append(regions, region)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(iins) == 0 {
		return nil, errors.New("the sample of persons is empty")
	}
	keys := kit.NewKeys()
	addr, err := kit.FreePort()
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "birlik-scale-gateway-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	const dead, unlimited = "http://127.0.0.1:1", "1000000/s:1000000"
	args := []string{"serve", "--addr", addr, "--data", work, "--sync-interval", "0", "--log-level", "warn", "--api-keys", keys.Flag(),
		"--justice-url", dead, "--labour-url", dead, "--education-url", dead, "--finance-url", dead, "--health-url", dead,
		// What is measured is the gateway over a larger store, not its rate limiter.
		"--rate-limits", "caseworker=" + unlimited}
	env := append(kit.GatewayEnv(), "DATABASE_URL="+u)
	logPath := filepath.Join(work, "gateway.log")
	g, err := kit.StartGatewayLive(ctx, "scale", o.bin, addr, args, env, logPath, 2*time.Minute)
	if err != nil {
		return nil, err
	}
	defer g.Stop()
	from := held.Add(-11).String()
	ask := func(ctx context.Context, rnd *rand.Rand) error {
		i := rnd.IntN(len(iins))
		key, ok := keys.Caseworker[regions[i]]
		if !ok {
			return fmt.Errorf("person %s is in region %q, not one of domain.Regions", iins[i], regions[i])
		}
		body, err := g.GQL(ctx, key, kit.PurposeCase, kit.CitizenQuery, map[string]any{"iin": iins[i], "from": from})
		if err != nil {
			return err
		}
		if !strings.Contains(string(body), `"lastName"`) {
			return fmt.Errorf("no person in the answer: %s", kit.Clip(body))
		}
		return nil
	}
	var cells []Cell
	for _, n := range []int{1, 16} {
		c := kit.Measure(ctx, 3*time.Second, o.citizen, n, []int{g.Cmd.Process.Pid}, ask)
		if c.FirstErr != "" {
			fmt.Fprintf(os.Stderr, "scale: citizen at %d clients: %d errors, the first: %s\n", n, c.Errors, c.FirstErr)
		}
		cells = append(cells, Cell{Clients: n, Requests: c.Requests, Errors: c.Errors, RPS: c.RPS(),
			P50ms: ms(c.P50), P99ms: ms(c.P99)})
	}
	if o.rate > 0 {
		cells = append(cells, atRate(ctx, o.rate, o.citizen, ask))
	}
	return cells, nil
}

// atRate sends ask rate times a second for d, each on schedule whatever the answers before it
// take (an open loop, as many independent citizens would), and returns the cell of the answers.
func atRate(ctx context.Context, rate int, d time.Duration, ask func(context.Context, *rand.Rand) error) Cell {
	var (
		mu   sync.Mutex
		lat  []time.Duration
		errs int
		wg   sync.WaitGroup
	)
	every := time.Second / time.Duration(rate)
	start := time.Now()
	for i := 0; time.Since(start) < d && ctx.Err() == nil; i++ {
		time.Sleep(time.Until(start.Add(time.Duration(i) * every)))
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			t0 := time.Now()
			err := ask(ctx, rand.New(rand.NewPCG(seed, 7)))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs++
				return
			}
			lat = append(lat, time.Since(t0))
		}(uint64(i))
	}
	wg.Wait()
	slices.Sort(lat)
	el := time.Since(start)
	return Cell{Rate: rate, Requests: len(lat), Errors: errs, RPS: float64(len(lat)) / el.Seconds(),
		P50ms: ms(kit.Quantile(lat, 0.5)), P99ms: ms(kit.Quantile(lat, 0.99))}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func appendResult(path string, r Result) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(f).Encode(r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func readResults(path string) ([]Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rs []Result
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var r Result
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, i+1, err)
		}
		rs = append(rs, r)
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("%s holds no results", path)
	}
	return rs, nil
}

// Country is the size the projection is made for: Kazakhstan's population.
const Country = 20_000_000

// metric is one row of the table: a figure of each result (0: not measured at that size), its
// unit and its target at the country's size (0: none).
type metric struct {
	name, unit string
	of         func(Result) float64
	target     float64
	limit      string
}

var metrics = []metric{
	{"generate (not Birlik's work)", "s", func(r Result) float64 { return r.Generate.Seconds }, 0, ""},
	{"first load (sync)", "s", func(r Result) float64 { return r.FirstLoad.Seconds }, 0, ""},
	{"first load (index rebuild)", "s", func(r Result) float64 { return r.Indexes.Seconds }, 0, ""},
	{"first load (sync + indexes + ANALYZE)", "s", func(r Result) float64 {
		return r.FirstLoad.Seconds + r.Indexes.Seconds + r.Analyze.Seconds
	}, 6 * 3600, "first load under 6 hours"},
	{"first load, CPU of Birlik + PostgreSQL", "s", func(r Result) float64 {
		if r.Resumed != "" {
			return 0 // the stopped run's CPU is not in its log
		}
		return r.FirstLoad.cpu() + r.Indexes.cpu() + r.Analyze.cpu()
	}, 0, ""},
	{"incremental sync of one month", "s", func(r Result) float64 { return r.MonthSync.Seconds }, 0, ""},
	{"all checks", "s", func(r Result) float64 { return r.Checks.Seconds }, 600, "checks under 10 minutes"},
	{"all checks, CPU of Birlik + PostgreSQL", "s", func(r Result) float64 { return r.Checks.cpu() }, 0, ""},
	{"one month of assessments", "s", func(r Result) float64 { return r.Assess.Seconds }, 0, ""},
	{"store size", "GB", func(r Result) float64 { return float64(r.StoreBytes) / 1e9 }, 0, ""},
	{"citizen p50, 1 client", "ms", func(r Result) float64 { return cell(r, 1).P50ms }, 0, ""},
	{"citizen p99, 1 client", "ms", func(r Result) float64 { return cell(r, 1).P99ms }, 0, ""},
	{"citizen p99, 16 clients (the machine saturated)", "ms", func(r Result) float64 { return cell(r, 16).P99ms }, 0, ""},
	{"citizen p99 at a fixed rate (one replica's share of the load)", "ms", func(r Result) float64 { return rateCell(r).P99ms }, 50, "citizen p99 under 50 ms"},
	{"citizen req/s, 16 clients", "req/s", func(r Result) float64 { return cell(r, 16).RPS }, 0, ""},
}

// cpu is the step's CPU time in this process and PostgreSQL together.
func (s Step) cpu() float64 { return s.SelfCPUSeconds + s.PgCPUSeconds }

// rateCell is the cell at a fixed rate.
func rateCell(r Result) Cell {
	for _, c := range r.Citizen {
		if c.Rate > 0 {
			return c
		}
	}
	return Cell{}
}

func cell(r Result, clients int) Cell {
	for _, c := range r.Citizen {
		if c.Rate == 0 && c.Clients == clients {
			return c
		}
	}
	return Cell{}
}

// Fit is the power law y = a·x^b through points by least squares on their logarithms.
type Fit struct{ A, B float64 }

// fitPower fits y = a·x^b; ok is false with fewer than two distinct x or a y not above 0.
func fitPower(xs, ys []float64) (Fit, bool) {
	if len(xs) < 2 || len(xs) != len(ys) {
		return Fit{}, false
	}
	var sx, sy, sxx, sxy float64
	for i := range xs {
		if xs[i] <= 0 || ys[i] <= 0 {
			return Fit{}, false
		}
		lx, ly := math.Log(xs[i]), math.Log(ys[i])
		sx, sy, sxx, sxy = sx+lx, sy+ly, sxx+lx*lx, sxy+lx*ly
	}
	n := float64(len(xs))
	d := n*sxx - sx*sx
	if math.Abs(d) < 1e-12 {
		return Fit{}, false
	}
	b := (n*sxy - sx*sy) / d
	return Fit{A: math.Exp((sy - b*sx) / n), B: b}, true
}

// At is the fitted y at x.
func (f Fit) At(x float64) float64 { return f.A * math.Pow(x, f.B) }

// printFit prints the table of docs/scale.md: for each metric its value at each size (the
// latest result per size), the exponent of the fitted power law and the projection to Country.
func printFit(out io.Writer, rs []Result) error {
	latest := map[int]Result{}
	for _, r := range rs {
		if p, ok := latest[r.People]; !ok || r.When.After(p.When) {
			latest[r.People] = r
		}
	}
	var sizes []int
	for n := range latest {
		sizes = append(sizes, n)
	}
	slices.Sort(sizes)
	fmt.Fprint(out, "\n| step |")
	for _, n := range sizes {
		fmt.Fprintf(out, " %s |", people(n))
	}
	fmt.Fprintf(out, " exponent b | projected, %s | target |\n|---|", people(Country))
	for range sizes {
		fmt.Fprint(out, "---|")
	}
	fmt.Fprintln(out, "---|---|---|")
	for _, m := range metrics {
		var xs, ys []float64
		fmt.Fprintf(out, "| %s (%s) |", m.name, m.unit)
		for _, n := range sizes {
			v := m.of(latest[n])
			if v <= 0 { // not measured at this size
				fmt.Fprint(out, " – |")
				continue
			}
			fmt.Fprintf(out, " %s |", num(v))
			xs, ys = append(xs, float64(n)), append(ys, v)
		}
		f, ok := fitPower(xs, ys)
		switch {
		case !ok:
			fmt.Fprint(out, " – | – |")
		default:
			fmt.Fprintf(out, " %.2f | %s |", f.B, num(f.At(Country)))
		}
		switch {
		case m.target == 0:
			fmt.Fprintln(out, " |")
		case !ok && len(ys) == 1 && ys[0] <= m.target:
			fmt.Fprintf(out, " %s: holds at %s (one size: no projection) |\n", m.limit, people(int(xs[0])))
		case ok && f.At(Country) <= m.target:
			fmt.Fprintf(out, " %s: holds |\n", m.limit)
		case ok:
			fmt.Fprintf(out, " %s: **does not hold** |\n", m.limit)
		default:
			fmt.Fprintf(out, " %s |\n", m.limit)
		}
	}
	fmt.Fprintln(out)
	for _, n := range sizes {
		r := latest[n]
		fmt.Fprintf(out, "- %s: measured %s on %s, PostgreSQL %s, load average before %q; %s records (%s in the held month %s); findings %d of %d injected; peak Go heap %.1f GB\n",
			people(n), r.When.Format("2006-01-02 15:04 UTC"), r.Machine, r.Postgres, r.LoadAverage, num(float64(r.Records)),
			num(float64(r.MonthRecs)), r.HeldMonth, r.Findings, r.Truth, r.PeakHeapGB)
		if r.Resumed != "" {
			fmt.Fprintf(out, "  - resumed: %s\n", r.Resumed)
		}
	}
	return nil
}

// people writes n as 1 M, 2.5 M or 20,000.
func people(n int) string {
	if n >= 1_000_000 {
		return strconv.FormatFloat(float64(n)/1e6, 'f', -1, 64) + " M"
	}
	return num(float64(n))
}

// num writes v with three significant figures at most, and thousands separated.
func num(v float64) string {
	switch {
	case v >= 1000:
		return kit.Group(int64(math.Round(v)))
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}
