package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/graph/limits"
	"github.com/birlik/birlik/httpapi"
	"github.com/birlik/birlik/ratelimit"
)

// fakeDep is a dependency whose check fails while down is set, counting its runs.
type fakeDep struct {
	down atomic.Bool
	runs atomic.Int32
}

func (d *fakeDep) ping(context.Context) error {
	d.runs.Add(1)
	if d.down.Load() {
		return errors.New("connection refused")
	}
	return nil
}

// readyServer serves the fake schema with a store and a Redis check on deps that rerun on
// every probe, and returns a GET for its endpoints and the log.
func readyServer(t *testing.T) (*httpapi.Readiness, *fakeDep, *fakeDep, string, func(path string) (int, string), *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	ready := httpapi.NewReadiness("first sync running")
	store, redis := &fakeDep{}, &fakeDep{}
	sc := httpapi.StoreCheck(store.ping)
	sc.Every = time.Nanosecond // every probe runs it: the test changes the store between probes
	rc := httpapi.RedisCheck(redis.ping)
	rc.Every = time.Nanosecond
	ready.AddCheck(httpapi.ComponentStore, sc)
	ready.AddCheck(httpapi.ComponentRedis, rc)
	h, err := httpapi.New(httpapi.Options{
		Schema:        fakeSchema{s: testSchema},
		Authenticator: auth.NewAPIKeys([]auth.APIKey{{Key: key, Role: "admin", Client: "test"}}),
		Limits: func(context.Context) limits.Limits {
			return limits.Limits{Depth: 3, Aliases: 2, Complexity: 100, PageSize: 10}
		},
		Logger:   slog.New(httpapi.LogHandler(slog.NewTextHandler(logs, nil))),
		Registry: prometheus.NewRegistry(),
		Ready:    ready,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	get := func(path string) (int, string) {
		t.Helper()
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	return ready, store, redis, srv.URL, get, logs
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestReadyz: /readyz answers each component's state; a component down makes it 503, a
// degraded one leaves it 200 and says "degraded"; the metrics say the same.
func TestReadyz(t *testing.T) {
	t.Parallel()
	ready, store, redis, _, get, logs := readyServer(t)
	type body struct {
		Status     string
		Components map[string]struct{ State, Detail string }
	}
	probe := func(wantCode int, wantStatus string, want map[string]string) body {
		t.Helper()
		code, raw := get("/readyz")
		var b body
		if err := json.Unmarshal([]byte(raw), &b); err != nil {
			t.Fatalf("/readyz body is not JSON: %v: %s", err, raw)
		}
		if code != wantCode || b.Status != wantStatus {
			t.Errorf("/readyz = %d %q, want %d %q: %s", code, b.Status, wantCode, wantStatus, raw)
		}
		for name, state := range want {
			if b.Components[name].State != state {
				t.Errorf("/readyz component %s = %q, want %q: %s", name, b.Components[name].State, state, raw)
			}
		}
		return b
	}
	metrics := func(want ...string) {
		t.Helper()
		_, m := get("/metrics")
		for _, w := range want {
			if !strings.Contains(m, w+"\n") {
				t.Errorf("/metrics lacks %q", w)
			}
		}
	}

	b := probe(503, "not ready", map[string]string{"sync": "down", "store": "ok", "redis": "ok"})
	if !strings.Contains(b.Components["sync"].Detail, "first sync running") {
		t.Errorf("sync detail %q does not say why", b.Components["sync"].Detail)
	}
	ready.Ready()
	probe(200, "ready", map[string]string{"sync": "ok", "store": "ok", "redis": "ok"})
	metrics(`birlik_ready 1`, `birlik_ready_component{component="store"} 1`)

	redis.down.Store(true)
	b = probe(200, "degraded", map[string]string{"redis": "degraded", "store": "ok"})
	if !strings.Contains(b.Components["redis"].Detail, "connection refused") {
		t.Errorf("redis detail %q does not say why", b.Components["redis"].Detail)
	}
	metrics(`birlik_ready 1`, `birlik_ready_component{component="redis"} 0.5`)

	store.down.Store(true)
	for range 3 {
		probe(503, "not ready", map[string]string{"store": "down", "redis": "degraded"})
	}
	metrics(`birlik_ready 0`, `birlik_ready_component{component="store"} 0`)
	if n := strings.Count(logs.String(), `component=store`); n != 1 {
		t.Errorf("the store going down was logged %d times over several probes, want once:\n%s", n, logs)
	}

	ready.RateLimitBackend(ratelimit.BackendRedis, nil)
	probe(503, "not ready", map[string]string{"ratelimit": "ok"})
	ready.RateLimitBackend(ratelimit.BackendLocal, errors.New("dial tcp: connection refused"))
	b = probe(503, "not ready", map[string]string{"ratelimit": "degraded"})
	if !strings.Contains(b.Components["ratelimit"].Detail, "per replica") {
		t.Errorf("ratelimit detail %q does not say the limits count per replica", b.Components["ratelimit"].Detail)
	}
	ready.RateLimitBackend(ratelimit.BackendRedis, nil)

	ready.Set(httpapi.ComponentDerived, httpapi.Degraded, "the findings are computed over the sync before last")
	store.down.Store(false)
	redis.down.Store(false)
	probe(200, "degraded", map[string]string{"store": "ok", "redis": "ok", "derived": "degraded"})
	ready.Set(httpapi.ComponentDerived, httpapi.OK, "")
	probe(200, "ready", map[string]string{"derived": "ok"})
	if !strings.Contains(logs.String(), "readiness: component ok again") {
		t.Errorf("the store coming back was not logged:\n%s", logs)
	}

	// /healthz stays alive through all of it.
	store.down.Store(true)
	if code, body := get("/healthz"); code != 200 || !strings.Contains(body, "alive") {
		t.Errorf("/healthz with the store down = %d %s, want 200 alive", code, body)
	}
}

// TestReadinessChecksAreCached: probes within a check's interval reuse its result, and
// concurrent probes run it once.
func TestReadinessChecksAreCached(t *testing.T) {
	t.Parallel()
	ready := httpapi.NewReadiness("first sync running")
	dep := &fakeDep{}
	release := make(chan struct{})
	ready.AddCheck(httpapi.ComponentStore, httpapi.Check{Run: func(ctx context.Context) error {
		<-release
		return dep.ping(ctx)
	}, Every: time.Hour})
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ready.Report(context.Background())
		}()
	}
	close(release)
	wg.Wait()
	for range 10 {
		ready.Report(context.Background())
		ready.Recheck(context.Background(), httpapi.ComponentStore) // ran within MinRecheck
	}
	if n := dep.runs.Load(); n != 1 {
		t.Errorf("the check ran %d times for 30 probes within its interval, want 1", n)
	}
	if c := ready.Recheck(context.Background(), "nothing"); c.State != "" {
		t.Errorf("Recheck of a component that is not there = %+v", c)
	}
}

// TestStoreDownIsNotInternal: an internal error raised while the store does not answer is
// STORE_UNAVAILABLE, with no ERROR log line per request; with the store up it stays INTERNAL.
func TestStoreDownIsNotInternal(t *testing.T) {
	t.Parallel()
	ready, store, _, url, _, logs := readyServer(t)
	ready.Ready()
	store.down.Store(true)
	_, r, _ := post(t, url, key, "{ fail }")
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "STORE_UNAVAILABLE" || !strings.Contains(r.Errors[0].Message, "retry later") {
		t.Errorf("with the store down: %+v, want one STORE_UNAVAILABLE saying to retry", r.Errors)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("an ERROR line for a request failing on a lost store:\n%s", logs)
	}
	store.down.Store(false)
	_, r, _ = post(t, url, key, "{ fail }")
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "INTERNAL" {
		t.Errorf("with the store up: %+v, want INTERNAL", r.Errors)
	}
}

// TestExplainKeepsTheState: Explain replaces a component's detail only while it is in the state
// named, so that progress written late never undoes the owner's move to the next state, and
// never touches a checked component.
func TestExplainKeepsTheState(t *testing.T) {
	ready, _, _, _, get, _ := readyServer(t)
	if !ready.Explain(httpapi.ComponentSync, httpapi.Down, "first sync: justice 1,000 of 21,946 so far") {
		t.Fatal("Explain refused the sync component while down")
	}
	if _, body := get("/readyz"); !strings.Contains(body, "justice 1,000 of 21,946 so far") {
		t.Errorf("/readyz after Explain: %s", body)
	}
	ready.Ready()
	if ready.Explain(httpapi.ComponentSync, httpapi.Down, "first sync: justice 2,000 of 21,946 so far") {
		t.Error("Explain changed the sync component after it became ok")
	}
	code, body := get("/readyz")
	if strings.Contains(body, "2,000 of") || !strings.Contains(body, "the first sync has finished") {
		t.Errorf("/readyz after a late Explain: %d %s", code, body)
	}
	if ready.Explain(httpapi.ComponentStore, httpapi.OK, "anything") {
		t.Error("Explain changed a checked component")
	}
	if ready.Explain("nothing", httpapi.Down, "anything") {
		t.Error("Explain made up a component")
	}
}
