package loaders

import (
	"context"
	"errors"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/graph-gophers/dataloader/v7"

	"github.com/birlik/birlik/apperr"
	"github.com/birlik/birlik/cache"
	"github.com/birlik/birlik/domain"
)

// MaxVisits is the most visits per person a live look-up reads (and caches); liveVisits(last:)
// answers at most this many.
const MaxVisits = 20

// The cached shapes of live values: the connectors' domain records, JSON-encoded.
type (
	coverageRec = domain.Coverage
	visitRec    = domain.Visit
	personRec   = domain.Person
)

// Live is the answer of a live look-up: the value, whether the source knows the key, and when
// it is a stale cached value, since when.
type Live[V any] struct {
	Value V
	Found bool
	Stale bool
	// CachedAt is when the value was read from the source.
	CachedAt time.Time
}

// StaleMark says one field of the response was answered from the cache because its source
// failed; the response carries them in `extensions.stale`.
type StaleMark struct {
	Path     string    `json:"path"`
	Source   string    `json:"source"`
	CachedAt time.Time `json:"cachedAt"`
}

// Coverage returns the person's CSHI coverage periods as health holds them now.
func (l *Loaders) Coverage(ctx context.Context, iin domain.IIN) (Live[[]domain.Coverage], error) {
	return liveLoad(ctx, l, l.cfg.Policies.Coverage, l.coverage, iin)
}

// Visits returns the person's latest visits (newest first, at most MaxVisits) as health holds
// them now.
func (l *Loaders) Visits(ctx context.Context, iin domain.IIN) (Live[[]domain.Visit], error) {
	return liveLoad(ctx, l, l.cfg.Policies.Visits, l.visits, iin)
}

// Register returns the person's record in justice's register of individuals now.
func (l *Loaders) Register(ctx context.Context, iin domain.IIN) (Live[domain.Person], error) {
	return liveLoad(ctx, l, l.cfg.Policies.Register, l.register, iin)
}

// liveLoad loads one live value, notes a stale answer for the response's extensions, and turns
// a failed source with nothing cached into SOURCE_UNAVAILABLE.
func liveLoad[V any](ctx context.Context, l *Loaders, p cache.Policy, ld *dataloader.Loader[string, cache.Result[V]], iin domain.IIN) (Live[V], error) {
	r, err := load(ctx, ld, string(iin))
	if err == nil {
		err = r.Err
	}
	if err != nil {
		if ctx.Err() != nil {
			return Live[V]{}, ctx.Err()
		}
		return Live[V]{}, apperr.Wrap(apperr.SourceUnavailable, err,
			"%s did not answer and nothing is cached for this person: try again later", p.Source)
	}
	if r.Stale {
		l.markStale(ctx, p.Source, r.CachedAt)
	}
	return Live[V]{Value: r.Value, Found: r.Found, Stale: r.Stale, CachedAt: r.CachedAt}, nil
}

func (l *Loaders) markStale(ctx context.Context, source string, at time.Time) {
	path := ""
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		path = fc.Path().String()
	}
	l.mu.Lock()
	l.stale = append(l.stale, StaleMark{Path: path, Source: source, CachedAt: at.UTC()})
	l.mu.Unlock()
}

// Stale returns the stale marks of the request so far.
func (l *Loaders) Stale() []StaleMark {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]StaleMark(nil), l.stale...)
}

var errNoSource = errors.New("no connector configured")

func (l *Loaders) batchCoverage(ctx context.Context, keys []string) []*dataloader.Result[cache.Result[[]coverageRec]] {
	rs := cache.Fetch(ctx, l.cfg.Cache, l.cfg.Policies.Coverage, keys, func(ctx context.Context, keys []string) (map[string][]coverageRec, error) {
		if l.cfg.Sources.Health == nil {
			return nil, errNoSource
		}
		m, err := l.cfg.Sources.Health.CoverageByIIN(ctx, iins(keys))
		return byString(m), err
	})
	return wrap(rs)
}

func (l *Loaders) batchVisits(ctx context.Context, keys []string) []*dataloader.Result[cache.Result[[]visitRec]] {
	rs := cache.Fetch(ctx, l.cfg.Cache, l.cfg.Policies.Visits, keys, func(ctx context.Context, keys []string) (map[string][]visitRec, error) {
		if l.cfg.Sources.Health == nil {
			return nil, errNoSource
		}
		m, err := l.cfg.Sources.Health.VisitsByIIN(ctx, iins(keys), MaxVisits)
		out := byString(m)
		for _, k := range keys { // a person without visits is known: an empty list, not "not found"
			if _, ok := out[k]; !ok && err == nil {
				out[k] = []visitRec{}
			}
		}
		return out, err
	})
	return wrap(rs)
}

func (l *Loaders) batchRegister(ctx context.Context, keys []string) []*dataloader.Result[cache.Result[personRec]] {
	rs := cache.Fetch(ctx, l.cfg.Cache, l.cfg.Policies.Register, keys, func(ctx context.Context, keys []string) (map[string]personRec, error) {
		if l.cfg.Sources.Justice == nil {
			return nil, errNoSource
		}
		m, err := l.cfg.Sources.Justice.PersonsByIIN(ctx, iins(keys))
		if err != nil {
			return nil, err
		}
		return byString(m), nil
	})
	return wrap(rs)
}

func iins(keys []string) []domain.IIN {
	out := make([]domain.IIN, len(keys))
	for i, k := range keys {
		out[i] = domain.IIN(k)
	}
	return out
}

func byString[V any](m map[domain.IIN]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[string(k)] = v
	}
	return out
}

func wrap[V any](rs []cache.Result[V]) []*dataloader.Result[cache.Result[V]] {
	out := make([]*dataloader.Result[cache.Result[V]], len(rs))
	for i, r := range rs {
		out[i] = &dataloader.Result[cache.Result[V]]{Data: r}
	}
	return out
}

// Extension is the gqlgen extension that adds the request's stale marks to the response as
// `extensions.stale: [{path, source, cachedAt}]`. Add it to the GraphQL server.
type Extension struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = Extension{}

func (Extension) ExtensionName() string                   { return "BirlikStale" }
func (Extension) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse implements graphql.ResponseInterceptor.
func (Extension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	l := For(ctx)
	if resp == nil || l == nil {
		return resp
	}
	if marks := l.Stale(); len(marks) > 0 {
		if resp.Extensions == nil {
			resp.Extensions = map[string]any{}
		}
		resp.Extensions["stale"] = marks
	}
	return resp
}
