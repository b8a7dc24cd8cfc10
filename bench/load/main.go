// Command load is Birlik's reproducible load benchmark . It builds the gateway,
// starts it as a subprocess over a generated demo country on 127.0.0.1 — with SQLite, and with
// PostgreSQL when DATABASE_URL is set, each with and without Redis when REDIS_URL is set — and
// drives three GraphQL workloads over HTTP for a bounded time at each concurrency:
//
//   - citizen: a random person by IIN with family members, enrolments with the school's name,
//     region and design capacity, and the payments of the last 12 months (the key of a
//     caseworker of the person's region, purpose case-management);
//   - analyst: schools of one region with totalCount plus paymentAggregate grouped by region
//     and kind (an analyst key, purpose statistics);
//   - umis: one page of 500 of the change feed from a random cursor (a health key, purpose
//     medical-care).
//
// With DATABASE_URL it also runs the floor: the citizen query hand-written in SQL with pgx
// against the same PostgreSQL store. It prints one table: throughput and p50/p99 latency.
//
// bench owns only measuring: it never imports the gateway's packages (only domain's region
// list), and it never touches a database or Redis other than the ones it is given; on
// PostgreSQL it creates its own database beside DATABASE_URL's and drops it at the end.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/birlik/birlik/bench/internal/kit"
	"github.com/birlik/birlik/domain"
)

type options struct {
	people       int
	duration     time.Duration
	warmup       time.Duration
	concurrency  []int
	workloads    []string
	configs      []string
	soak         time.Duration
	bin          string
	readyTimeout time.Duration
	redisDB      int
	gatewayEnv   []string
	keep         bool
	syncInterval time.Duration
	// auditOverhead: run the citizen workload with the audit log on and off (audit.go).
	auditOverhead bool
	auditRounds   int
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.IntVar(&o.people, "people", 20000, "people in the generated demo country")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured time of each cell (configuration × workload × concurrency)")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured time before each cell")
	conc := fs.String("concurrency", "1,16,64", "comma-separated numbers of concurrent clients")
	wl := fs.String("workloads", "citizen,analyst,umis", "comma-separated workloads: citizen, analyst, umis, and citizen-live (citizen plus live fields) and overhead ({ regions }, no personal data)")
	cfgs := fs.String("configs", "auto", "comma-separated configurations: sqlite, sqlite+redis, postgres, postgres+redis, floor; auto: every one the environment allows")
	fs.DurationVar(&o.soak, "soak", 0, "opt-in memory soak: after the table, run the citizen workload this long (e.g. 5m) at the highest concurrency against the last gateway and report its RSS")
	fs.StringVar(&o.bin, "bin", "", "a built gateway binary; empty: go build the module in the current folder")
	fs.DurationVar(&o.readyTimeout, "ready-timeout", 20*time.Minute, "how long the gateway may take to answer /readyz 200 (the first sync)")
	fs.IntVar(&o.redisDB, "redis-db", 9, "Redis database number the gateway uses (so the benchmark's keys stay apart from tests on REDIS_URL's database); -1 keeps REDIS_URL's")
	env := fs.String("gateway-env", "", "extra environment for the gateway, comma-separated NAME=VALUE (e.g. a switch measured against its default)")
	fs.DurationVar(&o.syncInterval, "sync-interval", 0, "the gateway's sync interval after its first sync: 0, none, so that the cells measure reads alone; 1m, the gateway's default, measures what the periodic syncs cost the reads")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary folders and the PostgreSQL database")
	fs.BoolVar(&o.auditOverhead, "audit-overhead", false, "measure the audit log's cost instead of the workloads: per configuration, the citizen workload against the gateway as in service and against a second one with the audit log off (its benchmark-only switch), alternating; prints the overhead and the verdict of the audit's budget (≤ 20% at 16 clients)")
	fs.IntVar(&o.auditRounds, "audit-rounds", 3, "with -audit-overhead: rounds of on/off cells per concurrency")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if o.concurrency, err = parseInts(*conc); err != nil {
		return fmt.Errorf("-concurrency %q: %w", *conc, err)
	}
	o.workloads = splitList(*wl)
	for _, w := range o.workloads {
		if _, ok := workloads[w]; !ok {
			return fmt.Errorf("-workloads: %q is not one of citizen, citizen-live, analyst, umis, overhead", w)
		}
	}
	if *env != "" {
		o.gatewayEnv = splitList(*env)
	}
	dbURL, redisURL := os.Getenv("DATABASE_URL"), os.Getenv("REDIS_URL")
	if *cfgs == "auto" {
		o.configs = []string{"sqlite"}
		if redisURL != "" {
			o.configs = append(o.configs, "sqlite+redis")
		}
		if dbURL != "" {
			o.configs = append(o.configs, "postgres")
			if redisURL != "" {
				o.configs = append(o.configs, "postgres+redis")
			}
			o.configs = append(o.configs, "floor")
		}
	} else {
		o.configs = splitList(*cfgs)
	}
	for _, c := range o.configs {
		switch c {
		case "sqlite", "postgres", "floor", "sqlite+redis", "postgres+redis":
		default:
			return fmt.Errorf("-configs: %q is not one of sqlite, sqlite+redis, postgres, postgres+redis, floor", c)
		}
		if strings.HasPrefix(c, "postgres") || c == "floor" {
			if dbURL == "" {
				return fmt.Errorf("-configs %s needs DATABASE_URL (postgres://user@host:5432/db?sslmode=disable)", c)
			}
		}
		if strings.HasSuffix(c, "+redis") && redisURL == "" {
			return fmt.Errorf("-configs %s needs REDIS_URL (redis://host:6379/0)", c)
		}
	}
	if o.redisDB >= 0 && redisURL != "" {
		u, err := url.Parse(redisURL)
		if err != nil {
			return fmt.Errorf("REDIS_URL: %w", err)
		}
		u.Path = "/" + strconv.Itoa(o.redisDB)
		redisURL = u.String()
	}

	work, err := os.MkdirTemp("", "birlik-bench-")
	if err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(work)
	}
	if o.bin == "" {
		o.bin = filepath.Join(work, "birlik")
		fmt.Fprintf(os.Stderr, "bench: go build -o %s .\n", o.bin)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", o.bin, ".")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("building the gateway (run from the module root, or pass -bin): %w", err)
		}
	}

	b := &bench{o: o, work: work, redisURL: redisURL, keys: kit.NewKeys()}
	defer b.cleanup()
	var rows []row
	var last *gatewayProc
	for _, c := range o.configs {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if c == "floor" {
			pgURL, err := b.pgDatabase(ctx, dbURL)
			if err != nil {
				return err
			}
			if b.samples == nil {
				return errors.New("the floor needs a PostgreSQL store synced by the gateway first: put postgres or postgres+redis before floor in -configs")
			}
			r, err := runFloor(ctx, o, pgURL, b.samples)
			if err != nil {
				return fmt.Errorf("floor: %w", err)
			}
			rows = append(rows, r...)
			continue
		}
		if o.auditOverhead {
			if last != nil {
				last.Stop()
				last = nil
			}
			r, err := b.auditOverhead(ctx, c, dbURL)
			rows = append(rows, r...)
			if err != nil {
				return err
			}
			continue
		}
		g, err := b.start(ctx, c, dbURL)
		if err != nil {
			return fmt.Errorf("%s: %w", c, err)
		}
		if last != nil {
			last.Stop()
		}
		last = g
		if err := b.prepare(ctx, g); err != nil {
			return fmt.Errorf("%s: %w", c, err)
		}
		for _, w := range o.workloads {
			for _, n := range o.concurrency {
				r := b.cell(ctx, g, c, w, n)
				rows = append(rows, r)
				fmt.Fprintf(os.Stderr, "bench: %s\n", r)
			}
		}
		if c != o.configs[len(o.configs)-1] && !(o.soak > 0 && isLastGateway(o.configs, c)) {
			g.Stop()
			last = nil
		}
	}
	printTable(out, o, rows)
	if o.auditOverhead {
		printAuditOverhead(out, rows)
	}
	if o.soak > 0 && last != nil {
		if err := b.soak(ctx, out, last); err != nil {
			return err
		}
	}
	if last != nil {
		last.Stop()
	}
	return nil
}

func isLastGateway(configs []string, c string) bool {
	for i := len(configs) - 1; i >= 0; i-- {
		if configs[i] != "floor" {
			return configs[i] == c
		}
	}
	return false
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, p := range splitList(s) {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q: want whole numbers of at least 1", p)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, errors.New("empty")
	}
	return out, nil
}

// bench holds what the cells of one run share.
type bench struct {
	o        options
	work     string
	redisURL string
	keys     kit.Keys
	pgAdmin  string // DATABASE_URL, to drop the benchmark's database
	pgName   string
	pgURL    string
	samples  *kit.Samples // IINs, regions, cursors: sampled once from the first gateway
	// extraArgs and tag: the audit-off gateway's switch and log name (audit.go).
	extraArgs []string
	tag       string
}

func (b *bench) cleanup() {
	if b.pgName != "" && !b.o.keep {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := kit.DropDatabase(ctx, b.pgAdmin, b.pgName); err != nil {
			fmt.Fprintf(os.Stderr, "bench: dropping database %s: %v\n", b.pgName, err)
		}
	}
}

// pgDatabase returns the URL of the benchmark's own PostgreSQL database, creating it once.
func (b *bench) pgDatabase(ctx context.Context, dbURL string) (string, error) {
	if b.pgURL != "" {
		return b.pgURL, nil
	}
	name := fmt.Sprintf("birlik_bench_%d", os.Getpid())
	u, err := kit.CreateDatabase(ctx, dbURL, name)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "bench: created PostgreSQL database %s\n", name)
	b.pgAdmin, b.pgName, b.pgURL = dbURL, name, u
	return u, nil
}

// gatewayProc is a running gateway subprocess.
type gatewayProc = kit.Gateway

// start runs the gateway for configuration c and waits for /readyz 200. SQLite runs share one
// data folder and PostgreSQL runs one database, so the second start syncs incrementally.
func (b *bench) start(ctx context.Context, c, dbURL string) (*gatewayProc, error) {
	store := "sqlite"
	if strings.HasPrefix(c, "postgres") {
		store = "postgres"
	}
	data := filepath.Join(b.work, store)
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, err
	}
	addr, err := kit.FreePort()
	if err != nil {
		return nil, err
	}
	env := kit.GatewayEnv()
	if store == "postgres" {
		u, err := b.pgDatabase(ctx, dbURL)
		if err != nil {
			return nil, err
		}
		env = append(env, "DATABASE_URL="+u)
	}
	if strings.HasSuffix(c, "+redis") {
		env = append(env, "REDIS_URL="+b.redisURL)
	}
	env = append(env, b.o.gatewayEnv...)
	const unlimited = "1000000/s:1000000"
	args := []string{
		"serve",
		"--addr", addr,
		"--data", data,
		"--demo-people", strconv.Itoa(b.o.people),
		"--sync-interval", b.o.syncInterval.String(),
		"--log-level", "warn",
		"--api-keys", b.keys.Flag(),
		// The benchmark measures the gateway, not its rate limiter.
		"--rate-limits", "admin=" + unlimited + ";caseworker=" + unlimited + ";analyst=" + unlimited + ";health=" + unlimited,
	}
	args = append(args, b.extraArgs...)
	logPath := filepath.Join(b.work, c+b.tag+".log")
	fmt.Fprintf(os.Stderr, "bench: %s: %d people\n", c, b.o.people)
	return kit.StartGateway(ctx, c, b.o.bin, addr, args, env, logPath, b.o.readyTimeout)
}

// prepare samples IINs, the latest payment month and the change feed's cursors (once).
func (b *bench) prepare(ctx context.Context, g *gatewayProc) error {
	if b.samples != nil {
		return nil
	}
	s, err := kit.Sample(ctx, g.Client, b.keys)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: sampled %d IINs, payments from %s, %d change-feed page cursors\n", len(s.IINs), s.PeriodFrom, len(s.Cursors))
	b.samples = s
	return nil
}

// askCitizen asks query about a random person with the key of a caseworker of their region; the
// answer must hold the person and each of the fragments in also.
func askCitizen(ctx context.Context, b *bench, g *gatewayProc, rnd *rand.Rand, query string, also ...string) error {
	iin, key := b.samples.Person(rnd, b.keys)
	body, err := g.GQL(ctx, key, kit.PurposeCase, query, map[string]any{"iin": iin, "from": b.samples.PeriodFrom})
	if err != nil {
		return err
	}
	for _, want := range append([]string{`"iin":"` + iin + `"`}, also...) {
		if !bytes.Contains(body, []byte(want)) {
			return fmt.Errorf("person %s: %s is missing from the answer: %s", iin, want, kit.Clip(body))
		}
	}
	return nil
}

// workload makes one request; it returns an error when the answer is not a clean 200.
type workload func(ctx context.Context, b *bench, g *gatewayProc, rnd *rand.Rand) error

var workloads = map[string]workload{
	"citizen": func(ctx context.Context, b *bench, g *gatewayProc, rnd *rand.Rand) error {
		return askCitizen(ctx, b, g, rnd, kit.CitizenQuery)
	},
	// citizen-live is not in the default list: citizen plus two live fields (health, justice).
	"citizen-live": func(ctx context.Context, b *bench, g *gatewayProc, rnd *rand.Rand) error {
		return askCitizen(ctx, b, g, rnd, kit.CitizenLiveQuery, `"registerStatus":`)
	},
	"analyst": func(ctx context.Context, b *bench, g *gatewayProc, rnd *rand.Rand) error {
		s := b.samples
		_, err := g.GQL(ctx, b.keys.Analyst, kit.PurposeStats, kit.AnalystQuery,
			map[string]any{"region": s.Regions[rnd.IntN(len(s.Regions))], "from": s.PeriodFrom})
		return err
	},
	// overhead is not in the default list: the smallest authenticated query, with no personal
	// data (so no audit entry), to separate the gateway's fixed cost per request from the work.
	"overhead": func(ctx context.Context, b *bench, g *gatewayProc, rnd *rand.Rand) error {
		_, err := g.GQL(ctx, b.keys.Caseworker[string(domain.Regions[0].KATO)], kit.PurposeCase, `{ regions { kato name } }`, nil)
		return err
	},
	"umis": func(ctx context.Context, b *bench, g *gatewayProc, rnd *rand.Rand) error {
		s := b.samples
		var after any // the feed's start is one of the starting points
		if i := rnd.IntN(len(s.Cursors) + 1); i < len(s.Cursors) {
			after = s.Cursors[i]
		}
		_, err := g.GQL(ctx, b.keys.Health, kit.PurposeUMIS, kit.UMISQuery, map[string]any{"after": after})
		return err
	},
}

// row is one cell of the table.
type row struct {
	config, workload string
	concurrency      int
	requests, errors int
	unfinished       int // requests still running when the window ended (or abandoned)
	elapsed          time.Duration
	p50, p99         time.Duration
	max              time.Duration // the slowest answer: a stall that p99 hides at high rates
	firstErr         string
	// cpu is the CPU time the gateway process and the whole machine used during the measured
	// window (cpu.ok false where /proc cannot tell; gateway 0 when the cell has no gateway).
	cpu cpuTimes
}

func (r row) rps() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// cpuPerRequest is the CPU time of d per answered request, in milliseconds; false when it
// cannot be told.
func (r row) cpuPerRequest(d time.Duration) (float64, bool) {
	if !r.cpu.ok || r.requests == 0 || d <= 0 {
		return 0, false
	}
	return ms(d) / float64(r.requests), true
}

func (r row) String() string {
	s := fmt.Sprintf("%-15s %-8s c=%-3d %8.1f req/s  p50 %-9v p99 %-9v max %-9v errors %d", r.config, r.workload, r.concurrency, r.rps(), r.p50, r.p99, r.max, r.errors)
	if v, ok := r.cpuPerRequest(r.cpu.gateway); ok {
		s += fmt.Sprintf("  gateway CPU %.2f ms/req", v)
	}
	if v, ok := r.cpuPerRequest(r.cpu.machine); ok {
		s += fmt.Sprintf("  machine CPU %.2f ms/req", v)
	}
	if r.firstErr != "" {
		s += " (first: " + r.firstErr + ")"
	}
	return s
}

// measure runs do from n goroutines for warmup (unmeasured) then duration (kit.Measure), with
// the CPU time of the process pid (the gateway; 0 for none) and of the machine in the window.
func measure(ctx context.Context, warmup, duration time.Duration, n, pid int, do func(ctx context.Context, rnd *rand.Rand) error) row {
	var pids []int
	if pid != 0 {
		pids = []int{pid}
	}
	c := kit.Measure(ctx, warmup, duration, n, pids, do)
	return row{concurrency: n, requests: c.Requests, errors: c.Errors, unfinished: c.Unfinished, elapsed: c.Elapsed,
		p50: c.P50, p99: c.P99, max: c.Max, firstErr: c.FirstErr,
		cpu: cpuTimes{gateway: c.CPU.Process, machine: c.CPU.Machine, ok: c.CPU.OK}}
}

func (b *bench) cell(ctx context.Context, g *gatewayProc, config, w string, n int) row {
	do := workloads[w]
	r := measure(ctx, b.o.warmup, b.o.duration, n, g.Cmd.Process.Pid, func(ctx context.Context, rnd *rand.Rand) error {
		return do(ctx, b, g, rnd)
	})
	r.config, r.workload = config, w
	return r
}

func printTable(out io.Writer, o options, rows []row) {
	host, _ := os.Hostname()
	fmt.Fprintf(out, "\nBirlik load benchmark: %d people, %v per cell after %v warm-up, %d CPUs, %s, host %s\n\n",
		o.people, o.duration, o.warmup, numCPU(), memTotal(), host)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "configuration\tworkload\tclients\treq/s\tp50 ms\tp99 ms\tmax ms\terrors\tgateway CPU ms/req\tmachine CPU ms/req\t")
	perReq := func(r row, d time.Duration) string {
		if v, ok := r.cpuPerRequest(d); ok {
			return fmt.Sprintf("%.2f", v)
		}
		return "–"
	}
	for _, r := range rows {
		if r.requests == 0 {
			fmt.Fprintf(tw, "%s\t%s\t%d\t0\t–\t–\t–\t%d\t–\t–\t\n", r.config, r.workload, r.concurrency, r.errors)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%d\t%s\t%s\t\n", r.config, r.workload, r.concurrency, r.rps(), ms(r.p50), ms(r.p99), ms(r.max), r.errors,
			perReq(r, r.cpu.gateway), perReq(r, r.cpu.machine))
	}
	tw.Flush()
	fmt.Fprintln(out, "CPU per request: CPU time in the measured window (/proc) over the requests answered in it; machine: every process on the machine, the load generator included")
	for _, r := range rows {
		if r.firstErr != "" {
			fmt.Fprintf(out, "errors in %s %s c=%d, first: %s\n", r.config, r.workload, r.concurrency, r.firstErr)
		}
		// A cell whose requests mostly outlast the window measures the window, not the gateway.
		if r.unfinished > r.requests {
			fmt.Fprintf(out, "%s %s c=%d: %d requests answered inside the window, %d still running when it ended: the requests are slower than the window\n",
				r.config, r.workload, r.concurrency, r.requests, r.unfinished)
		}
	}
	printTargets(out, rows, numCPU())
}

// printTargets prints the speed targets, when the cells they need were measured, and what the
// 2x target leaves per request: on cpus CPUs, half the floor's throughput allows cpus seconds
// of CPU per second over that many requests, in every process (gateway, databases, load
// generator). The overhead workload, when measured, shows what a request that reads nothing
// costs of it.
func printTargets(out io.Writer, rows []row, cpus int) {
	find := func(config, w string, n int) (row, bool) {
		for _, r := range rows {
			if r.config == config && r.workload == w && r.concurrency == n {
				return r, true
			}
		}
		return row{}, false
	}
	fmt.Fprintln(out)
	if gw, ok := find("postgres+redis", "citizen", 16); ok {
		if fl, ok := find(floorConfig, "citizen", 16); ok && gw.rps() > 0 {
			ratio := fl.rps() / gw.rps()
			fmt.Fprintf(out, "target: citizen on postgres+redis at 16 clients within 2x of the SQL floor: floor/gateway = %.2fx (%s)\n", ratio, verdict(ratio <= 2))
			if v, ok := gw.cpuPerRequest(gw.cpu.machine); ok && fl.rps() > 0 {
				budget := float64(cpus) * 1000 / (fl.rps() / 2)
				fmt.Fprintf(out, "  within 2x is %.0f req/s: at most %.2f ms of the machine's CPU per request on %d CPUs; the gateway's citizen requests used %.2f ms",
					fl.rps()/2, budget, cpus, v)
				if f, ok := fl.cpuPerRequest(fl.cpu.machine); ok {
					fmt.Fprintf(out, ", the floor's %.2f ms", f)
				}
				if ov, ok := find("postgres+redis", "overhead", 16); ok {
					if o, ok := ov.cpuPerRequest(ov.cpu.machine); ok {
						fmt.Fprintf(out, ", a request that reads nothing (overhead) %.2f ms", o)
					}
				}
				fmt.Fprintln(out)
			}
		}
	}
	if gw, ok := find("postgres+redis", "citizen", 64); ok {
		fmt.Fprintf(out, "target: citizen on postgres+redis p99 at 64 clients under 50 ms: %.1f ms (%s)", ms(gw.p99), verdict(gw.p99 < 50*time.Millisecond && gw.requests > 0))
		if fl, ok := find(floorConfig, "citizen", 64); ok && fl.requests > 0 {
			fmt.Fprintf(out, "; the floor's own p99 there: %.1f ms", ms(fl.p99))
		}
		fmt.Fprintln(out)
	}
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
