package ratelimit

// Failed authentications per client address: a caller guessing API keys or forging tokens gets
// a few tries, then 429 until its budget refills, before its credential is even looked at. The
// budget is GCRA like the request limits (Limit: N failures per window, in bursts of up to
// Burst), counted in Redis when REDIS_URL is set, so every replica sees every failure, or in
// process otherwise. Successful requests spend nothing and, from an address that has not failed
// recently, cost no look-up.

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"

	"github.com/birlik/birlik/apperr"
)

// DefaultAuthFailures is the failure budget of one client address with nothing configured: 10
// failed authentications, then one more every minute (10 per 10 minutes).
var DefaultAuthFailures = Limit{Rate: 10, Period: 10 * time.Minute, Burst: 10}

// ParseAuthFailures reads BIRLIK_AUTH_FAILURES: `RATE/PERIOD[:BURST]` (ParseLimit), e.g.
// `10/10m`, or `off`, which returns the zero Limit (no limit).
func ParseAuthFailures(s string) (Limit, error) {
	if strings.EqualFold(strings.TrimSpace(s), "off") {
		return Limit{}, nil
	}
	return ParseLimit(s)
}

// Peeker is a Limiter that can also tell whether a request would be allowed now without
// spending anything.
type Peeker interface {
	Limiter
	Peek(ctx context.Context, key string, l Limit) (Result, error)
}

// Peek implements Peeker.
func (l *Local) Peek(_ context.Context, key string, lim Limit) (Result, error) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.limiters[key]
	if !ok || e.limit != lim {
		return Result{Allowed: true}, nil
	}
	tokens := e.lim.TokensAt(now)
	if tokens >= 1 {
		return Result{Allowed: true}, nil
	}
	return Result{RetryAfter: time.Duration((1 - tokens) / float64(e.lim.Limit()) * float64(time.Second))}, nil
}

// Peek implements Peeker: a request of cost 0 reads the bucket without spending from it.
func (r *Redis) Peek(ctx context.Context, key string, l Limit) (Result, error) {
	res, err := r.l.AllowN(ctx, "birlik:{"+key+"}", redis_rate.Limit{Rate: l.Rate, Burst: l.Burst, Period: l.Period}, 0)
	if err != nil {
		return Result{}, fmt.Errorf("rate limit in Redis: %w", err)
	}
	if res.Remaining >= 1 {
		return Result{Allowed: true}, nil
	}
	// The bucket is full until ResetAfter; one token frees up Burst-1 emission intervals
	// before that.
	retry := res.ResetAfter - time.Duration(l.Burst-1)*l.Period/time.Duration(l.Rate)
	return Result{RetryAfter: max(retry, time.Second)}, nil
}

// AuthFailures counts failed authentications (401 answers) per client address and refuses an
// address that has spent its budget with 429, before the credential is checked.
type AuthFailures struct {
	limiter Peeker
	limit   Limit
	addr    func(*http.Request) string
	log     *slog.Logger
	now     func() time.Time

	mu sync.Mutex
	// suspects are the addresses this process saw fail, and until when their budget may be
	// short: only their requests are checked before authentication. A failure reported by
	// another replica is caught on this replica's first failure from the address (Allow then
	// refuses it and the answer is 429).
	suspects map[string]time.Time
	// checkAll, when later than now, checks every address: the suspects map was full.
	checkAll time.Time
}

// NewAuthFailures returns the guard: l counts (an in-process Local, or Redis; not Leased: a
// failure must be counted where every replica sees it), lim is the budget of one address, addr
// gives a request's client address (ClientAddress). now is the clock (nil: time.Now).
func NewAuthFailures(l Peeker, lim Limit, addr func(*http.Request) string, log *slog.Logger, now func() time.Time) *AuthFailures {
	if now == nil {
		now = time.Now
	}
	return &AuthFailures{limiter: l, limit: lim, addr: addr, log: log, now: now, suspects: map[string]time.Time{}}
}

func failureKey(addr string) string { return "authfail:" + addr }

// Middleware wraps the authentication middleware: a request from an address over its budget is
// answered 429 with Retry-After and code RATE_LIMITED; otherwise it goes on, and a 401 answer
// spends one failure from the address's budget (the failure that exceeds it is answered 429
// instead). When the limiter fails (Redis down) requests go on and the failure is logged.
func (a *AuthFailures) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := a.addr(r)
		if a.suspect(addr) {
			res, err := a.limiter.Peek(r.Context(), failureKey(addr), a.limit)
			switch {
			case err != nil:
				a.log.WarnContext(r.Context(), "failed-authentication limiter unavailable: letting the request through", "err", err)
			case !res.Allowed:
				a.refuse(w, addr, res.RetryAfter)
				return
			}
		}
		next.ServeHTTP(&failureWriter{ResponseWriter: w, a: a, r: r, addr: addr}, r)
	})
}

// suspect reports whether addr's budget may be short.
func (a *AuthFailures) suspect(addr string) bool {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if now.Before(a.checkAll) {
		return true
	}
	until, ok := a.suspects[addr]
	if ok && !now.Before(until) {
		delete(a.suspects, addr)
		return false
	}
	return ok
}

// refill is how long a spent budget takes to fill up again.
func (a *AuthFailures) refill() time.Duration {
	return time.Duration(a.limit.Burst) * a.limit.Period / time.Duration(a.limit.Rate)
}

// failed spends one failure of addr's budget; it reports whether the budget had it.
func (a *AuthFailures) failed(ctx context.Context, addr string) (bool, time.Duration) {
	now := a.now()
	until := now.Add(a.refill())
	a.mu.Lock()
	if _, ok := a.suspects[addr]; !ok && len(a.suspects) >= MaxLocalKeys {
		for k, t := range a.suspects {
			if !now.Before(t) {
				delete(a.suspects, k)
			}
		}
		if len(a.suspects) >= MaxLocalKeys {
			a.checkAll = until
		}
	}
	if len(a.suspects) < MaxLocalKeys {
		a.suspects[addr] = until
	}
	a.mu.Unlock()
	res, err := a.limiter.Allow(ctx, failureKey(addr), a.limit)
	if err != nil {
		a.log.WarnContext(ctx, "failed-authentication limiter unavailable: the failure is not counted", "err", err)
		return true, 0
	}
	return res.Allowed, res.RetryAfter
}

func (a *AuthFailures) refuse(w http.ResponseWriter, addr string, retry time.Duration) {
	secs := max(int(math.Ceil(retry.Seconds())), 1)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeTooMany(w, apperr.New(RateLimited, "too many failed authentications from %s: this gateway allows %d per %s (bursts of %d); retry after %d s with a valid API key or token",
		addr, a.limit.Rate, a.limit.Period, a.limit.Burst, secs))
}

// failureWriter passes an answer through, spending a failure when it is a 401; when the budget
// is spent it answers 429 instead and drops the 401's body.
type failureWriter struct {
	http.ResponseWriter
	a       *AuthFailures
	r       *http.Request
	addr    string
	wrote   bool
	refused bool
}

func (f *failureWriter) WriteHeader(code int) {
	if f.wrote {
		return
	}
	f.wrote = true
	if code == http.StatusUnauthorized {
		if ok, retry := f.a.failed(f.r.Context(), f.addr); !ok {
			f.refused = true
			f.Header().Del("WWW-Authenticate")
			f.a.refuse(f.ResponseWriter, f.addr, retry)
			return
		}
	}
	f.ResponseWriter.WriteHeader(code)
}

func (f *failureWriter) Write(b []byte) (int, error) {
	if !f.wrote {
		f.WriteHeader(http.StatusOK)
	}
	if f.refused {
		return len(b), nil
	}
	return f.ResponseWriter.Write(b)
}

func (f *failureWriter) Unwrap() http.ResponseWriter { return f.ResponseWriter }

// ClientAddress returns the function that names a request's client address for the failure
// budget: the connection's remote address, or, when that is one of the trusted proxies, the
// nearest address in X-Forwarded-For that is not (the entries further left were written by the
// client and prove nothing). An IPv6 address counts by its /64, which one subscriber usually
// holds whole.
func ClientAddress(trusted []netip.Prefix) func(*http.Request) string {
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	return func(r *http.Request) string {
		remote, ok := parseAddr(r.RemoteAddr)
		if !ok {
			return r.RemoteAddr
		}
		client := remote
		if len(trusted) > 0 && isTrusted(remote) {
			hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
			for i := len(hops) - 1; i >= 0; i-- {
				a, ok := parseAddr(strings.TrimSpace(hops[i]))
				if !ok {
					break // not written by a trusted proxy: keep the last address that was
				}
				client = a
				if !isTrusted(a) {
					break
				}
			}
		}
		if client.Is6() {
			p, _ := client.Prefix(64)
			return p.String()
		}
		return client.String()
	}
}

// parseAddr reads an address with or without a port.
func parseAddr(s string) (netip.Addr, bool) {
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

// ParseTrustedProxies reads BIRLIK_TRUSTED_PROXIES: comma-separated addresses or CIDR ranges of
// the reverse proxies in front of the gateway, e.g. `10.0.0.0/8,127.0.0.1`.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		if p, err := netip.ParsePrefix(entry); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(entry)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or CIDR range such as 10.0.0.0/8 or 127.0.0.1", entry)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}
