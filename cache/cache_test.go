package cache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/birlik/birlik/metrics"
	"github.com/birlik/birlik/redisconn"
)

// backend is one backend under test, with a way to make it fail.
type backend struct {
	name    string
	open    func(t *testing.T) Backend
	breakIt func(t *testing.T, b Backend)
}

func backends(t *testing.T) []backend {
	bs := []backend{
		{name: "memory", open: func(t *testing.T) Backend {
			m, err := NewMemory(1000)
			if err != nil {
				t.Fatal(err)
			}
			return m
		}},
		{name: "miniredis", open: func(t *testing.T) Backend {
			s := miniredis.RunT(t)
			return NewRedis(redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{s.Addr()}}))
		}, breakIt: func(t *testing.T, b Backend) { b.Close() }},
	}
	if u := os.Getenv("REDIS_URL"); u != "" {
		bs = append(bs, backend{name: "redis", open: func(t *testing.T) Backend {
			c, err := redisconn.New(u)
			if err != nil {
				t.Fatal(err)
			}
			return NewRedis(c)
		}, breakIt: func(t *testing.T, b Backend) { b.Close() }})
	}
	return bs
}

// testCache returns a cache on b with a movable clock and a prefix of its own (a real Redis is
// shared), and its metrics.
func testCache(t *testing.T, b Backend) (*Cache, *metrics.Metrics, *time.Time) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	c := New(b, Options{Metrics: m})
	now := time.Unix(1_700_000_000, 0)
	c.Now = func() time.Time { return now }
	c.Prefix = fmt.Sprintf("birlik-test-%d", time.Now().UnixNano())
	t.Cleanup(func() {
		if r, ok := b.(*Redis); ok {
			ctx := context.Background()
			keys, _ := r.client.Keys(ctx, c.Prefix+":*").Result()
			if len(keys) > 0 {
				r.client.Del(ctx, keys...)
			}
		}
		b.Close()
	})
	return c, m, &now
}

type record struct {
	Name string
	N    int
}

// source is a fake ministry system: it knows some keys, counts calls and can fail.
type source struct {
	mu    sync.Mutex
	known map[string]record
	calls [][]string
	fail  error
}

func (s *source) fetch(ctx context.Context, keys []string) (map[string]record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, slices.Clone(keys))
	if s.fail != nil {
		return nil, s.fail
	}
	out := map[string]record{}
	for _, k := range keys {
		if v, ok := s.known[k]; ok {
			out[k] = v
		}
	}
	return out, nil
}

var policy = Policy{Source: "health", Kind: "test.record", Version: "1", Fresh: time.Minute, Keep: time.Hour}

func TestFetch(t *testing.T) {
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			c, m, now := testCache(t, be.open(t))
			src := &source{known: map[string]record{"a": {"A", 1}, "c": {"C", 3}}}

			// First read: everything from the source, in key order, duplicates answered too.
			keys := []string{"c", "b", "a", "c"}
			got := Fetch(ctx, c, policy, keys, src.fetch)
			want := []Result[record]{
				{Value: record{"C", 3}, Found: true}, {Found: false}, {Value: record{"A", 1}, Found: true}, {Value: record{"C", 3}, Found: true},
			}
			checkResults(t, "first read", got, want)
			if len(src.calls) != 1 || !slices.Equal(src.calls[0], []string{"c", "b", "a"}) {
				t.Fatalf("source calls = %v, want one call with the distinct keys [c b a]", src.calls)
			}

			// Second read while fresh: no call, same answers (not-found cached too).
			got = Fetch(ctx, c, policy, keys, src.fetch)
			checkResults(t, "fresh read", got, want)
			if len(src.calls) != 1 {
				t.Fatalf("a fresh read called the source: %v", src.calls)
			}
			if h := testutil.ToFloat64(mLookups(m, metrics.Hit)); h != 3 {
				t.Errorf("hits = %v, want 3", h)
			}

			// Past Fresh: the source is asked again.
			*now = now.Add(2 * time.Minute)
			src.known["b"] = record{"B", 2}
			got = Fetch(ctx, c, policy, []string{"b"}, src.fetch)
			checkResults(t, "after fresh", got, []Result[record]{{Value: record{"B", 2}, Found: true}})

			// The source fails: cached values come back stale with their time; an unknown key
			// gets the error.
			*now = now.Add(2 * time.Minute)
			storedA := now.Add(-4 * time.Minute)
			src.fail = errors.New("health: HTTP 503")
			got = Fetch(ctx, c, policy, []string{"a", "zzz"}, src.fetch)
			if !got[0].Stale || !got[0].Found || got[0].Value != (record{"A", 1}) || !got[0].CachedAt.Equal(storedA) {
				t.Errorf("a during outage = %+v, want the cached A, stale, cached at %v", got[0], storedA)
			}
			if got[1].Err == nil || got[1].Stale {
				t.Errorf("zzz during outage = %+v, want the source's error", got[1])
			}
			if s := testutil.ToFloat64(mStale(m)); s != 1 {
				t.Errorf("stale answers = %v, want 1", s)
			}

			// A cancelled request gets errors, not stale values, and caches nothing.
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			src.fail = context.Canceled
			got = Fetch(cctx, c, policy, []string{"a"}, src.fetch)
			if got[0].Err == nil {
				t.Errorf("cancelled: %+v, want an error", got[0])
			}
			src.fail = nil
			src.known["a"] = record{"A", 11}
			got = Fetch(ctx, c, policy, []string{"a"}, src.fetch)
			checkResults(t, "after recovery", got, []Result[record]{{Value: record{"A", 11}, Found: true}})
		})
	}
}

func TestKeysAreVersioned(t *testing.T) {
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			c, _, _ := testCache(t, be.open(t))
			src := &source{known: map[string]record{"a": {"A", 1}}}
			Fetch(ctx, c, policy, []string{"a"}, src.fetch)
			v2 := policy
			v2.Version = "2"
			Fetch(ctx, c, v2, []string{"a"}, src.fetch)
			if len(src.calls) != 2 {
				t.Fatalf("a new version read the old entry: calls %v", src.calls)
			}
			k := c.Key("health.coverage", "3", "990101300123")
			if idOf(k) != "990101300123" {
				t.Errorf("key %q: hash tag should hold the id", k)
			}
		})
	}
}

func TestBrokenBackendIsAMiss(t *testing.T) {
	for _, be := range backends(t) {
		if be.breakIt == nil {
			continue
		}
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			b := be.open(t)
			c, m, _ := testCache(t, b)
			be.breakIt(t, b)
			src := &source{known: map[string]record{"a": {"A", 1}}}
			got := Fetch(ctx, c, policy, []string{"a"}, src.fetch)
			checkResults(t, "broken cache", got, []Result[record]{{Value: record{"A", 1}, Found: true}})
			if e := testutil.ToFloat64(mLookups(m, metrics.Error)); e != 1 {
				t.Errorf("cache errors = %v, want 1", e)
			}
		})
	}
}

func TestTTL(t *testing.T) {
	s := miniredis.RunT(t)
	c, _, _ := testCache(t, NewRedis(redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{s.Addr()}})))
	src := &source{known: map[string]record{"a": {"A", 1}}}
	ctx := context.Background()
	Fetch(ctx, c, policy, []string{"a", "b"}, src.fetch)
	if ttl := s.TTL(c.Key(policy.Kind, policy.Version, "a")); ttl != policy.Keep {
		t.Errorf("found entry TTL = %v, want Keep %v", ttl, policy.Keep)
	}
	if ttl := s.TTL(c.Key(policy.Kind, policy.Version, "b")); ttl != policy.Fresh {
		t.Errorf("not-found entry TTL = %v, want Fresh %v", ttl, policy.Fresh)
	}
	s.FastForward(policy.Keep + time.Second)
	Fetch(ctx, c, policy, []string{"a"}, src.fetch)
	if len(src.calls) != 2 {
		t.Errorf("expired entry still served: calls %v", src.calls)
	}
}

func TestAPQ(t *testing.T) {
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			c, _, _ := testCache(t, be.open(t))
			q := c.APQ(time.Hour)
			if _, ok := q.Get(ctx, "abc"); ok {
				t.Fatal("empty cache answered")
			}
			q.Add(ctx, "abc", "{ regions { kato } }")
			if v, ok := q.Get(ctx, "abc"); !ok || v != "{ regions { kato } }" {
				t.Fatalf("Get = %q, %v", v, ok)
			}
		})
	}
}

func checkResults(t *testing.T, what string, got, want []Result[record]) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d results, want %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Value != w.Value || g.Found != w.Found || g.Stale != w.Stale || (g.Err != nil) != (w.Err != nil) {
			t.Errorf("%s: result %d = %+v, want %+v", what, i, g, w)
		}
	}
}

func mLookups(m *metrics.Metrics, result string) prometheus.Collector {
	return metrics.CacheCounter(m).WithLabelValues(policy.Source, policy.Kind, result)
}

func mStale(m *metrics.Metrics) prometheus.Collector {
	return metrics.StaleCounter(m).WithLabelValues(policy.Source)
}
