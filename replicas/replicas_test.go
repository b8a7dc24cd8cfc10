package replicas_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/birlik/birlik/redisconn/redistest"
	"github.com/birlik/birlik/store"
	"github.com/birlik/birlik/syncer"
)

// people is the size of the test's country: large enough that the first sync lasts a few
// seconds, so that the leader can be killed in the middle of it.
const people = 3000

// TestReplicas runs three gateway replicas on one PostgreSQL schema and one Redis, kills the
// leader (SIGKILL) in the middle of the first sync, and checks that another replica takes the
// lease within 30 s and finishes the sync, that the store then equals a clean sync, that
// `birlik audit verify` passes after audited reads through every replica (during which a node of
// the replicas' Redis Cluster is killed and restarted, and every read is answered), and that a
// burst of one client's requests spread over the replicas is limited as one client.
func TestReplicas(t *testing.T) {
	base := os.Getenv("DATABASE_URL")
	if base == "" {
		t.Skip("needs PostgreSQL: set DATABASE_URL (replicas elect their leader with a PostgreSQL advisory lock)")
	}
	if testing.Short() {
		t.Skip("builds the gateway and runs it as several processes: not in -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	work := t.TempDir()

	bin := filepath.Join(work, "birlik")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	storeURL, dropStore, err := store.TempSchema(ctx, base, "birlik_replicas")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dropStore() })
	cleanURL, dropClean, err := store.TempSchema(ctx, base, "birlik_replicas_clean")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dropClean() })

	// The replicas share a three-node Redis Cluster when Redis is installed; else one Redis
	// (REDIS_URL's, or an in-process stand-in on a loopback port).
	var cluster *redistest.Cluster
	redisURL := os.Getenv("REDIS_URL")
	if _, err := exec.LookPath("redis-cli"); err == nil {
		cluster = redistest.StartCluster(t, 3)
		redisURL = cluster.URL()
	} else if redisURL == "" {
		t.Log("redis-server and redis-cli are not installed (Debian package redis-server): the replicas share one in-process Redis instead of a Redis Cluster")
		redisURL = "redis://" + miniredis.RunT(t).Addr() + "/0"
	}

	sources := startSimulators(ctx, t, bin, work)
	suffix := fmt.Sprintf("%016x", rand.Uint64())
	admin := "replicas-admin-" + suffix
	burster := "replicas-burst-" + suffix
	env := append(childEnv(),
		"DATABASE_URL="+storeURL, "REDIS_URL="+redisURL,
		// The burst's analyst may send 10 requests at once, then one every 6 s, whichever
		// replica it reaches.
		"BIRLIK_RATE_LIMITS=analyst=10/m:10;admin=100000/s:100000",
		"BIRLIK_API_KEYS="+admin+":admin:replicas-admin-"+suffix+","+burster+":analyst:replicas-burst-"+suffix)
	env = append(env, sources...)

	replicas := make([]*replica, 3)
	for i := range replicas {
		replicas[i] = startReplica(t, bin, work, fmt.Sprintf("replica-%d", i), env)
	}

	// The leader is killed once it has applied pages of the first sync, but not all of them.
	leader := waitForLeader(t, replicas, nil)
	probe, err := store.OpenDB(ctx, storeURL, "")
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	var killedAt time.Time
	for deadline := time.Now().Add(3 * time.Minute); killedAt.IsZero(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the leader applied no page of the first sync within 3 minutes")
		}
		var records, done int64
		err := probe.DB.QueryRowContext(ctx, `SELECT coalesce(sum(records), 0), count(*) FILTER (WHERE done) FROM sync_cursors`).Scan(&records, &done)
		if err != nil {
			continue // the table appears with the first migration
		}
		if done == 5 {
			t.Fatalf("the first sync finished before the leader could be killed in its middle (%d records): raise the test's country size", records)
		}
		if records > 0 {
			leader.kill(t)
			killedAt = time.Now()
			t.Logf("killed the leader %s (SIGKILL) after %d records of the first sync", leader.name, records)
		}
	}

	next := waitForLeader(t, replicas, leader)
	if took := time.Since(killedAt); took > 30*time.Second {
		t.Errorf("a new leader took the lease %v after the old one was killed, want within 30 s", took.Round(time.Second))
	}
	t.Logf("%s leads after %s was killed", next.name, leader.name)

	// The killed replica comes back, as its supervisor would restart it: now a follower.
	restarted := startReplica(t, bin, work, leader.name+"-restarted", env)
	for i, r := range replicas {
		if r == leader {
			replicas[i] = restarted
		}
	}
	for _, r := range replicas {
		r.waitReady(t, 5*time.Minute)
	}

	// The store equals a clean sync from the same simulators.
	sync := exec.CommandContext(ctx, bin, "sync")
	sync.Env = append(append(childEnv(), sources...), "DATABASE_URL="+cleanURL, "BIRLIK_LOG_LEVEL=warn")
	if out, err := sync.CombinedOutput(); err != nil {
		t.Fatalf("birlik sync into a clean store: %v\n%s", err, out)
	}
	got, gotGap := dumpTables(ctx, t, storeURL)
	want, wantGap := dumpTables(ctx, t, cleanURL)
	if gotGap != "" || wantGap != "" {
		t.Errorf("change sequence gaps: replicas' store %q, clean %q", gotGap, wantGap)
	}
	rows := 0
	for _, d := range syncer.CompareTables(got, want) {
		rows += d.Want
		if !d.Equal() {
			t.Errorf("table %s differs from a clean sync (%d rows, clean %d) at row %d:\n  replicas: %s\n  clean:    %s", d.Table, d.Got, d.Want, d.Row, d.GotRow, d.WantRow)
		}
	}
	if rows == 0 {
		t.Fatal("the clean sync wrote nothing: the comparison compared empty stores")
	}

	// Audited reads through every replica, while a node of the Redis Cluster is killed and
	// restarted: every read is answered (a cache miss or the in-process rate limiter meanwhile,
	// never an error). Then the audit log is one verifiable chain.
	iin := firstIIN(t, replicas[0], admin)
	stop := make(chan struct{})
	failures := make(chan string, 1000)
	reads := make(chan int, 2)
	for c := range 2 {
		go func() {
			n := 0
			defer func() { reads <- n }()
			for i := c; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				r := replicas[i%len(replicas)]
				status, body := r.post(t, admin, "case-management", `query($iin: String!) { person(iin: $iin) { iin lastName } }`, map[string]any{"iin": iin})
				n++
				if status != http.StatusOK || !bytes.Contains(body, []byte(iin)) || bytes.Contains(body, []byte(`"errors"`)) {
					failures <- fmt.Sprintf("%s answered %d %s", r.name, status, body)
				}
			}
		}()
	}
	time.Sleep(2 * time.Second)
	if cluster != nil {
		cluster.Kill(1)
		t.Logf("killed Redis Cluster node :%d during the reads", cluster.Ports[1])
		time.Sleep(3 * time.Second)
		cluster.Start(t, 1)
		cluster.WaitOK(t)
		t.Logf("restarted it; the cluster is ok again")
	}
	time.Sleep(2 * time.Second)
	close(stop)
	total := <-reads + <-reads
	close(failures)
	for f := range failures {
		t.Error(f)
	}
	if total < len(replicas) {
		t.Fatalf("only %d reads were sent", total)
	}
	t.Logf("%d audited reads through the replicas", total)
	verify := exec.CommandContext(ctx, bin, "audit", "verify")
	verify.Env = append(childEnv(), "DATABASE_URL="+storeURL)
	out, err := verify.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "intact") {
		t.Fatalf("birlik audit verify after reads through every replica: %v\n%s", err, out)
	}
	t.Logf("audit verify: %s", strings.TrimSpace(string(out)))

	// One client's burst over the three replicas is limited as one client: 10 at once.
	admitted, limited := 0, 0
	for i := range 30 {
		status, body := replicas[i%len(replicas)].post(t, burster, "statistics", `{ __typename }`, nil)
		switch {
		case status == http.StatusOK:
			admitted++
		case status == http.StatusTooManyRequests && bytes.Contains(body, []byte("RATE_LIMITED")):
			limited++
		default:
			t.Fatalf("burst request %d: %d %s", i, status, body)
		}
	}
	if admitted < 10 || admitted > 12 || admitted+limited != 30 {
		t.Errorf("a burst of 30 over 3 replicas: %d admitted, %d limited; want 10 (the burst of one client, give or take the refill) admitted and the rest limited", admitted, limited)
	}
}

// replica is one `birlik serve` process.
type replica struct {
	name, base, log string
	cmd             *exec.Cmd
	done            chan struct{}
}

func startReplica(t *testing.T, bin, work, name string, env []string) *replica {
	t.Helper()
	addr := freeAddr(t)
	data := filepath.Join(work, name)
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(work, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data", data, "--sync-interval", "5s", "--log-level", "info")
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &replica{name: name, base: "http://" + addr, log: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(r.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-r.done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-r.done
		}
		if t.Failed() {
			t.Logf("%s's log, last lines:\n%s", name, tail(logPath, 15))
		}
	})
	return r
}

func (r *replica) kill(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-r.done
}

func (r *replica) alive() bool {
	select {
	case <-r.done:
		return false
	default:
		return true
	}
}

// leading reads birlik_leader from the replica's /metrics.
func (r *replica) leading() bool {
	resp, err := http.Get(r.base + "/metrics")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if sc.Text() == "birlik_leader 1" {
			return true
		}
	}
	return false
}

// waitForLeader waits until exactly one live replica leads, and it is not except.
func waitForLeader(t *testing.T, replicas []*replica, except *replica) *replica {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var leaders []*replica
		for _, r := range replicas {
			if r.alive() && r.leading() {
				leaders = append(leaders, r)
			}
		}
		if len(leaders) > 1 {
			t.Fatalf("%d replicas lead at once", len(leaders))
		}
		if len(leaders) == 1 && leaders[0] != except {
			return leaders[0]
		}
	}
	t.Fatal("no replica took the lease within a minute")
	return nil
}

func (r *replica) waitReady(t *testing.T, within time.Duration) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		if !r.alive() {
			t.Fatalf("%s exited:\n%s", r.name, tail(r.log, 20))
		}
		resp, err := http.Get(r.base + "/readyz")
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK && bytes.Contains(b, []byte(`"status":"ready"`)) {
			return
		}
		last = string(b)
	}
	t.Fatalf("%s not ready within %v; /readyz said %s", r.name, within, last)
}

func (r *replica) post(t *testing.T, key, purpose, query string, vars map[string]any) (int, []byte) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, r.base+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("X-Purpose", purpose)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", r.name, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func firstIIN(t *testing.T, r *replica, key string) string {
	t.Helper()
	status, body := r.post(t, key, "case-management", `{ persons(first: 1) { edges { node { iin } } } }`, nil)
	var res struct {
		Data struct {
			Persons struct {
				Edges []struct{ Node struct{ IIN string } }
			}
		}
	}
	if err := json.Unmarshal(body, &res); err != nil || status != http.StatusOK || len(res.Data.Persons.Edges) == 0 {
		t.Fatalf("no person to read: %d %s", status, body)
	}
	return res.Data.Persons.Edges[0].Node.IIN
}

// startSimulators runs the five simulators over the test's country and returns the gateway's
// BIRLIK_<SOURCE>_URL settings for them.
func startSimulators(ctx context.Context, t *testing.T, bin, work string) []string {
	t.Helper()
	cmd := exec.Command(bin, "sim", "--seed", "1", "--people", fmt.Sprint(people), "--addr", "127.0.0.1")
	cmd.Env = childEnv()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(work, "sim.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		logf.Close()
	})
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var env []string
	for len(env) < 5 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("birlik sim exited before it listened:\n%s", tail(filepath.Join(work, "sim.log"), 10))
			}
			if name, u, ok := strings.Cut(l, "="); ok && strings.HasPrefix(u, "http://") {
				env = append(env, "BIRLIK_"+strings.ToUpper(name)+"_URL="+u)
			}
		case <-time.After(3 * time.Minute):
			t.Fatal("birlik sim did not listen within 3 minutes")
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
	}
	go func() {
		for range lines {
		}
	}()
	return env
}

func dumpTables(ctx context.Context, t *testing.T, u string) (map[string][]string, string) {
	t.Helper()
	st, err := store.OpenDB(ctx, u, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tables, gap, err := syncer.DumpTables(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	return tables, gap
}

// childEnv is this process's environment without the gateway's own settings.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "BIRLIK_") || strings.HasPrefix(kv, "DATABASE_URL=") || strings.HasPrefix(kv, "REDIS_URL=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
