package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	"ariga.io/atlas/sql/sqlite"
	"entgo.io/ent/dialect"

	"github.com/birlik/birlik/ent/migrate/migrations"
)

// migrationLock is the PostgreSQL advisory lock key that serialises migrations, and the
// dropping of test schemas (TempSchema), across processes: Atlas inspects the catalog, which
// fails ("could not open relation with OID") when another session drops relations meanwhile.
const migrationLock = 7235001

// RevisionsTable records the migrations applied to the store.
const RevisionsTable = "atlas_schema_revisions"

// Migrate applies the pending versioned migrations of the dialect in one transaction, with
// Atlas's executor; on PostgreSQL an advisory lock makes concurrent replicas wait for each
// other. It is a no-op on an up-to-date store.
func (s *Store) Migrate(ctx context.Context) error {
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		if err = migrateOnce(ctx, s.DB, s.Dialect); !isCatalogRace(err) {
			return err
		}
	}
	return err
}

func migrateOnce(ctx context.Context, db *sql.DB, d string) error {
	dir, err := Dir(d)
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migrate: begin: %w", err)
	}
	defer tx.Rollback()
	var drv migrate.Driver
	switch d {
	case dialect.Postgres:
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return fmt.Errorf("store: migrate: lock: %w", err)
		}
		drv, err = postgres.Open(tx)
	case dialect.SQLite:
		drv, err = sqlite.Open(tx)
	default:
		return fmt.Errorf("store: migrate: unknown dialect %q", d)
	}
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	rrw := &revisions{tx: tx, d: d}
	if err := rrw.init(ctx); err != nil {
		return err
	}
	ex, err := migrate.NewExecutor(drv, dir, rrw, migrate.WithAllowDirty(true), migrate.WithOperatorVersion("birlik"))
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	switch err := ex.ExecuteN(ctx, 0); {
	case errors.Is(err, migrate.ErrNoPendingFiles):
		return nil
	case err != nil:
		return fmt.Errorf("store: apply migrations: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migrate: commit: %w", err)
	}
	return nil
}

// Dir returns the embedded migration directory of the dialect.
func Dir(d string) (migrate.Dir, error) {
	sub := "sqlite"
	if d == dialect.Postgres {
		sub = "postgres"
	}
	mem := &migrate.MemDir{}
	entries, err := fs.ReadDir(migrations.FS, sub)
	if err != nil || len(entries) == 0 {
		return nil, ErrNoMigrations
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".sql") && e.Name() != migrate.HashFileName {
			continue
		}
		b, err := fs.ReadFile(migrations.FS, path.Join(sub, e.Name()))
		if err != nil {
			return nil, err
		}
		if err := mem.WriteFile(e.Name(), b); err != nil {
			return nil, err
		}
	}
	return mem, nil
}

// revisions stores Atlas's revisions as JSON in RevisionsTable, in the migration's transaction.
type revisions struct {
	tx *sql.Tx
	d  string
}

var _ migrate.RevisionReadWriter = (*revisions)(nil)

func (r *revisions) q(s string) string { return Rebind(r.d, s) }

func (r *revisions) init(ctx context.Context) error {
	_, err := r.tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+RevisionsTable+` (version TEXT PRIMARY KEY, data TEXT NOT NULL)`)
	if err != nil {
		return fmt.Errorf("store: create %s: %w", RevisionsTable, err)
	}
	return nil
}

func (r *revisions) Ident() *migrate.TableIdent { return &migrate.TableIdent{Name: RevisionsTable} }

func (r *revisions) ReadRevisions(ctx context.Context) ([]*migrate.Revision, error) {
	rows, err := r.tx.QueryContext(ctx, `SELECT data FROM `+RevisionsTable+` ORDER BY version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*migrate.Revision
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		rev, err := decodeRevision(data)
		if err != nil {
			return nil, err
		}
		out = append(out, rev)
	}
	return out, rows.Err()
}

func (r *revisions) ReadRevision(ctx context.Context, v string) (*migrate.Revision, error) {
	var data string
	err := r.tx.QueryRowContext(ctx, r.q(`SELECT data FROM `+RevisionsTable+` WHERE version = ?`), v).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, migrate.ErrRevisionNotExist
	}
	if err != nil {
		return nil, err
	}
	return decodeRevision(data)
}

func (r *revisions) WriteRevision(ctx context.Context, rev *migrate.Revision) error {
	b, err := encodeRevision(rev)
	if err != nil {
		return err
	}
	_, err = r.tx.ExecContext(ctx, r.q(`INSERT INTO `+RevisionsTable+` (version, data) VALUES (?, ?) ON CONFLICT (version) DO UPDATE SET data = excluded.data`), rev.Version, string(b))
	return err
}

func (r *revisions) DeleteRevision(ctx context.Context, v string) error {
	_, err := r.tx.ExecContext(ctx, r.q(`DELETE FROM `+RevisionsTable+` WHERE version = ?`), v)
	return err
}

// storedRevision is a Revision as stored (RevisionType marshals as text it cannot read back).
type storedRevision struct {
	Version         string        `json:"version"`
	Description     string        `json:"description"`
	Type            uint          `json:"type"`
	Applied         int           `json:"applied"`
	Total           int           `json:"total"`
	ExecutedAt      time.Time     `json:"executedAt"`
	ExecutionTime   time.Duration `json:"executionTime"`
	Error           string        `json:"error,omitempty"`
	ErrorStmt       string        `json:"errorStmt,omitempty"`
	Hash            string        `json:"hash"`
	PartialHashes   []string      `json:"partialHashes,omitempty"`
	OperatorVersion string        `json:"operatorVersion"`
}

func encodeRevision(r *migrate.Revision) ([]byte, error) {
	return json.Marshal(storedRevision{
		Version: r.Version, Description: r.Description, Type: uint(r.Type), Applied: r.Applied,
		Total: r.Total, ExecutedAt: r.ExecutedAt, ExecutionTime: r.ExecutionTime, Error: r.Error,
		ErrorStmt: r.ErrorStmt, Hash: r.Hash, PartialHashes: r.PartialHashes, OperatorVersion: r.OperatorVersion,
	})
}

func decodeRevision(data string) (*migrate.Revision, error) {
	var s storedRevision
	if err := json.Unmarshal([]byte(data), &s); err != nil {
		return nil, fmt.Errorf("store: read %s: %w", RevisionsTable, err)
	}
	return &migrate.Revision{
		Version: s.Version, Description: s.Description, Type: migrate.RevisionType(s.Type), Applied: s.Applied,
		Total: s.Total, ExecutedAt: s.ExecutedAt, ExecutionTime: s.ExecutionTime, Error: s.Error,
		ErrorStmt: s.ErrorStmt, Hash: s.Hash, PartialHashes: s.PartialHashes, OperatorVersion: s.OperatorVersion,
	}, nil
}
