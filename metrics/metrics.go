// Package metrics owns the Prometheus collectors the gateway's parts share beyond HTTP: the
// shared cache (hits, stale hits, misses, errors per source), the ministry systems behind the
// connectors (calls, latency and circuit state, fed by transport.Config.Observer), resolver
// errors per field, stale answers served, and sync progress read from the store's cursors.
//
// Request counts and latency per GraphQL operation belong to httpapi, which registers them on
// the same registry. This package only measures: it must not change what it measures, and it
// holds no business rule. A nil *Metrics is valid and records nothing, so packages can take
// one optionally.
package metrics

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/birlik/birlik/apperr"
	"github.com/birlik/birlik/connectors/transport"
)

// Metrics are the shared collectors. Build them with New.
type Metrics struct {
	cache         *prometheus.CounterVec
	sourceCalls   *prometheus.CounterVec
	sourceLatency *prometheus.HistogramVec
	circuit       *prometheus.GaugeVec
	resolverErrs  *prometheus.CounterVec
	stale         *prometheus.CounterVec
}

// Cache lookup results, the values of the "result" label of birlik_cache_lookups_total.
const (
	Hit   = "hit"   // fresh value in the cache
	Stale = "stale" // value older than the source's freshness, kept for outages
	Miss  = "miss"  // nothing cached
	Error = "error" // the cache itself failed (treated as a miss)
)

// New creates the collectors and registers them on reg.
func New(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "birlik_cache_lookups_total",
			Help: "Shared-cache lookups by source, kind of record and result (hit, stale, miss, error).",
		}, []string{"source", "kind", "result"}),
		sourceCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "birlik_source_requests_total",
			Help: "HTTP attempts to ministry systems by source, operation and outcome (HTTP status class, error, circuit_open).",
		}, []string{"source", "op", "outcome"}),
		sourceLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "birlik_source_request_duration_seconds",
			Help:    "Time of one HTTP attempt to a ministry system, by source and operation.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"source", "op"}),
		circuit: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "birlik_source_circuit_open",
			Help: "1 while the source's circuit breaker refuses requests (the last attempt was refused), else 0.",
		}, []string{"source"}),
		resolverErrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "birlik_resolver_errors_total",
			Help: "Errors returned by GraphQL field resolvers, by object.field and extensions.code.",
		}, []string{"field", "code"}),
		stale: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "birlik_stale_answers_total",
			Help: "Live values served from the cache because their source failed, by source.",
		}, []string{"source"}),
	}
	for _, c := range []prometheus.Collector{m.cache, m.sourceCalls, m.sourceLatency, m.circuit, m.resolverErrs, m.stale} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// CacheLookups counts n lookups of kind from source with result (Hit, Stale, Miss, Error).
func (m *Metrics) CacheLookups(source, kind, result string, n int) {
	if m == nil || n == 0 {
		return
	}
	m.cache.WithLabelValues(source, kind, result).Add(float64(n))
}

// StaleServed counts n live values of source served stale because the source failed.
func (m *Metrics) StaleServed(source string, n int) {
	if m == nil || n == 0 {
		return
	}
	m.stale.WithLabelValues(source).Add(float64(n))
}

// Observer returns the function to put in transport.Config.Observer: it counts every attempt
// by outcome, observes its latency, and tracks the circuit (open while attempts are refused).
// A nil *Metrics gives a nil observer.
func (m *Metrics) Observer() func(source, op string, status int, dur time.Duration, err error) {
	if m == nil {
		return nil
	}
	return func(source, op string, status int, dur time.Duration, err error) {
		outcome := ""
		switch {
		case errors.Is(err, transport.ErrCircuitOpen):
			outcome = "circuit_open"
			m.circuit.WithLabelValues(source).Set(1)
			m.sourceCalls.WithLabelValues(source, op, outcome).Inc()
			return
		case err != nil:
			outcome = "error"
		default:
			outcome = strconv.Itoa(status/100) + "xx"
		}
		m.circuit.WithLabelValues(source).Set(0)
		m.sourceCalls.WithLabelValues(source, op, outcome).Inc()
		m.sourceLatency.WithLabelValues(source, op).Observe(dur.Seconds())
	}
}

// Extension returns a gqlgen extension counting resolver errors per field (add it with
// handler.Server.Use or httpapi.Options.Extensions). A nil *Metrics gives a no-op extension.
func (m *Metrics) Extension() graphql.HandlerExtension { return resolverErrors{m} }

type resolverErrors struct{ m *Metrics }

var _ interface {
	graphql.HandlerExtension
	graphql.FieldInterceptor
} = resolverErrors{}

func (resolverErrors) ExtensionName() string                   { return "BirlikResolverErrors" }
func (resolverErrors) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptField counts the errors a resolver added to the response.
func (e resolverErrors) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	res, err := next(ctx)
	if e.m == nil {
		return res, err
	}
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !fc.IsResolver {
		return res, err
	}
	if err != nil {
		e.m.resolverErrs.WithLabelValues(fc.Object+"."+fc.Field.Name, string(apperr.From(err).Code)).Inc()
	}
	return res, err
}

// CacheCounter is birlik_cache_lookups_total (for tests reading it).
func CacheCounter(m *Metrics) *prometheus.CounterVec { return m.cache }

// StaleCounter is birlik_stale_answers_total (for tests reading it).
func StaleCounter(m *Metrics) *prometheus.CounterVec { return m.stale }
