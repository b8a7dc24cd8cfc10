// Package loaders owns the per-request dataloaders (graph-gophers/dataloader v7) that keep a
// nested GraphQL query at one store query per edge per level and one source call per source per
// level, whatever the number of parents:
//
//   - store edges that entgql's eager loading cannot see (fields computed in resolvers: a
//     person's current family via the membership, a welfare transition's or an assessment's
//     family by its ID, a family's assessments, a school's building capacity when the school
//     was read without it (ent/schema.SchoolDesignCapacity), a change's person, a live visit's
//     institution). Loaders whose records have edges of their own run their batch with
//     entgql's field collection, so the next level is eager-loaded too; they are kept per query
//     path, so every batch has one selection set. On a path with no list in it
//     (`person(iin:) { family }`) there is one parent, so that loader runs its batch at once
//     instead of waiting Config.Wait for keys that cannot come;
//   - live look-ups on the ministry systems (CSHI coverage and visits from health, the register
//     status from justice) onto the connectors' batch calls, behind the shared cache (package
//     cache), which answers stale values when a source is down. Stale answers are noted per
//     request and reported in the response's `extensions.stale` by Extension.
//
// A batch function answers exactly one result per key, in the order of the keys, not-found for
// a missing key. Loader caches live for one request; a cancelled load is cleared, never cached.
// Loaders hold no business rule and never write to the store.
package loaders

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/graph-gophers/dataloader/v7"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/birlik/birlik/cache"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
)

// Health is what the live health fields call: the health connector's batch look-ups by IIN
// (connectors/health's Client has them).
type Health interface {
	// CoverageByIIN returns every CSHI coverage period of each person of iins; people without
	// coverage are absent from the map.
	CoverageByIIN(ctx context.Context, iins []domain.IIN) (map[domain.IIN][]domain.Coverage, error)
	// VisitsByIIN returns each person's visits, newest first, at most limitPerPerson of them;
	// people without visits are absent from the map.
	VisitsByIIN(ctx context.Context, iins []domain.IIN, limitPerPerson int) (map[domain.IIN][]domain.Visit, error)
}

// Register is what the register status field calls: the justice connector's batch look-up of
// persons by IIN (connectors/justice's Client has it).
type Register interface {
	// PersonsByIIN returns the register's current record of each person of iins; IINs the
	// register does not hold are absent from the map.
	PersonsByIIN(ctx context.Context, iins []domain.IIN) (map[domain.IIN]domain.Person, error)
}

// Sources are the connectors live fields read through. A nil source makes its live fields
// answer SOURCE_UNAVAILABLE (from the cache while it holds a value). Leave a field unset rather
// than set it to a nil pointer: an interface holding a nil pointer is not nil.
type Sources struct {
	Health  Health
	Justice Register
}

// Policies are the cache policies of the live look-ups.
type Policies struct {
	Coverage, Visits, Register cache.Policy
}

// DefaultPolicies: coverage and visits are fresh for 5 minutes, the register for 10; all are
// kept a week to answer, marked stale, while their source is down. Bump a Version when the
// cached value's shape changes.
func DefaultPolicies() Policies {
	return Policies{
		Coverage: cache.Policy{Source: "health", Kind: "health.coverage", Version: "1", Fresh: 5 * time.Minute, Keep: 7 * 24 * time.Hour},
		Visits:   cache.Policy{Source: "health", Kind: "health.visits", Version: "1", Fresh: 5 * time.Minute, Keep: 7 * 24 * time.Hour},
		Register: cache.Policy{Source: "justice", Kind: "justice.person", Version: "1", Fresh: 10 * time.Minute, Keep: 7 * 24 * time.Hour},
	}
}

// Config is what Factory builds every request's loaders from.
type Config struct {
	Client   *ent.Client
	Sources  Sources
	Cache    *cache.Cache
	Policies Policies
	// Wait is how long a loader under a list collects keys before it runs its batch (default
	// 2ms); a loader on a path with no list in it runs its batch at once.
	Wait time.Duration
}

// Factory makes the loaders of each request.
type Factory struct{ cfg Config }

// NewFactory returns a factory for cfg. Cache is required (cache.Open(nil, …) gives an in-process
// one); zero Policies take DefaultPolicies.
func NewFactory(cfg Config) (*Factory, error) {
	if cfg.Client == nil || cfg.Cache == nil {
		return nil, errors.New("loaders: Client and Cache are required")
	}
	if cfg.Policies == (Policies{}) {
		cfg.Policies = DefaultPolicies()
	}
	if cfg.Wait <= 0 {
		cfg.Wait = 2 * time.Millisecond
	}
	return &Factory{cfg: cfg}, nil
}

// New returns a fresh set of loaders for one request.
func (f *Factory) New() *Loaders {
	l := &Loaders{cfg: f.cfg}
	l.familyOfPerson = newPathed(f, l.batchFamilyOfPerson)
	l.familyByID = newPathed(f, l.batchFamilyByID)
	l.personByIIN = newPathed(f, l.batchPersonByIIN)
	l.institutionByBIN = newPathed(f, l.batchInstitutionByBIN)
	l.buildingByCadastral = newLoader(f, l.batchBuildingByCadastral)
	l.assessment = newPathed(f, l.batchAssessment)
	l.history = newPathed(f, l.batchHistory)
	l.coverage = newLoader(f, l.batchCoverage)
	l.visits = newLoader(f, l.batchVisits)
	l.register = newLoader(f, l.batchRegister)
	return l
}

// Middleware puts a fresh set of loaders in each request's context.
func (f *Factory) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), f.New())))
	})
}

type ctxKey struct{}

// NewContext returns ctx carrying l.
func NewContext(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// From returns the request's loaders, or ErrNoLoaders when the request has none. It is the one
// policy for a request without loaders, and every resolver that reads through them uses it:
// the field fails with ErrNoLoaders, an internal error (logged with the request id; the client
// reads a generic message). It does not fall back to reading the store directly, because the
// gateway always wraps its GraphQL handler with Factory.Middleware: a request without loaders
// means the server is miswired, and a silent fallback would hide that behind one store query
// per parent (and could not answer the live fields at all, which need the sources and cache).
func From(ctx context.Context) (*Loaders, error) {
	if l := For(ctx); l != nil {
		return l, nil
	}
	return nil, ErrNoLoaders
}

// For returns the request's loaders, nil when the request has none. It is for code that works
// without them (the response's stale marks, Extension); resolvers use From.
func For(ctx context.Context) *Loaders {
	l, _ := ctx.Value(ctxKey{}).(*Loaders)
	return l
}

// ErrNoLoaders is From's error when a request carries no loaders: the server is miswired
// (loaders.Factory.Middleware must wrap the GraphQL handler).
var ErrNoLoaders = errors.New("loaders: the request has no dataloaders: wrap the GraphQL handler with loaders.Factory.Middleware")

// Loaders are one request's loaders.
type Loaders struct {
	cfg Config

	familyOfPerson      *pathed[domain.IIN, *ent.Family]
	familyByID          *pathed[int, *ent.Family]
	assessment          *pathed[AssessmentKey, *ent.FamilyAssessment]
	history             *pathed[HistoryKey, []*ent.FamilyAssessment]
	personByIIN         *pathed[domain.IIN, *ent.Person]
	institutionByBIN    *pathed[domain.BIN, *ent.MedicalInstitution]
	buildingByCadastral *dataloader.Loader[string, *ent.Building]
	coverage            *dataloader.Loader[string, cache.Result[[]coverageRec]]
	visits              *dataloader.Loader[string, cache.Result[[]visitRec]]
	register            *dataloader.Loader[string, cache.Result[personRec]]

	mu    sync.Mutex
	stale []StaleMark
}

// batchFn is a dataloader batch function.
type batchFn[K comparable, V any] func(ctx context.Context, keys []K) []*dataloader.Result[V]

func newLoader[K comparable, V any](f *Factory, fn batchFn[K, V]) *dataloader.Loader[K, V] {
	return dataloader.NewBatchedLoader(dataloader.BatchFunc[K, V](fn),
		dataloader.WithWait[K, V](f.cfg.Wait),
		dataloader.WithInputCapacity[K, V](64))
}

// load runs one Load and clears a cancelled result so it is never reused.
func load[K comparable, V any](ctx context.Context, l *dataloader.Loader[K, V], key K) (V, error) {
	v, err := l.Load(ctx, key)()
	if err != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		l.Clear(ctx, key)
	}
	return v, err
}

// pathed keeps one loader per query path (list indices dropped), so a batch run with field
// collection sees one selection set.
type pathed[K comparable, V any] struct {
	f  *Factory
	fn batchFn[K, V]
	mu sync.Mutex
	m  map[string]*dataloader.Loader[K, V]
}

func newPathed[K comparable, V any](f *Factory, fn batchFn[K, V]) *pathed[K, V] {
	return &pathed[K, V]{f: f, fn: fn, m: map[string]*dataloader.Loader[K, V]{}}
}

func (p *pathed[K, V]) load(ctx context.Context, key K) (V, error) {
	path, inList := pathKey(ctx)
	p.mu.Lock()
	l, ok := p.m[path]
	if !ok {
		if inList {
			l = newLoader(p.f, p.fn)
		} else {
			l = newSingleLoader(p.fn)
		}
		p.m[path] = l
	}
	p.mu.Unlock()
	return load(ctx, l, key)
}

// newSingleLoader is the loader of a path with no list in it ("person.family"): the field is
// resolved once in the request, so its one key is all the batch will hold and the batch runs
// at once, without the wait for keys that cannot come. (A second key, were there one, would go
// in a batch of its own: one statement more, never a wrong answer.)
func newSingleLoader[K comparable, V any](fn batchFn[K, V]) *dataloader.Loader[K, V] {
	return dataloader.NewBatchedLoader(dataloader.BatchFunc[K, V](fn),
		dataloader.WithBatchCapacity[K, V](1))
}

// pathKey is the GraphQL path of the field being resolved without list indices, e.g.
// "persons.edges.node.family", and whether the path went through a list (had an index).
func pathKey(ctx context.Context) (key string, inList bool) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return "", true // no path known: assume siblings may come
	}
	var b strings.Builder
	for _, el := range fc.Path() {
		switch el := el.(type) {
		case ast.PathName:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(string(el))
		case ast.PathIndex:
			inList = true
		}
	}
	return b.String(), inList
}

// results returns one result per key in key order from values by key; a missing key gets a
// nil value (not found), or err for every key when err is set.
func results[K comparable, V any](keys []K, byKey map[K]V, err error) []*dataloader.Result[V] {
	out := make([]*dataloader.Result[V], len(keys))
	for i, k := range keys {
		if err != nil {
			out[i] = &dataloader.Result[V]{Error: err}
			continue
		}
		out[i] = &dataloader.Result[V]{Data: byKey[k]}
	}
	return out
}
