package syncer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/birlik/birlik/connectors"
)

// ScheduleOptions configure a Scheduler. The zero value syncs every source once, retrying a
// failed pass from 2s up to a minute apart, and calls no one.
type ScheduleOptions struct {
	// Interval is the time from the end of a source's successful pass to the start of its next.
	// 0 syncs each source until one pass succeeds, and Run returns once every source has.
	Interval time.Duration
	// MinBackoff is the wait after a source's first failed pass in a row; each further failure
	// doubles it, up to MaxBackoff. Every wait is drawn between half of it and all of it, so
	// that sources (and replicas) that failed together do not retry together (default 2s).
	MinBackoff time.Duration
	// MaxBackoff caps the wait between failed passes (default Interval, or 1m when Interval is
	// 0): a source that is down is tried at least as often as a healthy one.
	MaxBackoff time.Duration
	// OnChange, when set, is called after the store moved (a source applied a page, or the
	// links it made moved it) with the store's Mark after the link pass — once every source has
	// completed a pass, and then after every later move. Moves that happen while it runs are
	// coalesced into one call after it; it is never called concurrently with itself. An error
	// is logged and the call is retried with the same backoff, and after the next source pass,
	// until it succeeds.
	//
	// Derived work (findings, assessments) belongs here: it judges the sources against each
	// other, so it waits until every source's data is in the store at least once.
	OnChange func(ctx context.Context, mark string) error
	// Logger receives a line per failed pass and per recovery (default: the Syncer's).
	Logger *slog.Logger
}

// SourceStatus is what a Scheduler knows of one source, for readiness and metrics.
type SourceStatus struct {
	Source connectors.Source
	// Completed is set once a pass of this process reached the end of the source's feed.
	Completed bool
	// Running is set while a pass is under way.
	Running bool
	// LastAttempt is when the last pass started; LastSuccess when the last successful one
	// ended (zero: none yet).
	LastAttempt, LastSuccess time.Time
	// LastError is the error of the last pass when it failed ("" when it succeeded).
	LastError string
	// ConsecutiveFailures counts the failed passes since the last success.
	ConsecutiveFailures int
	// Passes and Failures count the passes that succeeded and failed since Run started.
	Passes, Failures int64
	// NextAttempt is when the next pass starts (zero while one runs or when none will).
	NextAttempt time.Time
	// Behind is set when the store may hold an older state of the source than the schedule
	// promises: no pass has completed yet, the last pass failed, or the last success is more
	// than twice the interval ago. BehindReason says which, in words.
	Behind       bool
	BehindReason string
}

// Scheduler syncs each source on its own schedule, so that one source that is down or slow
// never holds back the others: a pass per source per interval, each on its own goroutine; a
// failed pass (the source answering 5xx, unreachable, its circuit open, or the store failing)
// is retried with exponential backoff and jitter, however many times, first pass included.
//
// Fetching is concurrent; writing is not: the sources' passes share one Syncer, which applies
// one page at a time (each page with its cursor in one transaction), as SQLite's single writer
// and the change sequence's numbering in commit order require. Since sources progress
// independently, a row may be written before the record it names: after any source moved,
// the link pass fills such references in (Syncer.Run does the same after all feeds), so the
// store ends holding what one uninterrupted sync would — except that the change sequence
// numbers the sources' changes in the order they committed.
type Scheduler struct {
	sy    *Syncer
	feeds []connectors.Feed
	opts  ScheduleOptions
	log   *slog.Logger

	mu     sync.Mutex
	status []SourceStatus
	retry  bool // the settle step failed: the next pass of any source triggers it again

	moved      chan struct{} // a source moved or completed: settle (capacity 1: coalesces)
	synced     chan struct{} // closed once every source completed a pass and links were made
	syncedOnce sync.Once
	notified   Since // the Mark OnChange last succeeded at
}

// NewScheduler returns a Scheduler of feeds, writing through sy. Each feed must be a different
// source: two passes of one source at once would race on its cursor.
func NewScheduler(sy *Syncer, opts ScheduleOptions, feeds ...connectors.Feed) (*Scheduler, error) {
	if len(feeds) == 0 {
		return nil, errors.New("syncer: a scheduler needs at least one feed")
	}
	if opts.Interval < 0 {
		return nil, fmt.Errorf("syncer: interval %v: want 0 (one pass) or a positive duration", opts.Interval)
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 2 * time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = opts.Interval
		if opts.MaxBackoff <= 0 {
			opts.MaxBackoff = time.Minute
		}
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = opts.MinBackoff
	}
	if opts.Logger == nil {
		opts.Logger = sy.opts.Logger
	}
	s := &Scheduler{sy: sy, feeds: feeds, opts: opts, log: opts.Logger,
		moved: make(chan struct{}, 1), synced: make(chan struct{})}
	seen := map[connectors.Source]bool{}
	for _, f := range feeds {
		src := f.Source()
		if seen[src] {
			return nil, fmt.Errorf("syncer: source %s has two feeds", src)
		}
		seen[src] = true
		s.status = append(s.status, SourceStatus{Source: src})
	}
	return s, nil
}

// Run syncs the sources until ctx ends; with Interval 0, until every source has completed one
// pass and the link pass and OnChange after them have succeeded. Every pass, wait and call
// ends promptly when ctx does. Run is meant to be called once.
func (s *Scheduler) Run(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for i := range s.feeds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.runSource(ctx, i)
		}()
	}
	sourcesDone := make(chan struct{})
	go func() {
		wg.Wait()
		close(sourcesDone)
	}()
	s.settleLoop(ctx, sourcesDone)
	cancel()
	<-sourcesDone
}

// Synced is closed once every source has completed a pass in this process and the links after
// them are made (before OnChange runs on that state): the store then holds every source.
func (s *Scheduler) Synced() <-chan struct{} { return s.synced }

// Status returns every source's status, in the order of the feeds. Safe for concurrent use.
func (s *Scheduler) Status() []SourceStatus {
	now := time.Now()
	s.mu.Lock()
	out := append([]SourceStatus(nil), s.status...)
	s.mu.Unlock()
	for i := range out {
		out[i].Behind, out[i].BehindReason = s.behind(&out[i], now)
	}
	return out
}

// behind says whether st is behind its schedule at now, and why.
func (s *Scheduler) behind(st *SourceStatus, now time.Time) (bool, string) {
	switch {
	case st.ConsecutiveFailures > 0:
		return true, fmt.Sprintf("its last %d pass(es) failed: %s", st.ConsecutiveFailures, st.LastError)
	case !st.Completed:
		return true, "its first pass has not completed"
	case s.opts.Interval > 0 && now.Sub(st.LastSuccess) > 2*s.opts.Interval:
		return true, fmt.Sprintf("its last complete pass ended %s ago, more than twice the interval (%s)",
			now.Sub(st.LastSuccess).Round(time.Second), s.opts.Interval)
	}
	return false, ""
}

// runSource runs the passes of source i until ctx ends (or, with Interval 0, until one succeeds).
func (s *Scheduler) runSource(ctx context.Context, i int) {
	feed := s.feeds[i]
	for {
		s.update(i, func(st *SourceStatus) {
			st.Running, st.LastAttempt, st.NextAttempt = true, time.Now(), time.Time{}
		})
		fs, err := s.sy.SyncFeed(ctx, feed)
		if ctx.Err() != nil {
			s.update(i, func(st *SourceStatus) { st.Running = false })
			return
		}
		var (
			wait     time.Duration
			first    bool
			failures int
		)
		s.update(i, func(st *SourceStatus) {
			st.Running = false
			if err != nil {
				st.Failures++
				st.ConsecutiveFailures++
				st.LastError = err.Error()
				failures = st.ConsecutiveFailures
				wait = s.backoff(failures)
			} else {
				first = !st.Completed
				if st.ConsecutiveFailures > 0 {
					s.log.Info("sync: source recovered", "source", st.Source, "failed_passes", st.ConsecutiveFailures)
				}
				st.Passes++
				st.Completed, st.LastSuccess, st.LastError, st.ConsecutiveFailures = true, time.Now(), "", 0
				wait = s.opts.Interval
			}
			if err == nil && s.opts.Interval <= 0 {
				return // no next pass
			}
			st.NextAttempt = time.Now().Add(wait)
		})
		if err != nil {
			s.log.Warn("sync: source pass failed; retrying", "source", feed.Source(), "failed_passes", failures,
				"retry_in", wait.Round(time.Millisecond), "err", err)
		}
		// Pages applied by a pass that failed later still moved the store.
		s.mu.Lock()
		retry := s.retry
		s.mu.Unlock()
		if fs.Pages > 0 || first || retry {
			s.poke()
		}
		if err == nil && s.opts.Interval <= 0 {
			return
		}
		if !sleep(ctx, wait) {
			return
		}
	}
}

// backoff is the wait after the n-th failure in a row: MinBackoff doubled n-1 times, capped at
// MaxBackoff, drawn between its half and itself.
func (s *Scheduler) backoff(n int) time.Duration {
	d, most := s.opts.MinBackoff, s.opts.MaxBackoff
	for k := 1; k < n && d < most; k++ {
		if d > most/2 {
			d = most
			break
		}
		d *= 2
	}
	d = min(d, most)
	half := d / 2
	return half + rand.N(d-half+1)
}

func (s *Scheduler) update(i int, f func(*SourceStatus)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.status[i])
}

func (s *Scheduler) poke() {
	select {
	case s.moved <- struct{}{}:
	default: // a settle step is already due: it will see this move too
	}
}

func (s *Scheduler) allCompleted() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.status {
		if !st.Completed {
			return false
		}
	}
	return true
}

// settleLoop runs the settle step after sources moved, one at a time, so that moves during a
// step coalesce into the next. A failed step is retried with backoff (and after the next pass).
func (s *Scheduler) settleLoop(ctx context.Context, sourcesDone <-chan struct{}) {
	var (
		retry    <-chan time.Time
		failures int
	)
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.moved:
		case <-retry:
		case <-sourcesDone:
			sourcesDone = nil // only Interval 0 ends the sources' loops before ctx does
		}
		err := s.settle(ctx)
		if ctx.Err() != nil {
			return
		}
		s.mu.Lock()
		s.retry = err != nil
		s.mu.Unlock()
		if err != nil {
			failures++
			wait := s.backoff(failures)
			s.log.Error("sync: linking or the work after sync failed; retrying", "failures", failures,
				"retry_in", wait.Round(time.Millisecond), "err", err)
			retry = time.After(wait)
			continue
		}
		failures, retry = 0, nil
		if s.opts.Interval <= 0 && sourcesDone == nil && s.allCompleted() {
			return
		}
	}
}

// settle links what the sources' pages left unlinked, marks the scheduler synced once every
// source has completed a pass, and then calls OnChange if the store moved since it last
// succeeded.
func (s *Scheduler) settle(ctx context.Context) error {
	mark, _, _, err := s.sy.linkIfMoved(ctx)
	if err != nil {
		return err
	}
	if !s.allCompleted() {
		return nil
	}
	s.syncedOnce.Do(func() { close(s.synced) })
	if s.opts.OnChange == nil || !s.notified.Changed(mark) {
		return nil
	}
	if err := s.opts.OnChange(ctx, mark); err != nil {
		return fmt.Errorf("after the store moved: %w", err)
	}
	s.notified.Done(mark)
	return nil
}

// sleep waits d or until ctx ends, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
