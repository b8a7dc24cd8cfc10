// Package httpapi owns the gateway's HTTP surface: `/query` (GraphQL over POST and GET, behind
// authentication and the query limits), the GraphiQL playground at `/` (served from the binary
// by httpapi/playground), `/healthz`, `/readyz` and `/metrics`, request ids and access logs, and
// serving with graceful shutdown.
//
// httpapi wires gqlgen's handler deliberately (no websocket, no multipart; introspection only
// behind authentication, which every /query request passes). It holds no business logic and
// never reads the store: the schema it serves is handed to it.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/birlik/birlik/apperr"
	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/graph/cursor"
	"github.com/birlik/birlik/graph/limits"
	"github.com/birlik/birlik/httpapi/playground"
	"github.com/birlik/birlik/store"
)

// Options are what the HTTP surface is built from.
type Options struct {
	// Schema is the executable GraphQL schema (gqlgen's generated NewExecutableSchema).
	Schema graphql.ExecutableSchema
	// Authenticator checks the bearer credential of every /query request.
	Authenticator auth.Authenticator
	// Limits returns the query limits of the caller in ctx.
	Limits func(ctx context.Context) limits.Limits
	// Logger receives access logs and internal errors; wrap its handler with LogHandler.
	Logger *slog.Logger
	// Registry receives the HTTP and GraphQL metrics and is served on /metrics.
	Registry *prometheus.Registry
	// Ready reports readiness on /readyz and in the birlik_ready metrics; New registers it with
	// Registry and logs its changes on Logger.
	Ready *Readiness
	// PlaygroundHeaders are filled in the playground's headers editor (the demo key).
	PlaygroundHeaders map[string]string
	// PlaygroundTabs are the operations the playground opens with (README's examples).
	PlaygroundTabs []playground.Tab
	// Extensions are added to the GraphQL server after the built-in ones (APQ, tracing).
	Extensions []graphql.HandlerExtension
	// QueryMiddleware wraps the GraphQL handler inside authentication: per-request dataloaders,
	// purpose checks. Applied in order, the first outermost.
	QueryMiddleware []func(http.Handler) http.Handler
	// AuthGuard, when set, wraps authentication: it may refuse a request before its credential
	// is checked and sees the 401 answers (ratelimit.AuthFailures counts them per address).
	AuthGuard func(http.Handler) http.Handler
	// MaxBodyBytes bounds a request body (default 1 MiB).
	MaxBodyBytes int64
	// CORSOrigins are the origins (scheme://host[:port]) whose browser apps may call the
	// gateway from another origin; empty: no CORS headers at all, so browsers keep to the
	// same-origin rule.
	CORSOrigins []string
	// Cursors seals the pagination cursors of every /query request (graph/cursor). nil: a
	// random key of this handler's own, whose cursors die with it (tests); the gateway passes
	// the configured key, or the one kept in its data folder.
	Cursors *cursor.Sealer
}

// New returns the gateway's HTTP handler.
func New(o Options) (http.Handler, error) {
	if o.Schema == nil || o.Authenticator == nil || o.Limits == nil || o.Logger == nil || o.Registry == nil || o.Ready == nil {
		return nil, errors.New("httpapi.New: Schema, Authenticator, Limits, Logger, Registry and Ready are required")
	}
	o.Ready.setLogger(o.Logger)
	if err := o.Registry.Register(o.Ready); err != nil {
		return nil, fmt.Errorf("registering the readiness metrics: %w", err)
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = 1 << 20
	}
	gql, err := graphQLServer(o)
	if err != nil {
		return nil, err
	}
	var query http.Handler = gql
	for i := len(o.QueryMiddleware) - 1; i >= 0; i-- {
		query = o.QueryMiddleware[i](query)
	}
	query = auth.Middleware(o.Authenticator, o.Logger)(query)
	if o.Cursors == nil {
		if o.Cursors, err = cursor.NewRandomSealer(); err != nil {
			return nil, err
		}
	}
	query = cursor.Middleware(o.Cursors)(query)
	query = limitBody(o.MaxBodyBytes, query)
	if o.AuthGuard != nil {
		query = o.AuthGuard(query)
	}

	httpDuration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "birlik_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by handler, method and status code.",
		Buckets: prometheus.DefBuckets,
	}, []string{"handler", "method", "code"})
	if err := o.Registry.Register(httpDuration); err != nil {
		return nil, fmt.Errorf("registering HTTP metrics: %w", err)
	}
	instrument := func(name string, h http.Handler) http.Handler {
		return promhttp.InstrumentHandlerDuration(httpDuration.MustCurryWith(prometheus.Labels{"handler": name}), h)
	}

	mux := http.NewServeMux()
	mux.Handle("POST /query", instrument("query", query))
	mux.Handle("GET /query", instrument("query", query))
	mux.Handle("/query", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "GET, POST")
		writeStatusError(w, http.StatusMethodNotAllowed, apperr.BadInput,
			"%s is not supported on /query: send POST with a JSON body, or GET with ?query=", r.Method)
	}))
	// The playground: its page, and GraphiQL's files from the binary (httpapi/playground).
	pg, err := playground.New(playground.Config{Title: "Birlik", Endpoint: "/query", Readiness: "/readyz",
		Headers: o.PlaygroundHeaders, Tabs: o.PlaygroundTabs, StoragePrefix: "birlik"})
	if err != nil {
		return nil, err
	}
	notFound := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth.WriteError(w, apperr.New(apperr.NotFound, "no such endpoint %s %s: the gateway serves POST/GET /query, the playground at / (its files under %s), /healthz, /readyz and /metrics", r.Method, r.URL.Path, playground.Prefix))
	})
	mux.Handle("GET /{$}", instrument("playground", http.HandlerFunc(pg.ServePage)))
	mux.Handle("GET "+playground.Prefix, instrument("playground_files", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pg.ServeAsset(w, r, notFound)
	})))
	mux.Handle("GET /healthz", instrument("healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "alive"})
	})))
	mux.Handle("GET /readyz", instrument("readyz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep := o.Ready.Report(r.Context())
		status := http.StatusOK
		if !rep.Ready() {
			status = http.StatusServiceUnavailable
		}
		writeJSON(w, status, rep)
	})))
	mux.Handle("GET /metrics", promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{Registry: o.Registry}))
	mux.Handle("/", notFound)
	var h http.Handler = mux
	if len(o.CORSOrigins) > 0 {
		h = corsHandler(o.CORSOrigins, h)
	}
	return requestIDs(accessLog(o.Logger, h)), nil
}

func graphQLServer(o Options) (*handler.Server, error) {
	srv := handler.New(o.Schema)
	srv.AddTransport(specTransport{transport.GET{}})
	srv.AddTransport(specTransport{post{}})
	srv.AddTransport(unsupported{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(15000)
	srv.SetErrorPresenter(storeAware(apperr.Presenter(o.Logger, RequestID), o.Ready))
	srv.SetRecoverFunc(apperr.Recover())
	m, err := newGraphQLMetrics(o.Registry)
	if err != nil {
		return nil, fmt.Errorf("registering GraphQL metrics: %w", err)
	}
	srv.Use(m)
	// Every /query request is authenticated before it gets here, so introspection is for
	// authenticated callers only.
	srv.Use(extension.Introspection{})
	srv.Use(limits.Extension{Limits: o.Limits})
	srv.AroundFields(limits.DefaultPage(o.Limits))
	for _, e := range o.Extensions {
		srv.Use(e)
	}
	return srv, nil
}

// storeAware presents an internal error raised while the store does not answer (its readiness
// check fails now), or by a store connection lost under the request (a failover, a restart),
// as STORE_UNAVAILABLE: the store, not a bug, is the cause, and the client should retry. The readiness transition is logged once, not each failed request.
func storeAware(present graphql.ErrorPresenterFunc, ready *Readiness) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var gql *gqlerror.Error
		raisedByGraphQL := errors.As(err, &gql) && gql.Err == nil
		if err != nil && !raisedByGraphQL && apperr.CodeOf(err) == apperr.Internal && ctx.Err() == nil &&
			(store.ConnectionLost(err) || ready.Recheck(ctx, ComponentStore).State == Down) {
			err = apperr.StoreDown(err)
		}
		return present(ctx, err)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// statusRecorder remembers the status and size of a response for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func accessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		level := slog.LevelInfo
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics" {
			level = slog.LevelDebug
		}
		log.Log(r.Context(), level, "http request",
			"method", r.Method, "path", r.URL.Path, "status", rec.status,
			"bytes", rec.bytes, "duration", time.Since(start).Round(time.Microsecond))
	})
}

// Serve serves h on ln until ctx is done, then shuts down gracefully: it stops accepting
// connections and gives in-flight requests up to shutdownTimeout to finish.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, shutdownTimeout time.Duration, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving HTTP on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests", "timeout", shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutting down HTTP: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
