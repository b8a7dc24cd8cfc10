package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/store"
)

// TestReadReplica runs the gateway on a PostgreSQL primary and a streaming replica of its own
// (initdb, pg_basebackup, pg_ctl on free loopback ports; the machine's PostgreSQL is not
// touched) with DATABASE_URL and DATABASE_READ_URL, over a small synced country, and checks:
// the citizen and analyst queries answer what the primary holds and are served by the replica;
// with the replica's replay paused, an analyst's finding-status change is visible in the
// analyst's next query and the analyst's other reads go to the primary until the replica has
// replayed the write, while another caller's reads stay on the replica; a citizen's
// myDataAccess right after a read lists that read; with the replica stopped, every query still
// answers (from the primary) and /readyz says degraded.
func TestReadReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL primary and replica of its own: not in -short")
	}
	pg := startPostgresPair(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg, err := loadOptions(fs, []string{"--data=" + t.TempDir(), "--demo-people=1000", "--sync-interval=0"}, func(k string) string {
		switch k {
		case "DATABASE_URL":
			return pg.primaryURL
		case "DATABASE_READ_URL":
			return pg.replicaURL
		}
		return ""
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := newGateway(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	g.Start(ctx)
	t.Cleanup(func() { cancel(); g.Close() })
	router := g.store.Router
	if router == nil {
		t.Fatal("DATABASE_READ_URL set, but the store has no read router")
	}
	srv := httptest.NewServer(g.Handler)
	t.Cleanup(srv.Close)
	readyz := func() (int, map[string]any) {
		res, err := http.Get(srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		code, rep := readyz()
		if code == 200 && rep["status"] == "ready" {
			break
		}
		if time.Since(start) > 3*time.Minute {
			t.Fatalf("not ready after 3 minutes: %d %v", code, rep)
		}
	}

	primary, replica := pg.open(t, pg.primaryURL), pg.open(t, pg.replicaURL)
	caughtUp := func() {
		t.Helper()
		for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
			var cur string
			if err := primary.QueryRow(`SELECT pg_current_wal_lsn()::text`).Scan(&cur); err != nil {
				t.Fatal(err)
			}
			var ok bool
			if err := replica.QueryRow(`SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn`, cur).Scan(&ok); err != nil {
				t.Fatal(err)
			}
			if ok {
				return
			}
			if time.Since(start) > time.Minute {
				t.Fatal("the replica did not replay the primary's WAL within a minute")
			}
		}
	}
	caughtUp()

	token := func(id auth.Identity) string {
		tok, err := g.Tokens.Issue(id, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	type answer struct {
		Data   json.RawMessage
		Errors []map[string]any
	}
	ask := func(tok, purpose, query string, vars map[string]any, into any) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		req, _ := http.NewRequest("POST", srv.URL+"/query", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("X-Purpose", purpose)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var a answer
		if err := json.NewDecoder(res.Body).Decode(&a); err != nil || res.StatusCode != 200 || len(a.Errors) > 0 {
			t.Fatalf("%s: %d %v %v", query, res.StatusCode, a.Errors, err)
		}
		if into != nil {
			if err := json.Unmarshal(a.Data, into); err != nil {
				t.Fatal(err)
			}
		}
	}
	// served runs f and returns how many reads the replica and the primary served meanwhile.
	served := func(f func()) (replicaReads, primaryReads int64) {
		r0, p0, _ := router.Served()
		f()
		r1, p1, _ := router.Served()
		return r1 - r0, p1 - p0
	}

	// The citizen's query: answered from the replica, the same as the primary holds.
	citizen := string(g.DemoCitizen)
	citizenTok := token(auth.Identity{Role: auth.RoleCitizen, Subject: citizen, Client: "citizen-app"})
	const citizenQuery = `query C($iin: String!) { person(iin: $iin) { iin lastName region { kato } payments(first: 100) { totalCount edges { node { amount } } } } }`
	var cq struct {
		Person struct {
			IIN, LastName string
			Region        struct{ Kato string }
			Payments      struct {
				TotalCount int
				Edges      []struct{ Node struct{ Amount float64 } }
			}
		}
	}
	r, p := served(func() { ask(citizenTok, "own-data", citizenQuery, map[string]any{"iin": citizen}, &cq) })
	if r == 0 || p != 0 {
		t.Errorf("the citizen's query: %d reads on the replica, %d on the primary; want all on the replica", r, p)
	}
	var lastName, region string
	var payments int
	if err := primary.QueryRow(`SELECT p.last_name, p.region_kato, (SELECT count(*) FROM payments WHERE recipient_id = p.id) FROM persons p WHERE p.iin = $1`, citizen).Scan(&lastName, &region, &payments); err != nil {
		t.Fatal(err)
	}
	if cq.Person.IIN != citizen || cq.Person.LastName != lastName || cq.Person.Region.Kato != region || cq.Person.Payments.TotalCount != payments {
		t.Errorf("the citizen's query answered %+v; the primary holds %s %s with %d payments", cq.Person, lastName, region, payments)
	}

	// The analyst's query: from the replica, the sums the primary holds.
	analyst := auth.Identity{Role: auth.RoleAnalyst, Subject: "analyst-1", Client: "ministry"}
	analystTok := token(analyst)
	const analystQuery = `{ schools(first: 50) { totalCount } paymentAggregate(groupBy: [KIND]) { kind count sum } }`
	var aq struct {
		Schools          struct{ TotalCount int }
		PaymentAggregate []struct {
			Kind  string
			Count int
			Sum   float64
		}
	}
	r, p = served(func() { ask(analystTok, "statistics", analystQuery, nil, &aq) })
	if r == 0 || p != 0 {
		t.Errorf("the analyst's query: %d reads on the replica, %d on the primary; want all on the replica", r, p)
	}
	var schools, count int
	var sum float64
	if err := primary.QueryRow(`SELECT (SELECT count(*) FROM schools), count(*), coalesce(sum(amount), 0) FROM payments`).Scan(&schools, &count, &sum); err != nil {
		t.Fatal(err)
	}
	gotCount, gotSum := 0, 0.0
	for _, a := range aq.PaymentAggregate {
		gotCount += a.Count
		gotSum += a.Sum
	}
	if aq.Schools.TotalCount != schools || gotCount != count || fmt.Sprintf("%.2f", gotSum) != fmt.Sprintf("%.2f", sum) {
		t.Errorf("the analyst's query answered %d schools, %d payments summing %.2f; the primary holds %d, %d, %.2f", aq.Schools.TotalCount, gotCount, gotSum, schools, count, sum)
	}

	// Read-your-writes, with the replica's replay paused so that it cannot catch up by chance.
	if _, err := replica.Exec(`SELECT pg_wal_replay_pause()`); err != nil {
		t.Fatal(err)
	}
	var open struct {
		Findings struct {
			Edges []struct{ Node struct{ ID, Status string } }
		}
	}
	r, p = served(func() {
		ask(analystTok, "statistics", `{ findings(first: 1, where: {status: open}) { edges { node { id status } } } }`, nil, &open)
	})
	if r != 0 || p == 0 {
		t.Errorf("a findings query: %d reads on the replica, %d on the primary; want all on the primary", r, p)
	}
	if len(open.Findings.Edges) == 0 {
		t.Fatal("the synced country has no open finding to confirm")
	}
	id := open.Findings.Edges[0].Node.ID
	ask(analystTok, "statistics", `mutation M($id: ID!) { confirmFinding(id: $id, note: "checked") { id status } }`, map[string]any{"id": id}, nil)
	var after struct {
		Node struct{ Status string }
	}
	ask(analystTok, "statistics", `query F($id: ID!) { node(id: $id) { ... on Finding { status } } }`, map[string]any{"id": id}, &after)
	if after.Node.Status != "confirmed" {
		t.Errorf("the analyst's next query after confirming finding %s reads its status %q, want confirmed", id, after.Node.Status)
	}
	var onReplica string
	if err := replica.QueryRow(`SELECT status FROM findings WHERE id = $1`, id).Scan(&onReplica); err != nil {
		t.Fatal(err)
	}
	if onReplica != "open" {
		t.Errorf("the paused replica holds the finding's status %q, want open (the write not replayed): the test shows nothing", onReplica)
	}
	r, p = served(func() { ask(analystTok, "statistics", analystQuery, nil, nil) })
	if r != 0 || p == 0 {
		t.Errorf("the analyst's query after its write, the replica behind it: %d reads on the replica, %d on the primary; want the primary", r, p)
	}
	other := token(auth.Identity{Role: auth.RoleAnalyst, Subject: "analyst-2", Client: "ministry"})
	r, p = served(func() { ask(other, "statistics", analystQuery, nil, nil) })
	if r == 0 || p != 0 {
		t.Errorf("another analyst's query: %d reads on the replica, %d on the primary; want the replica", r, p)
	}

	// A citizen's myDataAccess right after a read lists that read (the audit log is on the
	// primary; the replica is still paused).
	const access = `{ myDataAccess(first: 1) { totalCount edges { node { role organisation purpose } } } }`
	var before, now struct {
		MyDataAccess struct {
			TotalCount int
			Edges      []struct {
				Node struct{ Role, Organisation, Purpose string }
			}
		}
	}
	ask(citizenTok, "own-data", access, nil, &before)
	caseworker := token(auth.Identity{Role: auth.RoleCaseworker, Subject: "caseworker-1", Client: "akimat", Regions: []domain.KATO{domain.KATO(region)}})
	ask(caseworker, "case-management", citizenQuery, map[string]any{"iin": citizen}, nil)
	ask(citizenTok, "own-data", access, nil, &now)
	if now.MyDataAccess.TotalCount <= before.MyDataAccess.TotalCount || len(now.MyDataAccess.Edges) == 0 ||
		now.MyDataAccess.Edges[0].Node.Role != auth.RoleCaseworker || now.MyDataAccess.Edges[0].Node.Organisation != "akimat" {
		t.Errorf("myDataAccess right after a caseworker's read: %+v (before %d entries); want that read first", now.MyDataAccess, before.MyDataAccess.TotalCount)
	}

	// Replay resumed: once the replica has the write, the analyst reads from it again.
	if _, err := replica.Exec(`SELECT pg_wal_replay_resume()`); err != nil {
		t.Fatal(err)
	}
	caughtUp()
	r, p = served(func() { ask(analystTok, "statistics", analystQuery, nil, nil) })
	if r == 0 || p != 0 {
		t.Errorf("the analyst's query once the replica replayed its write: %d reads on the replica, %d on the primary; want the replica", r, p)
	}
	if code, rep := readyz(); code != 200 || rep["status"] != "ready" {
		t.Errorf("/readyz with the replica up: %d %v", code, rep)
	}

	// The replica stopped: everything still answers, from the primary; readiness is degraded.
	pg.stop(t, pg.replicaDir)
	r, p = served(func() {
		ask(citizenTok, "own-data", citizenQuery, map[string]any{"iin": citizen}, &cq)
		ask(analystTok, "statistics", analystQuery, nil, &aq)
		ask(other, "statistics", analystQuery, nil, nil)
	})
	if r != 0 || p == 0 || cq.Person.LastName != lastName {
		t.Errorf("with the replica stopped: %d reads on the replica, %d on the primary, citizen %+v; want every read answered by the primary", r, p, cq.Person)
	}
	for start := time.Now(); ; time.Sleep(200 * time.Millisecond) {
		code, rep := readyz()
		comps, _ := rep["components"].(map[string]any)
		c, _ := comps["readReplica"].(map[string]any)
		if code == 200 && rep["status"] == "degraded" && c["state"] == "degraded" {
			t.Logf("/readyz with the replica stopped: %v", c["detail"])
			break
		}
		if time.Since(start) > 15*time.Second {
			t.Fatalf("/readyz with the replica stopped: %d %v; want 200, degraded", code, rep)
		}
	}
}

// pgPair is a PostgreSQL primary and its streaming replica, each a server of the test's own.
type pgPair struct {
	bin, root              string
	asPostgres             bool // PostgreSQL refuses to run as root: the servers run as postgres
	primaryDir, replicaDir string
	primaryURL, replicaURL string
}

// startPostgresPair starts a primary on a free loopback port and a replica of it (pg_basebackup
// -R -X stream) on another, and stops both at the end of the test.
func startPostgresPair(t *testing.T) *pgPair {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	pg := &pgPair{}
	for i := len(bins) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(bins[i], "pg_basebackup")); err == nil {
			if _, err := os.Stat(filepath.Join(bins[i], "initdb")); err == nil {
				pg.bin = bins[i]
				break
			}
		}
	}
	if pg.bin == "" {
		t.Skip("needs PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup in /usr/lib/postgresql/*/bin; Debian package postgresql)")
	}
	pg.asPostgres = os.Getuid() == 0
	var uid, gid int
	if pg.asPostgres {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root needs the user postgres to run PostgreSQL's servers: " + err.Error())
		}
		if _, err := exec.LookPath("runuser"); err != nil {
			t.Skip("running as root needs runuser to run PostgreSQL's servers as postgres")
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
	}
	root, err := os.MkdirTemp("", "birlik-readreplica-")
	if err != nil {
		t.Fatal(err)
	}
	pg.root = root
	t.Cleanup(func() { os.RemoveAll(root) })
	if pg.asPostgres {
		if err := os.Chown(root, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	pg.primaryDir, pg.replicaDir = filepath.Join(root, "primary"), filepath.Join(root, "replica")
	p1, p2 := freePort(t), freePort(t)

	pg.run(t, "initdb", "-D", pg.primaryDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
	hba, err := os.OpenFile(filepath.Join(pg.primaryDir, "pg_hba.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(hba, "host replication all 127.0.0.1/32 trust")
	hba.Close()
	opts := func(port int) string {
		return fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s -c wal_level=replica -c max_wal_senders=5 -c fsync=off -c hot_standby=on", port, root)
	}
	pg.run(t, "pg_ctl", "-D", pg.primaryDir, "-l", filepath.Join(root, "primary.log"), "-w", "-o", opts(p1), "start")
	t.Cleanup(func() { pg.stop(t, pg.primaryDir) })
	pg.run(t, "pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(p1), "-U", "postgres", "-D", pg.replicaDir, "-R", "-X", "stream")
	pg.run(t, "pg_ctl", "-D", pg.replicaDir, "-l", filepath.Join(root, "replica.log"), "-w", "-o", opts(p2), "start")
	t.Cleanup(func() { pg.stop(t, pg.replicaDir) })
	pg.primaryURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p1)
	pg.replicaURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p2)
	return pg
}

// run runs one of PostgreSQL's programs (as postgres when the test runs as root).
func (pg *pgPair) run(t *testing.T, prog string, args ...string) {
	t.Helper()
	name, argv := filepath.Join(pg.bin, prog), args
	if pg.asPostgres {
		name, argv = "runuser", append([]string{"-u", "postgres", "--", filepath.Join(pg.bin, prog)}, args...)
	}
	cmd := exec.Command(name, argv...)
	cmd.Dir = pg.root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", prog, strings.Join(args, " "), err, out)
	}
}

// stop stops the server in dir at once (pg_ctl stop -m immediate); stopping a stopped server
// does nothing.
func (pg *pgPair) stop(t *testing.T, dir string) {
	if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); err != nil {
		return
	}
	pg.run(t, "pg_ctl", "-D", dir, "-m", "immediate", "-w", "stop")
}

// open opens a connection pool to one of the pair, closed at the end of the test.
func (pg *pgPair) open(t *testing.T, url string) *sql.DB {
	db, err := store.OpenPostgres(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
