package demand

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"golang.org/x/sync/semaphore"

	"github.com/birlik/birlik/apperr"
	"github.com/birlik/birlik/auth"
)

// Class is a bulkhead: the roles that share it, how many of their requests run at once, how long
// a request waits for a place, and the deadline of a running request (its store statements are
// cancelled when it passes: PostgreSQL through pgx's cancel request, SQLite by interrupting).
type Class struct {
	Name        string
	Roles       []string
	Concurrency int
	Wait        time.Duration
	Timeout     time.Duration
}

// DefaultClasses are the bulkheads with nothing configured. Citizens and the medical information
// system ask small questions and get most of the places; analysts' and administrators' work is
// heavy, so they get one place per two CPUs (at least one) and a longer deadline; caseworkers sit
// between.
func DefaultClasses() []Class {
	cpus := runtime.GOMAXPROCS(0)
	return []Class{
		{Name: "citizen", Roles: []string{auth.RoleCitizen}, Concurrency: 64 * cpus, Wait: 5 * time.Second, Timeout: 10 * time.Second},
		{Name: "health", Roles: []string{auth.RoleHealth}, Concurrency: 16 * cpus, Wait: 5 * time.Second, Timeout: 30 * time.Second},
		{Name: "casework", Roles: []string{auth.RoleCaseworker}, Concurrency: 4 * cpus, Wait: 10 * time.Second, Timeout: 30 * time.Second},
		{Name: "analysis", Roles: []string{auth.RoleAnalyst, auth.RoleAdmin}, Concurrency: max(1, cpus/2), Wait: 30 * time.Second, Timeout: 60 * time.Second},
	}
}

// ParseClasses reads NAME:ROLE+ROLE=CONCURRENCY[/WAIT[/TIMEOUT]];… over the defaults: a class
// named replaces the default of that name (roles, and what it gives), so
// "analysis:analyst+admin=2/30s/2m" gives analysts and administrators two places.
func ParseClasses(s string) ([]Class, error) {
	classes := DefaultClasses()
	for _, entry := range strings.Split(s, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		head, spec, ok := strings.Cut(entry, "=")
		name, roles, ok2 := strings.Cut(head, ":")
		if !ok || !ok2 || name == "" {
			return nil, fmt.Errorf("entry %q: want NAME:ROLE+ROLE=CONCURRENCY[/WAIT[/TIMEOUT]], e.g. analysis:analyst+admin=2/30s/60s", entry)
		}
		c := Class{Name: name, Wait: 10 * time.Second, Timeout: 30 * time.Second}
		for _, r := range strings.Split(roles, "+") {
			if !auth.ValidRole(r) {
				return nil, fmt.Errorf("entry %q: %q is not a role (%s)", entry, r, strings.Join(auth.Roles, ", "))
			}
			c.Roles = append(c.Roles, r)
		}
		parts := strings.Split(spec, "/")
		n, err := strconv.Atoi(parts[0])
		if err != nil || n < 1 {
			return nil, fmt.Errorf("entry %q: concurrency %q: want a whole number of at least 1", entry, parts[0])
		}
		c.Concurrency = n
		for i, d := range []*time.Duration{&c.Wait, &c.Timeout} {
			if len(parts) > i+1 {
				if *d, err = time.ParseDuration(parts[i+1]); err != nil || *d <= 0 {
					return nil, fmt.Errorf("entry %q: %q: want a positive duration such as 30s", entry, parts[i+1])
				}
			}
		}
		replaced := false
		for i := range classes {
			if classes[i].Name == name {
				classes[i], replaced = c, true
			}
		}
		if !replaced {
			classes = append(classes, c)
		}
	}
	// A role named by a later class leaves the earlier ones.
	for i := range classes {
		for j := i + 1; j < len(classes); j++ {
			classes[i].Roles = without(classes[i].Roles, classes[j].Roles)
		}
	}
	return classes, nil
}

func without(roles, drop []string) []string {
	var out []string
	for _, r := range roles {
		keep := true
		for _, d := range drop {
			keep = keep && r != d
		}
		if keep {
			out = append(out, r)
		}
	}
	return out
}

// Bulkheads is a gqlgen extension (add it after Extension) that admits an operation to its
// caller's class: it waits up to the class's Wait for a place, then answers OVERLOADED with
// `extensions.retryAfterSeconds`; an admitted operation runs under the class's Timeout. A role
// in no class passes unchanged.
type Bulkheads struct {
	byRole   map[string]*bulkhead
	inFlight *prometheus.GaugeVec
	refused  *prometheus.CounterVec
	log      *slog.Logger
}

type bulkhead struct {
	Class
	sem *semaphore.Weighted
}

// NewBulkheads returns the bulkheads of classes.
func NewBulkheads(classes []Class, log *slog.Logger) *Bulkheads {
	b := &Bulkheads{byRole: map[string]*bulkhead{}, log: log,
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "birlik_bulkhead_in_flight", Help: "Requests running, by class of roles."}, []string{"class"}),
		refused:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "birlik_bulkhead_refused_total", Help: "Requests answered OVERLOADED because every place of their class stayed taken, by class."}, []string{"class"}),
	}
	for _, c := range classes {
		h := &bulkhead{Class: c, sem: semaphore.NewWeighted(int64(c.Concurrency))}
		for _, r := range c.Roles {
			b.byRole[r] = h
		}
		b.inFlight.WithLabelValues(c.Name)
		b.refused.WithLabelValues(c.Name)
	}
	return b
}

// Collectors are the bulkheads' metrics, to register.
func (b *Bulkheads) Collectors() []prometheus.Collector {
	return []prometheus.Collector{b.inFlight, b.refused}
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
	graphql.RootFieldInterceptor
} = (*Bulkheads)(nil)

// gateKey holds an admitted operation's gate: its root fields resolve one at a time.
type gateKey struct{}

// InterceptRootField implements graphql.RootFieldInterceptor. A place in a bulkhead stands for
// one core: an admitted operation resolves its root fields one after the other (gqlgen would
// resolve them at once), so that an analyst's request of five aggregates runs one statement at
// a time instead of five, on every core the other classes need.
func (*Bulkheads) InterceptRootField(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	gate, _ := ctx.Value(gateKey{}).(chan struct{})
	if gate == nil {
		return next(ctx)
	}
	select {
	case gate <- struct{}{}:
		defer func() { <-gate }()
	case <-ctx.Done(): // the request's end: next fails at once on ctx
	}
	return next(ctx)
}

// ExtensionName implements graphql.HandlerExtension.
func (*Bulkheads) ExtensionName() string { return "BirlikBulkheads" }

// Validate implements graphql.HandlerExtension.
func (*Bulkheads) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation implements graphql.OperationInterceptor. It runs after the operation was
// parsed, validated and priced (Extension), so that a request refused for its price never
// waits for a place; an admitted operation runs under its class's deadline.
func (b *Bulkheads) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	id, ok := auth.FromContext(ctx)
	h := b.byRole[id.Role]
	if !ok || h == nil {
		return next(ctx)
	}
	wait, cancel := context.WithTimeout(ctx, h.Wait)
	err := h.sem.Acquire(wait, 1)
	cancel()
	if err != nil {
		b.refused.WithLabelValues(h.Name).Inc()
		retry := max(1, int(h.Wait/time.Second))
		msg := fmt.Sprintf("all %d places for %s requests (%s) stayed taken for %s: retry in %d s; heavy work of one class never takes the places of another", h.Concurrency, h.Name, strings.Join(h.Roles, ", "), h.Wait, retry)
		if ctx.Err() != nil {
			msg = "the request ended while it waited for a place"
		}
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{Message: msg,
			Extensions: map[string]any{"code": string(apperr.Overloaded), "retryAfterSeconds": retry}}}})
	}
	g := b.inFlight.WithLabelValues(h.Name)
	g.Inc()
	var once sync.Once
	release := func() {
		once.Do(func() {
			g.Dec()
			h.sem.Release(1)
		})
	}
	gate := make(chan struct{}, 1)
	run, cancelRun := context.WithTimeout(context.WithValue(ctx, gateKey{}, gate), h.Timeout)
	rh := func() graphql.ResponseHandler {
		defer func() {
			if p := recover(); p != nil {
				cancelRun()
				release()
				panic(p)
			}
		}()
		return next(run)
	}()
	return func(ctx context.Context) *graphql.Response {
		defer release()
		defer cancelRun()
		rctx, cancel := context.WithDeadline(context.WithValue(ctx, gateKey{}, gate), deadline(run))
		defer cancel()
		return rh(rctx)
	}
}

func deadline(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}
