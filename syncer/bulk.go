package syncer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"entgo.io/ent/dialect"

	"github.com/birlik/birlik/ent/change"
	"github.com/birlik/birlik/ent/familymembership"
	"github.com/birlik/birlik/store"
)

// Bulk loading on PostgreSQL. A first load of a large country into an empty store is bound by
// the secondary indexes and foreign keys: every row enters several B-trees at random places and
// is checked against its targets, and once the indexes outgrow the server's shared buffers each
// insert reads and evicts pages. DeferIndexes drops them before such a load and RestoreIndexes
// builds them again afterwards, each index in one sorted pass (what pg_restore does).
//
// What a load needs stays: primary keys and unique indexes (the upsert's ON CONFLICT and the
// natural keys foreign keys are resolved by), and the indexes sync itself reads by. The
// definitions dropped are kept in the store, in the table DeferredDDLTable, in the same
// transaction as the drop: a process that dies during the load or the restore leaves them
// there, and the next RestoreIndexes finishes the work. Nothing is lost at any point.

// DeferredDDLTable holds the definitions DeferIndexes dropped until RestoreIndexes rebuilds them.
const DeferredDDLTable = "sync_deferred_ddl"

// bulkTables are the tables sync writes.
func bulkTables() []string {
	ts := []string{change.Table}
	for _, s := range specs {
		ts = append(ts, s.table)
	}
	return ts
}

// keptLeads are, per table, the columns an index must not lead with to be deferred: the natural
// keys other rows' foreign keys are resolved by, and the family of a membership (sync prunes a
// family's memberships by it).
func keptLeads() map[string]map[string]bool {
	m := map[string]map[string]bool{familymembership.Table: {familymembership.FieldFamilyPlatformID: true}}
	for _, s := range specs {
		for _, r := range s.refs {
			if m[r.target] == nil {
				m[r.target] = map[string]bool{}
			}
			m[r.target][r.key] = true
		}
	}
	return m
}

// DeferIndexes drops the secondary indexes and foreign keys of the tables sync writes, in the
// current schema of a PostgreSQL store, recording their definitions so that RestoreIndexes can
// build them again. It returns how many it dropped. Call it only before a first load (it refuses
// when persons already holds rows): queries on a store without its indexes are slow, and the
// store lacks its foreign-key checks until RestoreIndexes has run.
func DeferIndexes(ctx context.Context, st *store.Store) (int, error) {
	db, d := st.DB, st.Dialect
	if d != dialect.Postgres {
		return 0, fmt.Errorf("deferring indexes: only PostgreSQL stores are bulk loaded (this store is %s)", d)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit, a no-op
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+qi(DeferredDDLTable)+
		` (ord bigserial PRIMARY KEY, tbl text NOT NULL, name text NOT NULL, ddl text NOT NULL, deferred_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return 0, fmt.Errorf("deferring indexes: create %s: %w", DeferredDDLTable, err)
	}
	var persons bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM persons)`).Scan(&persons); err != nil {
		return 0, fmt.Errorf("deferring indexes: %w", err)
	}
	if persons {
		return 0, errors.New("deferring indexes: the store already holds persons; defer indexes only before a first load into an empty store")
	}
	type item struct{ tbl, name, ddl, drop string }
	var items []item
	tables := bulkTables()
	// Foreign keys first: their definitions name the indexes' tables, not the indexes.
	rows, err := tx.QueryContext(ctx, `SELECT c.relname, con.conname, pg_get_constraintdef(con.oid)
		FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND con.contype = 'f' AND c.relname = ANY($1) ORDER BY c.relname, con.conname`, tables)
	if err != nil {
		return 0, fmt.Errorf("deferring indexes: read the foreign keys: %w", err)
	}
	for rows.Next() {
		var tbl, name, def string
		if err := rows.Scan(&tbl, &name, &def); err != nil {
			rows.Close()
			return 0, err
		}
		items = append(items, item{tbl, name,
			fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", qi(tbl), qi(name), def),
			fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", qi(tbl), qi(name))})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	keep := keptLeads()
	rows, err = tx.QueryContext(ctx, `SELECT c.relname, i.relname, pg_get_indexdef(x.indexrelid), pg_get_indexdef(x.indexrelid, 1, true)
		FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relname = ANY($1) AND NOT x.indisunique AND NOT x.indisprimary
		ORDER BY c.relname, i.relname`, tables)
	if err != nil {
		return 0, fmt.Errorf("deferring indexes: read the indexes: %w", err)
	}
	for rows.Next() {
		var tbl, name, def, lead string
		if err := rows.Scan(&tbl, &name, &def, &lead); err != nil {
			rows.Close()
			return 0, err
		}
		if keep[tbl][lead] {
			continue
		}
		items = append(items, item{tbl, name, def, "DROP INDEX " + qi(name)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, it := range items {
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+qi(DeferredDDLTable)+` (tbl, name, ddl) VALUES ($1, $2, $3)`, it.tbl, it.name, it.ddl); err != nil {
			return 0, fmt.Errorf("deferring indexes: record %s: %w", it.name, err)
		}
		if _, err := tx.ExecContext(ctx, it.drop); err != nil {
			return 0, fmt.Errorf("deferring indexes: %s: %w", it.drop, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("deferring indexes: commit: %w", err)
	}
	return len(items), nil
}

// RestoreIndexes analyzes the tables sync writes, then builds every index and foreign key
// DeferIndexes dropped, in the order it dropped them (foreign keys, then indexes), each in its
// own transaction that also removes its record, then analyzes the tables again (for the new
// indexes). The first ANALYZE is what keeps the foreign keys' validation linear in the rows: each
// validation is one anti-join of the referencing table against the referenced one, planned on the
// tables' statistics, and statistics taken while the load ran (the first page of a table, or none)
// say a column such as payments.school_id is empty. The planner then validates by one index
// probe per referencing row instead of one hash of the referenced table; at 5 million people that
// took one foreign key from seconds to over ten minutes. It returns how many it rebuilt; with nothing deferred (or on
// SQLite) it does nothing. maintenanceWorkMem, when not empty, is the session's
// maintenance_work_mem for the builds (e.g. "1GB"; the server's default is small).
func RestoreIndexes(ctx context.Context, st *store.Store, maintenanceWorkMem string, logger *slog.Logger) (int, error) {
	return restoreIndexes(ctx, st.DB, st.Dialect, maintenanceWorkMem, logger, nil)
}

// restoreIndexes is RestoreIndexes calling rebuilt, when set, after each definition it rebuilt.
func restoreIndexes(ctx context.Context, db *sql.DB, d string, maintenanceWorkMem string, logger *slog.Logger, rebuilt func(tbl, name string)) (int, error) {
	if d != dialect.Postgres {
		return 0, nil
	}
	if logger == nil {
		logger = slog.Default()
	}
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, qi(DeferredDDLTable)).Scan(&exists); err != nil {
		return 0, fmt.Errorf("restoring indexes: %w", err)
	}
	if !exists {
		return 0, nil
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if maintenanceWorkMem != "" {
		if _, err := conn.ExecContext(ctx, `SELECT set_config('maintenance_work_mem', $1, false)`, maintenanceWorkMem); err != nil {
			return 0, fmt.Errorf("restoring indexes: maintenance_work_mem %q: %w", maintenanceWorkMem, err)
		}
		defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), `RESET maintenance_work_mem`) }()
	}
	// An index build or a foreign key's validation takes as long as its table is large (minutes
	// at millions of people), longer than the statement timeout that bounds the gateway's
	// statements (store.DefaultStatementTimeout): this connection has none, and the context bounds it.
	if _, err := conn.ExecContext(ctx, `SET statement_timeout = 0`); err != nil {
		return 0, fmt.Errorf("restoring indexes: %w", err)
	}
	defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), `RESET statement_timeout`) }()
	if err := analyzeBulkTables(ctx, conn); err != nil {
		return 0, fmt.Errorf("restoring indexes: %w", err)
	}
	n := 0
	for {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return n, err
		}
		var ord int64
		var tbl, name, ddl string
		err = tx.QueryRowContext(ctx, `SELECT ord, tbl, name, ddl FROM `+qi(DeferredDDLTable)+` ORDER BY ord LIMIT 1 FOR UPDATE`).Scan(&ord, &tbl, &name, &ddl)
		if errors.Is(err, sql.ErrNoRows) {
			_ = tx.Rollback()
			break
		}
		if err != nil {
			_ = tx.Rollback()
			return n, fmt.Errorf("restoring indexes: %w", err)
		}
		t0 := time.Now()
		if _, err := tx.ExecContext(ctx, ddl); err != nil {
			_ = tx.Rollback()
			return n, fmt.Errorf("restoring indexes: %s on %s: %w", name, tbl, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+qi(DeferredDDLTable)+` WHERE ord = $1`, ord); err != nil {
			_ = tx.Rollback()
			return n, fmt.Errorf("restoring indexes: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return n, fmt.Errorf("restoring indexes: commit %s: %w", name, err)
		}
		n++
		logger.Info("sync: rebuilt a deferred index or foreign key", "table", tbl, "name", name, "took", time.Since(t0).Round(time.Millisecond))
		if rebuilt != nil {
			rebuilt(tbl, name)
		}
	}
	if _, err := conn.ExecContext(ctx, `DROP TABLE IF EXISTS `+qi(DeferredDDLTable)); err != nil {
		return n, fmt.Errorf("restoring indexes: %w", err)
	}
	if err := analyzeBulkTables(ctx, conn); err != nil {
		return n, fmt.Errorf("restoring indexes: %w", err)
	}
	return n, nil
}

// analyzeBulkTables analyzes every table sync writes.
func analyzeBulkTables(ctx context.Context, conn *sql.Conn) error {
	for _, t := range bulkTables() {
		if _, err := conn.ExecContext(ctx, `ANALYZE `+qi(t)); err != nil {
			return fmt.Errorf("analyze %s: %w", t, err)
		}
	}
	return nil
}
