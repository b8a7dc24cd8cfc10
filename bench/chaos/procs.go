package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/birlik/birlik/bench/internal/kit"
)

// proc is a child process with its output in a log file.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// start runs bin with args and env (nil: this process's), its output appended to
// work/name.log. stdout, when set, receives the child's standard output instead.
func start(work, name, bin string, args, env []string, stdout io.Writer) (*proc, error) {
	logPath := filepath.Join(work, name+".log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, logf, logf
	if stdout != nil {
		cmd.Stdout = stdout
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(p.done) }()
	return p, nil
}

// stop sends sig and waits for the process to end (SIGKILL after grace). Safe on a process that
// already ended.
func (p *proc) stop(sig syscall.Signal, grace time.Duration) {
	if p == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// childEnv is this process's environment without the gateway's settings, plus extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "BIRLIK_") || strings.HasPrefix(kv, "DATABASE_URL=") || strings.HasPrefix(kv, "REDIS_URL=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// startSim runs `birlik sim --only names` over the run's country on addr (host or host:port) and
// returns the process and each simulator's base URL once they listen.
func (r *run) startSim(ctx context.Context, tag string, names []string, addr string) (*proc, map[string]string, error) {
	pr, pw := io.Pipe()
	args := []string{"sim", "--seed", strconv.FormatInt(r.o.seed, 10), "--people", strconv.Itoa(r.o.people),
		"--addr", addr, "--only", strings.Join(names, ",")}
	p, err := start(r.work, "sim-"+tag, r.o.bin, args, childEnv(), pw)
	if err != nil {
		return nil, nil, err
	}
	go func() { <-p.done; pw.Close() }()
	urls := map[string]string{}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-p.done:
			}
		}
		close(lines)
		_, _ = io.Copy(io.Discard, pr)
	}()
	deadline := time.After(5 * time.Minute)
	for len(urls) < len(names) {
		select {
		case l, ok := <-lines:
			if !ok {
				return nil, nil, fmt.Errorf("birlik sim %s exited before it listened:\n%s", tag, kit.Tail(p.log, 10))
			}
			if name, u, ok := strings.Cut(l, "="); ok {
				urls[name] = u
			}
		case <-deadline:
			p.stop(syscall.SIGKILL, time.Second)
			return nil, nil, fmt.Errorf("birlik sim %s did not listen within 5 minutes", tag)
		case <-ctx.Done():
			p.stop(syscall.SIGKILL, time.Second)
			return nil, nil, ctx.Err()
		}
	}
	// The rest of its output (none is expected) is read and dropped.
	go func() {
		for range lines {
		}
	}()
	return p, urls, nil
}

// redisServer is the redis-server the run starts for the gateway, on its own loopback port.
type redisServer struct {
	work, addr string
	p          *proc
}

func startRedis(ctx context.Context, work string) (*redisServer, error) {
	addr, err := kit.FreePort()
	if err != nil {
		return nil, err
	}
	rs := &redisServer{work: work, addr: addr}
	return rs, rs.start(ctx)
}

func (rs *redisServer) start(ctx context.Context) error {
	_, port, _ := net.SplitHostPort(rs.addr)
	p, err := start(rs.work, "redis", "redis-server", []string{"--bind", "127.0.0.1", "--port", port,
		"--save", "", "--appendonly", "no"}, nil, nil)
	if err != nil {
		return err
	}
	rs.p = p
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if redisPing(rs.addr) {
			return nil
		}
		if p.exited() {
			return fmt.Errorf("redis-server exited:\n%s", kit.Tail(p.log, 10))
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			p.stop(syscall.SIGKILL, time.Second)
			return fmt.Errorf("redis-server on %s did not answer PING within 15s", rs.addr)
		}
	}
}

func (rs *redisServer) url() string { return "redis://" + rs.addr + "/0" }

// redisPing reports whether a Redis server answers PING at addr.
func redisPing(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}

// gateway is the gateway under test.
type gateway struct {
	*kit.Client
	p    *proc
	data string
}

// startGateway runs `birlik serve` over the simulators' URLs and the run's store and Redis, and
// waits until /readyz answers 200 and the work after the first sync (checks, assessments) is
// done.
func (r *run) startGateway(ctx context.Context) (*gateway, error) {
	addr, err := kit.FreePort()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(r.work, "gateway")
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, err
	}
	env := childEnv(r.sourceEnv()...)
	env = append(env, "BIRLIK_API_KEYS="+r.keyFlag())
	if r.pgURL != "" {
		env = append(env, "DATABASE_URL="+r.pgURL)
	}
	if r.redis != nil {
		env = append(env, "REDIS_URL="+r.redis.url())
	}
	// A citizen client here sends a whole citizen app's requests through one caseworker key per
	// region, far more in a minute than one caseworker's budget allows: the per-minute budget of
	// the caseworker role is raised, the per-request one kept. The analysts' budget is -analyst-budget.
	budgets := "caseworker=2000000/1000000000000"
	if r.o.analystBudget != "" {
		budgets += ";analyst=" + r.o.analystBudget
	}
	env = append(env, "BIRLIK_BUDGETS="+budgets)
	env = append(env, r.o.gatewayEnv...)
	// Citizens' caseworkers, the medical information system and the admin that samples are
	// let through the rate limiter: the run measures what the faults and the analysts do to
	// them. Analysts keep the gateway's default rate, which is part of what holds a hostile
	// analyst back.
	const unlimited = "1000000/s:1000000"
	args := []string{"serve", "--addr", addr, "--data", data,
		"--sync-interval", r.o.syncInterval.String(), "--log-level", "info",
		"--rate-limits", "admin=" + unlimited + ";caseworker=" + unlimited + ";health=" + unlimited}
	p, err := start(r.work, "gateway", r.o.bin, args, env, nil)
	if err != nil {
		return nil, err
	}
	g := &gateway{Client: kit.NewClient("http://" + addr), p: p, data: data}
	logf("starting the gateway on %s; log in %s", addr, p.log)
	began := time.Now()
	deadline := time.After(r.o.readyTimeout)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			p.stop(syscall.SIGTERM, 20*time.Second)
			return nil, ctx.Err()
		case <-p.done:
			return nil, fmt.Errorf("the gateway exited before it was ready:\n%s", kit.Tail(p.log, 20))
		case <-deadline:
			p.stop(syscall.SIGTERM, 20*time.Second)
			return nil, fmt.Errorf("/readyz not 200 after %v (raise -ready-timeout):\n%s", r.o.readyTimeout, kit.Tail(p.log, 20))
		case <-tick.C:
			if code, _ := g.readyz(); code == http.StatusOK && g.DerivedDone() {
				logf("gateway ready, findings and assessments done, after %v", time.Since(began).Round(100*time.Millisecond))
				return g, nil
			}
		}
	}
}

// readyz asks /readyz and returns its status code and body (0 when it did not answer).
func (g *gateway) readyz() (int, []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.Base+"/readyz", nil)
	if err != nil {
		return 0, nil
	}
	resp, err := g.HTTP.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}
