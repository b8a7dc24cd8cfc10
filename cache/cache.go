// Package cache owns the gateway's shared cache: Redis when REDIS_URL is set (go-redis's
// UniversalClient from package redisconn, so a single node, Sentinel or Redis Cluster is a matter
// of configuration),
// an in-process LRU otherwise. It sits behind the per-request dataloaders, never in front of
// them, and holds two things: the live values read from the ministry systems (Fetch, with a
// freshness and a keep time per source, and stale-on-error), and the automatic persisted
// queries (APQ).
//
// Keys are versioned (a cache format version, the kind's version and the schema's) so a deploy
// never reads yesterday's shape, and carry a Redis Cluster hash tag on the record's id. Batches
// are read in one round trip (MGET on a single node, a pipeline on a cluster, where keys of a
// batch lie in many slots). The cache never fails a request: a cache error is counted, logged
// and treated as a miss.
//
// The cache must not know any source's format or the store; callers hand it JSON-encodable
// values and a fetch function.
package cache

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/redis/go-redis/v9"

	"github.com/birlik/birlik/metrics"
)

// FormatVersion is the version of the entry encoding and key layout; bump it when either
// changes.
const FormatVersion = "v1"

// Backend is where entries live: Redis or memory.
type Backend interface {
	// GetMany returns the values of keys in key order, nil for a key that is not there.
	GetMany(ctx context.Context, keys []string) ([][]byte, error)
	// SetMany stores every item with its TTL.
	SetMany(ctx context.Context, items []Item) error
	// Name is "redis" or "memory".
	Name() string
	Close() error
}

// Item is one entry to store.
type Item struct {
	Key   string
	Value []byte
	TTL   time.Duration
}

// Cache is the shared cache. Safe for concurrent use.
type Cache struct {
	b   Backend
	m   *metrics.Metrics
	log *slog.Logger
	// Now is the clock (tests move it); default time.Now.
	Now func() time.Time
	// Prefix starts every key (default "birlik"); it may carry a deployment name.
	Prefix string
}

// Options configure New.
type Options struct {
	// Metrics receives hit, stale, miss and error counts (nil: none).
	Metrics *metrics.Metrics
	// Logger receives cache errors (nil: slog.Default()).
	Logger *slog.Logger
	// MemoryEntries bounds the in-process cache (default 100,000 entries).
	MemoryEntries int
}

// New returns a cache on b.
func New(b Backend, o Options) *Cache {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Cache{b: b, m: o.Metrics, log: o.Logger, Now: time.Now, Prefix: "birlik"}
}

// Open returns the cache on client (redisconn opens the gateway's one client from REDIS_URL),
// or an in-process cache when client is nil. The cache does not close a client it was handed.
func Open(client redis.UniversalClient, o Options) (*Cache, error) {
	if client == nil {
		if o.MemoryEntries <= 0 {
			o.MemoryEntries = 100_000
		}
		b, err := NewMemory(o.MemoryEntries)
		if err != nil {
			return nil, err
		}
		return New(b, o), nil
	}
	return New(shared{NewRedis(client)}, o), nil
}

// shared is a Redis backend on a client owned by someone else: closing the cache leaves it open.
type shared struct{ *Redis }

func (shared) Close() error { return nil }

// Backend returns the backend (for its name in logs and benchmarks).
func (c *Cache) Backend() Backend { return c.b }

// Close closes the backend.
func (c *Cache) Close() error { return c.b.Close() }

// Key builds a versioned key: prefix:format:kind@version:{id}. The braces are a Redis Cluster
// hash tag, so every entry of one id lies in one slot.
func (c *Cache) Key(kind, version, id string) string {
	return c.Prefix + ":" + FormatVersion + ":" + kind + "@" + version + ":{" + id + "}"
}

// get reads keys, counting a backend error and answering all misses instead.
func (c *Cache) get(ctx context.Context, source, kind string, keys []string) [][]byte {
	vals, err := c.b.GetMany(ctx, keys)
	if err != nil || len(vals) != len(keys) {
		if ctx.Err() == nil {
			c.log.WarnContext(ctx, "cache read failed: treating as misses", "backend", c.b.Name(), "kind", kind, "keys", len(keys), "err", err)
		}
		c.m.CacheLookups(source, kind, metrics.Error, len(keys))
		return make([][]byte, len(keys))
	}
	return vals
}

func (c *Cache) set(ctx context.Context, source, kind string, items []Item) {
	if len(items) == 0 {
		return
	}
	if err := c.b.SetMany(ctx, items); err != nil && ctx.Err() == nil {
		c.log.WarnContext(ctx, "cache write failed", "backend", c.b.Name(), "kind", kind, "keys", len(items), "err", err)
		c.m.CacheLookups(source, kind, metrics.Error, 0)
	}
}

// entry encoding: one flag byte (1: found, 0: the source does not know the key), the time it
// was stored (unix nanoseconds, 8 bytes big-endian), then the payload.
const headerLen = 9

func encodeEntry(found bool, at time.Time, payload []byte) []byte {
	b := make([]byte, headerLen+len(payload))
	if found {
		b[0] = 1
	}
	binary.BigEndian.PutUint64(b[1:9], uint64(at.UnixNano()))
	copy(b[headerLen:], payload)
	return b
}

var errBadEntry = errors.New("cache: malformed entry")

func decodeEntry(b []byte) (found bool, at time.Time, payload []byte, err error) {
	if len(b) < headerLen || b[0] > 1 {
		return false, time.Time{}, nil, errBadEntry
	}
	return b[0] == 1, time.Unix(0, int64(binary.BigEndian.Uint64(b[1:9]))), b[headerLen:], nil
}

// --- Redis ---

// Redis is the Backend on a go-redis UniversalClient.
type Redis struct {
	client  redis.UniversalClient
	cluster bool
}

// NewRedis returns a backend on client. On a Cluster client batches are pipelined GETs (go-redis
// splits a pipeline by node); otherwise one MGET.
func NewRedis(client redis.UniversalClient) *Redis {
	_, cluster := client.(*redis.ClusterClient)
	return &Redis{client: client, cluster: cluster}
}

// Client is the underlying client.
func (r *Redis) Client() redis.UniversalClient { return r.client }

func (r *Redis) Name() string { return "redis" }
func (r *Redis) Close() error { return r.client.Close() }

// GetMany implements Backend.
func (r *Redis) GetMany(ctx context.Context, keys []string) ([][]byte, error) {
	out := make([][]byte, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	if !r.cluster {
		vals, err := r.client.MGet(ctx, keys...).Result()
		if err != nil {
			return nil, err
		}
		for i, v := range vals {
			if s, ok := v.(string); ok {
				out[i] = []byte(s)
			}
		}
		return out, nil
	}
	cmds := make([]*redis.StringCmd, len(keys))
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.Get(ctx, k)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	for i, cmd := range cmds {
		b, err := cmd.Bytes()
		switch {
		case errors.Is(err, redis.Nil): // a miss, not an error
		case err != nil:
			return nil, err
		default:
			out[i] = b
		}
	}
	return out, nil
}

// SetMany implements Backend with one pipeline of SET … PX.
func (r *Redis) SetMany(ctx context.Context, items []Item) error {
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, it := range items {
			p.Set(ctx, it.Key, it.Value, it.TTL)
		}
		return nil
	})
	return err
}

// --- memory ---

// Memory is the in-process Backend: a bounded LRU (hashicorp/golang-lru) whose entries also
// expire after their TTL.
type Memory struct {
	lru *lru.Cache[string, memEntry]
	now func() time.Time
}

type memEntry struct {
	value   []byte
	expires time.Time
}

// NewMemory returns an in-process backend holding at most size entries.
func NewMemory(size int) (*Memory, error) {
	l, err := lru.New[string, memEntry](size)
	if err != nil {
		return nil, fmt.Errorf("cache: in-process cache of %d entries: %w", size, err)
	}
	return &Memory{lru: l, now: time.Now}, nil
}

func (m *Memory) Name() string { return "memory" }
func (m *Memory) Close() error { m.lru.Purge(); return nil }

// GetMany implements Backend.
func (m *Memory) GetMany(_ context.Context, keys []string) ([][]byte, error) {
	out := make([][]byte, len(keys))
	now := m.now()
	for i, k := range keys {
		if e, ok := m.lru.Get(k); ok {
			if now.Before(e.expires) {
				out[i] = e.value
			} else {
				m.lru.Remove(k)
			}
		}
	}
	return out, nil
}

// SetMany implements Backend.
func (m *Memory) SetMany(_ context.Context, items []Item) error {
	now := m.now()
	for _, it := range items {
		m.lru.Add(it.Key, memEntry{value: it.Value, expires: now.Add(it.TTL)})
	}
	return nil
}

// idOf returns the id inside a key's hash tag (for tests and logs).
func idOf(key string) string {
	i := strings.LastIndexByte(key, '{')
	if i < 0 || !strings.HasSuffix(key, "}") {
		return ""
	}
	return key[i+1 : len(key)-1]
}
