package httpapi

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/birlik/birlik/apperr"
	"github.com/birlik/birlik/ratelimit"
)

// Readiness is the state of the gateway's components, which /readyz answers: each component is
// ok, degraded or down, with a detail saying why. The gateway is ready (200) unless a
// component is down, and degraded (still 200) while one is degraded.
//
// A component is either set by the part that owns it (Set: the sync, the derived work, the rate
// limits) or checked on demand (AddCheck: the store, Redis): a check runs when /readyz, a
// metrics scrape or Recheck asks for it and its last result is older than its interval, one at
// a time, so probes never cost a query each.
//
// Which component makes the gateway not ready is decided by the state its owner or check gives
// it; docs/operations.md lists them.
type Readiness struct {
	mu    sync.Mutex
	parts map[string]*part
	log   *slog.Logger
	now   func() time.Time
}

// State is the state of one component.
type State string

// The states of a component.
const (
	OK       State = "ok"       // working
	Degraded State = "degraded" // serving with less: a dependency the gateway can do without is lost, or data is behind
	Down     State = "down"     // the gateway cannot answer correctly: not ready
)

// The components the gateway reports.
const (
	ComponentStore       = "store"       // the database answers (StoreCheck)
	ComponentRedis       = "redis"       // Redis answers, when REDIS_URL is set (RedisCheck)
	ComponentReadReplica = "readReplica" // the read replica answers and keeps up, when DATABASE_READ_URL is set
	ComponentSync        = "sync"        // the sources are synced: down until the first sync, degraded while one is behind
	ComponentDerived     = "derived"     // the findings and assessments are up to date with the store
	ComponentRateLimit   = "ratelimit"   // where the rate limits are counted: degraded while Redis is lost
)

// Component is the state of one component, as /readyz shows it.
type Component struct {
	State  State     `json:"state"`
	Detail string    `json:"detail,omitempty"`
	Since  time.Time `json:"since"`            // when it entered State
	Check  time.Time `json:"checked,omitzero"` // when its check last ran (checked components)
}

// Check is a component checked on demand.
type Check struct {
	// Run checks the component; an error is its failure, shown as the detail.
	Run func(ctx context.Context) error
	// Failing is the component's state while Run fails: Down for what the gateway cannot
	// answer without, Degraded for what it can.
	Failing State
	// Every is how long a result is reused (default 5 s).
	Every time.Duration
	// Timeout bounds one run (default 1 s).
	Timeout time.Duration
}

// MinRecheck is how soon after its last run Recheck runs a check again.
const MinRecheck = time.Second

// StoreCheck is the store's check: ping (store.Store.Ping, a query on one of its tables) at
// most every 5 s with 1 s to answer. Without the store nothing can be read or audited: a
// store that does not answer is down.
func StoreCheck(ping func(ctx context.Context) error) Check {
	return Check{Run: ping, Failing: Down, Every: 5 * time.Second, Timeout: time.Second}
}

// RedisCheck is Redis's check: ping (the client's PING) at most every 5 s with 1 s to answer.
// Without Redis the gateway still answers (the cache misses, the rate limits count per
// replica): a Redis that does not answer is degraded.
func RedisCheck(ping func(ctx context.Context) error) Check {
	return Check{Run: ping, Failing: Degraded, Every: 5 * time.Second, Timeout: time.Second}
}

// ReadReplicaCheck is the read replica's check (store.Router.Check: it answers, and trails the
// primary by less than store.MaxReplicaLag) at most every 5 s with 1 s to answer. Without the
// replica the reads go to the primary: a replica that fails is degraded.
func ReadReplicaCheck(check func(ctx context.Context) error) Check {
	return Check{Run: check, Failing: Degraded, Every: 5 * time.Second, Timeout: time.Second}
}

type part struct {
	Component
	check   *Check
	running chan struct{} // closed when the check in flight ends; nil when none is
}

// NewReadiness returns a Readiness whose sync component is down for reason: a gateway is not
// ready until its first sync.
func NewReadiness(reason string) *Readiness {
	r := &Readiness{parts: map[string]*part{}, now: time.Now, log: slog.New(slog.DiscardHandler)}
	r.Set(ComponentSync, Down, reason)
	return r
}

// Ready marks the sync component ok: the first sync has finished.
func (r *Readiness) Ready() { r.Set(ComponentSync, OK, "the first sync has finished") }

// NotReady marks the sync component down, saying why.
func (r *Readiness) NotReady(reason string) { r.Set(ComponentSync, Down, reason) }

// setLogger makes r log each change of a component's state on log.
func (r *Readiness) setLogger(log *slog.Logger) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = log
}

// Set sets the state of the component name and its detail (a component checked by AddCheck is
// not set this way). A change of state is logged once; a new detail alone is not.
func (r *Readiness) Set(name string, s State, detail string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.parts[name]
	if p == nil {
		p = &part{}
		r.parts[name] = p
	}
	r.update(name, p, s, detail)
}

// Explain replaces the detail of the component name while it is in state s, and reports whether
// it did: for a part that tells how far a long step got (the first sync's records so far)
// without racing the owner that moves the component to its next state.
func (r *Readiness) Explain(name string, s State, detail string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.parts[name]
	if p == nil || p.check != nil || p.State != s {
		return false
	}
	p.Detail = detail
	return true
}

// update sets p's state under r.mu, logging a change.
func (r *Readiness) update(name string, p *part, s State, detail string) {
	if p.State != s {
		p.Since = r.now()
		switch {
		case s != OK:
			r.log.Warn("readiness: component "+string(s), "component", name, "detail", detail)
		case p.State != "":
			r.log.Info("readiness: component ok again", "component", name, "was", string(p.State))
		}
	}
	p.State, p.Detail = s, detail
}

// RateLimitBackend sets the component "ratelimit" from where the rate limits are counted: ok on
// Redis, degraded in process (per replica, while Redis does not answer). It is the OnChange of
// a ratelimit.Failover; call it once with BackendRedis when Redis is configured, so the
// component shows from the start.
func (r *Readiness) RateLimitBackend(b ratelimit.Backend, err error) {
	if b == ratelimit.BackendRedis {
		r.Set(ComponentRateLimit, OK, "counted in Redis, shared by every replica")
		return
	}
	detail := "Redis does not answer: rate limits count in process, per replica"
	if err != nil {
		detail += " (" + apperr.Cut(err.Error(), 200) + ")"
	}
	r.Set(ComponentRateLimit, Degraded, detail)
}

// AddCheck makes name a component checked by c. It starts ok until its first run.
func (r *Readiness) AddCheck(name string, c Check) {
	if c.Every <= 0 {
		c.Every = 5 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = time.Second
	}
	if c.Failing == "" {
		c.Failing = Down
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.parts[name] = &part{Component: Component{State: OK, Since: r.now()}, check: &c}
}

// Recheck returns the state of the component name, running its check first unless it ran in
// the last MinRecheck (or its interval, if shorter): for a request that failed and asks whether
// the component is the cause. A component that is not there has the empty State.
func (r *Readiness) Recheck(ctx context.Context, name string) Component {
	return r.component(ctx, name, MinRecheck)
}

// component returns name's state, running its check first when its last result is older than
// maxAge or its interval, whichever is shorter (maxAge 0: its interval).
func (r *Readiness) component(ctx context.Context, name string, maxAge time.Duration) Component {
	r.mu.Lock()
	p := r.parts[name]
	if p == nil {
		r.mu.Unlock()
		return Component{}
	}
	if p.check != nil && (maxAge == 0 || maxAge > p.check.Every) {
		maxAge = p.check.Every
	}
	if p.check == nil || p.running == nil && !p.Check.IsZero() && r.now().Sub(p.Check) < maxAge {
		c := p.Component
		r.mu.Unlock()
		return c
	}
	if wait := p.running; wait != nil { // another caller runs the check: take its result
		r.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		return p.Component
	}
	done := make(chan struct{})
	p.running = done
	c := *p.check
	r.mu.Unlock()

	// The check outlives a caller that goes away: its result is everyone's.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.Timeout)
	err := c.Run(cctx)
	cancel()

	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.update(name, p, c.Failing, apperr.Cut(err.Error(), 300))
	} else {
		r.update(name, p, OK, "")
	}
	p.Check = r.now()
	p.running = nil
	close(done)
	return p.Component
}

// Report is the answer of /readyz.
type Report struct {
	// Status is "ready" (every component ok), "degraded" (none down, some degraded) or "not
	// ready" (some down).
	Status     string               `json:"status"`
	Components map[string]Component `json:"components"`
}

// Ready reports whether the gateway takes traffic: no component is down.
func (rep Report) Ready() bool { return rep.Status != "not ready" }

// Report returns the state of every component, running the checks whose results are older
// than their interval.
func (r *Readiness) Report(ctx context.Context) Report {
	r.mu.Lock()
	names := slices.Sorted(maps.Keys(r.parts))
	r.mu.Unlock()
	rep := Report{Status: "ready", Components: make(map[string]Component, len(names))}
	for _, name := range names {
		c := r.component(ctx, name, 0)
		rep.Components[name] = c
		switch {
		case c.State == Down:
			rep.Status = "not ready"
		case c.State == Degraded && rep.Status == "ready":
			rep.Status = "degraded"
		}
	}
	return rep
}

var (
	readyDesc = prometheus.NewDesc("birlik_ready", "Whether the gateway is ready (1; /readyz answers 200) or not (0).", nil, nil)
	partDesc  = prometheus.NewDesc("birlik_ready_component", "The state of each component /readyz reports: 1 ok, 0.5 degraded, 0 down.", []string{"component"}, nil)
)

// Describe implements prometheus.Collector.
func (r *Readiness) Describe(ch chan<- *prometheus.Desc) {
	ch <- readyDesc
	ch <- partDesc
}

// Collect implements prometheus.Collector: a scrape sees the states /readyz would answer.
func (r *Readiness) Collect(ch chan<- prometheus.Metric) {
	rep := r.Report(context.Background())
	ready := 0.0
	if rep.Ready() {
		ready = 1
	}
	ch <- prometheus.MustNewConstMetric(readyDesc, prometheus.GaugeValue, ready)
	for name, c := range rep.Components {
		v := 0.0
		switch c.State {
		case OK:
			v = 1
		case Degraded:
			v = 0.5
		}
		ch <- prometheus.MustNewConstMetric(partDesc, prometheus.GaugeValue, v, name)
	}
}
