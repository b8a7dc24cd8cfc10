package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5/pgconn"
)

// primaryKey marks a context whose reads go to the primary (Primary).
type primaryKey struct{}

// Primary returns ctx marked so that a Router sends its reads to the primary, not to the read
// replica: for the reads of a request that must see what was written (a finding's status, the
// audit log) or that follow the caller's own write. Without a read replica it changes nothing.
func Primary(ctx context.Context) context.Context {
	return context.WithValue(ctx, primaryKey{}, true)
}

// OnPrimary reports whether ctx was marked by Primary.
func OnPrimary(ctx context.Context) bool {
	v, _ := ctx.Value(primaryKey{}).(bool)
	return v
}

// MaxReplicaLag is how far (in time) the read replica may trail the primary before its
// readiness check calls it degraded. Reads keep going to it: what is not the caller's own
// write (see Router.Wrote) may be that much older than on the primary.
const MaxReplicaLag = 30 * time.Second

// replicaRetry is how soon after the read replica failed a read the Router tries it again
// (one ping, in the background; the reads go to the primary meanwhile).
const replicaRetry = time.Second

// Router is the Ent driver of the GraphQL reads when a read replica is configured
// (DATABASE_READ_URL): a Query outside a transaction goes to the replica (pipelined like the
// primary's reads), unless its context is marked Primary, the statement writes (Ent's INSERT …
// RETURNING), or the replica failed lately. Exec, Tx and BeginTx, and so every statement of a
// transaction, go to the primary. A read the replica fails for a reason of its own (a lost or
// refused connection, a conflict with recovery, a read-only refusal) is sent again to the
// primary, and the replica is left alone until a ping in the background finds it back.
type Router struct {
	dialect.Driver // the primary's driver: Exec, Tx, BeginTx, Dialect and the primary's reads

	primary *sql.DB
	replica dialect.Driver
	db      *sql.DB // the replica's connections

	down      atomic.Bool
	downErr   atomic.Value // string: why the replica was left alone
	lastProbe atomic.Int64 // unix nanoseconds of the last ping while down
	probing   atomic.Bool

	mu    sync.Mutex
	waits map[string]uint64 // caller → the primary's WAL position after the caller's last write

	replicaReads, primaryReads, fallbacks atomic.Int64
}

// NewRouter routes the reads of primary (the driver over primaryDB) to the replica's driver
// over replicaDB.
func NewRouter(primary dialect.Driver, primaryDB *sql.DB, replica dialect.Driver, replicaDB *sql.DB) *Router {
	return &Router{Driver: primary, primary: primaryDB, replica: replica, db: replicaDB, waits: map[string]uint64{}}
}

// Query sends a read to the replica or the primary (see Router).
func (r *Router) Query(ctx context.Context, query string, args, v any) error {
	if OnPrimary(ctx) || !readOnly(query) || !r.usable() {
		r.primaryReads.Add(1)
		return r.Driver.Query(ctx, query, args, v)
	}
	err := r.replica.Query(ctx, query, args, v)
	if err == nil {
		r.replicaReads.Add(1)
		return nil
	}
	if ctx.Err() != nil || !r.replicaFault(err) {
		return err
	}
	r.fallbacks.Add(1)
	r.primaryReads.Add(1)
	return r.Driver.Query(ctx, query, args, v)
}

// BeginTx starts a transaction on the primary with options (Ent's Client.BeginTx).
func (r *Router) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	b, ok := r.Driver.(interface {
		BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error)
	})
	if !ok {
		return nil, fmt.Errorf("store: the primary's driver %T cannot begin a transaction with options", r.Driver)
	}
	return b.BeginTx(ctx, opts)
}

// replicaFault reports whether err is the replica's, not the statement's (a PostgreSQL error
// the primary would give too), and leaves the replica alone when it is lost.
func (r *Router) replicaFault(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || ConnectionLost(err) {
		r.markDown(err)
		return true
	}
	switch {
	case strings.HasPrefix(pe.Code, "40"), // a conflict with recovery cancelled the statement
		strings.HasPrefix(pe.Code, "53"), // the replica is out of resources (connections)
		pe.Code == "25006":               // a read-only transaction refused a write
		return true
	}
	return false
}

func (r *Router) markDown(err error) {
	r.downErr.Store(err.Error())
	r.lastProbe.Store(time.Now().UnixNano())
	r.down.Store(true)
}

// usable reports whether reads may go to the replica now. While it is down, one ping every
// replicaRetry (in the background) looks for it.
func (r *Router) usable() bool {
	if !r.down.Load() {
		return true
	}
	if time.Since(time.Unix(0, r.lastProbe.Load())) >= replicaRetry && r.probing.CompareAndSwap(false, true) {
		r.lastProbe.Store(time.Now().UnixNano())
		go func() {
			defer r.probing.Store(false)
			ctx, cancel := context.WithTimeout(context.Background(), PingTimeout)
			defer cancel()
			if r.db.PingContext(ctx) == nil {
				r.down.Store(false)
			}
		}()
	}
	return false
}

// Served returns how many reads the replica and the primary served, and how many of the
// primary's were the replica's failures sent again.
func (r *Router) Served() (replica, primary, fallbacks int64) {
	return r.replicaReads.Load(), r.primaryReads.Load(), r.fallbacks.Load()
}

// Down reports whether reads are kept off the replica now, and why.
func (r *Router) Down() (bool, string) {
	if !r.down.Load() {
		return false, ""
	}
	s, _ := r.downErr.Load().(string)
	return true, s
}

// Check is the replica's readiness check: it answers, it is a standby, and it is no more than
// MaxReplicaLag behind the primary (its last replayed transaction's age, when the primary has
// written past what it replayed). An error keeps the reads on the primary until the replica
// answers again; the gateway still answers everything (degraded).
func (r *Router) Check(ctx context.Context) error {
	var standby bool
	var replayed sql.NullString
	var age sql.NullFloat64
	err := r.db.QueryRowContext(ctx, `SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text, EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8`).Scan(&standby, &replayed, &age)
	if err != nil {
		r.markDown(err)
		return fmt.Errorf("the read replica does not answer, reads go to the primary: %w", err)
	}
	r.down.Store(false)
	if !standby {
		return nil // a primary named as the read replica: up to date by definition
	}
	var current string
	if err := r.primary.QueryRowContext(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&current); err != nil {
		return nil // the primary's own check reports it
	}
	cur, _ := parseLSN(current)
	rep, ok := parseLSN(replayed.String)
	if ok && rep >= cur {
		return nil
	}
	if age.Valid && time.Duration(age.Float64*float64(time.Second)) > MaxReplicaLag {
		return fmt.Errorf("the read replica is %s behind the primary (more than %s): reads other than a caller's own writes may be that old", time.Duration(age.Float64*float64(time.Second)).Round(time.Second), MaxReplicaLag)
	}
	return nil
}

// Wrote notes that caller has just written: until the replica has replayed the primary's WAL up
// to its position now, Behind(caller) is true and the caller's reads go to the primary.
func (r *Router) Wrote(ctx context.Context, caller string) {
	if caller == "" {
		return
	}
	var s string
	if err := r.primary.QueryRowContext(context.WithoutCancel(ctx), `SELECT pg_current_wal_lsn()::text`).Scan(&s); err != nil {
		return // the primary does not answer: the write did not reach it either
	}
	lsn, ok := parseLSN(s)
	if !ok {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.waits[caller] = max(r.waits[caller], lsn)
	if len(r.waits) > 10000 {
		r.pruneLocked(ctx)
	}
}

// Behind reports whether caller wrote something the replica has not replayed yet (or the
// replica is not in use): its reads must go to the primary.
func (r *Router) Behind(ctx context.Context, caller string) bool {
	r.mu.Lock()
	want, ok := r.waits[caller]
	r.mu.Unlock()
	if !ok {
		return false
	}
	rep, ok := r.replayed(ctx)
	if !ok || rep < want {
		return true
	}
	r.mu.Lock()
	if r.waits[caller] == want {
		delete(r.waits, caller)
	}
	r.mu.Unlock()
	return false
}

// pruneLocked forgets the writes the replica has replayed. Call with r.mu held.
func (r *Router) pruneLocked(ctx context.Context) {
	rep, ok := r.replayed(ctx)
	if !ok {
		return
	}
	for c, w := range r.waits {
		if w <= rep {
			delete(r.waits, c)
		}
	}
}

// replayed is the replica's replay position (the primary's position when the replica is a
// primary itself).
func (r *Router) replayed(ctx context.Context) (uint64, bool) {
	if r.down.Load() {
		return 0, false
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), PingTimeout)
	defer cancel()
	var s sql.NullString
	if err := r.db.QueryRowContext(ctx, `SELECT COALESCE(pg_last_wal_replay_lsn(), pg_current_wal_lsn())::text`).Scan(&s); err != nil {
		r.markDown(err)
		return 0, false
	}
	return parseLSN(s.String)
}

// parseLSN reads a PostgreSQL WAL position, "16/B374D848".
func parseLSN(s string) (uint64, bool) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok {
		return 0, false
	}
	h, err1 := strconv.ParseUint(hi, 16, 32)
	l, err2 := strconv.ParseUint(lo, 16, 32)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return h<<32 | l, true
}

// Close closes the replica's driver (the primary's is the store client's).
func (r *Router) Close() error { return r.replica.Close() }

// openReplica opens the read replica at readURL as a Router of drv's reads. The replica need
// not answer now: until it does, the reads go to the primary.
func (s *Store) openReplica(ctx context.Context, readURL string, drv dialect.Driver, pipeline int) (*Router, error) {
	db, err := postgresDB(readURL)
	if err != nil {
		return nil, err
	}
	var rd dialect.Driver = entsql.OpenDB(dialect.Postgres, db)
	if pipeline >= 0 {
		rd = NewPipeline(rd.(*entsql.Driver), pipeline)
	}
	r := NewRouter(drv, s.DB, rd, db)
	pctx, cancel := context.WithTimeout(ctx, 2*PingTimeout)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		r.markDown(err)
	}
	return r, nil
}
