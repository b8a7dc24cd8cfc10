package cache

import (
	"context"
	"encoding/json"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/birlik/birlik/metrics"
)

// Policy says how values of one kind from one source are cached.
type Policy struct {
	// Source names the ministry system, e.g. "health" (metrics label).
	Source string
	// Kind names the values, e.g. "health.coverage"; with Version it is part of the key.
	Kind    string
	Version string
	// Fresh is how long a cached value is answered without asking the source again.
	Fresh time.Duration
	// Keep is how long a value is kept to answer, marked stale, while the source fails
	// (at least Fresh).
	Keep time.Duration
}

// Result is the answer for one key.
type Result[V any] struct {
	Value V
	// Found is false when the source does not know the key (Value is then the zero value).
	Found bool
	// Stale is true when the source failed and Value is the last cached value, stored at
	// CachedAt.
	Stale    bool
	CachedAt time.Time
	// Err is set when the source failed and nothing was cached for the key.
	Err error
}

// FetchFunc asks the source for keys (distinct, at least one) and returns the values it knows;
// a key absent from the map is not found. It is called at most once per Fetch.
type FetchFunc[V any] func(ctx context.Context, keys []string) (map[string]V, error)

// Fetch answers keys in key order: fresh cached values as they are, the others from one call of
// fetch (whose answers, found or not, are cached for p.Fresh and kept for p.Keep), and when
// fetch fails, the last cached value marked Stale, or Err when nothing is cached. Duplicate
// keys get the same answer. A cancelled ctx gives errors, never cached.
func Fetch[V any](ctx context.Context, c *Cache, p Policy, keys []string, fetch FetchFunc[V]) []Result[V] {
	out := make([]Result[V], len(keys))
	if len(keys) == 0 {
		return out
	}
	// Distinct keys, each with the positions it answers.
	pos := make(map[string][]int, len(keys))
	var ids []string
	for i, k := range keys {
		if _, ok := pos[k]; !ok {
			ids = append(ids, k)
		}
		pos[k] = append(pos[k], i)
	}
	ckeys := make([]string, len(ids))
	for i, id := range ids {
		ckeys[i] = c.Key(p.Kind, p.Version, id)
	}
	raw := c.get(ctx, p.Source, p.Kind, ckeys)
	now := c.Now()

	type old struct {
		r  Result[V]
		ok bool
	}
	var missing []string
	olds := map[string]old{}
	answer := func(id string, r Result[V]) {
		for _, i := range pos[id] {
			out[i] = r
		}
	}
	hits, stale := 0, 0
	for i, id := range ids {
		if raw[i] == nil {
			missing = append(missing, id)
			continue
		}
		found, at, payload, err := decodeEntry(raw[i])
		var r Result[V]
		if err == nil && found {
			err = json.Unmarshal(payload, &r.Value)
		}
		if err != nil { // unreadable: as if absent
			missing = append(missing, id)
			continue
		}
		r.Found, r.CachedAt = found, at
		if now.Sub(at) < p.Fresh {
			hits++
			answer(id, r)
			continue
		}
		stale++
		olds[id] = old{r, true}
		missing = append(missing, id)
	}
	c.m.CacheLookups(p.Source, p.Kind, metrics.Hit, hits)
	c.m.CacheLookups(p.Source, p.Kind, metrics.Stale, stale)
	c.m.CacheLookups(p.Source, p.Kind, metrics.Miss, len(missing)-stale)
	if len(missing) == 0 {
		return out
	}

	got, err := fetch(ctx, missing)
	if err != nil {
		served := 0
		for _, id := range missing {
			if o := olds[id]; o.ok && ctx.Err() == nil {
				o.r.Stale = true
				answer(id, o.r)
				served++
				continue
			}
			answer(id, Result[V]{Err: err})
		}
		c.m.StaleServed(p.Source, served)
		return out
	}
	keep := max(p.Keep, p.Fresh)
	items := make([]Item, 0, len(missing))
	for _, id := range missing {
		v, found := got[id]
		r := Result[V]{Value: v, Found: found, CachedAt: now}
		answer(id, r)
		var payload []byte
		ttl := p.Fresh // nothing to serve in an outage: keep "not found" only while fresh
		if found {
			b, err := json.Marshal(v)
			if err != nil {
				continue // not cacheable; answered all the same
			}
			payload, ttl = b, keep
		}
		items = append(items, Item{Key: c.Key(p.Kind, p.Version, id), Value: encodeEntry(found, now, payload), TTL: ttl})
	}
	c.set(ctx, p.Source, p.Kind, items)
	return out
}

// APQ returns a gqlgen query cache over c for automatic persisted queries
// (extension.AutomaticPersistedQuery{Cache: c.APQ(ttl)}): query texts by their SHA-256, kept
// for ttl, shared by every replica when the cache is Redis.
func (c *Cache) APQ(ttl time.Duration) graphql.Cache[string] { return apq{c, ttl} }

type apq struct {
	c   *Cache
	ttl time.Duration
}

const apqKind = "apq"

func (a apq) Get(ctx context.Context, hash string) (string, bool) {
	v := a.c.get(ctx, apqKind, apqKind, []string{a.c.Key(apqKind, "1", hash)})
	if v[0] == nil {
		a.c.m.CacheLookups(apqKind, apqKind, metrics.Miss, 1)
		return "", false
	}
	a.c.m.CacheLookups(apqKind, apqKind, metrics.Hit, 1)
	return string(v[0]), true
}

func (a apq) Add(ctx context.Context, hash string, query string) {
	a.c.set(ctx, apqKind, apqKind, []Item{{Key: a.c.Key(apqKind, "1", hash), Value: []byte(query), TTL: a.ttl}})
}
