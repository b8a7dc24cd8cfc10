// Package store opens Birlik's Ent store: SQLite (pure Go, modernc.org/sqlite) in the data
// folder by default, PostgreSQL (pgx) when DATABASE_URL is a postgres:// URL, and brings its
// schema up to date by applying the versioned migrations of ent/migrate/migrations with Atlas.
//
// It owns connection settings (WAL, foreign keys, busy timeout; pool sizes), the Ent driver
// (on PostgreSQL, Pipeline: concurrent reads sent together) and the migration revisions table.
// It must not hold business logic or know any source.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver

	"github.com/birlik/birlik/ent"
	_ "github.com/birlik/birlik/ent/runtime" // the schema's defaults, hooks and privacy policies (ent/schema/privacy.go)
)

// FileName is the SQLite database file inside the data folder.
const FileName = "birlik.db"

// Store is an open store: the Ent client, the database under it and its dialect, and the read
// pipeline when there is one. It is the one value every part that reads or writes the store is
// handed: Ent for rows, DB for the set-based SQL of the sync, the checks and the assessments.
type Store struct {
	Client   *ent.Client
	DB       *sql.DB
	Dialect  string    // dialect.SQLite or dialect.Postgres
	Pipeline *Pipeline // the PostgreSQL read pipeline; nil on SQLite or with Options.Pipeline -1
	// ReadClient is the client of the GraphQL resolvers: Client itself, or with a read replica
	// (Options.ReadURL) a client over Router, which sends reads to the replica.
	ReadClient *ent.Client
	Router     *Router // the read replica's routing driver; nil without one
	ReadDB     *sql.DB // the read replica's connections; nil without one
}

// Close closes the client and the database under it.
func (s *Store) Close() error {
	if s.Router != nil {
		s.Router.Close()
	}
	if s.Client != nil {
		return s.Client.Close()
	}
	return s.DB.Close()
}

// PingTimeout bounds Ping when its context has no deadline.
const PingTimeout = time.Second

// Ping checks that the store answers: one cheap query on a table of the gateway's own (the
// migration revisions), so that a database that is up but lost the gateway's tables (a dropped
// schema or database) fails too, not only one that is unreachable.
func (s *Store) Ping(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, PingTimeout)
		defer cancel()
	}
	// A pooled connection the server closed (PostgreSQL's pg_terminate_backend, a restart)
	// fails once and leaves the pool; a second try on another connection tells a lost
	// connection from a lost store.
	var err error
	for try := 0; try < 2 && ctx.Err() == nil; try++ {
		var one int
		err = s.DB.QueryRowContext(ctx, `SELECT 1 FROM `+RevisionsTable+` LIMIT 1`).Scan(&one)
		if err == nil || errors.Is(err, sql.ErrNoRows) {
			return nil
		}
	}
	return fmt.Errorf("store: %s did not answer: %w", s.Dialect, err)
}

// SQLiteAnalysisLimit is the rows ANALYZE reads per index on SQLite (its analysis_limit):
// enough for the planner to tell a selective index from one that is not, in milliseconds on any
// size of store.
const SQLiteAnalysisLimit = 1000

// Analyze refreshes the query planner's statistics after a bulk write. Without them SQLite
// knows nothing of how selective an index is (it has no statistics until ANALYZE runs) and can
// pick an index on a column of a handful of values over one on a family's id (a family's
// assessments read every family's); PostgreSQL's autovacuum analyzes a table only after a delay,
// during which a fresh table is planned as if empty. On SQLite the whole store is analyzed, with
// SQLiteAnalysisLimit; on PostgreSQL the tables named.
func (s *Store) Analyze(ctx context.Context, tables ...string) error {
	if s.Dialect != dialect.Postgres {
		conn, err := s.DB.Conn(ctx)
		if err != nil {
			return fmt.Errorf("store: analyze: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `PRAGMA analysis_limit = `+strconv.Itoa(SQLiteAnalysisLimit)); err != nil {
			return fmt.Errorf("store: analyze: %w", err)
		}
		if _, err := conn.ExecContext(ctx, `ANALYZE`); err != nil {
			return fmt.Errorf("store: analyze: %w", err)
		}
		return nil
	}
	if len(tables) == 0 {
		return nil
	}
	quoted := make([]string, len(tables))
	for i, t := range tables {
		quoted[i] = quoteIdent(t)
	}
	if _, err := s.DB.ExecContext(ctx, `ANALYZE `+strings.Join(quoted, ", ")); err != nil {
		return fmt.Errorf("store: analyze %s: %w", strings.Join(tables, ", "), err)
	}
	return nil
}

// Postgres reports whether the store is PostgreSQL.
func (s *Store) Postgres() bool { return s.Dialect == dialect.Postgres }

// Rebind rewrites the ? placeholders of q for the store's dialect (see Rebind).
func (s *Store) Rebind(q string) string { return Rebind(s.Dialect, q) }

// Rebind rewrites the ? placeholders of q as $1, $2… for PostgreSQL and leaves them for SQLite.
// q must hold no other '?' (in a literal or a comment).
func Rebind(d, q string) string {
	if d != dialect.Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			b.WriteString(Placeholder(d, n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Placeholder is the n-th (1-based) positional parameter of the dialect d: $n on PostgreSQL, ?
// on SQLite.
func Placeholder(d string, n int) string {
	if d == dialect.Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// Open opens the store named by databaseURL, or the embedded SQLite store <dataDir>/birlik.db
// when databaseURL is empty, and applies the pending migrations. Close it when done.
func Open(ctx context.Context, databaseURL, dataDir string) (*Store, error) {
	return OpenWith(ctx, databaseURL, dataDir, Options{})
}

// Options are the store's settings beyond its address.
type Options struct {
	// Pipeline is how many connections at once carry PostgreSQL reads in pipeline mode (see
	// Pipeline): 0 picks one per CPU (at least 2), -1 sends every read on its own round trip.
	Pipeline int
	// ReadURL is a PostgreSQL streaming replica of the store (DATABASE_READ_URL): ReadClient's
	// reads go there (see Router). Empty: every read goes to the store.
	ReadURL string
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, databaseURL, dataDir string, o Options) (*Store, error) {
	s, err := OpenDB(ctx, databaseURL, dataDir)
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		s.DB.Close()
		return nil, err
	}
	drv := s.driver(o.Pipeline)
	s.Client = ent.NewClient(ent.Driver(drv))
	s.ReadClient = s.Client
	s.Pipeline, _ = drv.(*Pipeline)
	if o.ReadURL != "" {
		if !s.Postgres() {
			s.Close()
			return nil, errors.New("store: DATABASE_READ_URL is a PostgreSQL replica of the store: set DATABASE_URL to its primary (postgres://…), or unset DATABASE_READ_URL")
		}
		if s.Router, err = s.openReplica(ctx, o.ReadURL, drv, o.Pipeline); err != nil {
			s.Close()
			return nil, err
		}
		s.ReadDB = s.Router.db
		s.ReadClient = ent.NewClient(ent.Driver(s.Router))
	}
	return s, nil
}

// OpenDB opens the database without migrating it and without an Ent client (Client is nil;
// see Open).
func OpenDB(ctx context.Context, databaseURL, dataDir string) (*Store, error) {
	db, d, err := openDB(ctx, databaseURL, dataDir)
	if err != nil {
		return nil, err
	}
	return &Store{DB: db, Dialect: d}, nil
}

func openDB(ctx context.Context, databaseURL, dataDir string) (*sql.DB, string, error) {
	switch {
	case databaseURL == "":
		if dataDir == "" {
			dataDir = "birlik-data"
		}
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			return nil, "", fmt.Errorf("store: create the data folder (BIRLIK_DATA) %q: %w", dataDir, err)
		}
		db, err := OpenSQLite(ctx, filepath.Join(dataDir, FileName))
		return db, dialect.SQLite, err
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		db, err := OpenPostgres(ctx, databaseURL)
		return db, dialect.Postgres, err
	default:
		return nil, "", fmt.Errorf("store: DATABASE_URL %q: want empty (embedded SQLite in BIRLIK_DATA) or postgres://user@host:port/db?sslmode=…", redact(databaseURL))
	}
}

// OpenSQLite opens (creating it if needed) the SQLite database file at path with WAL, foreign
// keys, a busy timeout and immediate write transactions (one writer at a time, no deadlocks on
// lock upgrades).
func OpenSQLite(ctx context.Context, path string) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "foreign_keys(1)", "busy_timeout(30000)", "synchronous(NORMAL)", "cache_size(-65536)", "temp_store(MEMORY)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open SQLite %s: %w", path, err)
	}
	// Readers run concurrently under WAL; writers queue on the busy timeout.
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open SQLite %s: %w", path, err)
	}
	return db, nil
}

// DefaultStatementTimeout bounds every PostgreSQL statement of the gateway unless DATABASE_URL
// sets its own statement_timeout: a backstop under the deadlines of requests (which cancel their
// statements when they pass), long enough for the first load of a large country's pages.
const DefaultStatementTimeout = 10 * time.Minute

// DefaultParallelWorkers is the gateway's max_parallel_workers_per_gather unless DATABASE_URL
// sets its own: none, so that one statement uses one core of the server. The bulkheads
// (graph/demand) count a place as a core: an analyst's aggregate that took parallel workers as
// well would take the cores the citizens' class keeps.
const DefaultParallelWorkers = 0

// OpenPostgres opens a PostgreSQL database through pgx. A search_path parameter in the URL
// selects the schema (tests use it for isolation); a statement_timeout parameter replaces
// DefaultStatementTimeout (0: none), a max_parallel_workers_per_gather parameter
// DefaultParallelWorkers.
func OpenPostgres(ctx context.Context, databaseURL string) (*sql.DB, error) {
	db, err := postgresDB(databaseURL)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to PostgreSQL %s (is it running, and is DATABASE_URL right?): %w", redact(databaseURL), err)
	}
	return db, nil
}

// postgresDB is OpenPostgres without connecting.
func postgresDB(databaseURL string) (*sql.DB, error) {
	if u, err := url.Parse(databaseURL); err == nil {
		q := u.Query()
		if !q.Has("statement_timeout") {
			q.Set("statement_timeout", strconv.FormatInt(DefaultStatementTimeout.Milliseconds(), 10))
		}
		if !q.Has("max_parallel_workers_per_gather") {
			q.Set("max_parallel_workers_per_gather", strconv.Itoa(DefaultParallelWorkers))
		}
		u.RawQuery = q.Encode()
		databaseURL = u.String()
	}
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return nil, fmt.Errorf("store: open PostgreSQL %s: %w", redact(databaseURL), err)
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(16)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return db, nil
}

// redact hides a password in a database URL for error messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Dev is a disposable empty database for computing migrations (see ent/migrate/diff).
type Dev struct {
	Driver *entsql.Driver
	DB     *sql.DB
	close  func() error
}

// Close drops the dev database.
func (d *Dev) Close() error { return d.close() }

// OpenDev opens an empty dev database of the dialect "sqlite" (in memory) or "postgres" (a
// temporary schema in the database at devURL, default the local test database).
func OpenDev(ctx context.Context, d, devURL string) (*Dev, error) {
	switch d {
	case "sqlite":
		db, err := sql.Open("sqlite", "file:dev?mode=memory&_pragma=foreign_keys(1)")
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(1) // one connection: the in-memory database lives in it
		return &Dev{Driver: entsql.OpenDB(dialect.SQLite, db), DB: db, close: db.Close}, nil
	case "postgres":
		if devURL == "" {
			devURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
		}
		schemaURL, drop, err := TempSchema(ctx, devURL, "birlik_dev")
		if err != nil {
			return nil, err
		}
		db, err := OpenPostgres(ctx, schemaURL)
		if err != nil {
			drop()
			return nil, err
		}
		return &Dev{Driver: entsql.OpenDB(dialect.Postgres, db), DB: db, close: func() error {
			db.Close()
			return drop()
		}}, nil
	}
	return nil, fmt.Errorf("store: unknown dialect %q: want sqlite or postgres", d)
}

// TempSchema creates a uniquely named schema in the PostgreSQL database at databaseURL and
// returns a URL whose connections use it (search_path), and a function dropping it.
func TempSchema(ctx context.Context, databaseURL, prefix string) (string, func() error, error) {
	admin, err := OpenPostgres(ctx, databaseURL)
	if err != nil {
		return "", nil, err
	}
	name := fmt.Sprintf("%s_%d_%d", prefix, os.Getpid(), time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+quoteIdent(name)); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("store: create schema %s: %w", name, err)
	}
	u, err := url.Parse(databaseURL)
	if err != nil {
		admin.Close()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	drop := func() error {
		defer admin.Close()
		ctx := context.Background()
		tx, err := admin.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		// Never drop while another session migrates (and inspects the catalog).
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DROP SCHEMA `+quoteIdent(name)+` CASCADE`); err != nil {
			return err
		}
		return tx.Commit()
	}
	return u.String(), drop, nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// ErrNoMigrations is returned when the binary embeds no migration for the dialect.
var ErrNoMigrations = errors.New("store: no migrations embedded for this dialect (run go run ./ent/migrate/diff)")
