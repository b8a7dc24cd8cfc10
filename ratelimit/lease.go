package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Leasing: a caller that sends many requests a second costs the shared limiter (Redis) one
// round trip per request. Leased takes that caller's tokens from the shared limiter a few at a
// time instead and hands them out in process.
//
// It never lets a caller past its limit: every request it admits spent a token in the shared
// count, only earlier. What it can cost is the other way round: tokens leased but not used
// before the lease ends are lost to the caller, so a replica holds back at most one block per
// caller for one window. The block is what the caller sent in this window or the last, so a
// caller that sends one request at a time (most of them) leases one token, exactly as without
// leasing; and never more than a tenth of the caller's burst (at most MaxLease), so callers
// with small budgets are never leased more than one token.

// MaxLease is the most tokens one lease takes.
const MaxLease = 100

// LeaseWindow is how long leased tokens last, and the window over which a caller's requests
// are counted to size the next lease.
const LeaseWindow = 50 * time.Millisecond

// BulkLimiter is a shared limiter that can take n tokens at once (Redis).
type BulkLimiter interface {
	Limiter
	// AllowN takes n tokens for key if all n are there, else none.
	AllowN(ctx context.Context, key string, l Limit, n int) (Result, error)
}

// Leased hands out tokens leased in blocks from a shared limiter.
type Leased struct {
	next BulkLimiter
	now  func() time.Time

	mu     sync.Mutex
	leases map[string]*lease
}

type lease struct {
	mu      sync.Mutex // held while the lease is renewed, so a caller's requests renew it once
	limit   Limit
	tokens  int       // leased and not handed out yet
	expires time.Time // when the tokens left are dropped
	window  time.Time // start of the current counting window
	count   int       // requests in the current window
	prev    int       // requests in the window before
}

// NewLeased returns a limiter over next; now is the clock (nil: time.Now).
func NewLeased(next BulkLimiter, now func() time.Time) *Leased {
	if now == nil {
		now = time.Now
	}
	return &Leased{next: next, now: now, leases: map[string]*lease{}}
}

// maxBlock is the largest lease for l: a tenth of the burst, within 1 and MaxLease.
func maxBlock(l Limit) int {
	return min(max(l.Burst/10, 1), MaxLease)
}

// Allow implements Limiter.
func (s *Leased) Allow(ctx context.Context, key string, l Limit) (Result, error) {
	if maxBlock(l) == 1 {
		return s.next.Allow(ctx, key, l)
	}
	le := s.lease(key, l)
	le.mu.Lock()
	defer le.mu.Unlock()
	now := s.now()
	if le.limit != l { // the policy changed: start again
		*le = lease{limit: l}
	}
	switch d := now.Sub(le.window); {
	case d >= 2*LeaseWindow:
		le.window, le.count, le.prev = now, 0, 0
	case d >= LeaseWindow:
		le.window, le.count, le.prev = now, 0, le.count
	}
	le.count++
	if le.tokens > 0 && now.Before(le.expires) {
		le.tokens--
		return Result{Allowed: true}, nil
	}
	le.tokens = 0
	n := min(max(le.prev, le.count), maxBlock(l))
	if n > 1 {
		res, err := s.next.AllowN(ctx, key, l, n)
		if err != nil {
			return Result{}, err
		}
		if res.Allowed {
			le.tokens, le.expires = n-1, now.Add(LeaseWindow)
			return res, nil
		}
		// Fewer than n tokens left: the caller is near its limit; ask for one.
	}
	return s.next.Allow(ctx, key, l)
}

// lease returns key's lease, making it; past MaxLocalKeys leases it first forgets those that
// have ended (their callers lose nothing: an ended lease holds no tokens).
func (s *Leased) lease(key string, l Limit) *lease {
	s.mu.Lock()
	defer s.mu.Unlock()
	le, ok := s.leases[key]
	if !ok {
		if len(s.leases) >= MaxLocalKeys {
			s.forgetEnded()
		}
		le = &lease{limit: l}
		s.leases[key] = le
	}
	return le
}

func (s *Leased) forgetEnded() {
	cutoff := s.now().Add(-2 * LeaseWindow)
	for k, le := range s.leases {
		if le.mu.TryLock() {
			if le.expires.Before(cutoff) && le.window.Before(cutoff) {
				delete(s.leases, k)
			}
			le.mu.Unlock()
		}
	}
}
