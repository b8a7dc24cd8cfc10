package httpapi

import (
	"context"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/birlik/birlik/apperr"
)

// maxOperationLabels bounds the operation label: clients name their operations, and a metric
// label must not grow without end. Past this many names, new ones count as "other".
const maxOperationLabels = 200

// graphqlMetrics is the gqlgen extension that measures every GraphQL response: latency by
// operation name, and errors by code.
type graphqlMetrics struct {
	duration *prometheus.HistogramVec
	errors   *prometheus.CounterVec

	mu    sync.Mutex
	names map[string]bool
}

func newGraphQLMetrics(reg prometheus.Registerer) (*graphqlMetrics, error) {
	m := &graphqlMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "birlik_graphql_request_duration_seconds",
			Help:    "Time to answer a GraphQL request, by operation name.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"operation"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "birlik_graphql_errors_total",
			Help: "GraphQL errors sent to clients, by extensions.code.",
		}, []string{"code"}),
		names: map[string]bool{},
	}
	for _, c := range []prometheus.Collector{m.duration, m.errors} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = (*graphqlMetrics)(nil)

func (m *graphqlMetrics) ExtensionName() string                   { return "BirlikMetrics" }
func (m *graphqlMetrics) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse implements graphql.ResponseInterceptor. It sees every response, including
// those refused before execution (parse, validation, limits).
func (m *graphqlMetrics) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	start := time.Now()
	op := ""
	if graphql.HasOperationContext(ctx) {
		opCtx := graphql.GetOperationContext(ctx)
		op = opCtx.OperationName
		if opCtx.Operation != nil {
			op = opCtx.Operation.Name // the name in the document, also when the client sent none
		}
		if !opCtx.Stats.OperationStart.IsZero() {
			start = opCtx.Stats.OperationStart
		}
	}
	resp := next(ctx)
	m.duration.WithLabelValues(m.label(op)).Observe(time.Since(start).Seconds())
	if resp != nil {
		for _, e := range resp.Errors {
			code, _ := e.Extensions["code"].(string)
			if code == "" {
				code = string(apperr.Internal)
			}
			m.errors.WithLabelValues(code).Inc()
		}
	}
	return resp
}

func (m *graphqlMetrics) label(op string) string {
	if op == "" {
		return "anonymous"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.names[op] {
		return op
	}
	if len(m.names) >= maxOperationLabels {
		return "other"
	}
	m.names[op] = true
	return op
}
