// Package lease elects, among the gateway replicas that share one store, the one that runs the
// background work (the sources' syncs and the derived work after them): any number of
// `birlik serve` processes can answer queries, and exactly one of them writes what the sources
// send.
//
// On PostgreSQL the lease is an advisory lock held by a connection of its own
// (pg_try_advisory_lock, released when that connection closes). A replica that dies (even by
// SIGKILL) loses its connection, and with it the lock, at once; the others
// try to take it every Options.Every and start leading two periods after they took it, so one of
// them leads again within three periods. The leader checks its connection every period, and
// stops its work when the connection or the lock is gone (pg_terminate_backend, a restart of the
// server) or does not answer within a period: the new leader's wait covers that, so two replicas
// work at once only when one is starved of CPU for longer, which the store's own locks make safe
// (sync's writers and the audit log's appends are serialised by transaction-level advisory
// locks), only wasteful.
//
// An SQLite store belongs to one process: the replica that opened it always leads.
package lease

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"log/slog"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/birlik/birlik/store"
)

// lockClass is the advisory lock of the lease, in the two-key form (class, hash of the schema)
// so that each schema's replicas (several deployments or tests in one database) elect their own
// leader, and it shares nothing with the transaction-level locks of sync, migrations and the
// audit log.
const lockClass = 7235200

// DefaultEvery is how often a follower tries to take the lease and a leader checks it holds it.
const DefaultEvery = 2 * time.Second

// Options tune a Lease.
type Options struct {
	// Every is how often a follower tries to take the lease and the leader checks its connection
	// (default DefaultEvery): a dead leader is replaced within about this time.
	Every time.Duration
	// Logger receives one line each time this replica takes or loses the lease.
	Logger *slog.Logger
}

// Lease is this replica's part in the election. Run takes part; Leading and Status tell where it
// stands.
type Lease struct {
	st    *store.Store
	every time.Duration
	log   *slog.Logger
	gauge prometheus.Gauge

	mu      sync.Mutex
	leading bool
	since   time.Time // when this replica took the lease, or when it last lost or tried it
}

// New returns the lease of the store st.
func New(st *store.Store, o Options) *Lease {
	if o.Every <= 0 {
		o.Every = DefaultEvery
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	l := &Lease{st: st, every: o.Every, log: o.Logger,
		gauge: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "birlik_leader",
			Help: "1 while this replica holds the lease and runs the syncs and the derived work, 0 while another replica does.",
		})}
	l.set(st.Dialect != dialect.Postgres) // an SQLite store's one process leads from the start
	return l
}

// Collectors returns the lease's metrics, to register with a Prometheus registry.
func (l *Lease) Collectors() []prometheus.Collector { return []prometheus.Collector{l.gauge} }

// Status says whether this replica leads, and since when it has led or followed.
func (l *Lease) Status() (leading bool, since time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.leading, l.since
}

// Leading reports whether this replica holds the lease now.
func (l *Lease) Leading() bool {
	leading, _ := l.Status()
	return leading
}

func (l *Lease) set(leading bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.leading != leading || l.since.IsZero() {
		l.since = time.Now()
	}
	l.leading = leading
	if leading {
		l.gauge.Set(1)
	} else {
		l.gauge.Set(0)
	}
}

// Run takes part in the election until ctx ends: each time this replica takes the lease it calls
// lead with a context that ends when the lease is lost (or ctx ends), and waits for lead to
// return before it tries again. Run returns once ctx has ended and lead has returned.
func (l *Lease) Run(ctx context.Context, lead func(ctx context.Context)) {
	if l.st.Dialect != dialect.Postgres {
		lead(ctx)
		return
	}
	l.set(false)
	for {
		conn, err := l.take(ctx)
		if err != nil && ctx.Err() == nil {
			l.log.Warn("could not try to take the lease; trying again", "err", err, "every", l.every)
		}
		if conn != nil {
			l.hold(ctx, conn, lead)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(l.every):
		}
	}
}

// take tries the lock on a connection of its own; it returns the connection when it got the
// lock, and nil when another replica holds it.
func (l *Lease) take(ctx context.Context) (*sql.Conn, error) {
	tctx, cancel := context.WithTimeout(ctx, l.every)
	defer cancel()
	conn, err := l.st.DB.Conn(tctx)
	if err != nil {
		return nil, err
	}
	var got bool
	if err := conn.QueryRowContext(tctx, `SELECT pg_try_advisory_lock($1, hashtext(current_schema()))`, lockClass).Scan(&got); err != nil {
		discard(conn)
		return nil, err
	}
	if !got {
		_ = conn.Close() // back to the pool: it holds no lock
		return nil, nil
	}
	return conn, nil
}

// hold runs lead while conn holds the lock, checking it every l.every; then it lets the lock go
// with the connection.
func (l *Lease) hold(ctx context.Context, conn *sql.Conn, lead func(context.Context)) {
	defer discard(conn)
	// A leader whose connection was terminated works on until its next check fails (at most
	// two periods: the tick and the check's own timeout); a new leader waits that long before
	// it starts, so that the two do not work at once.
	grace := time.NewTimer(2 * l.every)
	for waiting := true; waiting; {
		select {
		case <-ctx.Done():
			grace.Stop()
			return
		case <-grace.C:
			waiting = false
		}
	}
	if err := l.check(ctx, conn); err != nil {
		return
	}
	l.set(true)
	l.log.Info("this replica took the lease: it runs the syncs and the derived work")
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		lead(lctx)
	}()
	tick := time.NewTicker(l.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			cancel()
			<-done
			l.set(false)
			return
		case <-done: // lead returned on its own: hand the lease to whoever takes it next
			cancel()
			l.set(false)
			return
		case <-tick.C:
		}
		if err := l.check(ctx, conn); err != nil && ctx.Err() == nil {
			l.log.Warn("this replica lost the lease: its syncs and derived work stop until it takes it again", "err", err)
			cancel()
			<-done
			l.set(false)
			return
		}
	}
}

// errLockGone: the connection answers but no longer holds the lock.
var errLockGone = errors.New("the lease's lock is no longer held by its connection")

// check asks the lease's connection whether it still holds the lock.
func (l *Lease) check(ctx context.Context, conn *sql.Conn) error {
	cctx, cancel := context.WithTimeout(ctx, l.every)
	defer cancel()
	var held bool
	err := conn.QueryRowContext(cctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
		AND classid = $1::int4::oid AND objid = hashtext(current_schema())::oid AND objsubid = 2)`, lockClass).Scan(&held)
	if err != nil {
		return err
	}
	if !held {
		return errLockGone
	}
	return nil
}

// discard closes conn for good, so that an advisory lock it may hold goes with it instead of
// staying with a pooled connection.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = conn.Close()
}
