// Package audit owns the gateway's audit log: every read of a person's data becomes one entry
// (who: subject, role, client; when; the purpose; the operation and a hash of the query; the
// IINs whose data was returned, or only the query for aggregates), chained by SHA-256 to the
// entry before it so that a change, a removal or a reordering shows. Verify walks the chain.
//
// Writes are durable before the answer leaves: Log.Record blocks until the entry is committed,
// and the request fails when it cannot be. Concurrent requests are committed together (group
// commit: one statement or transaction per batch), so the log costs little at high concurrency.
//
// audit only appends and reads: it has no path that updates or deletes an entry (the store's
// privacy policy and, on PostgreSQL, a trigger refuse them). It does not decide what a caller
// may see; graph/access tells it what was read.
package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/auditentry"
	"github.com/birlik/birlik/ent/auditsubject"
	"github.com/birlik/birlik/ent/predicate"
	"github.com/birlik/birlik/ent/privacy"
	"github.com/birlik/birlik/store"
)

// GenesisHash is the prev_hash of the first entry.
var GenesisHash = strings.Repeat("0", 64)

// Entry is one read to record.
type Entry struct {
	At        time.Time
	Subject   string
	Role      string
	Client    string
	Purpose   string
	Operation string
	QueryHash string
	RequestID string
	Aggregate bool
	IINs      []domain.IIN
}

// QueryHash is the hex SHA-256 of a query's text.
func QueryHash(query string) string {
	h := sha256.Sum256([]byte(query))
	return hex.EncodeToString(h[:])
}

// canonical is the content an entry's hash covers, in a fixed order. The sequence number is not
// part of it: the chain (prev_hash) fixes the order, and Verify checks the numbering apart.
type canonical struct {
	V         int    `json:"v"`
	Prev      string `json:"prev"`
	At        string `json:"at"`
	Subject   string `json:"subject"`
	Role      string `json:"role"`
	Client    string `json:"client"`
	Purpose   string `json:"purpose"`
	Operation string `json:"operation"`
	QueryHash string `json:"query_hash"`
	Aggregate bool   `json:"aggregate"`
	IINs      string `json:"iins"`
	RequestID string `json:"request_id"`
}

// Hash returns the hash of an entry with the given content and previous hash.
func Hash(prev string, at time.Time, subject, role, client, purpose, operation, queryHash string, aggregate bool, iins, requestID string) string {
	b, _ := json.Marshal(canonical{
		V: 1, Prev: prev, At: at.UTC().Format(time.RFC3339Nano), Subject: subject, Role: role,
		Client: client, Purpose: purpose, Operation: operation, QueryHash: queryHash,
		Aggregate: aggregate, IINs: iins, RequestID: requestID,
	})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// HashOf recomputes the hash of a stored entry.
func HashOf(e *ent.AuditEntry) string {
	return Hash(e.PrevHash, e.At, e.Subject, e.Role, e.Client, e.Purpose, e.Operation, e.QueryHash, e.Aggregate, e.Iins, e.RequestID)
}

// joinIINs sorts, deduplicates and joins IINs.
func joinIINs(iins []domain.IIN) []string {
	s := make([]string, len(iins))
	for i, v := range iins {
		s[i] = string(v)
	}
	slices.Sort(s)
	return slices.Compact(s)
}

// Log appends entries to the store's audit log with group commit.
type Log struct {
	client  *ent.Client
	dialect string
	reqs    chan *pending
	done    chan struct{}
	closing sync.Once
	wg      sync.WaitGroup
	// MaxBatch is the most entries committed in one transaction.
	maxBatch int
	// head is the chain's head after the last batch sent (only the writer goroutine touches it).
	head head
	// PostgreSQL (dispatch): the slot of the one batch in flight, the batches to wait for on
	// Close, and whether the last batch left the in-memory head stale (written after the slot
	// was taken, read after it was taken again).
	inFlight  chan struct{}
	flights   sync.WaitGroup
	headStale bool
	m         logMetrics
	// db is the store's pool under client (PostgreSQL, when the client came from store.Open);
	// conn, taken from it on first use and kept, is the connection the batches are written on,
	// so that they never wait for the pool behind the gateway's queries (one batch is in flight
	// at a time).
	db   *sql.DB
	conn *sql.Conn
	// ping checks the store (store.Store.Ping) for Available, whose last answer is kept a
	// second under pingMu.
	ping    func(context.Context) error
	pingMu  sync.Mutex
	pingAt  time.Time
	pingErr error
}

type pending struct {
	e   Entry
	err chan error
	enq time.Time // when Record queued it
}

// logMetrics are the log's Prometheus metrics (Collectors registers them): where a request's
// wait for its entry goes.
type logMetrics struct {
	wait    prometheus.Histogram     // Record: queued to committed, what the log adds to a request
	queue   prometheus.Histogram     // queued to its batch's write started
	write   *prometheus.HistogramVec // a batch's write, by path
	entries prometheus.Histogram     // entries per batch
}

func newLogMetrics() logMetrics {
	buckets := []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}
	return logMetrics{
		wait: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "birlik_audit_wait_seconds",
			Help: "Time a request waits for its audit entry: from queued to committed.", Buckets: buckets}),
		queue: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "birlik_audit_queue_seconds",
			Help: "Time an audit entry waits before its batch is sent to the store.", Buckets: buckets}),
		write: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "birlik_audit_write_seconds",
			Help: "Time a batch of audit entries takes from sent to committed, by write path (chained: one statement after the head in memory; locked: under the chain's lock, after the store's head; sqlite).", Buckets: buckets}, []string{"path"}),
		entries: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "birlik_audit_batch_entries",
			Help: "Audit entries per batch (group commit).", Buckets: prometheus.ExponentialBuckets(1, 2, 9)}),
	}
}

// Collectors returns the log's metrics, to register with a Prometheus registry.
func (l *Log) Collectors() []prometheus.Collector {
	return []prometheus.Collector{l.m.wait, l.m.queue, l.m.write, l.m.entries}
}

// New starts a Log writing to the store st. Close it when done.
func New(st *store.Store) *Log {
	l := &Log{client: st.Client, dialect: st.Dialect, reqs: make(chan *pending, 1024), done: make(chan struct{}), maxBatch: 256, inFlight: make(chan struct{}, 1), m: newLogMetrics(), ping: st.Ping}
	if st.Dialect == dialect.Postgres {
		l.db = st.DB
	}
	l.wg.Add(1)
	go l.run()
	return l
}

// ErrClosed is returned by Record after Close.
var ErrClosed = errors.New("audit: the log is closed")

// Record appends e and returns once it is committed (or ctx ends, or the write fails: then the
// caller must not answer with the data).
func (l *Log) Record(ctx context.Context, e Entry) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	p := &pending{e: e, err: make(chan error, 1), enq: time.Now()}
	select {
	case l.reqs <- p:
	case <-l.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-p.err:
		l.m.wait.Observe(time.Since(p.enq).Seconds())
		return err
	case <-ctx.Done():
		// The entry may still be committed; the data is not returned either way.
		return ctx.Err()
	}
}

// Available reports whether the store the log writes to answers (store.Store.Ping), for a
// caller whose Record failed: when it does not, the lost store is the cause, not the log. An
// answer is reused for a second, so a burst of failed requests costs one query; it does not
// depend on ctx's end (a caller gone away says nothing about the store).
func (l *Log) Available(ctx context.Context) error {
	l.pingMu.Lock()
	defer l.pingMu.Unlock()
	if !l.pingAt.IsZero() && time.Since(l.pingAt) < time.Second {
		return l.pingErr
	}
	l.pingErr = l.ping(context.WithoutCancel(ctx))
	l.pingAt = time.Now()
	return l.pingErr
}

// Close stops the writer after the entries already queued.
func (l *Log) Close() error {
	l.closing.Do(func() { close(l.done) })
	l.wg.Wait()
	if l.conn != nil {
		return l.conn.Close()
	}
	return nil
}

// writer is what a batch is written on: the log's own connection when it has a pool to take
// one from, the client otherwise.
func (l *Log) writer(ctx context.Context) execQuerier {
	if l.db == nil {
		return l.client
	}
	if l.conn == nil {
		c, err := l.db.Conn(ctx)
		if err != nil {
			return l.client
		}
		l.conn = c
	}
	return l.conn
}

// dropConn lets the log's connection go after a failed write (the server may have closed it);
// the next batch takes another.
func (l *Log) dropConn() {
	if l.conn != nil {
		_ = l.conn.Close()
		l.conn = nil
	}
}

func (l *Log) run() {
	defer l.wg.Done()
	for {
		var first *pending
		select {
		case first = <-l.reqs:
		case <-l.done:
			// Drain what was queued before Close.
			for {
				select {
				case p := <-l.reqs:
					l.slot()
					l.dispatch([]*pending{p})
				default:
					l.flights.Wait()
					return
				}
			}
		}
		// Wait for a free slot before gathering the batch: the entries that arrive meanwhile
		// join it (group commit).
		l.slot()
		batch := []*pending{first}
	fill:
		for len(batch) < l.maxBatch {
			select {
			case p := <-l.reqs:
				batch = append(batch, p)
			default:
				break fill
			}
		}
		l.dispatch(batch)
	}
}

// slot waits until the batch before has been answered (PostgreSQL: one batch is in flight at a
// time, and the entries that arrive while it commits form the next, so each batch is a single
// round trip; two in flight, pipelined in gated transactions, made a request wait 12–13 ms
// instead of 7 ms at 16 clients). dispatch releases the slot once the batch is answered.
func (l *Log) slot() {
	if l.dialect == dialect.Postgres {
		l.inFlight <- struct{}{}
	}
}

// dispatch writes a batch. On SQLite: now, in this goroutine. On PostgreSQL the batch is chained
// after the head in memory and written by a goroutine while this one gathers the next: one
// autocommit statement on the log's own connection, which appends only if the store's head is
// still the one it was chained after. When it is not (another replica appended) the batch is
// written again by the locked path, which reads the head from the store, and the next batch
// reads it again too.
func (l *Log) dispatch(batch []*pending) {
	now := time.Now()
	for _, p := range batch {
		l.m.queue.Observe(now.Sub(p.enq).Seconds())
	}
	l.m.entries.Observe(float64(len(batch)))
	if l.dialect != dialect.Postgres {
		err := l.writeLocked(privacy.DecisionContext(context.Background(), privacy.Allow), l.prepare(batch))
		l.m.write.WithLabelValues("sqlite").Observe(time.Since(now).Seconds())
		answer(batch, err)
		return
	}
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	if l.headStale { // set by the batch before, which released the slot after setting it
		l.head, l.headStale = head{}, false
	}
	rows := l.prepare(batch)
	if !l.head.known {
		h, err := l.appendLocked(ctx, rows)
		l.head = h
		l.m.write.WithLabelValues("locked").Observe(time.Since(now).Seconds())
		answer(batch, err)
		<-l.inFlight
		return
	}
	l.chain(rows)
	last := rows[len(rows)-1]
	l.head = head{known: true, seq: last.seq, hash: last.hash}
	l.flights.Add(1)
	go func() {
		defer l.flights.Done()
		l.headStale = !l.fly(ctx, batch, rows)
		<-l.inFlight
	}()
}

// fly writes rows, chained after the head, and answers batch; it reports whether they were
// appended as chained (otherwise the in-memory head is not the store's).
func (l *Log) fly(ctx context.Context, batch []*pending, rows []row) bool {
	start, path := time.Now(), "chained"
	// The write is observed before the batch is answered, so that a request sees it counted.
	answer := func(err error) {
		l.m.write.WithLabelValues(path).Observe(time.Since(start).Seconds())
		answer(batch, err)
	}
	ok, err := l.insert(ctx, l.writer(ctx), rows, rows[0].seq-1)
	if err != nil && !isUniqueViolation(err) {
		l.dropConn()
		if !store.ConnectionLost(err) {
			answer(err)
			return false
		}
		// PostgreSQL terminated the log's connection (a failover, a restart): the batch is
		// written again under the lock, after the store's head, on another connection. Were
		// the lost statement committed after all, the entries appear twice in the chain:
		// a read recorded twice, never one not recorded.
		path = "locked"
		_, err = l.appendLocked(ctx, rows)
		answer(err)
		return false
	}
	if err == nil && ok {
		answer(nil)
		return true
	}
	// Another writer appended: append again under the lock, after the store's head.
	path = "locked"
	_, err = l.appendLocked(ctx, rows)
	answer(err)
	return false
}

func answer(batch []*pending, err error) {
	for _, p := range batch {
		p.err <- err
	}
}

// appendLockClass is the PostgreSQL advisory lock that serialises appends across replicas: the
// two-key form (class, hash of the schema), so that it shares nothing with the one-key locks of
// sync and migrations (a sync page must not hold up every audited read) and each schema's log
// (tests, several deployments in one database) has its own.
const appendLockClass = 7235100

// head is the chain's last entry as this writer last saw it.
type head struct {
	known bool
	seq   int64
	hash  string
}

// appendLocked appends rows after the store's head, read under the chain's lock, and returns
// the new head (unknown on error). Other replicas' unlocked appends (their hot path) can still
// land between the read and the insert: then it reads the head again (the insert's own check
// inserted nothing) or starts over (the unique index refused it), a few times.
func (l *Log) appendLocked(ctx context.Context, rows []row) (h head, err error) {
	for attempt := 0; attempt < 20; attempt++ {
		h, err = l.appendLockedOnce(ctx, rows)
		if err == nil || !(isUniqueViolation(err) || errors.Is(err, errHeadMoved)) {
			return h, err
		}
	}
	return h, err
}

var errHeadMoved = errors.New("audit: the chain's head moved")

func (l *Log) appendLockedOnce(ctx context.Context, rows []row) (head, error) {
	tx, err := l.client.Tx(ctx)
	if err != nil {
		return head{}, fmt.Errorf("audit: begin: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))", appendLockClass); err != nil {
		_ = tx.Rollback()
		return head{}, fmt.Errorf("audit: lock the chain: %w", err)
	}
	h, err := readHead(ctx, tx)
	if err != nil {
		_ = tx.Rollback()
		return head{}, err
	}
	chainAfter(h, rows)
	ok, err := l.insert(ctx, tx, rows, h.seq)
	if err == nil && !ok {
		err = fmt.Errorf("%w after seq %d (another replica appended)", errHeadMoved, h.seq)
	}
	if err != nil {
		_ = tx.Rollback()
		return head{}, err
	}
	if err := tx.Commit(); err != nil {
		return head{}, fmt.Errorf("audit: commit: %w", err)
	}
	last := rows[len(rows)-1]
	return head{known: true, seq: last.seq, hash: last.hash}, nil
}

// isUniqueViolation reports whether err is PostgreSQL's unique_violation (another writer took
// the same seq).
func isUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "23505"
}

// writeLocked appends rows on SQLite in one transaction holding the write lock (BEGIN
// IMMEDIATE), reading the head when it is not known; the insert itself checks the head, so
// another process's append is found and the batch rehashed after it.
func (l *Log) writeLocked(ctx context.Context, rows []row) (err error) {
	tx, err := l.client.Tx(ctx)
	if err != nil {
		l.head = head{}
		return fmt.Errorf("audit: begin: %w", err)
	}
	defer func() {
		if err != nil {
			l.head = head{} // re-read the head next time: the batch may have half-failed
			_ = tx.Rollback()
		}
	}()
	for attempt := 0; ; attempt++ {
		if !l.head.known {
			h, err := readHead(ctx, tx)
			if err != nil {
				return err
			}
			l.head = h
		}
		l.chain(rows)
		ok, err := l.insert(ctx, tx, rows, l.head.seq)
		if err != nil {
			return err
		}
		if ok {
			break
		}
		if attempt > 0 {
			// Under the write lock the head cannot move between our read and our insert: a
			// second miss is a bug, not a race.
			return fmt.Errorf("audit: the chain's head moved under the lock (seq %d)", l.head.seq)
		}
		l.head = head{} // another writer appended: read the head again
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("audit: commit: %w", err)
	}
	last := rows[len(rows)-1]
	l.head = head{known: true, seq: last.seq, hash: last.hash}
	return nil
}

// row is one entry ready to insert.
type row struct {
	e      Entry
	at     time.Time
	iins   []string
	joined string
	seq    int64
	prev   string
	hash   string
}

func (l *Log) prepare(batch []*pending) []row {
	rows := make([]row, len(batch))
	for i, p := range batch {
		iins := joinIINs(p.e.IINs)
		rows[i] = row{e: p.e, at: p.e.At.UTC().Truncate(time.Microsecond), // PostgreSQL keeps microseconds
			iins: iins, joined: strings.Join(iins, ",")}
	}
	return rows
}

// chain numbers and hashes rows after l.head.
func (l *Log) chain(rows []row) { chainAfter(l.head, rows) }

// chainAfter numbers and hashes rows after the entry h.
func chainAfter(h head, rows []row) {
	prev, seq := h.hash, h.seq
	for i := range rows {
		r := &rows[i]
		seq++
		r.seq, r.prev = seq, prev
		r.hash = Hash(prev, r.at, r.e.Subject, r.e.Role, r.e.Client, r.e.Purpose, r.e.Operation, r.e.QueryHash, r.e.Aggregate, r.joined, r.e.RequestID)
		prev = r.hash
	}
}

type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// readHead reads the chain's last entry.
func readHead(ctx context.Context, tx execQuerier) (head, error) {
	rs, err := tx.QueryContext(ctx, "SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1")
	if err != nil {
		return head{}, fmt.Errorf("audit: read the chain's head: %w", err)
	}
	defer rs.Close()
	h := head{known: true, hash: GenesisHash}
	if rs.Next() {
		if err := rs.Scan(&h.seq, &h.hash); err != nil {
			return head{}, fmt.Errorf("audit: read the chain's head: %w", err)
		}
	}
	if err := rs.Err(); err != nil {
		return head{}, fmt.Errorf("audit: read the chain's head: %w", err)
	}
	return h, nil
}

const entryColumns = "seq, at, subject, role, client, purpose, operation, query_hash, aggregate, iins, request_id, prev_hash, hash"

// pgInsert appends entries and their subjects in one statement, from arrays (one statement text
// whatever the batch size), only if the log's head is still the given seq; it answers the
// number of entries inserted.
const pgInsert = `WITH head AS (SELECT coalesce(max(seq), 0) AS seq FROM audit_entries),
e AS (
  INSERT INTO audit_entries (` + entryColumns + `)
  SELECT u.seq, u.at, u.subject, u.role, u.client, u.purpose, u.operation, u.query_hash, u.aggregate, u.iins, u.request_id, u.prev_hash, u.hash
  FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::boolean[], $10::text[], $11::text[], $12::text[], $13::text[])
    AS u(seq, at, subject, role, client, purpose, operation, query_hash, aggregate, iins, request_id, prev_hash, hash), head
  WHERE $14 < 0 OR head.seq = $14
  RETURNING id, seq),
s AS (
  INSERT INTO audit_subjects (iin, entry_id)
  SELECT x.iin, e.id FROM unnest($15::text[], $16::bigint[]) AS x(iin, seq) JOIN e ON e.seq = x.seq)
SELECT count(*) FROM e`

// insert appends rows (entries and subjects) after l.head; false when the head has moved and
// nothing was inserted.
func (l *Log) insert(ctx context.Context, tx execQuerier, rows []row, guard int64) (bool, error) {
	if l.dialect == dialect.Postgres {
		n := len(rows)
		var (
			seqs                    = make([]int64, n)
			ats                     = make([]time.Time, n)
			subj, role, cl, purp    = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			op, qh, iins, rid, prev = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			hash                    = make([]string, n)
			agg                     = make([]bool, n)
			sIIN                    []string
			sSeq                    []int64
		)
		for i, r := range rows {
			seqs[i], ats[i], subj[i], role[i], cl[i], purp[i] = r.seq, r.at, r.e.Subject, r.e.Role, r.e.Client, r.e.Purpose
			op[i], qh[i], agg[i], iins[i], rid[i], prev[i], hash[i] = r.e.Operation, r.e.QueryHash, r.e.Aggregate, r.joined, r.e.RequestID, r.prev, r.hash
			for _, v := range r.iins {
				sIIN, sSeq = append(sIIN, v), append(sSeq, r.seq)
			}
		}
		if sIIN == nil {
			sIIN, sSeq = []string{}, []int64{}
		}
		var inserted int
		rs, err := tx.QueryContext(ctx, pgInsert, seqs, ats, subj, role, cl, purp, op, qh, agg, iins, rid, prev, hash, guard, sIIN, sSeq)
		if err != nil {
			return false, fmt.Errorf("audit: append %d entries: %w", n, err)
		}
		defer rs.Close()
		if rs.Next() {
			if err := rs.Scan(&inserted); err != nil {
				return false, fmt.Errorf("audit: append %d entries: %w", n, err)
			}
		}
		if err := rs.Err(); err != nil {
			return false, fmt.Errorf("audit: append %d entries: %w", n, err)
		}
		if inserted != 0 && inserted != n {
			return false, fmt.Errorf("audit: appended %d of %d entries", inserted, n)
		}
		return inserted == n, nil
	}
	// SQLite: no data-modifying CTEs; the transaction holds the write lock (BEGIN IMMEDIATE),
	// so the head checked by the first statement stays the head.
	ids := make(map[int64]int64, len(rows))
	for start := 0; start < len(rows); start += sqliteEntriesPerStatement {
		part := rows[start:min(start+sqliteEntriesPerStatement, len(rows))]
		var q strings.Builder
		q.WriteString("INSERT INTO audit_entries (" + entryColumns + ") SELECT * FROM (VALUES ")
		args := make([]any, 0, len(part)*13+1)
		for i, r := range part {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?)")
			args = append(args, r.seq, r.at, r.e.Subject, r.e.Role, r.e.Client, r.e.Purpose, r.e.Operation, r.e.QueryHash, r.e.Aggregate, r.joined, r.e.RequestID, r.prev, r.hash)
		}
		q.WriteString(") WHERE (SELECT coalesce(max(seq), 0) FROM audit_entries) = ? RETURNING id, seq")
		args = append(args, part[0].seq-1)
		rs, err := tx.QueryContext(ctx, q.String(), args...)
		if err != nil {
			return false, fmt.Errorf("audit: append %d entries: %w", len(part), err)
		}
		for rs.Next() {
			var id, seq int64
			if err := rs.Scan(&id, &seq); err != nil {
				rs.Close()
				return false, fmt.Errorf("audit: append %d entries: %w", len(part), err)
			}
			ids[seq] = id
		}
		err = rs.Err()
		rs.Close()
		if err != nil {
			return false, fmt.Errorf("audit: append %d entries: %w", len(part), err)
		}
		if len(ids) == 0 && start == 0 {
			return false, nil // the head moved before anything was written
		}
		if len(ids) != start+len(part) {
			return false, fmt.Errorf("audit: appended %d of %d entries", len(ids), start+len(part))
		}
	}
	var (
		q    strings.Builder
		args []any
	)
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, q.String(), args...)
		q.Reset()
		args = args[:0]
		if err != nil {
			return fmt.Errorf("audit: index the entries by IIN: %w", err)
		}
		return nil
	}
	for _, r := range rows {
		for _, v := range r.iins {
			if len(args) == 0 {
				q.WriteString("INSERT INTO audit_subjects (iin, entry_id) VALUES (?,?)")
			} else {
				q.WriteString(",(?,?)")
			}
			args = append(args, v, ids[r.seq])
			if len(args) >= 2*sqliteSubjectsPerStatement {
				if err := flush(); err != nil {
					return false, err
				}
			}
		}
	}
	return true, flush()
}

// Rows per SQLite statement (13 and 2 parameters each, well under SQLite's 32,766).
const (
	sqliteEntriesPerStatement  = 500
	sqliteSubjectsPerStatement = 2000
)

// Page is a page of the entries naming one person, newest first.
type Page struct {
	Entries     []*ent.AuditEntry
	HasNextPage bool
	TotalCount  int
}

// naming selects the entries naming iin as "id IN (SELECT entry_id FROM audit_subjects WHERE
// iin = …)". Ent's HasSubjectsWith says the same as a correlated EXISTS, which SQLite tests on
// every entry of the log, newest first, and for the count on all of them: a person's page
// cost the whole log, which grows with every read. The IN list starts from the subjects'
// (iin, entry_id) index: a page costs the entries naming the person (TestForPersonPlan).
func naming(iin domain.IIN) predicate.AuditEntry {
	return func(s *entsql.Selector) {
		d := entsql.Dialect(s.Dialect())
		t := d.Table(auditsubject.Table)
		s.Where(entsql.In(s.C(auditentry.FieldID),
			d.Select(t.C(auditsubject.FieldEntryID)).From(t).Where(entsql.EQ(t.C(auditsubject.FieldIin), string(iin)))))
	}
}

// ForPerson returns up to first entries naming iin, newest first, older than the entry with
// sequence number before (0: from the newest). It reads with ctx's identity, so the store's
// policy applies: a citizen reads only the entries naming them.
func ForPerson(ctx context.Context, client *ent.Client, iin domain.IIN, first int, before int64) (Page, error) {
	base := client.AuditEntry.Query().Where(naming(iin))
	total, err := base.Clone().Count(ctx)
	if err != nil {
		return Page{}, fmt.Errorf("audit: count the reads of a person: %w", err)
	}
	q := base.Clone()
	if before > 0 {
		q = q.Where(auditentry.SeqLT(before))
	}
	entries, err := q.Order(ent.Desc(auditentry.FieldSeq)).Limit(first + 1).All(ctx)
	if err != nil {
		return Page{}, fmt.Errorf("audit: read the reads of a person: %w", err)
	}
	p := Page{TotalCount: total}
	if len(entries) > first {
		p.HasNextPage = true
		entries = entries[:first]
	}
	p.Entries = entries
	return p, nil
}
