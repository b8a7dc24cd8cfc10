package main

// server_perf.go wires the speed layer into the gateway:
// the shared cache (Redis when REDIS_URL is set, in-process otherwise), the per-request
// dataloaders with the live connectors behind the cache, automatic persisted queries on the same
// cache, the shared metrics (cache, sources, resolver errors, sync progress) and OpenTelemetry
// tracing when BIRLIK_OTEL is set.

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/birlik/birlik/cache"
	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/connectors/health"
	"github.com/birlik/birlik/connectors/justice"
	"github.com/birlik/birlik/connectors/transport"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/loaders"
	"github.com/birlik/birlik/metrics"
)

// perfLayer is what the speed layer adds to the HTTP surface.
type perfLayer struct {
	QueryMiddleware []func(http.Handler) http.Handler
	Extensions      []graphql.HandlerExtension
	Cache           *cache.Cache
	Metrics         *metrics.Metrics
	closers         []func() error
}

// Close closes the cache and stops tracing.
func (p *perfLayer) Close() error {
	var err error
	for i := len(p.closers) - 1; i >= 0; i-- {
		if e := p.closers[i](); e != nil && err == nil {
			err = e
		}
	}
	return err
}

// liveTransport is the transport of live look-ups: a request is waiting, so fail fast (one
// retry, short backoff) and let the cache answer stale values.
func liveTransport(source connectors.Source, m *metrics.Metrics) transport.Config {
	return transport.Config{Source: string(source), Timeout: 3 * time.Second, MaxRetries: 1,
		MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, Observer: m.Observer()}
}

// newPerfLayer builds the speed layer for cfg over the store client, the Redis client rdb (nil:
// an in-process cache) and the sources' URLs,
// registering its metrics on reg.
func newPerfLayer(ctx context.Context, cfg options, client *ent.Client, rdb redis.UniversalClient, sources map[connectors.Source]string, reg *prometheus.Registry, log *slog.Logger) (*perfLayer, error) {
	m, err := metrics.New(reg)
	if err != nil {
		return nil, err
	}
	if err := reg.Register(metrics.NewSyncCollector(client)); err != nil {
		return nil, err
	}
	c, err := cache.Open(rdb, cache.Options{Metrics: m, Logger: log})
	if err != nil {
		return nil, err
	}
	p := &perfLayer{Cache: c, Metrics: m, closers: []func() error{c.Close}}
	var src loaders.Sources
	if u := sources[connectors.Health]; u != "" {
		src.Health = health.New(u, liveTransport(connectors.Health, m))
	}
	if u := sources[connectors.Justice]; u != "" {
		src.Justice = justice.New(u, liveTransport(connectors.Justice, m))
	}
	f, err := loaders.NewFactory(loaders.Config{Client: client, Sources: src, Cache: c})
	if err != nil {
		return nil, err
	}
	stop, tracing, err := metrics.StartTracing(cfg.Tracing)
	if err != nil {
		p.Close()
		return nil, err
	}
	p.closers = append(p.closers, stop)
	p.QueryMiddleware = []func(http.Handler) http.Handler{f.Middleware}
	p.Extensions = []graphql.HandlerExtension{
		extension.AutomaticPersistedQuery{Cache: c.APQ(24 * time.Hour)},
		loaders.Extension{},
		m.Extension(),
	}
	if tracing {
		p.Extensions = append(p.Extensions, metrics.TracingExtension{})
	}
	log.Info("speed layer", "cache", c.Backend().Name(), "live_health", src.Health != nil, "live_justice", src.Justice != nil, "tracing", tracing)
	return p, nil
}
