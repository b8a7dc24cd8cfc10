package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fast is a config whose waits are short enough for tests.
func fast(source string) Config {
	return Config{Source: source, Timeout: 5 * time.Second, MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond}
}

type retryLog struct {
	mu    sync.Mutex
	waits []time.Duration
	stats []int
}

func (l *retryLog) hook(op string, attempt, status int, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.waits = append(l.waits, wait)
	l.stats = append(l.stats, status)
}

func TestBurstOf5xxIsRetried(t *testing.T) {
	t.Parallel()
	for _, status := range []int{500, 502, 503, 504} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) <= 3 {
					http.Error(w, `{"error":{"code":"UNAVAILABLE","message":"try later"}}`, status)
					return
				}
				fmt.Fprint(w, `{"ok":true}`)
			}))
			defer srv.Close()
			var log retryLog
			cfg := fast("justice")
			cfg.OnRetry = log.hook
			c := New(cfg)
			var out struct{ OK bool }
			if err := c.GetJSON(context.Background(), srv.URL+"/v1/x", &out); err != nil {
				t.Fatalf("GetJSON: %v", err)
			}
			if !out.OK {
				t.Errorf("decoded %+v, want ok", out)
			}
			if got := n.Load(); got != 4 {
				t.Errorf("server saw %d requests, want 4 (3 failures then success)", got)
			}
			if len(log.stats) != 3 || log.stats[0] != status {
				t.Errorf("retries observed %v, want three with status %d", log.stats, status)
			}
			if c.State() != "closed" {
				t.Errorf("breaker %s after a success, want closed", c.State())
			}
		})
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var times []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		times = append(times, time.Now())
		first := len(times) == 1
		mu.Unlock()
		if first {
			w.Header().Set("Retry-After", "1")
			http.Error(w, `{"error":{"code":"RATE_LIMITED","message":"slow down"}}`, http.StatusTooManyRequests)
			return
		}
		fmt.Fprint(w, `{}`)
	}))
	defer srv.Close()
	var log retryLog
	cfg := fast("labour")
	cfg.OnRetry = log.hook
	c := New(cfg)
	if err := c.GetJSON(context.Background(), srv.URL+"/v1/families", nil); err != nil {
		t.Fatalf("GetJSON: %v", err)
	}
	if len(log.waits) != 1 || log.waits[0] != time.Second || log.stats[0] != http.StatusTooManyRequests {
		t.Fatalf("waits %v statuses %v, want one wait of 1s after a 429", log.waits, log.stats)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(times) != 2 {
		t.Fatalf("server saw %d requests, want 2", len(times))
	}
	if gap := times[1].Sub(times[0]); gap < time.Second {
		t.Errorf("second request came %v after the 429, want at least the 1s of Retry-After", gap)
	}
}

func TestClientErrorsAreNotRetried(t *testing.T) {
	t.Parallel()
	for _, status := range []int{400, 401, 403, 404, 422} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				w.WriteHeader(status)
				fmt.Fprint(w, `{"error":{"code":"INVALID_ARGUMENT","message":"iins[0]: not 12 digits"}}`)
			}))
			defer srv.Close()
			c := New(fast("justice"))
			err := c.PostJSON(context.Background(), srv.URL+"/v1/persons:batchGet", map[string]any{"iins": []string{"1"}}, nil)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T), want *Error", err, err)
			}
			if e.Status != status || e.Source != "justice" || e.Op != "POST /v1/persons:batchGet" {
				t.Errorf("error %+v, want status %d from justice on POST /v1/persons:batchGet", e, status)
			}
			if !strings.Contains(err.Error(), "INVALID_ARGUMENT: iins[0]: not 12 digits") {
				t.Errorf("error %q does not carry the source's message", err)
			}
			if got := n.Load(); got != 1 {
				t.Errorf("server saw %d requests, want 1 (no retry)", got)
			}
		})
	}
}

func TestDownSourceOpensTheCircuit(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	cfg := fast("justice")
	cfg.MaxRetries = 10
	cfg.BreakerFailures = 3
	cfg.BreakerCooldown = time.Hour
	c := New(cfg)
	err := c.GetJSON(context.Background(), srv.URL+"/v1/persons", nil)
	if !errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("error %v, want ErrCircuitOpen", err)
	}
	want := "justice: GET /v1/persons: circuit open (3 consecutive failures"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want it to start %q", err, want)
	}
	if !strings.Contains(err.Error(), "HTTP 503") {
		t.Errorf("error %q does not say what the last failure was", err)
	}
	if got := n.Load(); got != 3 {
		t.Errorf("server saw %d requests, want 3 (breaker opens after 3 failures, no more retries)", got)
	}
	if c.State() != "open" {
		t.Errorf("state %s, want open", c.State())
	}
	// While open, nothing reaches the source.
	err = c.GetJSON(context.Background(), srv.URL+"/v1/persons", nil)
	if !errors.Is(err, ErrCircuitOpen) || n.Load() != 3 {
		t.Errorf("second call: error %v, server saw %d; want circuit open and no new request", err, n.Load())
	}
}

func TestUnreachableSourceNamesItself(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens here now: connection refused
	var attempts atomic.Int32
	cfg := fast("health")
	cfg.MaxRetries = 2
	cfg.Observer = func(source, op string, status int, dur time.Duration, err error) {
		if source == "health" && op == "GET /fhir/Patient" && status == 0 && err != nil {
			attempts.Add(1)
		}
	}
	c := New(cfg)
	err = c.GetJSON(context.Background(), "http://"+addr+"/fhir/Patient", nil)
	var e *Error
	if !errors.As(err, &e) || e.Source != "health" || e.Status != 0 {
		t.Fatalf("error %v, want *Error from health with no status", err)
	}
	if !strings.HasPrefix(err.Error(), "health: GET /fhir/Patient: ") || !strings.Contains(err.Error(), "3 attempt") {
		t.Errorf("error %q, want it to name the source, the operation and the attempts", err)
	}
	if got := attempts.Load(); got != 3 {
		t.Errorf("observer saw %d failed attempts, want 3", got)
	}
}

func TestContextCancelStopsWaiting(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		http.Error(w, "busy", http.StatusTooManyRequests)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cfg := fast("labour")
	cfg.OnRetry = func(string, int, int, time.Duration) { cancel() } // cancel while the client waits an hour
	c := New(cfg)
	err := c.GetJSON(ctx, srv.URL+"/v1/contracts", nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if !strings.HasPrefix(err.Error(), "labour: GET /v1/contracts: ") {
		t.Errorf("error %q does not name the source and operation", err)
	}
	if c.State() != "closed" {
		t.Errorf("state %s: a 429 and a cancellation must not count against the source", c.State())
	}
}

func TestContextCancelStopsAttempt(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	c := New(fast("finance"))
	err := c.GetJSON(ctx, srv.URL+"/soap", nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

func TestBodyIsResentOnRetry(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	var bodies []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		if n.Add(1) == 1 {
			http.Error(w, "oops", http.StatusBadGateway)
			return
		}
		w.Write(b)
	}))
	defer srv.Close()
	c := New(fast("justice"))
	var out struct{ IINs []string }
	in := map[string]any{"iins": []string{"900101300123"}}
	if err := c.PostJSON(context.Background(), srv.URL+"/v1/persons:batchGet", in, &out); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 2 || bodies[0] != bodies[1] || bodies[1] == "" {
		t.Errorf("bodies %q, want the same non-empty body twice", bodies)
	}
	if len(out.IINs) != 1 {
		t.Errorf("decoded %+v", out)
	}
}

func TestExhausted5xxKeepsTheStatus(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"error":{"code":"INTERNAL","message":"database is locked"}}`)
	}))
	defer srv.Close()
	cfg := fast("education")
	cfg.MaxRetries = 2
	c := New(cfg)
	err := c.GetJSON(context.Background(), srv.URL+"/export/schools.csv", nil)
	var e *Error
	if !errors.As(err, &e) || e.Status != 500 {
		t.Fatalf("error %v, want *Error with status 500", err)
	}
	if !strings.Contains(err.Error(), "INTERNAL: database is locked") || !strings.Contains(err.Error(), "3 attempts") {
		t.Errorf("error %q, want the source's message and the attempts", err)
	}
	if !strings.Contains(string(e.Body), "database is locked") {
		t.Errorf("Body %q does not keep the response", e.Body)
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	min, max := 100*time.Millisecond, 2*time.Second
	resp := func(status int, retryAfter string) *http.Response {
		h := http.Header{}
		if retryAfter != "" {
			h.Set("Retry-After", retryAfter)
		}
		return &http.Response{StatusCode: status, Header: h}
	}
	cases := []struct {
		name   string
		n      int
		resp   *http.Response
		lo, hi time.Duration
	}{
		{"first retry", 0, nil, 50 * time.Millisecond, 100 * time.Millisecond},
		{"third retry doubles twice", 2, resp(500, ""), 200 * time.Millisecond, 400 * time.Millisecond},
		{"capped at max", 10, resp(502, ""), time.Second, 2 * time.Second},
		{"huge attempt number capped", 200, nil, time.Second, 2 * time.Second},
		{"429 Retry-After seconds", 0, resp(429, "7"), 7 * time.Second, 7 * time.Second},
		{"503 Retry-After seconds", 3, resp(503, "2"), 2 * time.Second, 2 * time.Second},
		{"500 ignores Retry-After", 0, resp(500, "7"), 50 * time.Millisecond, 100 * time.Millisecond},
		{"429 without Retry-After backs off", 1, resp(429, ""), 100 * time.Millisecond, 200 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for i := 0; i < 50; i++ {
				if d := backoff(min, max, tc.n, tc.resp); d < tc.lo || d > tc.hi {
					t.Fatalf("backoff = %v, want within [%v, %v]", d, tc.lo, tc.hi)
				}
			}
		})
	}
	// Jitter: the waits of one attempt are not all equal.
	seen := map[time.Duration]bool{}
	for i := 0; i < 50; i++ {
		seen[backoff(min, max, 3, nil)] = true
	}
	if len(seen) < 2 {
		t.Errorf("50 waits took %d distinct values; want jitter", len(seen))
	}
}

func TestMessageOf(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, body, want string }{
		{"nested error", `{"error":{"code":"NOT_FOUND","message":"no such page"}}`, "NOT_FOUND: no such page"},
		{"nested without code", `{"error":{"message":"no such page"}}`, "no such page"},
		{"string error", `{"error":"bad token"}`, "bad token"},
		{"message", `{"message":"bad token"}`, "bad token"},
		{"problem detail", `{"title":"x","detail":"bad cursor"}`, "bad cursor"},
		{"plain text", "service unavailable\n (simulated)\n", "service unavailable (simulated)"},
		{"empty", "", "empty response"},
		{"long", strings.Repeat("a", 400), strings.Repeat("a", 300) + "…"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := messageOf([]byte(tc.body)); got != tc.want {
				t.Errorf("messageOf(%q) = %q, want %q", tc.body, got, tc.want)
			}
		})
	}
}
