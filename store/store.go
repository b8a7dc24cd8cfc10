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
	"strings"
	"sync"
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

// Open opens the store named by databaseURL, or the embedded SQLite store <dataDir>/birlik.db
// when databaseURL is empty, and applies the pending migrations. It returns the Ent client, the
// underlying *sql.DB (for set-based SQL the checks run), and the Ent dialect name
// (dialect.SQLite or dialect.Postgres). Close the client when done; it closes the DB.
func Open(ctx context.Context, databaseURL, dataDir string) (*ent.Client, *sql.DB, string, error) {
	return OpenWith(ctx, databaseURL, dataDir, Options{})
}

// Options are the store's settings beyond its address.
type Options struct {
	// Pipeline is how many connections at once carry PostgreSQL reads in pipeline mode (see
	// Pipeline): 0 picks one per CPU (at least 2), -1 sends every read on its own round trip.
	Pipeline int
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, databaseURL, dataDir string, o Options) (*ent.Client, *sql.DB, string, error) {
	db, d, err := OpenDB(ctx, databaseURL, dataDir)
	if err != nil {
		return nil, nil, "", err
	}
	if err := Migrate(ctx, db, d); err != nil {
		db.Close()
		return nil, nil, "", err
	}
	drv := newDriver(db, d, o.Pipeline)
	client := ent.NewClient(ent.Driver(drv))
	pipeline, _ := drv.(*Pipeline)
	opened.Store(client, openedDB{db, d, pipeline})
	return client, db, d, nil
}

// opened remembers the database and dialect under each client Open returned, for code handed
// only the client (DBOf).
var opened sync.Map // *ent.Client -> openedDB

type openedDB struct {
	db       *sql.DB
	d        string
	pipeline *Pipeline // nil unless PostgreSQL with the pipeline on
}

// DBOf returns the *sql.DB and dialect under a client that Open returned (ok false for any
// other client), for set-based SQL by code that is handed only the client.
func DBOf(client *ent.Client) (db *sql.DB, d string, ok bool) {
	v, ok := opened.Load(client)
	if !ok {
		return nil, "", false
	}
	o := v.(openedDB)
	return o.db, o.d, true
}

// PipelineOf returns the read pipeline under a client that Open returned, or nil when it has
// none (SQLite, or Options.Pipeline -1).
func PipelineOf(client *ent.Client) *Pipeline {
	v, ok := opened.Load(client)
	if !ok {
		return nil
	}
	return v.(openedDB).pipeline
}

// OpenDB opens the database without migrating it. See Open.
func OpenDB(ctx context.Context, databaseURL, dataDir string) (*sql.DB, string, error) {
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

// OpenPostgres opens a PostgreSQL database through pgx. A search_path parameter in the URL
// selects the schema (tests use it for isolation).
func OpenPostgres(ctx context.Context, databaseURL string) (*sql.DB, error) {
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return nil, fmt.Errorf("store: open PostgreSQL %s: %w", redact(databaseURL), err)
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(16)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to PostgreSQL %s (is it running, and is DATABASE_URL right?): %w", redact(databaseURL), err)
	}
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
