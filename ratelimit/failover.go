package ratelimit

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Failover: with REDIS_URL the limits are counted in Redis, so every replica shares them. When
// Redis stops answering, the limits must keep holding rather than vanish: Failover counts in
// process (Local) from the first failed call, so each replica holds every caller to its limit
// on its own (with N replicas a caller can get N times its limit, and at the switch a fresh
// local bucket), and goes back to Redis once it answers again. It tries Redis again at most
// once per retry interval, in the background, never on a request's time. Each change is logged
// once, counted in the birlik_ratelimit_backend gauge and handed to OnChange (the gateway
// marks its readiness component "ratelimit" degraded while counting in process).

// Backend is where a Failover counts.
type Backend string

// The backends of a Failover.
const (
	BackendRedis Backend = "redis" // shared by every replica
	BackendLocal Backend = "local" // in this process: per replica
)

// Shared is a limiter shared by the replicas (Redis): it takes tokens one or n at a time and
// can read a bucket without spending.
type Shared interface {
	BulkLimiter
	Peek(ctx context.Context, key string, l Limit) (Result, error)
}

// FailoverOptions are the settings of a Failover.
type FailoverOptions struct {
	// Log receives one line per change of backend (nil: none).
	Log *slog.Logger
	// OnChange, when set, is called after each change of backend, with Redis's error when it
	// is BackendLocal. It must not call the Failover.
	OnChange func(b Backend, err error)
	// Retry is how often Redis is tried again while counting in process (default 1 s).
	Retry time.Duration
	// ProbeTimeout bounds one try (default 1 s).
	ProbeTimeout time.Duration
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Failover counts in a shared limiter while it answers and in process while it does not. It is
// a BulkLimiter (put Leased in front of it) and a Peeker (AuthFailures).
type Failover struct {
	shared  Shared
	local   *Local
	o       FailoverOptions
	backend *prometheus.GaugeVec

	mu      sync.Mutex
	current Backend
	next    time.Time // while local: when Redis may be tried again
	probing bool
}

// probeKey is the bucket a try reads (without spending) to see whether Redis answers.
const probeKey = "failover-probe"

// NewFailover returns a Failover over shared, counting there first.
func NewFailover(shared Shared, o FailoverOptions) *Failover {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Retry <= 0 {
		o.Retry = time.Second
	}
	if o.ProbeTimeout <= 0 {
		o.ProbeTimeout = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	f := &Failover{shared: shared, local: NewLocal(o.Now), o: o, current: BackendRedis,
		backend: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "birlik_ratelimit_backend",
			Help: "Where the rate limits are counted: 1 for the backend in use (redis: shared by every replica; local: in this process, while Redis does not answer).",
		}, []string{"backend"})}
	f.backend.WithLabelValues(string(BackendRedis)).Set(1)
	f.backend.WithLabelValues(string(BackendLocal)).Set(0)
	return f
}

// Collectors returns the Failover's metrics, to register with a Prometheus registry.
func (f *Failover) Collectors() []prometheus.Collector { return []prometheus.Collector{f.backend} }

// Backend returns where the limits are counted now.
func (f *Failover) Backend() Backend {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.current
}

// Allow implements Limiter.
func (f *Failover) Allow(ctx context.Context, key string, l Limit) (Result, error) {
	return f.AllowN(ctx, key, l, 1)
}

// AllowN implements BulkLimiter.
func (f *Failover) AllowN(ctx context.Context, key string, l Limit, n int) (Result, error) {
	if f.onShared() {
		var res Result
		var err error
		if n == 1 {
			res, err = f.shared.Allow(ctx, key, l)
		} else {
			res, err = f.shared.AllowN(ctx, key, l, n)
		}
		if err == nil || ctx.Err() != nil { // a caller gone away is not Redis's failure
			return res, err
		}
		f.fallBack(err)
	}
	return f.local.AllowN(ctx, key, l, n)
}

// Peek implements Peeker.
func (f *Failover) Peek(ctx context.Context, key string, l Limit) (Result, error) {
	if f.onShared() {
		res, err := f.shared.Peek(ctx, key, l)
		if err == nil || ctx.Err() != nil {
			return res, err
		}
		f.fallBack(err)
	}
	return f.local.Peek(ctx, key, l)
}

// onShared reports whether to count in the shared limiter; while not, it starts a try of Redis
// in the background when one is due.
func (f *Failover) onShared() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.current == BackendRedis {
		return true
	}
	if now := f.o.Now(); !f.probing && !now.Before(f.next) {
		f.probing = true
		f.next = now.Add(f.o.Retry)
		go f.probe()
	}
	return false
}

// probe tries Redis and goes back to it when it answers.
func (f *Failover) probe() {
	ctx, cancel := context.WithTimeout(context.Background(), f.o.ProbeTimeout)
	defer cancel()
	_, err := f.shared.Peek(ctx, probeKey, Limit{Rate: 1, Period: time.Second, Burst: 1})
	f.mu.Lock()
	f.probing = false
	if err != nil || f.current == BackendRedis {
		f.mu.Unlock()
		return
	}
	f.current = BackendRedis
	f.changed(BackendRedis, nil)
	f.mu.Unlock()
}

// fallBack switches to counting in process after the shared limiter failed with err.
func (f *Failover) fallBack(err error) {
	f.mu.Lock()
	if f.current == BackendLocal {
		f.mu.Unlock()
		return
	}
	f.current = BackendLocal
	f.next = f.o.Now().Add(f.o.Retry)
	f.changed(BackendLocal, err)
	f.mu.Unlock()
}

// changed logs and reports the change to b, under f.mu so that changes are reported in order.
func (f *Failover) changed(b Backend, err error) {
	other := BackendLocal
	if b == BackendLocal {
		other = BackendRedis
		f.o.Log.Warn("rate limits: Redis does not answer; counting in process, per replica, until it does", "err", err)
	} else {
		f.o.Log.Info("rate limits: Redis answers again; counting in Redis, shared by every replica")
	}
	f.backend.WithLabelValues(string(b)).Set(1)
	f.backend.WithLabelValues(string(other)).Set(0)
	if f.o.OnChange != nil {
		f.o.OnChange(b, err)
	}
}
