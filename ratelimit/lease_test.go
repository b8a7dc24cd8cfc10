package ratelimit_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/birlik/birlik/ratelimit"
)

// bucket is a shared limiter with a fixed number of tokens and no refill, counting the round
// trips it is asked for.
type bucket struct {
	mu            sync.Mutex
	left          int
	taken, trips  int
	single, bulks int
}

func (b *bucket) AllowN(_ context.Context, _ string, _ ratelimit.Limit, n int) (ratelimit.Result, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.trips++
	if n == 1 {
		b.single++
	} else {
		b.bulks++
	}
	if b.left < n {
		return ratelimit.Result{RetryAfter: time.Second}, nil
	}
	b.left -= n
	b.taken += n
	return ratelimit.Result{Allowed: true}, nil
}

func (b *bucket) Allow(ctx context.Context, key string, l ratelimit.Limit) (ratelimit.Result, error) {
	return b.AllowN(ctx, key, l, 1)
}

// clock is a clock the test moves.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{t: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)} }
func allowed(t *testing.T, l ratelimit.Limiter, key string, lim ratelimit.Limit) bool {
	t.Helper()
	r, err := l.Allow(context.Background(), key, lim)
	if err != nil {
		t.Fatal(err)
	}
	return r.Allowed
}

// TestLeaseOneAtATimeIsOneToken: a caller that sends one request per window (most callers)
// takes one token per request from the shared limiter, as without leasing.
func TestLeaseOneAtATimeIsOneToken(t *testing.T) {
	b, c := &bucket{left: 1000}, newClock()
	l := ratelimit.NewLeased(b, c.now)
	lim := ratelimit.Limit{Rate: 20, Period: time.Second, Burst: 60}
	for range 50 {
		if !allowed(t, l, "k", lim) {
			t.Fatal("refused with tokens left")
		}
		c.advance(ratelimit.LeaseWindow + time.Millisecond)
	}
	if b.taken != 50 || b.bulks != 0 {
		t.Fatalf("50 requests took %d tokens in %d bulk leases: want 50 and none", b.taken, b.bulks)
	}
}

// TestLeaseBusyCallerFewTrips: a caller with many requests in a window gets them from leases,
// no more than a tenth of its burst at a time, and the leases grow with what it sends.
func TestLeaseBusyCallerFewTrips(t *testing.T) {
	b, c := &bucket{left: 1 << 30}, newClock()
	l := ratelimit.NewLeased(b, c.now)
	lim := ratelimit.Limit{Rate: 100000, Period: time.Second, Burst: 100000}
	const n = 10000
	for i := range n {
		if !allowed(t, l, "k", lim) {
			t.Fatal("refused with tokens left")
		}
		if i%500 == 499 { // 500 requests per 10 ms
			c.advance(10 * time.Millisecond)
		}
	}
	if b.trips > n/50 {
		t.Errorf("%d requests cost %d round trips: want at most %d", n, b.trips, n/50)
	}
	if b.taken < n || b.taken > n+ratelimit.MaxLease {
		t.Errorf("%d requests took %d tokens: want between %d and %d (one lease unused)", n, b.taken, n, n+ratelimit.MaxLease)
	}
	// A small budget: never more than a tenth of the burst at once.
	small := ratelimit.Limit{Rate: 20, Period: time.Second, Burst: 60}
	b2 := &bucket{left: 1 << 30}
	l2 := ratelimit.NewLeased(b2, c.now)
	for range 100 {
		allowed(t, l2, "k", small)
	}
	if b2.trips < 100/6 || b2.taken > 100+6 {
		t.Errorf("burst 60: 100 requests took %d tokens in %d round trips: leases must stay at 6 or less", b2.taken, b2.trips)
	}
}

// TestLeaseEndsAndRefusesPastTheLimit: tokens leased and not used are dropped when the window
// ends; a caller past its budget is refused, and near it is asked for single tokens.
func TestLeaseEndsAndRefusesPastTheLimit(t *testing.T) {
	b, c := &bucket{left: 30}, newClock()
	l := ratelimit.NewLeased(b, c.now)
	lim := ratelimit.Limit{Rate: 1000, Period: time.Second, Burst: 1000} // leases up to 100
	ok := 0
	for range 40 {
		if allowed(t, l, "k", lim) {
			ok++
		}
	}
	if ok != 30 || b.left != 0 {
		t.Fatalf("30 tokens in the shared limiter, 40 requests: %d admitted, %d left; want 30 admitted", ok, b.left)
	}
	// A lease taken and left unused is gone after the window.
	b.left = 100
	for range 10 {
		allowed(t, l, "k2", lim)
	}
	before := b.trips
	c.advance(ratelimit.LeaseWindow)
	allowed(t, l, "k2", lim)
	if b.trips == before {
		t.Error("a request after the window was served from the ended lease")
	}
}

// TestLeasedOnRedisNeverPastTheLimit: two replicas leasing from one Redis (REDIS_URL, else
// miniredis), hammered by 16 goroutines each, admit no more than GCRA allows over the elapsed
// time, and at least the burst.
func TestLeasedOnRedisNeverPastTheLimit(t *testing.T) {
	redisL := limiters(t)["redis"].(*ratelimit.Redis)
	lim := ratelimit.Limit{Rate: 500, Period: time.Second, Burst: 500}
	key := "lease-" + time.Now().Format("150405.000000000")
	replicas := []*ratelimit.Leased{ratelimit.NewLeased(redisL, nil), ratelimit.NewLeased(redisL, nil)}
	var admitted, refused atomic.Int64
	start := time.Now()
	stop := start.Add(400 * time.Millisecond)
	var wg sync.WaitGroup
	for _, r := range replicas {
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(stop) {
					res, err := r.Allow(context.Background(), key, lim)
					if err != nil {
						t.Error(err)
						return
					}
					if res.Allowed {
						admitted.Add(1)
					} else {
						refused.Add(1)
					}
				}
			}()
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	most := float64(lim.Burst) + float64(lim.Rate)*elapsed.Seconds() + 1
	if a := float64(admitted.Load()); a > most || a < float64(lim.Burst) {
		t.Fatalf("admitted %v in %v (refused %d): want between the burst %d and %.0f", a, elapsed, refused.Load(), lim.Burst, most)
	}
	if refused.Load() == 0 {
		t.Fatal("nothing refused: the test did not reach the limit")
	}
}

// BenchmarkAllow is one busy caller's admission through Redis alone and through leases on it
// (REDIS_URL, else miniredis): `go test ./ratelimit -run ^$ -bench Allow`.
func BenchmarkAllow(b *testing.B) {
	redisL := limiters(b)["redis"].(*ratelimit.Redis)
	lim := ratelimit.Limit{Rate: 1000000, Period: time.Second, Burst: 1000000}
	for name, l := range map[string]ratelimit.Limiter{"redis": redisL, "leased": ratelimit.NewLeased(redisL, nil)} {
		b.Run(name, func(b *testing.B) {
			key := "bench-" + name + "-" + time.Now().Format("150405.000000000")
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if r, err := l.Allow(context.Background(), key, lim); err != nil || !r.Allowed {
						b.Errorf("refused (%v) under a limit of a million a second", err)
						return
					}
				}
			})
		})
	}
}
