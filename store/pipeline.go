package store

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
)

// NewDriver returns a new Ent driver over the store's database. On PostgreSQL it pipelines the
// reads Ent makes outside a transaction (see Pipeline); writes and transactions, and every
// statement on SQLite, go through database/sql as they are.
func (s *Store) NewDriver() dialect.Driver { return s.driver(0) }

// driver is NewDriver with the number of pipelining connections (Options.Pipeline).
func (s *Store) driver(pipeline int) dialect.Driver {
	drv := entsql.OpenDB(s.Dialect, s.DB)
	if s.Dialect != dialect.Postgres || pipeline < 0 {
		return drv
	}
	return NewPipeline(drv, pipeline)
}

// Pipeline is an Ent driver for PostgreSQL that sends concurrent reads together. A read (a
// SELECT, or a WITH of SELECTs such as entgql's page per parent, outside a transaction) waits
// in a queue; at most `senders` connections at once carry the queue to PostgreSQL, each taking
// every read waiting at that moment (up to maxBatch) and sending them in pgx's pipeline mode: one
// write carries them all and one read brings their rows back. With few requests each read goes
// alone, with no added wait; under load, the reads of many requests share one round trip
// instead of one each.
//
// Each read's rows are read in full before its caller scans them, and reach the caller as a
// *sql.Rows, so Ent scans them exactly as it scans rows from database/sql. A statement that
// fails (a PostgreSQL error) fails only its own read: the reads behind it in the same batch,
// which PostgreSQL skips after an error, are sent again. A batch's statements run in one
// implicit transaction, so they see one snapshot; that is why writes (Ent's INSERT …
// RETURNING comes through Query too) never join a batch. A batch is cancelled only when every
// caller in it has gone. A batch still running after 10 ms (a slow statement in it) gives its
// place to another sender, so that the reads queued behind it do not wait for it.
type Pipeline struct {
	*entsql.Driver         // the pgx connections (DB); writes, transactions (Tx, BeginTx), Close
	rows           *sql.DB // hands buffered results to callers as *sql.Rows (bufferedConnector)
	senders        int

	slow time.Duration // a batch running longer frees its sender's place (stall)

	mu      sync.Mutex
	queue   []*read
	sending int
	stalled int // batches running longer than slow

	batches, reads atomic.Int64
	stalls         atomic.Int64 // batches that ran longer than slow
	direct         sync.Map     // statements read through database/sql (errNotPipelined)
}

// maxBatch is the most reads one batch carries.
const maxBatch = 64

// NewPipeline pipelines drv's reads with at most senders connections at once (0: one per
// CPU, at least 2).
func NewPipeline(drv *entsql.Driver, senders int) *Pipeline {
	if senders <= 0 {
		senders = max(2, runtime.GOMAXPROCS(0))
	}
	rows := sql.OpenDB(bufferedConnector{})
	rows.SetMaxIdleConns(256)
	return &Pipeline{Driver: drv, rows: rows, senders: senders, slow: 10 * time.Millisecond}
}

// limit is how many senders may work now: p.senders, plus one for each batch stalled on a
// slow statement (an analyst's aggregate, say), so that it does not hold up the reads queued
// behind it; at most 4 × p.senders. Call with p.mu held.
func (p *Pipeline) limit() int { return min(p.senders+p.stalled, 4*p.senders) }

// stall notes a batch running longer than p.slow and starts a sender in its place.
func (p *Pipeline) stall() {
	p.stalls.Add(1)
	p.mu.Lock()
	p.stalled++
	start := len(p.queue) > 0 && p.sending < p.limit()
	if start {
		p.sending++
	}
	p.mu.Unlock()
	if start {
		go p.send()
	}
}

// Stats returns how many batches the pipeline has sent and how many reads they carried.
func (p *Pipeline) Stats() (batches, reads int64) { return p.batches.Load(), p.reads.Load() }

// Stalls returns how many batches ran longer than the stall time (10 ms), each of which let
// another sender start.
func (p *Pipeline) Stalls() int64 { return p.stalls.Load() }

// Close closes the underlying driver.
func (p *Pipeline) Close() error {
	p.rows.Close()
	return p.Driver.Close()
}

// read is one Query waiting for its batch.
type read struct {
	ctx   context.Context
	query string
	args  []any
	done  chan struct{}
	res   *bufferedRows
	err   error
	lost  error // the connection's loss, when it failed this read before an answer (runOn sends it again)
}

func (r *read) finish(res *bufferedRows, err error) {
	r.res, r.err = res, err
	close(r.done)
}

// aloneKey marks a context whose reads go around the pipeline (Alone).
type aloneKey struct{}

// Alone returns ctx marked so that the Pipeline sends its reads on a connection of their own,
// through database/sql, never in a batch. It is for statements that take long (an analyst's
// aggregate over a year of payments): the statements of a batch run one after the other on one
// connection, so a long one would hold back every read batched behind it, and two long ones
// batched together would run on one core. On SQLite, and for writes, it changes nothing.
func Alone(ctx context.Context) context.Context { return context.WithValue(ctx, aloneKey{}, true) }

// Query sends the read through the pipeline and hands its rows to v (a *entsql.Rows).
func (p *Pipeline) Query(ctx context.Context, query string, args, v any) error {
	out, ok := v.(*entsql.Rows)
	argv, ok2 := args.([]any)
	if !ok || !ok2 || !readOnly(query) || ctx.Value(aloneKey{}) != nil {
		return p.Driver.Query(ctx, query, args, v)
	}
	if _, direct := p.direct.Load(query); direct {
		return p.Driver.Query(ctx, query, args, v)
	}
	r := &read{ctx: ctx, query: query, args: argv, done: make(chan struct{})}
	p.submit(r)
	select {
	case <-r.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if errors.Is(r.err, errNotPipelined) {
		p.direct.Store(query, struct{}{})
		return p.Driver.Query(ctx, query, args, v)
	}
	if r.err != nil {
		return r.err
	}
	// context.Background: the rows are in memory, nothing is left to cancel.
	rows, err := p.rows.QueryContext(context.Background(), "", r.res)
	if err != nil {
		return err
	}
	*out = entsql.Rows{ColumnScanner: rows}
	return nil
}

// readOnly reports whether query, as Ent writes SQL, only reads: a SELECT, or a WITH whose
// parts are SELECTs (entgql pages an edge per parent that way). Ent also writes through Query
// (INSERT … RETURNING), and a write must never join a batch: the batch's implicit transaction
// would roll it back if a read after it failed, after its caller was told it succeeded. When
// in doubt (a keyword that might start a data-modifying part), the query goes alone.
func readOnly(query string) bool {
	if strings.HasPrefix(query, "SELECT ") {
		return true
	}
	if !strings.HasPrefix(query, "WITH ") {
		return false
	}
	upper := strings.ToUpper(query)
	for _, w := range []string{"INSERT ", "UPDATE ", "DELETE ", "MERGE "} {
		if strings.Contains(upper, w) {
			return false
		}
	}
	return true
}

// submit queues r and starts a sender unless p.senders are already at work.
func (p *Pipeline) submit(r *read) {
	p.mu.Lock()
	p.queue = append(p.queue, r)
	start := p.sending < p.limit()
	if start {
		p.sending++
	}
	p.mu.Unlock()
	if start {
		go p.send()
	}
}

// send carries batches from the queue until it is empty.
func (p *Pipeline) send() {
	for {
		p.mu.Lock()
		n := min(len(p.queue), maxBatch)
		if n == 0 {
			p.sending--
			p.queue = nil // let the backing array go
			p.mu.Unlock()
			return
		}
		batch := make([]*read, n)
		copy(batch, p.queue)
		clear(p.queue[:n])
		p.queue = p.queue[n:]
		p.mu.Unlock()
		p.batches.Add(1)
		p.reads.Add(int64(n))
		slow := time.AfterFunc(p.slow, p.stall)
		p.run(batch)
		if !slow.Stop() {
			p.mu.Lock()
			p.stalled--
			p.mu.Unlock()
		}
	}
}

// run sends batch on one connection and finishes every read in it.
func (p *Pipeline) run(batch []*read) {
	live := batch[:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.finish(nil, err)
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	// The batch is cancelled when its last caller has gone.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var left atomic.Int64
	left.Store(int64(len(live)))
	for _, r := range live {
		stop := context.AfterFunc(r.ctx, func() {
			if left.Add(-1) == 0 {
				cancel()
			}
		})
		defer stop()
	}
	// A connection PostgreSQL terminated (a failover, pg_terminate_backend, a restart) fails
	// the reads it had not answered; they are reads, so they are sent once more on another
	// connection before their callers see the error.
	for attempt := 0; len(live) > 0; attempt++ {
		live = p.runOn(ctx, live, attempt > 0)
		if attempt > 0 {
			return
		}
	}
}

// runOn sends reads on one connection of the pool and finishes them, except, unless last, the
// reads the connection's loss failed: runOn returns those, having let the connection go.
func (p *Pipeline) runOn(ctx context.Context, reads []*read, last bool) (lost []*read) {
	conn, err := p.DB().Conn(ctx)
	if err != nil {
		failAll(reads, err)
		return nil
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: pipeline: connection is %T, want a pgx connection", dc)
		}
		lost = pipelineOn(ctx, c.Conn(), reads)
		if len(lost) > 0 {
			return driver.ErrBadConn // the pool lets this connection go
		}
		return nil
	})
	if err != nil && !errors.Is(err, driver.ErrBadConn) {
		failAll(reads, err)
		return nil
	}
	if last && len(lost) > 0 {
		failAll(lost, lostErr(lost))
		return nil
	}
	return lost
}

// lostErr is the error the connection's loss left on lost's reads.
func lostErr(lost []*read) error {
	for _, r := range lost {
		if r.lost != nil {
			return r.lost
		}
	}
	return errors.New("store: pipeline: the connection was lost")
}

// ConnectionLost reports whether err is the loss of a PostgreSQL connection (the server
// terminated it or shut down, or the connection broke), not a fault of the statement: the
// store is the cause, and the same statement may succeed on another connection.
func ConnectionLost(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	// The same, where a wrapper kept only the text (%v): pgx names the SQLSTATE of a server
	// error in its message.
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "(SQLSTATE 57P0") ||
		strings.Contains(msg, "(SQLSTATE 08") || strings.Contains(msg, "connection reset by peer") ||
		strings.Contains(msg, "broken pipe")
}

// failAll finishes with err every read not finished yet.
func failAll(reads []*read, err error) {
	for _, r := range reads {
		select {
		case <-r.done:
		default:
			r.finish(nil, err)
		}
	}
}

// pipelineOn sends reads on conn as one pipeline and finishes each read with its rows or its
// error. PostgreSQL skips the statements behind a failed one, so those are sent again. An
// error before the first answer (a statement that does not prepare, an argument that does not
// encode: pgx then fails the whole batch) cannot be told apart from the first statement's own,
// so then each read is sent alone and gets its own answer. When the connection is lost
// (ConnectionLost) the reads not answered yet are returned unfinished, for another connection.
func pipelineOn(ctx context.Context, conn *pgx.Conn, reads []*read) (lost []*read) {
	for len(reads) > 0 {
		b := &pgx.Batch{}
		for _, r := range reads {
			b.Queue(r.query, r.args...)
		}
		br := conn.SendBatch(ctx, b)
		var failed error
		done := 0
		for _, r := range reads {
			rows, err := br.Query()
			var res *bufferedRows
			if err == nil {
				res, err = buffer(conn.TypeMap(), rows)
			}
			if errors.Is(err, errNotPipelined) {
				r.finish(nil, err) // its caller reads it again through database/sql
				done++
				continue
			}
			if err != nil {
				failed = err
				break
			}
			r.finish(res, nil)
			done++
		}
		br.Close() // its error is the one failed holds, or, after every answer, none of theirs
		if failed == nil {
			return nil
		}
		if ctx.Err() == nil && (ConnectionLost(failed) || conn.IsClosed()) {
			for _, r := range reads[done:] {
				r.lost = failed
			}
			return reads[done:]
		}
		if done == 0 && len(reads) > 1 {
			for i := range reads {
				lost = append(lost, pipelineOn(ctx, conn, reads[i:i+1])...)
			}
			return lost
		}
		reads[done].finish(nil, failed)
		reads = reads[done+1:]
		if !errors.As(failed, new(*pgconn.PgError)) {
			failAll(reads, failed) // the batch's context: the rest would fail alike
			return nil
		}
	}
	return nil
}

// buffer reads rows in full as database/sql values, converted per column type as pgx's
// database/sql driver converts them, so that scanning them matches scanning its rows.
func buffer(m *pgtype.Map, rows pgx.Rows) (*bufferedRows, error) {
	defer rows.Close()
	fds := rows.FieldDescriptions()
	res := &bufferedRows{columns: make([]string, len(fds))}
	decode := make([]func([]byte) (driver.Value, error), len(fds))
	for i, fd := range fds {
		res.columns[i] = fd.Name
		if decode[i] = decoderFor(m, fd); decode[i] == nil {
			return nil, fmt.Errorf("%w: column %s has type OID %d", errNotPipelined, fd.Name, fd.DataTypeOID)
		}
	}
	for rows.Next() {
		raw := rows.RawValues()
		row := make([]driver.Value, len(raw))
		for i, src := range raw {
			if src == nil {
				continue
			}
			v, err := decode[i](src)
			if err != nil {
				return nil, fmt.Errorf("store: pipeline: column %s: %w", fds[i].Name, err)
			}
			row[i] = v
		}
		res.rows = append(res.rows, row)
	}
	return res, rows.Err()
}

// errNotPipelined marks a read whose rows the pipeline cannot convert as database/sql would: a
// column that pgx's database/sql driver reads as text arrived in binary (an interval, a
// numeric, a uuid). Its caller reads it through database/sql instead, and so does every later
// read of the same statement.
var errNotPipelined = errors.New("store: pipeline: not pipelined")

// decoderFor returns the conversion of one column's raw values into the database/sql values
// pgx's database/sql driver gives: integers to int64, floats to float64, dates and timestamps
// to time.Time, bytea and JSON to []byte, bool to bool, and every other type to its text. It
// returns nil for a column in binary whose text it cannot give (see errNotPipelined).
func decoderFor(m *pgtype.Map, fd pgconn.FieldDescription) func([]byte) (driver.Value, error) {
	if fd.Format == pgtype.TextFormatCode {
		switch fd.DataTypeOID {
		case pgtype.JSONOID, pgtype.JSONBOID, pgtype.XMLOID, pgtype.ByteaOID:
		default:
			return decoder(m, fd, func(v string) (driver.Value, error) { return v, nil })
		}
	}
	switch fd.DataTypeOID {
	case pgtype.BoolOID:
		return decoder(m, fd, func(v bool) (driver.Value, error) { return v, nil })
	case pgtype.ByteaOID, pgtype.JSONOID, pgtype.JSONBOID, pgtype.XMLOID:
		return decoder(m, fd, func(v []byte) (driver.Value, error) { return bytes.Clone(v), nil })
	case pgtype.CIDOID, pgtype.OIDOID, pgtype.XIDOID:
		return decoder(m, fd, func(v pgtype.Uint32) (driver.Value, error) { return v.Value() })
	case pgtype.DateOID:
		return decoder(m, fd, func(v pgtype.Date) (driver.Value, error) { return v.Value() })
	case pgtype.Float4OID:
		return decoder(m, fd, func(v float32) (driver.Value, error) { return float64(v), nil })
	case pgtype.Float8OID:
		return decoder(m, fd, func(v float64) (driver.Value, error) { return v, nil })
	case pgtype.Int2OID:
		return decoder(m, fd, func(v int16) (driver.Value, error) { return int64(v), nil })
	case pgtype.Int4OID:
		return decoder(m, fd, func(v int32) (driver.Value, error) { return int64(v), nil })
	case pgtype.Int8OID:
		return decoder(m, fd, func(v int64) (driver.Value, error) { return v, nil })
	case pgtype.TimestampOID:
		return decoder(m, fd, func(v pgtype.Timestamp) (driver.Value, error) { return v.Value() })
	case pgtype.TimestamptzOID:
		return decoder(m, fd, func(v pgtype.Timestamptz) (driver.Value, error) { return v.Value() })
	case pgtype.TextOID, pgtype.VarcharOID, pgtype.BPCharOID, pgtype.NameOID:
		return decoder(m, fd, func(v string) (driver.Value, error) { return v, nil })
	default:
		return nil
	}
}

func decoder[T any](m *pgtype.Map, fd pgconn.FieldDescription, conv func(T) (driver.Value, error)) func([]byte) (driver.Value, error) {
	var v T
	plan := m.PlanScan(fd.DataTypeOID, fd.Format, &v)
	return func(src []byte) (driver.Value, error) {
		if err := plan.Scan(src, &v); err != nil {
			return nil, err
		}
		return conv(v)
	}
}

// bufferedRows is one read's result, in memory.
type bufferedRows struct {
	columns []string
	rows    [][]driver.Value
	next    int
}

func (b *bufferedRows) Columns() []string { return b.columns }
func (b *bufferedRows) Close() error      { return nil }
func (b *bufferedRows) Next(dest []driver.Value) error {
	if b.next >= len(b.rows) {
		return io.EOF
	}
	copy(dest, b.rows[b.next])
	b.next++
	return nil
}

// bufferedConnector is a database/sql connector whose one query returns the *bufferedRows
// passed as its argument: a way to hand buffered values to Ent as a real *sql.Rows, with
// database/sql's own conversions on Scan.
type bufferedConnector struct{}

func (bufferedConnector) Connect(context.Context) (driver.Conn, error) { return bufferedConn{}, nil }
func (bufferedConnector) Driver() driver.Driver                        { return bufferedDriver{} }

type bufferedDriver struct{}

func (bufferedDriver) Open(string) (driver.Conn, error) { return bufferedConn{}, nil }

type bufferedConn struct{}

func (bufferedConn) Prepare(string) (driver.Stmt, error) {
	return nil, errors.New("store: pipeline: buffered rows take no statements")
}
func (bufferedConn) Close() error { return nil }
func (bufferedConn) Begin() (driver.Tx, error) {
	return nil, errors.New("store: pipeline: no transactions")
}
func (bufferedConn) CheckNamedValue(*driver.NamedValue) error {
	return nil
}
func (bufferedConn) QueryContext(_ context.Context, _ string, args []driver.NamedValue) (driver.Rows, error) {
	if len(args) != 1 {
		return nil, errors.New("store: pipeline: want one buffered result")
	}
	res, ok := args[0].Value.(*bufferedRows)
	if !ok {
		return nil, fmt.Errorf("store: pipeline: got %T, want buffered rows", args[0].Value)
	}
	return res, nil
}
