package syncer_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/connectors/education"
	"github.com/birlik/birlik/connectors/finance"
	"github.com/birlik/birlik/connectors/health"
	"github.com/birlik/birlik/connectors/justice"
	"github.com/birlik/birlik/connectors/labour"
	"github.com/birlik/birlik/connectors/transport"
	"github.com/birlik/birlik/ent/familymembership"
	"github.com/birlik/birlik/gen"
	"github.com/birlik/birlik/sim/all"
	"github.com/birlik/birlik/store/storetest"
	"github.com/birlik/birlik/syncer"
	"github.com/birlik/birlik/syncer/synctest"
)

// flaky serves a simulator's handler, or answers 503 while it is down or for its first
// failFirst requests.
type flaky struct {
	h         http.Handler
	down      atomic.Bool
	failFirst atomic.Int64
	failed    atomic.Int64
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.down.Load() || f.failFirst.Add(-1) >= 0 {
		f.failed.Add(1)
		http.Error(w, "unavailable (test)", http.StatusServiceUnavailable)
		return
	}
	f.h.ServeHTTP(w, r)
}

// simSources starts the five simulators over c, each behind a flaky wrapper (by source).
type simSources struct {
	sims  *all.Set
	flaky map[connectors.Source]*flaky
	urls  map[connectors.Source]string
}

func startSims(t *testing.T, c *gen.Country) *simSources {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sims, err := all.Start(ctx, c, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sims.Close() })
	s := &simSources{sims: sims, flaky: map[connectors.Source]*flaky{}, urls: map[connectors.Source]string{}}
	for _, sm := range sims.Simulators() {
		f := &flaky{h: sm.Handler}
		srv := httptest.NewServer(f)
		t.Cleanup(srv.Close)
		src := connectors.Source(sm.Name)
		s.flaky[src], s.urls[src] = f, srv.URL
	}
	return s
}

// feeds returns connectors to the simulators through their flaky wrappers (direct: without),
// with a fast transport: no retries inside a pass, and a circuit that opens after 3 failures
// and half-opens after 20ms.
func (s *simSources) feeds(direct bool) []connectors.Feed {
	url := func(src connectors.Source) string {
		if direct {
			return s.sims.URL(string(src))
		}
		return s.urls[src]
	}
	tc := func(src connectors.Source) transport.Config {
		return transport.Config{Source: string(src), MaxRetries: -1, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
			BreakerFailures: 3, BreakerCooldown: 20 * time.Millisecond}
	}
	return []connectors.Feed{
		justice.New(url(connectors.Justice), tc(connectors.Justice)),
		labour.New(url(connectors.Labour), tc(connectors.Labour)),
		education.New(url(connectors.Education), tc(connectors.Education)),
		finance.New(url(connectors.Finance), tc(connectors.Finance)),
		health.New(url(connectors.Health), tc(connectors.Health)),
	}
}

// calls records the marks OnChange was called with.
type calls struct {
	mu    sync.Mutex
	marks []string
	ch    chan string
}

func newCalls() *calls { return &calls{ch: make(chan string, 100)} }

func (c *calls) onChange(ctx context.Context, mark string) error {
	c.mu.Lock()
	c.marks = append(c.marks, mark)
	c.mu.Unlock()
	c.ch <- mark
	return nil
}

func (c *calls) n() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.marks)
}

// running starts sc.Run and returns a function that stops it and waits for Run to return.
func running(t *testing.T, sc *syncer.Scheduler) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc.Run(ctx)
	}()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("Run did not return after its context was cancelled")
		}
	}
	t.Cleanup(stop)
	return stop
}

// await waits until cond holds, failing the test with what after a minute (a hang guard).
func await(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited five minutes for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func awaitSynced(t *testing.T, sc *syncer.Scheduler) {
	t.Helper()
	select {
	case <-sc.Synced():
	case <-time.After(5 * time.Minute):
		t.Fatalf("waited five minutes for every source to complete a pass: %+v", sc.Status())
	}
}

func statusOf(sc *syncer.Scheduler, src connectors.Source) syncer.SourceStatus {
	for _, st := range sc.Status() {
		if st.Source == src {
			return st
		}
	}
	return syncer.SourceStatus{}
}

func mustMark(t *testing.T, s *storetest.Store) string {
	t.Helper()
	m, err := syncer.Mark(context.Background(), s.Store)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var changeSeq = regexp.MustCompile(`\tseq=\d+`)

// sameAsCleanSync compares two stores' dumps, the change sequence by its entries: it numbers
// changes in the order they committed, which depends on when each source was pulled.
func sameAsCleanSync(t *testing.T, got, want *storetest.Store) {
	t.Helper()
	norm := func(d string) string {
		lines := strings.Split(d, "\n")
		for i, l := range lines {
			if strings.HasPrefix(l, "changes\t") {
				lines[i] = changeSeq.ReplaceAllString(l, "")
			}
		}
		sort.Strings(lines)
		return strings.Join(lines, "\n")
	}
	if g, w := norm(dump(t, got, false)), norm(dump(t, want, false)); g != w {
		t.Errorf("the store differs from a clean sync's:\n%s", firstDiff(g, w))
	}
}

func countRows(t *testing.T, s *storetest.Store, table string) int {
	t.Helper()
	var n int
	if err := s.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A first pass that fails (every source answering 503) is retried with backoff until it
// succeeds, long before the next interval.
func TestSchedulerRetriesAFailedFirstPass(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the five simulators")
	}
	c := country(t, 4, 1000)
	srcs := startSims(t, c)
	for _, f := range srcs.flaky {
		f.failFirst.Store(2) // the first two passes of every source fail at their first request
	}
	s := storetest.Open(t)
	cl := newCalls()
	sc, err := syncer.NewScheduler(syncer.New(s.Store, syncer.Options{Logger: quiet}), syncer.ScheduleOptions{
		Interval: time.Hour, MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond, OnChange: cl.onChange, Logger: quiet,
	}, srcs.feeds(false)...)
	if err != nil {
		t.Fatal(err)
	}
	running(t, sc)
	awaitSynced(t, sc)
	for _, st := range sc.Status() {
		if !st.Completed || st.Failures < 1 || st.ConsecutiveFailures != 0 || st.LastError != "" || st.Behind {
			t.Errorf("%s: %+v; want completed after at least one failed pass, not behind", st.Source, st)
		}
		if st.NextAttempt.Before(st.LastSuccess.Add(time.Hour - time.Minute)) {
			t.Errorf("%s: next pass at %v, want an interval after the last success %v", st.Source, st.NextAttempt, st.LastSuccess)
		}
	}
	for src, f := range srcs.flaky {
		if f.failed.Load() < 2 {
			t.Errorf("%s answered 503 %d times, want 2", src, f.failed.Load())
		}
	}
	ref := storetest.Open(t)
	if _, err := syncer.New(ref.Store, syncer.Options{Logger: quiet}).Run(context.Background(), srcs.feeds(true)...); err != nil {
		t.Fatal(err)
	}
	sameAsCleanSync(t, s, ref)
	select {
	case m := <-cl.ch:
		if want := mustMark(t, s); m != want {
			t.Errorf("OnChange got mark %q, want the store's %q", m, want)
		}
	case <-time.After(5 * time.Minute):
		t.Fatal("OnChange was not called after every source completed its first pass")
	}
}

// With justice down (503 on every request, then its circuit open), the other four sources are
// pulled all the same; justice is retried, and once it is back the store equals a clean sync's
// and the derived work runs.
func TestSchedulerOneSourceDownDoesNotStopTheOthers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the five simulators")
	}
	c := country(t, 4, 1000)
	srcs := startSims(t, c)
	srcs.flaky[connectors.Justice].down.Store(true)
	ref := storetest.Open(t)
	if _, err := syncer.New(ref.Store, syncer.Options{Logger: quiet}).Run(context.Background(), srcs.feeds(true)...); err != nil {
		t.Fatal(err)
	}

	s := storetest.Open(t)
	cl := newCalls()
	sc, err := syncer.NewScheduler(syncer.New(s.Store, syncer.Options{Logger: quiet}), syncer.ScheduleOptions{
		Interval: time.Hour, MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond, OnChange: cl.onChange, Logger: quiet,
	}, srcs.feeds(false)...)
	if err != nil {
		t.Fatal(err)
	}
	running(t, sc)
	others := []connectors.Source{connectors.Labour, connectors.Education, connectors.Finance, connectors.Health}
	await(t, "labour, education, finance and health to complete a pass", func() bool {
		for _, src := range others {
			if !statusOf(sc, src).Completed {
				return false
			}
		}
		return true
	})
	await(t, "justice's circuit to open", func() bool {
		return strings.Contains(statusOf(sc, connectors.Justice).LastError, transport.ErrCircuitOpen.Error())
	})

	t.Run("the others' rows landed", func(t *testing.T) {
		for _, table := range []string{"families", "family_memberships", "labour_contracts", "schools", "enrollments", "income_reports",
			"attachments", "visits", "coverages", "medical_institutions"} {
			if got, want := countRows(t, s, table), countRows(t, ref, table); got != want || want == 0 {
				t.Errorf("%s: %d rows, a clean sync has %d", table, got, want)
			}
		}
		if n := countRows(t, s, "persons"); n != 0 {
			t.Errorf("%d persons while justice is down", n)
		}
	})
	t.Run("status says justice is behind", func(t *testing.T) {
		j := statusOf(sc, connectors.Justice)
		if j.Completed || !j.Behind || j.ConsecutiveFailures < 2 || j.NextAttempt.IsZero() && !j.Running {
			t.Errorf("justice: %+v; want behind, failing, another pass due", j)
		}
		for _, src := range others {
			if st := statusOf(sc, src); st.Behind || st.ConsecutiveFailures != 0 {
				t.Errorf("%s: %+v; want not behind", src, st)
			}
		}
		select {
		case <-sc.Synced():
			t.Error("Synced is closed while justice has never completed a pass")
		default:
		}
		if n := cl.n(); n != 0 {
			t.Errorf("OnChange was called %d times before justice's data was in the store", n)
		}
	})

	srcs.flaky[connectors.Justice].down.Store(false)
	awaitSynced(t, sc)
	if j := statusOf(sc, connectors.Justice); !j.Completed || j.Behind || j.Failures < 3 {
		t.Errorf("justice after it came back: %+v", j)
	}
	// Memberships written before their persons arrived are linked.
	members := s.Client.FamilyMembership.Query().Where(familymembership.PersonIDIsNil()).CountX(context.Background())
	if want := ref.Client.FamilyMembership.Query().Where(familymembership.PersonIDIsNil()).CountX(context.Background()); members != want {
		t.Errorf("%d memberships unlinked, a clean sync leaves %d", members, want)
	}
	sameAsCleanSync(t, s, ref)
	select {
	case m := <-cl.ch:
		if want := mustMark(t, s); m != want {
			t.Errorf("OnChange got mark %q, want the store's %q", m, want)
		}
	case <-time.After(5 * time.Minute):
		t.Fatal("OnChange was not called once justice completed its pass")
	}
}

// growing is a feed that pages can be added to while a scheduler reads it.
type growing struct {
	mu sync.Mutex
	f  *synctest.Feed
}

func (g *growing) Source() connectors.Source { return g.f.Src }

func (g *growing) Next(ctx context.Context, cursor string) (*connectors.Page, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.f.Next(ctx, cursor)
}

func (g *growing) add(p *connectors.Page) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.f.Pages = append(g.f.Pages, p)
}

// OnChange runs once every source has completed a pass, then whenever any source moved; moves
// made while it runs are coalesced into one call.
func TestSchedulerOnChangeAfterAnySourceMoved(t *testing.T) {
	c := country(t, 2, 1000)
	fs := synctest.CountryFeeds(c, 200)
	// The last page of labour, education and health is held back, to arrive later.
	held := map[connectors.Source]*connectors.Page{}
	var feeds []connectors.Feed
	grow := map[connectors.Source]*growing{}
	for _, f := range fs {
		if f.Src == connectors.Labour || f.Src == connectors.Education || f.Src == connectors.Health {
			held[f.Src] = f.Pages[len(f.Pages)-1]
			f.Pages = f.Pages[:len(f.Pages)-1]
		}
		g := &growing{f: f}
		grow[f.Src] = g
		feeds = append(feeds, g)
	}
	s := storetest.Open(t)
	commits := make(chan connectors.Source, 1000)
	sy := syncer.New(s.Store, syncer.Options{Logger: quiet, AfterCommit: func(src connectors.Source, _ int) { commits <- src }})

	release := make(chan struct{})
	var mu sync.Mutex
	var marks []string
	got := make(chan string, 10)
	onChange := func(ctx context.Context, mark string) error {
		mu.Lock()
		marks = append(marks, mark)
		first := len(marks) == 1
		mu.Unlock()
		got <- mark
		if first {
			<-release // hold the first call while two sources move
		}
		return nil
	}
	sc, err := syncer.NewScheduler(sy, syncer.ScheduleOptions{Interval: 5 * time.Millisecond, OnChange: onChange, Logger: quiet}, feeds...)
	if err != nil {
		t.Fatal(err)
	}
	stop := running(t, sc)
	next := func(what string) string {
		t.Helper()
		select {
		case m := <-got:
			return m
		case <-time.After(5 * time.Minute):
			t.Fatalf("OnChange was not called %s", what)
			return ""
		}
	}
	awaitApplied := func(srcs ...connectors.Source) {
		t.Helper()
		want := map[connectors.Source]bool{}
		for _, src := range srcs {
			want[src] = true
		}
		for len(want) > 0 {
			select {
			case src := <-commits:
				delete(want, src)
			case <-time.After(5 * time.Minute):
				t.Fatalf("the pages of %v were not applied", want)
			}
		}
	}

	if m := next("after the first passes"); m != mustMark(t, s) {
		t.Errorf("first call: mark %q, want the store's %q", m, mustMark(t, s))
	}
	for len(commits) > 0 {
		<-commits
	}
	grow[connectors.Labour].add(held[connectors.Labour])
	grow[connectors.Health].add(held[connectors.Health])
	awaitApplied(connectors.Labour, connectors.Health)
	afterBoth := mustMark(t, s)
	close(release)
	if m := next("after labour and health moved"); m != afterBoth {
		t.Errorf("second call: mark %q, want the store's after both moves %q", m, afterBoth)
	}

	grow[connectors.Education].add(held[connectors.Education])
	awaitApplied(connectors.Education)
	if m := next("after education moved"); m != mustMark(t, s) {
		t.Errorf("third call: mark %q, want the store's %q", m, mustMark(t, s))
	}
	stop()
	mu.Lock()
	n := len(marks)
	mu.Unlock()
	if n != 3 {
		t.Errorf("OnChange was called %d times, want 3: once after the first passes, once for two sources that moved during it, once for the third", n)
	}
	ref := storetest.Open(t)
	if _, err := syncer.New(ref.Store, syncer.Options{Logger: quiet}).Run(context.Background(), synctest.Feeds(synctest.CountryFeeds(c, 200))...); err != nil {
		t.Fatal(err)
	}
	sameAsCleanSync(t, s, ref)
}

// failing fails its first n calls.
type failing struct {
	connectors.Feed
	n atomic.Int64
}

func (f *failing) Next(ctx context.Context, cursor string) (*connectors.Page, error) {
	if f.n.Add(-1) >= 0 {
		return nil, errors.New("503 Service Unavailable (test)")
	}
	return f.Feed.Next(ctx, cursor)
}

// With no interval, Run syncs each source until one pass succeeds, failed first passes
// retried, and returns once all have and OnChange has run.
func TestSchedulerOncePassRetriesUntilDone(t *testing.T) {
	c := country(t, 2, 1000)
	var feeds []connectors.Feed
	for _, f := range synctest.CountryFeeds(c, 200) {
		ff := &failing{Feed: f}
		ff.n.Store(3)
		feeds = append(feeds, ff)
	}
	s := storetest.Open(t)
	cl := newCalls()
	sc, err := syncer.NewScheduler(syncer.New(s.Store, syncer.Options{Logger: quiet}), syncer.ScheduleOptions{
		MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, OnChange: cl.onChange, Logger: quiet}, feeds...)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc.Run(context.Background())
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		t.Fatalf("Run did not return: %+v", sc.Status())
	}
	for _, st := range sc.Status() {
		if !st.Completed || st.Failures != 3 || st.Passes != 1 || !st.NextAttempt.IsZero() {
			t.Errorf("%s: %+v; want completed after 3 failed passes, none due", st.Source, st)
		}
	}
	if n := cl.n(); n != 1 {
		t.Errorf("OnChange called %d times, want 1", n)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(sc.Collectors()...)
	want := `
# HELP birlik_sync_passes_total Passes over the source's feed, by outcome (ok, error).
# TYPE birlik_sync_passes_total counter
birlik_sync_passes_total{outcome="error",source="education"} 3
birlik_sync_passes_total{outcome="error",source="finance"} 3
birlik_sync_passes_total{outcome="error",source="health"} 3
birlik_sync_passes_total{outcome="error",source="justice"} 3
birlik_sync_passes_total{outcome="error",source="labour"} 3
birlik_sync_passes_total{outcome="ok",source="education"} 1
birlik_sync_passes_total{outcome="ok",source="finance"} 1
birlik_sync_passes_total{outcome="ok",source="health"} 1
birlik_sync_passes_total{outcome="ok",source="justice"} 1
birlik_sync_passes_total{outcome="ok",source="labour"} 1
# HELP birlik_sync_behind 1 when the source is behind its schedule: no pass completed yet, the last pass failed, or the last success is more than twice the interval ago.
# TYPE birlik_sync_behind gauge
birlik_sync_behind{source="education"} 0
birlik_sync_behind{source="finance"} 0
birlik_sync_behind{source="health"} 0
birlik_sync_behind{source="justice"} 0
birlik_sync_behind{source="labour"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "birlik_sync_passes_total", "birlik_sync_behind"); err != nil {
		t.Error(err)
	}
	ref := storetest.Open(t)
	if _, err := syncer.New(ref.Store, syncer.Options{Logger: quiet}).Run(context.Background(), synctest.Feeds(synctest.CountryFeeds(c, 200))...); err != nil {
		t.Fatal(err)
	}
	sameAsCleanSync(t, s, ref)
}

func TestNewSchedulerRefuses(t *testing.T) {
	s := storetest.Open(t)
	sy := syncer.New(s.Store, syncer.Options{Logger: quiet})
	f := &synctest.Feed{Src: connectors.Justice}
	for _, tc := range []struct {
		name  string
		opts  syncer.ScheduleOptions
		feeds []connectors.Feed
		want  string
	}{
		{"no feed", syncer.ScheduleOptions{}, nil, "at least one feed"},
		{"a source twice", syncer.ScheduleOptions{}, []connectors.Feed{f, f}, "justice has two feeds"},
		{"negative interval", syncer.ScheduleOptions{Interval: -time.Second}, []connectors.Feed{f}, "want 0"},
	} {
		if _, err := syncer.NewScheduler(sy, tc.opts, tc.feeds...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.want)
		}
	}
}

// A source is behind when it never completed a pass, when its last pass failed, or when its
// last success is more than twice the interval old; with no interval, only the first two.
func TestSchedulerBehind(t *testing.T) {
	s := storetest.Open(t)
	sy := syncer.New(s.Store, syncer.Options{Logger: quiet})
	f := &synctest.Feed{Src: connectors.Justice}
	every, err := syncer.NewScheduler(sy, syncer.ScheduleOptions{Interval: time.Minute}, f)
	if err != nil {
		t.Fatal(err)
	}
	once, err := syncer.NewScheduler(sy, syncer.ScheduleOptions{}, f)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		sc   *syncer.Scheduler
		st   syncer.SourceStatus
		want string // "" for not behind
	}{
		{"first pass running", every, syncer.SourceStatus{Running: true}, "first pass has not completed"},
		{"fresh", every, syncer.SourceStatus{Completed: true, LastSuccess: now.Add(-90 * time.Second)}, ""},
		{"stale", every, syncer.SourceStatus{Completed: true, LastSuccess: now.Add(-3 * time.Minute)}, "more than twice the interval (1m0s)"},
		{"failing", every, syncer.SourceStatus{Completed: true, LastSuccess: now, ConsecutiveFailures: 2, LastError: "circuit open"},
			"last 2 pass(es) failed: circuit open"},
		{"once, old", once, syncer.SourceStatus{Completed: true, LastSuccess: now.Add(-24 * time.Hour)}, ""},
		{"once, failing", once, syncer.SourceStatus{ConsecutiveFailures: 1, LastError: "HTTP 503"}, "failed: HTTP 503"},
	} {
		behind, why := syncer.SchedulerBehind(tc.sc, &tc.st, now)
		if behind != (tc.want != "") || !strings.Contains(why, tc.want) {
			t.Errorf("%s: behind %v (%q), want %v (%q)", tc.name, behind, why, tc.want != "", tc.want)
		}
	}
}
