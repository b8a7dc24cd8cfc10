package kit

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Gateway is a gateway (birlik serve) running as a subprocess.
type Gateway struct {
	*Client
	Cmd  *exec.Cmd
	Log  string // its standard output and error
	done chan struct{}
}

// Stop sends the gateway SIGTERM and waits for it to exit (SIGKILL after 20s).
func (g *Gateway) Stop() {
	if g.Cmd.Process == nil {
		return
	}
	_ = g.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-g.done:
	case <-time.After(20 * time.Second):
		_ = g.Cmd.Process.Kill()
		<-g.done
	}
}

// GatewayEnv is this process's environment without the gateway's own settings (BIRLIK_*,
// DATABASE_URL, REDIS_URL), for a benchmark to add the ones it chooses.
func GatewayEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "BIRLIK_") || strings.HasPrefix(kv, "DATABASE_URL=") || strings.HasPrefix(kv, "REDIS_URL=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// StartGateway runs bin with args and env, serving on addr (one of args), its output in
// logPath, and waits until /readyz answers 200 and the work after the first sync (checks,
// family assessments) is done: that work would compete with the measured requests otherwise.
// name labels its progress lines on standard error.
func StartGateway(ctx context.Context, name, bin, addr string, args, env []string, logPath string, readyTimeout time.Duration) (*Gateway, error) {
	return startGateway(ctx, name, bin, addr, args, env, logPath, readyTimeout, "/readyz", (*Gateway).DerivedDone)
}

// StartGatewayLive is StartGateway for a gateway over a store another process loaded, whose
// sources it cannot reach: it waits only until /healthz answers 200 (the gateway answers
// queries from the store), not for a first sync that will not come.
func StartGatewayLive(ctx context.Context, name, bin, addr string, args, env []string, logPath string, readyTimeout time.Duration) (*Gateway, error) {
	return startGateway(ctx, name, bin, addr, args, env, logPath, readyTimeout, "/healthz", func(*Gateway) bool { return true })
}

func startGateway(ctx context.Context, name, bin, addr string, args, env []string, logPath string, readyTimeout time.Duration,
	probe string, quiet func(*Gateway) bool) (*Gateway, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, logf, logf
	fmt.Fprintf(os.Stderr, "bench: %s: starting the gateway on %s; log in %s\n", name, addr, logPath)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	g := &Gateway{Client: NewClient("http://" + addr), Cmd: cmd, Log: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(g.done) }()
	began := time.Now()
	deadline := time.After(readyTimeout)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			g.Stop()
			return nil, ctx.Err()
		case <-g.done:
			return nil, fmt.Errorf("the gateway exited before it was ready:\n%s", Tail(logPath, 20))
		case <-deadline:
			g.Stop()
			return nil, fmt.Errorf("%s not 200 after %v (raise -ready-timeout):\n%s", probe, readyTimeout, Tail(logPath, 20))
		case <-tick.C:
			resp, err := g.HTTP.Get(g.Base + probe)
			if err != nil {
				continue
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && quiet(g) {
				fmt.Fprintf(os.Stderr, "bench: %s: ready and quiet after %v\n", name, time.Since(began).Round(100*time.Millisecond))
				return g, nil
			}
		}
	}
}
