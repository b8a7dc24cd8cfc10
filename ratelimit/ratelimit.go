// Package ratelimit owns the gateway's request rate limits: a limit per role (every caller of
// the role gets that budget), optionally a different one per client, enforced with GCRA on
// Redis (github.com/go-redis/redis_rate) when REDIS_URL is set, so every replica shares the
// counts, or in process (golang.org/x/time/rate) in the embedded default. A request over its
// limit gets HTTP 429 with Retry-After. On Redis, a caller sending many requests a second takes
// its tokens a few at a time (Leased, lease.go), never past its limit; while Redis does not
// answer, the limits are counted in process, per replica, until it does (Failover, failover.go).
//
// ratelimit counts requests; it never looks at what they ask for (the query limits are
// graph/limits) and never touches the store.
package ratelimit

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"

	"github.com/birlik/birlik/apperr"
	"github.com/birlik/birlik/auth"
)

// Limit is Rate requests per Period, with bursts of up to Burst.
type Limit struct {
	Rate   int
	Period time.Duration
	Burst  int
}

// String writes the limit as ParseLimit reads it.
func (l Limit) String() string {
	p := map[time.Duration]string{time.Second: "s", time.Minute: "m", time.Hour: "h"}[l.Period]
	if p == "" {
		p = l.Period.String()
		if strings.HasSuffix(p, "m0s") {
			p = strings.TrimSuffix(p, "0s")
		}
		if strings.HasSuffix(p, "h0m") {
			p = strings.TrimSuffix(p, "0m")
		}
	}
	return fmt.Sprintf("%d/%s:%d", l.Rate, p, l.Burst)
}

// ParseLimit reads `RATE/PERIOD[:BURST]`, PERIOD one of s, m, h or a Go duration, e.g. `20/s:40`
// or `600/m`; the burst defaults to the rate.
func ParseLimit(s string) (Limit, error) {
	spec, burst, hasBurst := strings.Cut(strings.TrimSpace(s), ":")
	r, per, ok := strings.Cut(spec, "/")
	if !ok {
		return Limit{}, fmt.Errorf("limit %q: want RATE/PERIOD[:BURST], e.g. 20/s:40", s)
	}
	n, err := strconv.Atoi(r)
	if err != nil || n < 1 {
		return Limit{}, fmt.Errorf("limit %q: the rate %q is not a whole number of at least 1", s, r)
	}
	l := Limit{Rate: n, Burst: n}
	switch per {
	case "s":
		l.Period = time.Second
	case "m":
		l.Period = time.Minute
	case "h":
		l.Period = time.Hour
	default:
		if l.Period, err = time.ParseDuration(per); err != nil || l.Period <= 0 {
			return Limit{}, fmt.Errorf("limit %q: the period %q is not s, m, h or a duration such as 10s", s, per)
		}
	}
	if hasBurst {
		if l.Burst, err = strconv.Atoi(burst); err != nil || l.Burst < 1 {
			return Limit{}, fmt.Errorf("limit %q: the burst %q is not a whole number of at least 1", s, burst)
		}
	}
	return l, nil
}

// Policy is the limits: per role, and per client name where a client needs another budget.
type Policy struct {
	Roles   map[string]Limit
	Clients map[string]Limit
}

// DefaultPolicy is the limits with nothing configured.
func DefaultPolicy() Policy {
	return Policy{Roles: map[string]Limit{
		auth.RoleCitizen:    {Rate: 5, Period: time.Second, Burst: 20},
		auth.RoleCaseworker: {Rate: 20, Period: time.Second, Burst: 60},
		auth.RoleAnalyst:    {Rate: 10, Period: time.Second, Burst: 30},
		auth.RoleInspector:  {Rate: 20, Period: time.Second, Burst: 60},
		auth.RoleHealth:     {Rate: 200, Period: time.Second, Burst: 400},
		auth.RoleAdmin:      {Rate: 100, Period: time.Second, Burst: 200},
	}, Clients: map[string]Limit{}}
}

// ParsePolicy reads BIRLIK_RATE_LIMITS: `;`-separated `role=LIMIT` or `client:NAME=LIMIT`
// entries over the defaults, e.g. `citizen=2/s:5;client:umis=500/s:1000`.
func ParsePolicy(s string) (Policy, error) {
	p := DefaultPolicy()
	if strings.TrimSpace(s) == "" {
		return p, nil
	}
	for _, entry := range strings.Split(s, ";") {
		who, spec, ok := strings.Cut(strings.TrimSpace(entry), "=")
		if !ok {
			return Policy{}, fmt.Errorf("entry %q: want role=RATE/PERIOD[:BURST] or client:NAME=RATE/PERIOD[:BURST]", entry)
		}
		l, err := ParseLimit(spec)
		if err != nil {
			return Policy{}, err
		}
		if name, isClient := strings.CutPrefix(who, "client:"); isClient && name != "" {
			p.Clients[name] = l
			continue
		}
		if !auth.ValidRole(who) {
			return Policy{}, fmt.Errorf("entry %q: %q is neither a role (%s) nor client:NAME", entry, who, strings.Join(auth.Roles, ", "))
		}
		p.Roles[who] = l
	}
	return p, nil
}

// For returns the limit of the caller id and the key its requests count under: one budget per
// caller (client and subject), sized by the client's limit if configured, else the role's.
func (p Policy) For(id auth.Identity) (string, Limit, bool) {
	key := id.Role + ":" + id.Client + ":" + id.Subject
	if l, ok := p.Clients[id.Client]; ok {
		return key, l, true
	}
	l, ok := p.Roles[id.Role]
	return key, l, ok
}

// Result is a limiter's answer for one request.
type Result struct {
	Allowed    bool
	RetryAfter time.Duration // when not allowed: how long until a request would be
}

// Limiter counts requests under keys.
type Limiter interface {
	Allow(ctx context.Context, key string, l Limit) (Result, error)
}

// Redis is a GCRA limiter on Redis, shared by every replica. The gateway puts Leased in front
// of it, so that callers with many requests a second do not cost a round trip each.
type Redis struct{ l *redis_rate.Limiter }

// NewRedis returns a limiter on rdb (a redis.UniversalClient works with one node or a cluster).
func NewRedis(rdb redis.UniversalClient) *Redis { return &Redis{l: redis_rate.NewLimiter(rdb)} }

// Allow implements Limiter. Keys carry a hash tag so a cluster keeps one caller on one slot.
func (r *Redis) Allow(ctx context.Context, key string, l Limit) (Result, error) {
	res, err := r.l.Allow(ctx, "birlik:{"+key+"}", redis_rate.Limit{Rate: l.Rate, Burst: l.Burst, Period: l.Period})
	if err != nil {
		return Result{}, fmt.Errorf("rate limit in Redis: %w", err)
	}
	return Result{Allowed: res.Allowed > 0, RetryAfter: res.RetryAfter}, nil
}

// AllowN implements BulkLimiter: n tokens at once or none (see Leased).
func (r *Redis) AllowN(ctx context.Context, key string, l Limit, n int) (Result, error) {
	res, err := r.l.AllowN(ctx, "birlik:{"+key+"}", redis_rate.Limit{Rate: l.Rate, Burst: l.Burst, Period: l.Period}, n)
	if err != nil {
		return Result{}, fmt.Errorf("rate limit in Redis: %w", err)
	}
	return Result{Allowed: res.Allowed >= n, RetryAfter: res.RetryAfter}, nil
}

// Local is an in-process limiter (token buckets), for the embedded default with one gateway.
type Local struct {
	mu       sync.Mutex
	limiters map[string]*localEntry
	now      func() time.Time
}

type localEntry struct {
	lim   *rate.Limiter
	limit Limit
}

// MaxLocalKeys bounds the callers Local remembers; past it, callers with a full bucket are
// forgotten (they lose nothing).
const MaxLocalKeys = 100000

// NewLocal returns an in-process limiter; now is the clock (nil: time.Now).
func NewLocal(now func() time.Time) *Local {
	if now == nil {
		now = time.Now
	}
	return &Local{limiters: map[string]*localEntry{}, now: now}
}

// Allow implements Limiter.
func (l *Local) Allow(ctx context.Context, key string, lim Limit) (Result, error) {
	return l.AllowN(ctx, key, lim, 1)
}

// AllowN implements BulkLimiter: n tokens at once or none.
func (l *Local) AllowN(_ context.Context, key string, lim Limit, n int) (Result, error) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.limiters[key]
	if !ok || e.limit != lim {
		if len(l.limiters) >= MaxLocalKeys {
			l.forgetFull(now)
		}
		e = &localEntry{lim: rate.NewLimiter(rate.Limit(float64(lim.Rate)/lim.Period.Seconds()), lim.Burst), limit: lim}
		l.limiters[key] = e
	}
	r := e.lim.ReserveN(now, n)
	if !r.OK() {
		return Result{RetryAfter: lim.Period}, nil
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return Result{RetryAfter: d}, nil
	}
	return Result{Allowed: true}, nil
}

func (l *Local) forgetFull(now time.Time) {
	for k, e := range l.limiters {
		if e.lim.TokensAt(now) >= float64(e.limit.Burst) {
			delete(l.limiters, k)
		}
	}
}

// Middleware refuses a request over its caller's limit with 429, a Retry-After header (whole
// seconds, rounded up) and a GraphQL-shaped error with code RATE_LIMITED. It runs after
// authentication (it needs the identity). When the limiter fails (a Redis limiter without a
// Failover in front) the request goes on and the failure is logged: rate limiting protects
// capacity, not data.
func Middleware(l Limiter, p Policy, log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, ok := auth.FromContext(r.Context())
			if !ok {
				next.ServeHTTP(w, r)
				return
			}
			key, lim, ok := p.For(id)
			if !ok {
				next.ServeHTTP(w, r)
				return
			}
			res, err := l.Allow(r.Context(), key, lim)
			if err != nil {
				log.WarnContext(r.Context(), "rate limiter unavailable: letting the request through", "err", err)
				next.ServeHTTP(w, r)
				return
			}
			if !res.Allowed {
				secs := int(math.Ceil(res.RetryAfter.Seconds()))
				if secs < 1 {
					secs = 1
				}
				w.Header().Set("Retry-After", strconv.Itoa(secs))
				writeTooMany(w, apperr.New(RateLimited, "too many requests: %s allows %s for the %s role; retry after %d s", id.Client, lim, id.Role, secs))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// RateLimited is the error code of a refused request.
const RateLimited apperr.Code = "RATE_LIMITED"

func writeTooMany(w http.ResponseWriter, e *apperr.Error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusTooManyRequests)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]any{
		"message": e.Message, "extensions": map[string]any{"code": e.Code},
	}}})
}
