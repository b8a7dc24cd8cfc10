package httpapi_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/graph/limits"
	"github.com/birlik/birlik/httpapi"
	"github.com/birlik/birlik/ratelimit"
)

// TestFailedAuthenticationsLimited: /query behind the failed-authentication guard answers an
// address 429 with Retry-After once it has sent N bad credentials, while another address still
// gets 401 for a bad one and 200 for a good one.
func TestFailedAuthenticationsLimited(t *testing.T) {
	t.Parallel()
	const n = 4
	log := slog.New(slog.DiscardHandler)
	guard := ratelimit.NewAuthFailures(ratelimit.NewLocal(nil), ratelimit.Limit{Rate: n, Period: time.Hour, Burst: n}, ratelimit.ClientAddress(nil), log, nil)
	h, err := httpapi.New(httpapi.Options{
		Schema:        fakeSchema{s: testSchema},
		Authenticator: auth.NewAPIKeys([]auth.APIKey{{Key: key, Role: "admin", Client: "test"}}),
		Limits: func(context.Context) limits.Limits {
			return limits.Limits{Depth: 3, Aliases: 2, Complexity: 100, PageSize: 10}
		},
		Logger:    log,
		Registry:  prometheus.NewRegistry(),
		Ready:     httpapi.NewReadiness("test"),
		AuthGuard: guard.Middleware,
	})
	if err != nil {
		t.Fatal(err)
	}
	call := func(remote, credential string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/query", strings.NewReader(`{"query":"{ whoami }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+credential)
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for i := range n {
		if rec := call("203.0.113.9:4000", "guess-0123456789"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("bad credential %d: %d %s", i+1, rec.Code, rec.Body)
		}
	}
	rec := call("203.0.113.9:4001", "guess-0123456789")
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), `"RATE_LIMITED"`) {
		t.Fatalf("bad credential %d: %d %q %s, want 429 with Retry-After and RATE_LIMITED", n+1, rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	if rec := call("198.51.100.2:4000", "guess-0123456789"); rec.Code != http.StatusUnauthorized {
		t.Errorf("bad credential from another address: %d, want 401", rec.Code)
	}
	if rec := call("198.51.100.3:4000", key); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "admin") {
		t.Errorf("good credential from another address: %d %s, want 200", rec.Code, rec.Body)
	}
}
