package ratelimit_test

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/ratelimit"
)

const goodKey = "0123456789abcdef-good-key"

// peekers returns the in-process limiter and the Redis one (REDIS_URL, else miniredis), the two
// a gateway counts failed authentications with.
func peekers(t *testing.T) map[string]ratelimit.Peeker {
	t.Helper()
	var rdb redis.UniversalClient
	if u := os.Getenv("REDIS_URL"); u != "" {
		opts, err := redis.ParseURL(u)
		if err != nil {
			t.Fatal(err)
		}
		rdb = redis.NewClient(opts)
	} else {
		mr := miniredis.RunT(t)
		rdb = redis.NewClient(&redis.Options{Addr: mr.Addr()})
	}
	t.Cleanup(func() { rdb.Close() })
	return map[string]ratelimit.Peeker{"local": ratelimit.NewLocal(nil), "redis": ratelimit.NewRedis(rdb)}
}

// addr returns a client address of its own /64, so runs against a shared Redis never meet.
func addr() string {
	return fmt.Sprintf("[2001:db8:%x:%x::1]:40000", rand.Uint32()&0xffff, rand.Uint32()&0xffff)
}

// guarded is the authentication middleware (one good API key) behind the failure guard.
func guarded(l ratelimit.Peeker, lim ratelimit.Limit) http.Handler {
	log := slog.New(slog.DiscardHandler)
	keys := auth.NewAPIKeys([]auth.APIKey{{Key: goodKey, Role: "admin", Client: "ops"}})
	inner := auth.Middleware(keys, log)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	return ratelimit.NewAuthFailures(l, lim, ratelimit.ClientAddress(nil), log, nil).Middleware(inner)
}

func call(h http.Handler, remote, key string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/query", strings.NewReader(`{"query":"{ regions { kato } }"}`))
	req.RemoteAddr = remote
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestFailedAuthenticationsAre429PerAddress: after N bad credentials from one address, the
// next request from it is 429 with Retry-After and RATE_LIMITED whatever it carries, while
// another address still gets 401 for a bad credential and 200 for a good one, and good
// credentials never spend the budget.
func TestFailedAuthenticationsAre429PerAddress(t *testing.T) {
	const n = 3
	lim := ratelimit.Limit{Rate: n, Period: time.Hour, Burst: n}
	for name, l := range peekers(t) {
		t.Run(name, func(t *testing.T) {
			h := guarded(l, lim)
			attacker, neighbour, user := addr(), addr(), addr()
			for i := range 2 * n {
				if rec := call(h, user, goodKey); rec.Code != 200 {
					t.Fatalf("good credential %d from a clean address: %d %s", i+1, rec.Code, rec.Body)
				}
			}
			for i := range n {
				if rec := call(h, attacker, "wrong-key-"+strconv.Itoa(i)); rec.Code != 401 {
					t.Fatalf("bad credential %d of %d: %d %s, want 401", i+1, n, rec.Code, rec.Body)
				}
			}
			for _, key := range []string{"wrong-key-again", goodKey, ""} {
				rec := call(h, attacker, key)
				if rec.Code != http.StatusTooManyRequests || !strings.Contains(rec.Body.String(), `"RATE_LIMITED"`) || !strings.Contains(rec.Body.String(), "too many failed authentications") {
					t.Fatalf("credential %q after %d failures: %d %s, want 429 RATE_LIMITED before the credential is checked", key, n, rec.Code, rec.Body)
				}
				ra, err := strconv.Atoi(rec.Header().Get("Retry-After"))
				if err != nil || ra < 1 || ra > int((time.Hour/n).Seconds())+1 {
					t.Errorf("Retry-After %q: want whole seconds up to one failure's refill (%v)", rec.Header().Get("Retry-After"), time.Hour/n)
				}
			}
			if rec := call(h, neighbour, "wrong-key"); rec.Code != 401 || !strings.Contains(rec.Body.String(), "UNAUTHENTICATED") {
				t.Errorf("bad credential from another address: %d %s, want 401 UNAUTHENTICATED", rec.Code, rec.Body)
			}
			if rec := call(h, user, goodKey); rec.Code != 200 {
				t.Errorf("good credential from another address: %d %s, want 200", rec.Code, rec.Body)
			}
		})
	}
}

// TestFailuresCountAcrossReplicas: two gateways sharing the limiter (Redis, or one process's
// Local) count one address's failures together; the failure past the budget on the replica
// that had not seen the address fail is 429, not 401.
func TestFailuresCountAcrossReplicas(t *testing.T) {
	const n = 2
	lim := ratelimit.Limit{Rate: n, Period: time.Hour, Burst: n}
	for name, l := range peekers(t) {
		t.Run(name, func(t *testing.T) {
			one, two := guarded(l, lim), guarded(l, lim)
			a := addr()
			for i := range n {
				if rec := call(one, a, "wrong"); rec.Code != 401 {
					t.Fatalf("failure %d on replica one: %d", i+1, rec.Code)
				}
			}
			rec := call(two, a, "wrong")
			if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" || strings.Contains(rec.Body.String(), "UNAUTHENTICATED") {
				t.Fatalf("failure %d on replica two: %d %s, want only a 429 with Retry-After", n+1, rec.Code, rec.Body)
			}
			if rec := call(two, a, goodKey); rec.Code != http.StatusTooManyRequests {
				t.Errorf("good credential on replica two after its own refused failure: %d, want 429", rec.Code)
			}
		})
	}
}

func TestClientAddress(t *testing.T) {
	t.Parallel()
	trusted, err := ratelimit.ParseTrustedProxies("10.0.0.0/8, 127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		trusted bool
		remote  string
		xff     []string
		want    string
	}{
		{"remote address", false, "203.0.113.7:5555", nil, "203.0.113.7"},
		{"forwarded header ignored by default", false, "203.0.113.7:5555", []string{"198.51.100.1"}, "203.0.113.7"},
		{"forwarded header ignored from an untrusted peer", true, "203.0.113.7:5555", []string{"198.51.100.1"}, "203.0.113.7"},
		{"trusted proxy", true, "10.1.2.3:5555", []string{"198.51.100.1"}, "198.51.100.1"},
		{"spoofed entries left of the proxy's", true, "10.1.2.3:5555", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"two trusted hops", true, "127.0.0.1:5555", []string{"198.51.100.1", "10.9.9.9"}, "198.51.100.1"},
		{"garbage from the client", true, "10.1.2.3:5555", []string{"not-an-ip, 10.4.4.4"}, "10.4.4.4"},
		{"trusted proxy without header", true, "10.1.2.3:5555", nil, "10.1.2.3"},
		{"IPv6 by its /64", false, "[2001:db8:1:2:aaaa::9]:5555", nil, "2001:db8:1:2::/64"},
		{"IPv4-mapped IPv6", false, "[::ffff:203.0.113.7]:5555", nil, "203.0.113.7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var tp = trusted
			if !tc.trusted {
				tp = nil
			}
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			if got := ratelimit.ClientAddress(tp)(req); got != tc.want {
				t.Errorf("client address %q, want %q", got, tc.want)
			}
		})
	}
	if _, err := ratelimit.ParseTrustedProxies("10.0.0.0/8,proxy.local"); err == nil || !strings.Contains(err.Error(), `"proxy.local" is not an address or CIDR`) {
		t.Errorf("bad trusted proxy: err = %v", err)
	}
}

func TestParseAuthFailures(t *testing.T) {
	t.Parallel()
	if l, err := ratelimit.ParseAuthFailures("off"); err != nil || l != (ratelimit.Limit{}) {
		t.Errorf("off: %v %v", l, err)
	}
	if l, err := ratelimit.ParseAuthFailures("5/m:8"); err != nil || l != (ratelimit.Limit{Rate: 5, Period: time.Minute, Burst: 8}) {
		t.Errorf("5/m:8: %v %v", l, err)
	}
	if _, err := ratelimit.ParseAuthFailures("never"); err == nil {
		t.Error("never: no error")
	}
}

func TestLimitString(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"10/10m:10", "5/s:20", "3/1m30s:3", "1/2h:1"} {
		l, err := ratelimit.ParseLimit(s)
		if err != nil || l.String() != s {
			t.Errorf("ParseLimit(%q).String() = %q (%v)", s, l.String(), err)
		}
	}
}
