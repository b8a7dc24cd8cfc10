package ratelimit_test

import (
	"context"
	"log/slog"
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

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		name, in string
		role     string
		client   string
		want     ratelimit.Limit
		wantErr  string
	}{
		{name: "default", in: "", role: "citizen", want: ratelimit.Limit{Rate: 5, Period: time.Second, Burst: 20}},
		{name: "role", in: "citizen=2/s:3", role: "citizen", want: ratelimit.Limit{Rate: 2, Period: time.Second, Burst: 3}},
		{name: "client", in: "client:umis=600/m", client: "umis", want: ratelimit.Limit{Rate: 600, Period: time.Minute, Burst: 600}},
		{name: "duration period", in: "admin=10/10s", role: "admin", want: ratelimit.Limit{Rate: 10, Period: 10 * time.Second, Burst: 10}},
		{name: "unknown role", in: "root=1/s", wantErr: "neither a role"},
		{name: "bad rate", in: "citizen=x/s", wantErr: "not a whole number"},
		{name: "no period", in: "citizen=5", wantErr: "want RATE/PERIOD"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ratelimit.ParsePolicy(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			_, got, _ := p.For(auth.Identity{Role: tc.role, Client: tc.client, Subject: "s"})
			if tc.client != "" {
				got = p.Clients[tc.client]
			}
			if got != tc.want {
				t.Errorf("limit %v, want %v", got, tc.want)
			}
		})
	}
}

// limiters returns the in-process limiter and the Redis one (REDIS_URL, else miniredis).
func limiters(t testing.TB) map[string]ratelimit.Limiter {
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
	return map[string]ratelimit.Limiter{"local": ratelimit.NewLocal(nil), "redis": ratelimit.NewRedis(rdb),
		"leased": ratelimit.NewLeased(ratelimit.NewRedis(rdb), nil)}
}

// TestBurstGets429: a burst past the caller's limit is answered 429 with Retry-After; another
// caller is not affected; with the budget refilled the caller passes again.
func TestBurstGets429(t *testing.T) {
	for name, l := range limiters(t) {
		t.Run(name, func(t *testing.T) {
			policy := ratelimit.Policy{Roles: map[string]ratelimit.Limit{"citizen": {Rate: 1, Period: 2 * time.Second, Burst: 3}}}
			h := ratelimit.Middleware(l, policy, slog.New(slog.DiscardHandler))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			subject := "burst-" + name + "-" + strconv.FormatInt(time.Now().UnixNano(), 10)
			call := func(sub string) *httptest.ResponseRecorder {
				req := httptest.NewRequest("POST", "/query", nil)
				req = req.WithContext(auth.NewContext(context.Background(), auth.Identity{Role: "citizen", Subject: sub, Client: "egov"}))
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				return rec
			}
			var codes []int
			var last *httptest.ResponseRecorder
			for range 6 {
				last = call(subject)
				codes = append(codes, last.Code)
			}
			ok := 0
			for _, c := range codes {
				if c == 200 {
					ok++
				}
			}
			if ok != 3 || codes[5] != http.StatusTooManyRequests {
				t.Fatalf("codes %v: want the burst of 3 to pass and the rest refused with 429", codes)
			}
			ra, err := strconv.Atoi(last.Header().Get("Retry-After"))
			if err != nil || ra < 1 || ra > 2 {
				t.Errorf("Retry-After %q: want 1 or 2 seconds", last.Header().Get("Retry-After"))
			}
			if !strings.Contains(last.Body.String(), `"RATE_LIMITED"`) {
				t.Errorf("body %s: want code RATE_LIMITED", last.Body)
			}
			if c := call(subject + "-other").Code; c != 200 {
				t.Errorf("another caller got %d: limits are per caller", c)
			}
		})
	}
}
