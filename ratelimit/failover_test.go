package ratelimit_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/ratelimit"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLimitsHoldWithoutRedis: with Redis gone mid-run a burst past the citizen limit is still
// limited (in process), the change is logged once (not per request), shown in the metric and
// reported to OnChange; when Redis answers again the limits go back to it. Redis is miniredis
// here even with REDIS_URL: the test stops and restarts it.
func TestLimitsHoldWithoutRedis(t *testing.T) {
	mr := miniredis.RunT(t)
	clk := newClock()
	mr.SetTime(clk.now()) // Redis's clock stands still too: the bursts below are exact
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { rdb.Close() })

	logs := &lockedBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	var mu sync.Mutex
	var changes []ratelimit.Backend
	fo := ratelimit.NewFailover(ratelimit.NewRedis(rdb), ratelimit.FailoverOptions{
		Log: log, Now: clk.now,
		OnChange: func(b ratelimit.Backend, err error) {
			mu.Lock()
			defer mu.Unlock()
			changes = append(changes, b)
			if (b == ratelimit.BackendLocal) != (err != nil) {
				t.Errorf("OnChange(%s, %v): the error comes with the fall-back only", b, err)
			}
		},
	})
	policy := ratelimit.DefaultPolicy()
	citizen := policy.Roles[auth.RoleCitizen]
	h := ratelimit.Middleware(ratelimit.NewLeased(fo, clk.now), policy, log)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	burst := func(subject string) (admitted int) {
		for range 3 * citizen.Burst {
			req := httptest.NewRequest("POST", "/query", nil)
			req = req.WithContext(auth.NewContext(context.Background(), auth.Identity{Role: auth.RoleCitizen, Subject: subject, Client: "egov"}))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code == http.StatusOK {
				admitted++
			}
		}
		return admitted
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(fo.Collectors()...)
	backendIs := func(b ratelimit.Backend) {
		t.Helper()
		if got := fo.Backend(); got != b {
			t.Errorf("Backend() = %s, want %s", got, b)
		}
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				label := m.GetLabel()[0].GetValue()
				want := 0.0
				if label == string(b) {
					want = 1
				}
				if got := m.GetGauge().GetValue(); mf.GetName() == "birlik_ratelimit_backend" && got != want {
					t.Errorf("birlik_ratelimit_backend{backend=%q} = %v, want %v", label, got, want)
				}
			}
		}
	}

	if n := burst("on-redis"); n != citizen.Burst {
		t.Fatalf("with Redis up %d of %d requests passed, want the burst of %d", n, 3*citizen.Burst, citizen.Burst)
	}
	backendIs(ratelimit.BackendRedis)

	mr.Close()
	if n := burst("redis-gone"); n != citizen.Burst {
		t.Errorf("with Redis gone %d of %d requests passed, want the burst of %d", n, 3*citizen.Burst, citizen.Burst)
	}
	backendIs(ratelimit.BackendLocal)
	if n := burst("redis-gone"); n != 0 {
		t.Errorf("with Redis gone a second burst of the same caller passed %d, want 0", n)
	}
	if n := strings.Count(logs.String(), "level="); n != 1 || !strings.Contains(logs.String(), "Redis does not answer") {
		t.Errorf("%d log lines for %d requests with Redis gone, want one saying so:\n%s", n, 6*citizen.Burst, logs)
	}

	if err := mr.Restart(); err != nil {
		t.Fatal(err)
	}
	mr.SetTime(clk.now())
	// Redis is tried again in the background, at most once a second of the limiter's clock.
	deadline := time.Now().Add(20 * time.Second)
	for fo.Backend() != ratelimit.BackendRedis && time.Now().Before(deadline) {
		clk.advance(2 * time.Second)
		burst("waking")
		time.Sleep(10 * time.Millisecond)
	}
	backendIs(ratelimit.BackendRedis)
	mr.SetTime(clk.now())
	if n := burst("redis-back"); n != citizen.Burst {
		t.Errorf("with Redis back %d of %d requests passed, want the burst of %d", n, 3*citizen.Burst, citizen.Burst)
	}
	if got := mr.Keys(); !strings.Contains(strings.Join(got, " "), "redis-back") {
		t.Errorf("Redis holds %v: the limits are not counted there again", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(changes) != 2 || changes[0] != ratelimit.BackendLocal || changes[1] != ratelimit.BackendRedis {
		t.Errorf("OnChange saw %v, want [local redis]", changes)
	}
	if n := strings.Count(logs.String(), "Redis answers again"); n != 1 {
		t.Errorf("the return to Redis logged %d times, want once:\n%s", n, logs)
	}
}

// TestAuthFailuresHoldWithoutRedis: the failed-authentication budget, counted through a
// Failover, still refuses an address that spent it while Redis is gone.
func TestAuthFailuresHoldWithoutRedis(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { rdb.Close() })
	fo := ratelimit.NewFailover(ratelimit.NewRedis(rdb), ratelimit.FailoverOptions{})
	mr.Close()
	lim := ratelimit.Limit{Rate: 1, Period: time.Hour, Burst: 3}
	h := guarded(fo, lim)
	var codes []int
	for range 5 {
		codes = append(codes, call(h, "203.0.113.9:5000", "wrong-key").Code)
	}
	if codes[3] != http.StatusTooManyRequests || codes[4] != http.StatusTooManyRequests {
		t.Errorf("codes %v with Redis gone: want 3 failures then 429", codes)
	}
}
