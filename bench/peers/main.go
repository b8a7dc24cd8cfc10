// Command peers measures Birlik beside the GraphQL servers a ministry would otherwise deploy
// over the same PostgreSQL store: Apollo Server with DataLoader and node-postgres (resolvers
// written by hand for the same query text), PostGraphile (its own field names, the same data),
// and bench/load's hand-written pgx floor, on two workloads: bench/load's citizen query, and the
// medical information system paging the change feed (500 changes a page, each client following
// the feed from a random page on), measured in rows per second.
//
// It builds the gateway and starts it over a generated demo country on a PostgreSQL database
// of its own beside DATABASE_URL's (dropped at the end), with Redis when REDIS_URL is set; it
// installs Node 22 and the peers' exact package versions with npm into a cache folder, starts
// the peers over the store the gateway synced, checks that each returns the same data as
// Birlik for a sample of people and of the feed's pages, then measures every server at each
// concurrency and prints a table per workload with the ratios to PostGraphile. Neither peer
// checks more than one fixed API key: no purposes, row rules, masking or audit. The Apollo peer
// serves the citizen query only.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/birlik/birlik/bench/internal/kit"
)

type options struct {
	people       int
	duration     time.Duration
	warmup       time.Duration
	concurrency  []int
	check        int
	servers      []string
	workloads    []string
	bin          string
	cache        string
	readyTimeout time.Duration
	keep         bool
}

// The servers, in the table's order.
const (
	srvBirlik       = "birlik"
	srvBirlikNoAud  = "birlik-audit-off"
	srvApollo       = "apollo"
	srvPostGraphile = "postgraphile"
	srvFloor        = "floor"
)

// The workloads, in the tables' order.
const (
	wlCitizen = "citizen"
	wlFeed    = "feed"
)

var workloadNames = []string{wlCitizen, wlFeed}

var serverTitles = map[string]string{
	srvBirlik:       "Birlik (all rules, audit on)",
	srvBirlikNoAud:  "Birlik, audit off",
	srvApollo:       "Apollo Server 5 + DataLoader 2 + pg (hand-written resolvers)",
	srvPostGraphile: "PostGraphile 5 (Amber preset, connection filter)",
	srvFloor:        "hand-written pgx floor",
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "peers:", err)
		os.Exit(1)
	}
}

// parseOptions reads the command line.
func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("peers", flag.ContinueOnError)
	fs.IntVar(&o.people, "people", 20000, "people in the generated demo country")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured time of each cell (server × clients)")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured time before each cell")
	conc := fs.String("concurrency", "1,16,64", "comma-separated numbers of concurrent clients")
	fs.IntVar(&o.check, "check", 50, "people, and pages of the change feed, that every peer must answer as Birlik does before it is measured")
	srv := fs.String("servers", "birlik,birlik-audit-off,apollo,postgraphile,floor", "comma-separated servers to measure")
	wl := fs.String("workloads", "citizen,feed", "comma-separated workloads: citizen (the citizen query), feed (pages of the change feed)")
	fs.StringVar(&o.bin, "bin", "", "a built gateway binary; empty: go build the module in the current folder")
	cacheDir, _ := os.UserCacheDir()
	fs.StringVar(&o.cache, "cache", filepath.Join(cacheDir, "birlik-bench", "peers"), "folder Node 22 and the peers' npm packages are installed into (kept across runs)")
	fs.DurationVar(&o.readyTimeout, "ready-timeout", 20*time.Minute, "how long the gateway may take to answer /readyz 200 (the first sync)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary folder (logs) and the PostgreSQL database")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var err error
	if o.concurrency, err = parseInts(*conc); err != nil {
		return o, fmt.Errorf("-concurrency %q: %w", *conc, err)
	}
	for _, s := range strings.Split(*srv, ",") {
		s = strings.TrimSpace(s)
		if _, ok := serverTitles[s]; !ok {
			return o, fmt.Errorf("-servers: %q is not one of birlik, birlik-audit-off, apollo, postgraphile, floor", s)
		}
		o.servers = append(o.servers, s)
	}
	if o.workloads, err = parseWorkloads(*wl); err != nil {
		return o, fmt.Errorf("-workloads %q: %w", *wl, err)
	}
	return o, nil
}

// parseWorkloads reads -workloads: names from workloadNames, each once, in the tables' order.
func parseWorkloads(s string) ([]string, error) {
	seen := map[string]bool{}
	for _, w := range strings.Split(s, ",") {
		w = strings.TrimSpace(w)
		if !contains(workloadNames, w) {
			return nil, fmt.Errorf("%q is not one of %s", w, strings.Join(workloadNames, ", "))
		}
		seen[w] = true
	}
	var out []string
	for _, w := range workloadNames {
		if seen[w] {
			out = append(out, w)
		}
	}
	return out, nil
}

func run(ctx context.Context, args []string, out io.Writer) error {
	o, err := parseOptions(args)
	if err != nil {
		return err
	}
	dbURL, redisURL := os.Getenv("DATABASE_URL"), os.Getenv("REDIS_URL")
	if dbURL == "" {
		return errors.New("DATABASE_URL is not set: the peers read PostgreSQL (postgres://user@127.0.0.1:5432/db?sslmode=disable; the user needs CREATEDB)")
	}
	if redisURL != "" {
		if redisURL, err = redisDB(redisURL, 9); err != nil {
			return err
		}
	}
	load0 := loadAverage()

	node, app, err := installNode(ctx, o.cache)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "birlik-peers-")
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
	name := fmt.Sprintf("birlik_peers_%d", os.Getpid())
	pgURL, err := kit.CreateDatabase(ctx, dbURL, name)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: created PostgreSQL database %s\n", name)
	if !o.keep {
		defer func() {
			c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := kit.DropDatabase(c, dbURL, name); err != nil {
				fmt.Fprintf(os.Stderr, "bench: dropping database %s: %v\n", name, err)
			}
		}()
	}

	b := &bench{o: o, work: work, pgURL: pgURL, redisURL: redisURL, keys: kit.NewKeys(), peerKey: kit.NewKey("peer")}
	// The gateway with the audit on syncs the store and answers the check; every other server
	// reads the store it synced.
	g, err := b.startGateway(ctx, srvBirlik)
	if err != nil {
		return err
	}
	defer func() {
		if g != nil {
			g.Stop()
		}
	}()
	// The first sync wrote the whole store just now: vacuum and analyze it, so that every server
	// reads a store in the steady state of one in service, not the first one measured while
	// autovacuum catches up.
	if err := vacuumAnalyze(ctx, pgURL); err != nil {
		return err
	}
	if b.samples, err = kit.Sample(ctx, g.Client, b.keys); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: sampled %d IINs, payments from %s\n", len(b.samples.IINs), b.samples.PeriodFrom)

	peers := map[string]*peerProc{}
	defer func() {
		for _, p := range peers {
			p.stop()
		}
	}()
	for _, s := range []struct{ name, script string }{{srvApollo, "apollo.mjs"}, {srvPostGraphile, "postgraphile.mjs"}} {
		if !contains(o.servers, s.name) || s.name == srvApollo && !contains(o.workloads, wlCitizen) {
			continue // the Apollo peer serves the citizen query only
		}
		addr, err := kit.FreePort()
		if err != nil {
			return err
		}
		p, err := startPeer(ctx, s.name, node, app, s.script, addr, pgURL, b.peerKey, filepath.Join(work, s.name+".log"))
		if err != nil {
			return err
		}
		peers[s.name] = p
	}
	if contains(o.workloads, wlCitizen) {
		if err := b.checkPeers(ctx, g, peers, out); err != nil {
			return err
		}
	}
	if contains(o.workloads, wlFeed) {
		if err := b.checkFeed(ctx, g, peers[srvPostGraphile], out); err != nil {
			return err
		}
	}

	var rows []row
	for _, s := range o.servers {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		switch s {
		case srvBirlik:
			rows = append(rows, b.measureGateway(ctx, s, g)...)
		case srvBirlikNoAud:
			// One gateway at a time: the one with the audit stops for the one without.
			g.Stop()
			g = nil
			ga, err := b.startGateway(ctx, srvBirlikNoAud)
			if err != nil {
				return err
			}
			rows = append(rows, b.measureGateway(ctx, s, ga)...)
			ga.Stop()
		case srvApollo, srvPostGraphile:
			p := peers[s]
			if p == nil {
				continue // Apollo without the citizen workload
			}
			pids := []int{p.cmd.Process.Pid}
			if contains(o.workloads, wlCitizen) {
				rows = append(rows, b.measureServer(ctx, s, pids, b.askPeer(p, s == srvPostGraphile))...)
			}
			if s == srvPostGraphile && contains(o.workloads, wlFeed) {
				rows = append(rows, b.measureFeed(ctx, s, pids, feedClients(b.feed.postgraphile, gqlFeedPage(kit.NewClient(p.base), b.peerKey, true)))...)
			}
			p.stop()
			delete(peers, s)
		case srvFloor:
			for _, w := range o.workloads {
				r, err := b.measureFloor(ctx, w)
				if err != nil {
					return err
				}
				rows = append(rows, r...)
			}
		}
	}
	printTable(out, o, rows, load0, loadAverage())
	return nil
}

// bench holds what the cells of one run share.
type bench struct {
	o        options
	work     string
	pgURL    string
	redisURL string
	keys     kit.Keys
	peerKey  string
	samples  *kit.Samples
	feed     feedPositions // where the feed's clients start on each server (checkFeed)
}

// startGateway starts birlik serve over the benchmark's store: srvBirlikNoAud with the audit
// log off by its benchmark-only switch.
func (b *bench) startGateway(ctx context.Context, which string) (*kit.Gateway, error) {
	addr, err := kit.FreePort()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(b.work, "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, err
	}
	env := append(kit.GatewayEnv(), "DATABASE_URL="+b.pgURL)
	if b.redisURL != "" {
		env = append(env, "REDIS_URL="+b.redisURL)
	}
	const unlimited = "1000000/s:1000000"
	args := []string{"serve", "--addr", addr, "--data", data, "--demo-people", strconv.Itoa(b.o.people), "--sync-interval", "0",
		"--log-level", "warn", "--api-keys", b.keys.Flag(),
		// The benchmark measures the gateway, not its rate limiter.
		"--rate-limits", "admin=" + unlimited + ";caseworker=" + unlimited + ";analyst=" + unlimited + ";health=" + unlimited}
	if which == srvBirlikNoAud {
		args = append(args, "--benchmark-audit-off")
		env = append(env, "BIRLIK_BENCHMARK_AUDIT_OFF=1")
	}
	fmt.Fprintf(os.Stderr, "bench: %s: %d people\n", which, b.o.people)
	return kit.StartGateway(ctx, which, b.o.bin, addr, args, env, filepath.Join(b.work, which+".log"), b.o.readyTimeout)
}

// ask makes one citizen request about iin and returns the answer's body.
type ask func(ctx context.Context, iin, key string) ([]byte, error)

func (b *bench) askBirlik(g *kit.Gateway) ask {
	return func(ctx context.Context, iin, key string) ([]byte, error) {
		return g.GQL(ctx, key, kit.PurposeCase, kit.CitizenQuery, map[string]any{"iin": iin, "from": b.samples.PeriodFrom})
	}
}

func (b *bench) askPeer(p *peerProc, postgraphile bool) ask {
	c := kit.NewClient(p.base)
	query := kit.CitizenQuery
	if postgraphile {
		query = PostGraphileQuery
	}
	return func(ctx context.Context, iin, _ string) ([]byte, error) {
		return c.GQL(ctx, b.peerKey, kit.PurposeCase, query, map[string]any{"iin": iin, "from": b.samples.PeriodFrom})
	}
}

// checkPeers asks Birlik and every peer about the same sample of people and fails unless each
// peer's answer, normalized, equals Birlik's.
func (b *bench) checkPeers(ctx context.Context, g *kit.Gateway, peers map[string]*peerProc, out io.Writer) error {
	if len(peers) == 0 || b.o.check == 0 {
		return nil
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	n := min(b.o.check, len(b.samples.IINs))
	withFamily, withPayments, withEnrollments := 0, 0, 0
	for range n {
		iin, key := b.samples.Person(rnd, b.keys)
		body, err := b.askBirlik(g)(ctx, iin, key)
		if err != nil {
			return fmt.Errorf("check: Birlik, person %s: %w", iin, err)
		}
		want, err := normalizeBirlik(body)
		if err != nil || want == nil {
			return fmt.Errorf("check: Birlik's answer about %s: %v: %s", iin, err, kit.Clip(body))
		}
		if want.Family != nil {
			withFamily++
		}
		if len(want.Payments) > 0 {
			withPayments++
		}
		if len(want.Enrollments) > 0 {
			withEnrollments++
		}
		wantJSON, _ := json.Marshal(want)
		for name, p := range peers {
			body, err := b.askPeer(p, name == srvPostGraphile)(ctx, iin, "")
			if err != nil {
				return fmt.Errorf("check: %s, person %s: %w", name, iin, err)
			}
			norm := normalizeBirlik
			if name == srvPostGraphile {
				norm = normalizePostGraphile
			}
			got, err := norm(body)
			if err != nil {
				return fmt.Errorf("check: %s's answer about %s: %w", name, iin, err)
			}
			gotJSON, _ := json.Marshal(got)
			if !bytes.Equal(gotJSON, wantJSON) {
				return fmt.Errorf("check: %s answers otherwise than Birlik about %s:\n birlik: %s\n %s: %s", name, iin, wantJSON, name, gotJSON)
			}
		}
	}
	fmt.Fprintf(out, "check: %d people (%d with a family, %d with enrolments, %d with payments): every peer's answer equals Birlik's\n",
		n, withFamily, withEnrollments, withPayments)
	return nil
}

// row is one cell of a table.
type row struct {
	workload    string
	server      string
	concurrency int
	kit.Cell
}

func (r row) String() string {
	s := fmt.Sprintf("%-7s %-17s c=%-3d %8.1f req/s  p50 %-9v p99 %-9v errors %d", r.workload, r.server, r.concurrency, r.RPS(), r.P50, r.P99, r.Errors)
	if r.workload == wlFeed {
		s += fmt.Sprintf("  %.0f rows/s", r.RowsPerSecond())
	}
	if v, ok := r.CPUPerRequest(r.CPU.Process); ok {
		s += fmt.Sprintf("  server CPU %.2f ms/req", v)
	}
	if v, ok := r.CPUPerRequest(r.CPU.Machine); ok {
		s += fmt.Sprintf("  machine CPU %.2f ms/req", v)
	}
	if r.FirstErr != "" {
		s += " (first: " + r.FirstErr + ")"
	}
	return s
}

// measureGateway measures a gateway on every workload chosen.
func (b *bench) measureGateway(ctx context.Context, server string, g *kit.Gateway) []row {
	var rows []row
	pids := []int{g.Cmd.Process.Pid}
	if contains(b.o.workloads, wlCitizen) {
		rows = append(rows, b.measureServer(ctx, server, pids, b.askBirlik(g))...)
	}
	if contains(b.o.workloads, wlFeed) {
		rows = append(rows, b.measureFeed(ctx, server, pids, feedClients(b.feed.birlik, gqlFeedPage(g.Client, b.keys.Health, false)))...)
	}
	return rows
}

// measureFeed measures a server's change feed at every concurrency: clients made by clients
// (feedClients), a request a page.
func (b *bench) measureFeed(ctx context.Context, server string, pids []int, clients func(int) clientFunc) []row {
	var rows []row
	for _, n := range b.o.concurrency {
		c := kit.MeasureClients(ctx, b.o.warmup, b.o.duration, n, pids, clients)
		r := row{workload: wlFeed, server: server, concurrency: n, Cell: c}
		fmt.Fprintf(os.Stderr, "bench: %s\n", r)
		rows = append(rows, r)
	}
	return rows
}

// measureServer measures a server's citizen query at every concurrency: each request asks
// about a random sampled person (with a caseworker key of their region for Birlik) and must
// hold them.
func (b *bench) measureServer(ctx context.Context, server string, pids []int, do ask) []row {
	var rows []row
	for _, n := range b.o.concurrency {
		c := kit.Measure(ctx, b.o.warmup, b.o.duration, n, pids, func(ctx context.Context, rnd *rand.Rand) error {
			iin, key := b.samples.Person(rnd, b.keys)
			body, err := do(ctx, iin, key)
			if err != nil {
				return err
			}
			if !bytes.Contains(body, []byte(`"iin":"`+iin+`"`)) {
				return fmt.Errorf("person %s is missing from the answer: %s", iin, kit.Clip(body))
			}
			return nil
		})
		r := row{workload: wlCitizen, server: server, concurrency: n, Cell: c}
		fmt.Fprintf(os.Stderr, "bench: %s\n", r)
		rows = append(rows, r)
	}
	return rows
}

// measureFloor measures bench/load's floor on workload, a pool of as many connections as
// clients: the citizen query in hand-written SQL, one pgx batch; or a page of the change feed,
// one statement (kit.FloorChanges), its clients following the feed as the servers' do.
func (b *bench) measureFloor(ctx context.Context, workload string) ([]row, error) {
	var rows []row
	for _, n := range b.o.concurrency {
		cfg, err := pgxpool.ParseConfig(b.pgURL)
		if err != nil {
			return nil, err
		}
		cfg.MaxConns = int32(n)
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			return nil, err
		}
		var c kit.Cell
		switch workload {
		case wlCitizen:
			if err := kit.FloorCitizen(ctx, pool, b.samples.IINs[0], b.samples.PeriodFrom); err != nil {
				pool.Close()
				return nil, fmt.Errorf("the floor's citizen query fails: %w", err)
			}
			c = kit.Measure(ctx, b.o.warmup, b.o.duration, n, nil, func(ctx context.Context, rnd *rand.Rand) error {
				return kit.FloorCitizen(ctx, pool, b.samples.IINs[rnd.IntN(len(b.samples.IINs))], b.samples.PeriodFrom)
			})
		case wlFeed:
			c = kit.MeasureClients(ctx, b.o.warmup, b.o.duration, n, nil, feedClients(b.feed.floor, floorFeedPage(pool)))
		}
		pool.Close()
		r := row{workload: workload, server: srvFloor, concurrency: n, Cell: c}
		fmt.Fprintf(os.Stderr, "bench: %s\n", r)
		rows = append(rows, r)
	}
	return rows, nil
}

// tableSpec is what a workload's table shows: its name, the heading above it, the unit of its
// throughput, the throughput of a cell and its CPU time per unit of work.
type tableSpec struct {
	name, heading, unit, cpuUnit string
	rate                         func(row) float64
	cpu                          func(row, time.Duration) (float64, bool)
}

var tableSpecs = map[string]tableSpec{
	wlCitizen: {name: "citizen query", heading: "citizen query: req/s", unit: "req/s", cpuUnit: "a request",
		rate: func(r row) float64 { return r.RPS() },
		cpu:  func(r row, d time.Duration) (float64, bool) { return r.CPUPerRequest(d) }},
	wlFeed: {name: "change feed",
		heading: "change feed, pages of 500 followed from a random page on (Birlik's changes, PostGraphile's allChanges by SEQ_ASC, the floor's one statement): rows/s, p50 / p99 of a page",
		unit:    "rows/s", cpuUnit: "per 1,000 rows",
		rate: func(r row) float64 { return r.RowsPerSecond() },
		cpu:  func(r row, d time.Duration) (float64, bool) { return r.CPUPerRows(d, 1000) }},
}

// finder finds the cell of a workload, server and concurrency among rows.
type finder func(workload, server string, n int) (row, bool)

func findIn(rows []row) finder {
	return func(workload, server string, n int) (row, bool) {
		for _, r := range rows {
			if r.workload == workload && r.server == server && r.concurrency == n {
				return r, true
			}
		}
		return row{}, false
	}
}

func printTable(out io.Writer, o options, rows []row, load0, load1 string) {
	host, _ := os.Hostname()
	var titles []string
	for _, w := range o.workloads {
		titles = append(titles, tableSpecs[w].name)
	}
	fmt.Fprintf(out, "\nBirlik beside its peers: %s, %d people, %v per cell after %v warm-up, %d CPUs, %s, host %s\n",
		strings.Join(titles, " and "), o.people, o.duration, o.warmup, numCPU(), kit.MemTotal(), host)
	fmt.Fprintf(out, "load average before: %s; after: %s (above about 1 the machine was shared: ratios unreliable, times upper bounds)\n", load0, load1)
	find := findIn(rows)
	for _, w := range o.workloads {
		printWorkload(out, o, w, find)
	}
	fmt.Fprintln(out, "server CPU: the server's own processes (– for the floor, which runs in the load generator); machine: every process, PostgreSQL, Redis and the load generator included")
	if contains(o.workloads, wlFeed) && contains(o.servers, srvApollo) {
		fmt.Fprintln(out, "Apollo Server: – on the change feed, which its schema (the citizen query's, written by hand) does not serve")
	}
	for _, r := range rows {
		if r.FirstErr != "" {
			fmt.Fprintf(out, "errors in %s %s c=%d, first: %s\n", r.workload, r.server, r.concurrency, r.FirstErr)
		}
		if r.Unfinished > r.Requests {
			fmt.Fprintf(out, "%s %s c=%d: %d requests answered inside the window, %d still running when it ended\n", r.workload, r.server, r.concurrency, r.Requests, r.Unfinished)
		}
	}
	printTargets(out, o, find)
}

// printWorkload prints the table of workload: a line per server of o.servers, its throughput
// with p50 / p99 at each concurrency, its CPU per unit of work at 16 clients (or the highest
// concurrency measured below it) and its throughput over PostGraphile's at each concurrency; –
// where a cell was not measured.
func printWorkload(out io.Writer, o options, workload string, find finder) {
	spec := tableSpecs[workload]
	fmt.Fprintf(out, "\n%s\n\n", spec.heading)
	cpuAt := o.concurrency[0]
	for _, n := range o.concurrency {
		if n <= 16 && n > cpuAt {
			cpuAt = n
		}
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	head := "server\t"
	for _, n := range o.concurrency {
		clients := "clients"
		if n == 1 {
			clients = "client"
		}
		head += fmt.Sprintf("%d %s: %s (p50 / p99 ms)\t", n, clients, spec.unit)
	}
	head += fmt.Sprintf("server / machine CPU ms %s at %d\tx PostGraphile %s\t", spec.cpuUnit, cpuAt, spec.unit)
	fmt.Fprintln(tw, head)
	for _, s := range o.servers {
		line := serverTitles[s] + "\t"
		var ratios []string
		for _, n := range o.concurrency {
			r, ok := find(workload, s, n)
			switch {
			case !ok:
				line += "–\t"
			case r.Requests == 0:
				line += fmt.Sprintf("0 (%d errors)\t", r.Errors)
			default:
				line += fmt.Sprintf("%s (%.1f / %.1f)", thousands(spec.rate(r)), ms(r.P50), ms(r.P99))
				if r.Errors > 0 {
					line += fmt.Sprintf(", %d errors", r.Errors)
				}
				line += "\t"
			}
			if pg, ok2 := find(workload, srvPostGraphile, n); ok && ok2 && spec.rate(pg) > 0 {
				ratios = append(ratios, fmt.Sprintf("%.2f", spec.rate(r)/spec.rate(pg)))
			} else {
				ratios = append(ratios, "–")
			}
		}
		cpu := "–"
		if r, ok := find(workload, s, cpuAt); ok {
			sv, m := "–", "–"
			if v, ok := spec.cpu(r, r.CPU.Process); ok {
				sv = fmt.Sprintf("%.2f", v)
			}
			if v, ok := spec.cpu(r, r.CPU.Machine); ok {
				m = fmt.Sprintf("%.2f", v)
			}
			cpu = sv + " / " + m
		}
		line += cpu + "\t" + strings.Join(ratios, " / ") + "\t"
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
}

// thousands formats a rate with a thousands separator and no decimals from 100 on.
func thousands(v float64) string {
	if v < 100 {
		return fmt.Sprintf("%.1f", v)
	}
	return kit.Group(int64(v + 0.5))
}

// printTargets prints the targets against PostGraphile and the floor, for the cells measured.
// The citizen query: at least 1.5x PostGraphile's throughput at every concurrency, p50 at 1
// client no higher than PostGraphile's, machine CPU per request at 16 clients at most 3x the
// floor's. The change feed: at least 2x PostGraphile's rows per second at every concurrency.
func printTargets(out io.Writer, o options, find finder) {
	fmt.Fprintln(out)
	for _, n := range o.concurrency {
		gw, ok1 := find(wlCitizen, srvBirlik, n)
		pg, ok2 := find(wlCitizen, srvPostGraphile, n)
		if ok1 && ok2 && pg.RPS() > 0 {
			ratio := gw.RPS() / pg.RPS()
			fmt.Fprintf(out, "target: Birlik ≥ 1.5x PostGraphile's req/s at %d: %.2fx (%s)\n", n, ratio, verdict(ratio >= 1.5))
		}
	}
	if gw, ok := find(wlCitizen, srvBirlik, 1); ok {
		if pg, ok := find(wlCitizen, srvPostGraphile, 1); ok && pg.Requests > 0 && gw.Requests > 0 {
			fmt.Fprintf(out, "target: Birlik's p50 at 1 client ≤ PostGraphile's: %.1f ms against %.1f ms (%s)\n", ms(gw.P50), ms(pg.P50), verdict(gw.P50 <= pg.P50))
		}
	}
	if gw, ok := find(wlCitizen, srvBirlik, 16); ok {
		if fl, ok := find(wlCitizen, srvFloor, 16); ok {
			g, ok1 := gw.CPUPerRequest(gw.CPU.Machine)
			f, ok2 := fl.CPUPerRequest(fl.CPU.Machine)
			if ok1 && ok2 {
				fmt.Fprintf(out, "target: Birlik's machine CPU per request at 16 clients ≤ 3x the floor's: %.2f ms against %.2f ms, %.1fx (%s)\n", g, f, g/f, verdict(g <= 3*f))
			}
		}
	}
	for _, n := range o.concurrency {
		gw, ok1 := find(wlFeed, srvBirlik, n)
		pg, ok2 := find(wlFeed, srvPostGraphile, n)
		if ok1 && ok2 && pg.RowsPerSecond() > 0 {
			ratio := gw.RowsPerSecond() / pg.RowsPerSecond()
			fmt.Fprintf(out, "target: Birlik ≥ 2x PostGraphile's rows/s on the change feed at %d: %.2fx (%s)\n", n, ratio, verdict(ratio >= 2))
		}
	}
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q: want whole numbers of at least 1", p)
		}
		out = append(out, n)
	}
	return out, nil
}
