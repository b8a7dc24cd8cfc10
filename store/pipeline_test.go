package store_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/birlik/birlik/store"
)

// pipelineDB opens a fresh schema of the test PostgreSQL, or skips without one.
func pipelineDB(t testing.TB) *sql.DB {
	t.Helper()
	base := os.Getenv("DATABASE_URL")
	if base == "" {
		t.Skip("the pipeline is PostgreSQL's: set DATABASE_URL (.ci/run does)")
	}
	ctx := context.Background()
	u, drop, err := store.TempSchema(ctx, base, "birlik_pipeline")
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.OpenPostgres(ctx, u)
	if err != nil {
		drop()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		if err := drop(); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	return db
}

// query runs q through drv and scans every row into fresh values of the types of dests.
func query(t *testing.T, drv dialect.Driver, q string, args []any, dests ...any) [][]any {
	t.Helper()
	var rows entsql.Rows
	if err := drv.Query(context.Background(), q, args, &rows); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		row := make([]any, len(dests))
		for i, d := range dests {
			row[i] = reflect.New(reflect.TypeOf(d).Elem()).Interface()
		}
		if err := rows.Scan(row...); err != nil {
			t.Fatalf("scan %s: %v", q, err)
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// equalRows fails t where the pipeline's rows differ from database/sql's.
func equalRows(t *testing.T, name string, got, want [][]any) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: database/sql gave no rows", name)
	}
	if len(got) != len(want) {
		t.Fatalf("%s: pipeline %d rows, database/sql %d", name, len(got), len(want))
	}
	for i := range want {
		for j := range want[i] {
			if g, w := reflect.ValueOf(got[i][j]).Elem().Interface(), reflect.ValueOf(want[i][j]).Elem().Interface(); !reflect.DeepEqual(g, w) {
				t.Errorf("%s: row %d column %d: pipeline %#v (%T), database/sql %#v (%T)", name, i, j, g, g, w, w)
			}
		}
	}
}

func anys(n int) []any {
	a := make([]any, n)
	for i := range a {
		a[i] = new(any)
	}
	return a
}

// The pipeline's rows scan into every destination Ent uses exactly as database/sql's rows
// from pgx do, for every column type, NULLs included: the types the store's schema uses
// through the pipeline, the others (pgx's database/sql driver reads them as text) through
// database/sql.
func TestPipelineScansLikeDatabaseSQL(t *testing.T) {
	db := pipelineDB(t)
	direct := entsql.OpenDB(dialect.Postgres, db)
	piped := store.NewPipeline(direct, 2)
	reads := func() int64 { _, r := piped.Stats(); return r }

	const q = `SELECT * FROM (VALUES
		(true, 1::int2, 2::int4, 3::int8, 1.5::float4, 2.25::float8, 'Әлия'::text, 'ЖСН'::varchar,
		 '\x0102'::bytea, '{"a": 1}'::json, '{"b": [1, 2]}'::jsonb, '2026-11-23'::date,
		 '2026-11-23 10:00:00'::timestamp, '2026-11-23 10:00:00+05'::timestamptz, 7::oid),
		(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
	) AS v WHERE $1::int > 0`
	args := []any{1}
	nulls := []any{new(sql.NullBool), new(sql.NullInt64), new(sql.NullInt64), new(sql.NullInt64),
		new(sql.NullFloat64), new(sql.NullFloat64), new(sql.NullString), new(sql.NullString),
		new([]byte), new([]byte), new([]byte), new(sql.NullTime), new(sql.NullTime), new(sql.NullTime),
		new(sql.NullInt64)}
	for name, dests := range map[string][]any{"any": anys(15), "null types": nulls} {
		before := reads()
		equalRows(t, name, query(t, piped, q, args, dests...), query(t, direct, q, args, dests...))
		if reads() != before+1 {
			t.Errorf("%s: the read did not go through the pipeline", name)
		}
	}

	// Plain destinations (a count into *int, a string, a time) as well.
	plain := []any{new(int), new(string), new(time.Time), new(float64)}
	const pq = `SELECT count(*), 'x', '2026-01-02 03:04:05+00'::timestamptz, 0.5::float8 FROM generate_series(1, $1::int)`
	equalRows(t, "plain", query(t, piped, pq, []any{5}, plain...), query(t, direct, pq, []any{5}, plain...))

	// A numeric, a uuid and an interval arrive in binary, which pgx's database/sql driver
	// reads as text: the first read learns it, that read and every later one of the statement
	// go through database/sql.
	const other = `SELECT 12.34::numeric, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, '1 day'::interval, $1::int`
	for round := range 2 {
		before := reads()
		equalRows(t, "numeric, uuid, interval", query(t, piped, other, args, anys(4)...), query(t, direct, other, args, anys(4)...))
		if sent := reads() - before; sent != int64(1-round) {
			t.Errorf("round %d: %d reads sent through the pipeline, want %d", round, sent, 1-round)
		}
	}
}

// result is one read's answer, or its error.
type result struct {
	n   int64
	err error
}

// readInt reads one integer through drv.
func readInt(ctx context.Context, drv dialect.Driver, q string, args ...any) result {
	var rows entsql.Rows
	if err := drv.Query(ctx, q, args, &rows); err != nil {
		return result{err: err}
	}
	defer rows.Close()
	var n sql.NullInt64
	if !rows.Next() {
		return result{err: errors.Join(errors.New("no row"), rows.Err())}
	}
	if err := rows.Scan(&n); err != nil {
		return result{err: err}
	}
	return result{n: n.Int64}
}

// blockSender occupies the pipeline's one sender with a read that waits for an advisory lock
// the test holds, until release is called; done is closed when that read has its answer.
// Reads submitted meanwhile queue up and go out together in the next batch.
func blockSender(t *testing.T, p *store.Pipeline, db *sql.DB) (release func(), done <-chan struct{}) {
	t.Helper()
	const key = 5_050_505
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`SELECT pg_advisory_xact_lock($1)`, key); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() { once.Do(func() { tx.Rollback() }) }
	t.Cleanup(release)
	d := make(chan struct{})
	go func() {
		defer close(d)
		// A transaction-level lock: the batch's implicit transaction lets it go.
		if r := readInt(context.Background(), p, `SELECT 1 FROM (SELECT pg_advisory_xact_lock($1::bigint)) AS l`, key); r.err != nil {
			t.Errorf("blocked read: %v", r.err)
		}
	}()
	waitFor(t, "the blocked read to be sent", func() bool { b, _ := p.Stats(); return b == 1 })
	return release, d
}

// waitFor polls cond for up to 10 s, and fails t if it never holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s", what)
		}
	}
}

// Reads that arrive while every sender is busy go out together, and each caller gets its own
// rows, its own error, or its own cancellation; a failed read does not fail its neighbours.
func TestPipelineBatchesConcurrentReads(t *testing.T) {
	db := pipelineDB(t)
	if _, err := db.Exec(`CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	p := store.NewPipeline(entsql.OpenDB(dialect.Postgres, db), 1)
	store.SetSlow(p, time.Hour) // the blocked batch keeps its sender's place
	release, blocked := blockSender(t, p, db)

	const n = 20
	results := make([]result, n)
	canceled, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch i {
			case 5: // a statement that fails when it runs
				results[i] = readInt(context.Background(), p, `SELECT 1 / ($1::int - $1::int)`, i)
			case 9: // a statement that does not prepare
				results[i] = readInt(context.Background(), p, `SELECT no_such_column FROM notes`)
			case 13: // a caller that goes away
				results[i] = readInt(canceled, p, `SELECT $1::int * 2`, i)
			default:
				results[i] = readInt(context.Background(), p, `SELECT $1::int * 2`, i)
			}
		}()
	}
	waitFor(t, "every read to queue behind the blocked one", func() bool { return store.Queued(p) == n })
	cancel()
	release()
	<-blocked
	wg.Wait()

	for i, r := range results {
		var pgErr *pgconn.PgError
		switch i {
		case 5:
			if !errors.As(r.err, &pgErr) || pgErr.Code != "22012" {
				t.Errorf("read %d: got %v, want division_by_zero", i, r.err)
			}
		case 9:
			if !errors.As(r.err, &pgErr) || pgErr.Code != "42703" {
				t.Errorf("read %d: got %v, want undefined_column", i, r.err)
			}
		case 13:
			if !errors.Is(r.err, context.Canceled) {
				t.Errorf("read %d: got %v, want its cancellation", i, r.err)
			}
		default:
			if r.err != nil || r.n != int64(2*i) {
				t.Errorf("read %d: got %+v, want %d", i, r, 2*i)
			}
		}
	}
	// The blocked read, then the queued reads (the cancelled one counted but not sent) in one
	// batch.
	if b, r := p.Stats(); b != 2 || r != n+1 {
		t.Errorf("sent %d batches carrying %d reads, want 2 batches carrying %d (1 + %d queued)", b, r, n+1, n)
	}
}

// A write through Query (Ent's INSERT … RETURNING) never joins a batch: the batch's implicit
// transaction would roll it back when a read behind it failed, after its caller was told it
// succeeded.
func TestPipelineNeverBatchesWrites(t *testing.T) {
	for name, write := range map[string]string{
		"insert returning": `INSERT INTO notes (body) VALUES ('kept') RETURNING id`,
		"write in a WITH":  `WITH n AS (INSERT INTO notes (body) VALUES ('kept') RETURNING id) SELECT id FROM n`,
	} {
		t.Run(name, func(t *testing.T) { testWriteNeverBatched(t, write) })
	}
}

func testWriteNeverBatched(t *testing.T, write string) {
	db := pipelineDB(t)
	if _, err := db.Exec(`CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	p := store.NewPipeline(entsql.OpenDB(dialect.Postgres, db), 1)
	store.SetSlow(p, time.Hour)
	release, blocked := blockSender(t, p, db)
	written := make(chan result, 1)
	go func() { written <- readInt(context.Background(), p, write) }()
	// The write either goes around the pipeline (answered at once) or joins its queue; a read
	// that fails then queues behind it, and the blocked batch is let go.
	var w result
	answered := false
	waitFor(t, "the write to be answered or queued", func() bool {
		select {
		case w = <-written:
			answered = true
			return true
		default:
			return store.Queued(p) == 1
		}
	})
	failing := make(chan result, 1)
	go func() { failing <- readInt(context.Background(), p, `SELECT 1 / ($1::int - $1::int)`, 1) }()
	want := 2
	if answered {
		want = 1
	}
	waitFor(t, "the failing read to queue", func() bool { return store.Queued(p) == want })
	release()
	<-blocked
	if !answered {
		w = <-written
	}
	if r := <-failing; r.err == nil {
		t.Error("the failing read succeeded")
	}
	if w.err != nil || w.n != 1 {
		t.Errorf("write: got %+v, want id 1", w)
	}
	var kept int
	if err := db.QueryRow(`SELECT count(*) FROM notes WHERE body = 'kept'`).Scan(&kept); err != nil || kept != 1 {
		t.Errorf("the write its caller was told succeeded: %d rows kept (%v), want 1", kept, err)
	}
}

// A read marked Alone goes around the pipeline: it is answered while the only sender is held,
// and no batch carries it.
func TestPipelineAloneReadsGoAround(t *testing.T) {
	db := pipelineDB(t)
	p := store.NewPipeline(entsql.OpenDB(dialect.Postgres, db), 1)
	store.SetSlow(p, time.Hour)
	release, blocked := blockSender(t, p, db)
	// Queued behind the held sender it would wait for ever: the timeout turns that into a failure.
	ctx, cancel := context.WithTimeout(store.Alone(context.Background()), 30*time.Second)
	defer cancel()
	if r := readInt(ctx, p, `SELECT $1::int + 1`, 41); r.err != nil || r.n != 42 {
		t.Errorf("alone read while the sender is held: %d, %v; want 42", r.n, r.err)
	}
	if _, r := p.Stats(); r != 1 {
		t.Errorf("the pipeline carried %d reads, want 1 (the held one only)", r)
	}
	queued := make(chan result, 1)
	go func() { queued <- readInt(context.Background(), p, `SELECT $1::int + 1`, 1) }()
	waitFor(t, "an unmarked read to queue behind the held one", func() bool { return store.Queued(p) == 1 })
	release()
	<-blocked
	if r := <-queued; r.err != nil || r.n != 2 {
		t.Errorf("unmarked read: %d, %v; want 2", r.n, r.err)
	}
}

// A slow batch gives its sender's place to another: a read queued behind it is answered while
// it still runs.
func TestPipelineSlowBatchLendsItsPlace(t *testing.T) {
	db := pipelineDB(t)
	p := store.NewPipeline(entsql.OpenDB(dialect.Postgres, db), 1)
	release, blocked := blockSender(t, p, db) // blocked far longer than the 10 ms a batch may take
	quick := make(chan result, 1)
	go func() { quick <- readInt(context.Background(), p, `SELECT $1::int`, 7) }()
	select {
	case r := <-quick:
		if r.err != nil || r.n != 7 {
			t.Errorf("quick read: got %+v, want 7", r)
		}
	case <-time.After(10 * time.Second):
		t.Error("the quick read waited for the blocked batch")
	}
	release()
	<-blocked
	if b, r := p.Stats(); b != 2 || r != 2 {
		t.Errorf("sent %d batches carrying %d reads, want 2 carrying 2", b, r)
	}
	// The blocked batch stalls; the quick one may too on a loaded machine (over 10 ms).
	if n := p.Stalls(); n < 1 || n > 2 {
		t.Errorf("%d stalls counted, want the blocked batch's (and at most the quick one's)", n)
	}
}

// A statement whose context ends is cancelled on the server, not left running for nobody:
// through the pipeline too, once the last caller in its batch has gone.
func TestCancelledStatementStopsOnServer(t *testing.T) {
	db := pipelineDB(t)
	p := store.NewPipeline(entsql.OpenDB(dialect.Postgres, db), 1)
	for name, drv := range map[string]dialect.Driver{"database/sql": entsql.OpenDB(dialect.Postgres, db), "pipeline": p} {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		r := readInt(ctx, drv, `SELECT $1::int FROM pg_sleep(30)`, 1)
		cancel()
		if !errors.Is(r.err, context.DeadlineExceeded) && !strings.Contains(fmt.Sprint(r.err), "canceling statement") {
			t.Errorf("%s: the read ended with %v, want its deadline", name, r.err)
		}
		running := -1
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if err := db.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()`).Scan(&running); err != nil {
				t.Fatal(err)
			}
			if running == 0 {
				break
			}
		}
		if running != 0 {
			t.Errorf("%s: %d statements still running on the server 3 s after their caller left", name, running)
		}
	}
}

// BenchmarkReads reads one row by key from 16 goroutines at once, through database/sql (one
// round trip per read) and through the pipeline (the reads waiting at once share one):
//
//	DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test -run '^$' -bench Reads -cpu 2 ./store
func BenchmarkReads(b *testing.B) {
	db := pipelineDB(b)
	ctx := context.Background()
	db.SetMaxOpenConns(8)
	if _, err := db.Exec(`CREATE TABLE people AS SELECT g AS id, 'person ' || g AS name FROM generate_series(1, 10000) g; ALTER TABLE people ADD PRIMARY KEY (id)`); err != nil {
		b.Fatal(err)
	}
	direct := entsql.OpenDB(dialect.Postgres, db)
	for name, drv := range map[string]dialect.Driver{"database-sql": direct, "pipeline": store.NewPipeline(direct, 0)} {
		b.Run(name, func(b *testing.B) {
			b.SetParallelism(8) // 8 × GOMAXPROCS readers: 16 with -cpu 2
			var next atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id := next.Add(1)%10000 + 1
					if r := readInt(ctx, drv, `SELECT id FROM people WHERE id = $1`, id); r.err != nil || r.n != id {
						b.Errorf("read %d: %+v", id, r)
						return
					}
				}
			})
		})
	}
}

// Which statements may join a batch: only those that read.
func TestReadOnly(t *testing.T) {
	for q, want := range map[string]bool{
		`SELECT "persons"."id" FROM "persons" WHERE "persons"."iin" = $1`: true,
		`WITH "src_query" AS (SELECT "payments"."id", "payments"."updated_at" FROM "payments"), "limited_query" AS (SELECT * FROM "src_query") SELECT * FROM "limited_query"`: true,
		`INSERT INTO "notes" ("body") VALUES ($1) RETURNING "id"`:                         false,
		`WITH n AS (INSERT INTO notes (body) VALUES ('x') RETURNING id) SELECT id FROM n`: false,
		`with n as (delete from notes returning id) select id from n`:                     false,
		`WITH n AS (UPDATE "notes" SET "body" = $1 RETURNING "id") SELECT "id" FROM n`:    false,
		`UPDATE "notes" SET "body" = $1 RETURNING "id"`:                                   false,
		`select 1`: false, // not as Ent writes it: goes alone, which is always safe
	} {
		if got := store.ReadOnly(q); got != want {
			t.Errorf("readOnly(%q) = %v, want %v", q, got, want)
		}
	}
}

// TestPipelineReadsSurviveATerminatedConnection: when PostgreSQL terminates the connection a
// batch goes out on (pg_terminate_backend, as a failover or an operator does), its reads are
// sent again on another connection and answer; the loss is told apart from a statement's error.
func TestPipelineReadsSurviveATerminatedConnection(t *testing.T) {
	db := pipelineDB(t)
	db.SetMaxIdleConns(1)
	db.SetMaxOpenConns(1) // the next batch takes the terminated connection from the pool
	p := store.NewPipeline(entsql.OpenDB(dialect.Postgres, db), 1)
	var pid int
	for _, row := range query(t, p, "SELECT pg_backend_pid()", nil, new(int)) {
		pid = *row[0].(*int)
	}
	other, err := sql.Open("pgx", os.Getenv("DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var ok bool
	if err := other.QueryRow("SELECT pg_terminate_backend($1)", pid).Scan(&ok); err != nil || !ok {
		t.Fatalf("terminating the pipeline's connection %d: %v %v", pid, ok, err)
	}
	// The terminated backend is gone once pg_stat_activity no longer lists it.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var n int
		if err := other.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the terminated backend is still listed after 10 s")
		}
	}
	rows := query(t, p, "SELECT pg_backend_pid()", nil, new(int))
	if len(rows) != 1 || *rows[0][0].(*int) == pid {
		t.Fatalf("read after the termination answered %v, want one row from a new connection (not %d)", rows, pid)
	}

	for _, c := range []struct {
		err  error
		lost bool
	}{
		{&pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, true},
		{&pgconn.PgError{Code: "08006"}, true},
		{fmt.Errorf("read: %w", &pgconn.PgError{Code: "42P01", Message: "relation does not exist"}), false},
		{errors.New("conn closed"), true},
		{fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{fmt.Errorf("write: %w", syscall.EPIPE), true},
		{fmt.Errorf("query: %w", driver.ErrBadConn), true},
		{fmt.Errorf("load persons: %v", &pgconn.PgError{Severity: "FATAL", Code: "57P01", Message: "terminating connection due to administrator command"}), true},
		{fmt.Errorf("load persons: %v", &pgconn.PgError{Code: "42703", Message: "column does not exist"}), false},
		{context.Canceled, false},
	} {
		if got := store.ConnectionLost(c.err); got != c.lost {
			t.Errorf("ConnectionLost(%v) = %v, want %v", c.err, got, c.lost)
		}
	}
}
