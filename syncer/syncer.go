// Package syncer is Birlik's sync engine: it pulls each source's change feed
// (connectors.Feed) into the Ent store. Every page is applied in one transaction together with
// the cursor after it, as idempotent upserts by natural key that rewrite a row only when its
// content changed, so a sync killed at any moment and run again ends with the same store as an
// uninterrupted one, and a second run with no source change writes nothing. It also stores
// quarantined records, appends the change sequence (persons, coverage, attachments) that the
// medical information system pages, and links rows to the records they name.
//
// Writers are serialised (a PostgreSQL advisory lock in every transaction; SQLite's single
// writer), so change numbers commit in order. Run pulls the feeds one after another (the
// `birlik sync` command); a Scheduler pulls each on its own schedule, so that a source that is
// down holds back no other (the gateway). The package must not decode any source's format
// (connectors do) nor judge the data (checks do).
package syncer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"entgo.io/ent/dialect"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/store"
)

// Options configure a Syncer. The zero value logs with slog.Default and shows no progress bar.
type Options struct {
	// Logger receives one line per feed started and finished, and periodic progress lines when
	// no progress bar is shown (default slog.Default()).
	Logger *slog.Logger
	// Progress, when it is a terminal, shows a progress bar per source (typically os.Stderr).
	// Leave it nil under a Scheduler: its sources' bars would share the terminal.
	Progress io.Writer
	// LogEvery is the interval of progress log lines (default 5s).
	LogEvery time.Duration
	// OnProgress, when set, is called as a feed's pages are applied with the records of the
	// source applied so far and the feed's total as the source last announced it (0: unknown);
	// the gateway prints a first start's progress from it.
	OnProgress func(src connectors.Source, records, total int64)
	// AfterCommit, when set, is called after each page's transaction commits (tests use it).
	AfterCommit func(src connectors.Source, pages int)
}

// Syncer applies change feeds to one store.
type Syncer struct {
	db   *sql.DB
	d    string
	opts Options
	mu   sync.Mutex // one writer at a time in this process
	pg   pgTypes    // PostgreSQL: column types and statements of the write path
	// analyzed and grown count, per table, the rows written by this Syncer up to its last
	// ANALYZE and since (PostgreSQL).
	analyzed, grown map[string]int64
	// linked is the Mark this Syncer's last successful link pass ran after (under mu).
	linked Since
}

// New returns a Syncer writing to the store st.
func New(st *store.Store, opts Options) *Syncer {
	db, d := st.DB, st.Dialect
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.LogEvery <= 0 {
		opts.LogEvery = 5 * time.Second
	}
	return &Syncer{db: db, d: d, opts: opts}
}

// FeedStats is what syncing one feed did.
type FeedStats struct {
	Source      connectors.Source
	Pages       int   // pages applied (pages that changed nothing are not written)
	Records     int64 // records received, valid and quarantined
	Written     int64 // rows inserted or updated
	Changes     int64 // entries appended to the change sequence
	Quarantined int64 // quarantined records stored
	Duration    time.Duration
}

// Stats is what a Run did.
type Stats struct {
	Feeds  []FeedStats
	Linked int64 // foreign keys filled in by the final link pass
	// LinkSkipped is set when the link pass did not run: no page was applied to the store since
	// this Syncer's last successful pass (Mark unchanged).
	LinkSkipped bool
	// Mark is the store's Mark after the run's pages ("" when the run failed before reading it):
	// what is derived from the data afterwards can compare it with its own last pass (Since).
	Mark string
}

// Since remembers the Mark that a pass over the synced data (links, findings, assessments) last
// succeeded after. The zero value has seen no pass: Changed is true until Done.
type Since struct {
	ok   bool
	mark string
}

// Changed reports whether a pass is due at mark: none succeeded yet, or the data moved since.
func (s *Since) Changed(mark string) bool { return !s.ok || mark != s.mark }

// Done records a pass that succeeded at mark.
func (s *Since) Done(mark string) { s.ok, s.mark = true, mark }

// Written is the number of rows inserted, updated or linked.
func (s Stats) Written() int64 {
	n := s.Linked
	for _, f := range s.Feeds {
		n += f.Written
	}
	return n
}

// Run syncs each feed in turn, from its stored cursor to the end of the feed, then links rows to
// the records other sources sent later. Feeds are applied one after another so the change
// sequence is the same on every run over the same data.
//
// The link pass is a write transaction that visits every unlinked reference, so it is skipped
// when no page was applied since this Syncer's last successful pass (by it or by another
// process: Mark is the store's); a run that finds nothing new then holds no write lock at all,
// which on SQLite would make every audited read wait. The first run of a Syncer always links,
// so links a process died before making are made by the next one.
func (s *Syncer) Run(ctx context.Context, feeds ...connectors.Feed) (Stats, error) {
	var st Stats
	for _, f := range feeds {
		fs, err := s.SyncFeed(ctx, f)
		st.Feeds = append(st.Feeds, fs)
		if err != nil {
			return st, err
		}
	}
	var err error
	st.Mark, st.Linked, st.LinkSkipped, err = s.linkIfMoved(ctx)
	return st, err
}

// linkIfMoved runs the link pass unless the store's Mark is the one this Syncer's last
// successful pass ran after, and returns that Mark ("" when it could not be read), the links
// made and whether the pass was skipped. Pages applied while the pass runs may move the store
// past the returned Mark: the next call then links again, which only costs a pass.
func (s *Syncer) linkIfMoved(ctx context.Context) (at string, linked int64, skipped bool, err error) {
	at, err = mark(ctx, s.db, s.d)
	if err != nil {
		return "", 0, false, err
	}
	s.mu.Lock()
	skipped = !s.linked.Changed(at)
	s.mu.Unlock()
	if skipped {
		return at, 0, true, nil
	}
	linked, err = s.Link(ctx)
	if err == nil {
		s.mu.Lock()
		s.linked.Done(at)
		s.mu.Unlock()
	}
	return at, linked, false, err
}

type fetched struct {
	page *connectors.Page
	err  error
}

// SyncFeed applies feed from its stored cursor until the feed says Done. While a page is
// written, the next one is already being fetched. Feeds of different sources may be synced
// at once: their pages are written one at a time.
func (s *Syncer) SyncFeed(ctx context.Context, feed connectors.Feed) (st FeedStats, err error) {
	src := feed.Source()
	st.Source = src
	start := time.Now()
	defer func() { st.Duration = time.Since(start) }()

	cur, err := readCursor(ctx, s.db, s.d, src)
	if err != nil {
		return st, err
	}

	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan fetched, 1)
	fetch := func(c string) {
		go func() {
			p, err := feed.Next(fctx, c)
			next <- fetched{p, err}
		}()
	}
	fetch(cur.cursor)
	prog := s.newProgress(src, cur.records)
	defer prog.finish()
	for {
		var f fetched
		select {
		case f = <-next:
		case <-ctx.Done():
			return st, ctx.Err()
		}
		if f.err != nil {
			return st, fmt.Errorf("sync %s: fetch the page after cursor %q: %w", src, cur.cursor, f.err)
		}
		p := f.page
		if p.Source == "" {
			p.Source = src
		}
		if p.Source != src {
			return st, fmt.Errorf("sync %s: the feed returned a page of source %q", src, p.Source)
		}
		if p.Cursor == "" {
			p.Cursor = cur.cursor // an empty cursor never moves a feed back to its start
		}
		if !p.Done {
			fetch(p.Cursor) // prefetch while this page is written
		}
		n := int64(p.Len())
		st.Records += n
		if n > 0 || p.Cursor != cur.cursor || p.Done != cur.done || !cur.found {
			res, err := s.apply(ctx, p, cur.records+n)
			if err != nil {
				return st, fmt.Errorf("sync %s: apply the page after cursor %q: %w", src, cur.cursor, err)
			}
			st.Pages++
			st.Written += int64(res.written)
			st.Changes += int64(res.changes)
			st.Quarantined += int64(res.quarantined)
			cur = cursorState{cursor: p.Cursor, records: cur.records + n, done: p.Done, found: true}
			if s.opts.AfterCommit != nil {
				s.opts.AfterCommit(src, st.Pages)
			}
		}
		prog.update(cur.records, p.Total)
		if p.Done {
			break
		}
	}
	// A pass that found nothing new, the usual case between a source's changes, is a DEBUG line:
	// an idle gateway's log stays quiet.
	level := slog.LevelInfo
	if st.Written == 0 && st.Changes == 0 && st.Quarantined == 0 {
		level = slog.LevelDebug
	}
	s.opts.Logger.Log(ctx, level, "sync: feed done", "source", src, "records", st.Records, "written", st.Written,
		"changes", st.Changes, "quarantined", st.Quarantined, "pages", st.Pages, "took", time.Since(start).Round(time.Millisecond))
	return st, nil
}

// apply writes one page and its cursor in one transaction.
func (s *Syncer) apply(ctx context.Context, p *connectors.Page, records int64) (pageResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := begin(ctx, s.db, s.d)
	if err != nil {
		return pageResult{}, err
	}
	t.types = &s.pg
	res, err := applyPage(ctx, t, p, records)
	if err != nil {
		return res, errors.Join(err, rollback(t))
	}
	if err := t.Commit(); err != nil {
		return res, fmt.Errorf("commit: %w", err)
	}
	if s.d == dialect.Postgres {
		if err := s.analyze(ctx, res.tables); err != nil {
			return res, err
		}
	}
	return res, nil
}

// analyze refreshes PostgreSQL's statistics of the tables that grew by half since this Syncer
// last analyzed them (and by at least 10,000 rows), as autovacuum would: the write path's
// plans (and the readers') depend on them, and a server may run without autovacuum. Without
// statistics the planner takes a key of a non-unique index for one of 200 values and scans.
func (s *Syncer) analyze(ctx context.Context, written map[string]int) error {
	if s.grown == nil {
		s.analyzed, s.grown = map[string]int64{}, map[string]int64{}
	}
	for table, n := range written {
		s.grown[table] += int64(n)
		if g := s.grown[table]; g < 10000 || g < s.analyzed[table]/2 {
			continue
		}
		if _, err := s.db.ExecContext(ctx, `ANALYZE `+qi(table)); err != nil {
			return fmt.Errorf("analyze %s: %w", table, err)
		}
		s.analyzed[table] += s.grown[table]
		s.grown[table] = 0
	}
	return nil
}

func rollback(t *tx) error {
	if err := t.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("rollback: %w", err)
	}
	return nil
}

// progress reports a feed's progress: a bar on a terminal, log lines otherwise.
type progress struct {
	s       *Syncer
	src     connectors.Source
	bar     *progressbar.ProgressBar
	start   time.Time
	base    int64
	last    time.Time
	records int64
	total   int64
}

func (s *Syncer) newProgress(src connectors.Source, base int64) *progress {
	p := &progress{s: s, src: src, start: time.Now(), base: base, last: time.Now(), records: base}
	if f, ok := s.opts.Progress.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions64(-1,
			progressbar.OptionSetWriter(f),
			progressbar.OptionSetDescription(fmt.Sprintf("sync %-9s", src)),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("rec"),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionFullWidth(),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

func (p *progress) update(records, total int64) {
	p.records, p.total = records, total
	if f := p.s.opts.OnProgress; f != nil {
		f(p.src, records, total)
	}
	if p.bar != nil {
		if total > 0 && p.bar.GetMax64() != total {
			p.bar.ChangeMax64(total)
		}
		_ = p.bar.Set64(records)
		return
	}
	if time.Since(p.last) < p.s.opts.LogEvery {
		return
	}
	p.last = time.Now()
	p.log("sync: progress")
}

func (p *progress) log(msg string) {
	el := time.Since(p.start)
	rate := float64(p.records-p.base) / el.Seconds()
	args := []any{"source", p.src, "records", p.records, "rate_per_s", int64(rate)}
	if p.total > 0 {
		args = append(args, "total", p.total)
		if rate > 0 && p.total > p.records {
			args = append(args, "remaining", (time.Duration(float64(p.total-p.records)/rate) * time.Second).Round(time.Second))
		}
	}
	p.s.opts.Logger.Info(msg, args...)
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
