package storetest

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/store"
)

// Statement is one statement Ent read with, and its arguments.
type Statement struct {
	Query string
	Args  []any
}

// Recorder is an Ent driver that keeps the statements Ent reads with (Query, not Exec).
type Recorder struct {
	dialect.Driver
	mu    sync.Mutex
	stmts []Statement
}

// Query records the statement and runs it.
func (r *Recorder) Query(ctx context.Context, q string, args, v any) error {
	a, _ := args.([]any)
	r.mu.Lock()
	r.stmts = append(r.stmts, Statement{q, a})
	r.mu.Unlock()
	return r.Driver.Query(ctx, q, args, v)
}

// Take returns the statements recorded since the last Take and forgets them.
func (r *Recorder) Take() []Statement {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stmts
	r.stmts = nil
	return s
}

// SQLite is a fresh, migrated SQLite store whose client records its reads, for tests of how
// SQLite plans the gateway's statements (Plan). SQLite always, whatever DATABASE_URL says: the
// plans checked are SQLite's own.
type SQLite struct {
	Client   *ent.Client
	DB       *sql.DB
	Recorder *Recorder
}

// OpenSQLite returns a fresh SQLite store for t, closed by t.Cleanup.
func OpenSQLite(t testing.TB) *SQLite {
	t.Helper()
	ctx := context.Background()
	s, err := store.OpenDB(ctx, "", t.TempDir())
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() { s.DB.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("storetest: %v", err)
	}
	rec := &Recorder{Driver: entsql.OpenDB(s.Dialect, s.DB)}
	return &SQLite{Client: ent.NewClient(ent.Driver(rec)), DB: s.DB, Recorder: rec}
}

// Plan returns the lines of SQLite's EXPLAIN QUERY PLAN for st ("SEARCH t USING INDEX …",
// "SCAN t", …).
func (s *SQLite) Plan(t testing.TB, st Statement) []string {
	t.Helper()
	rows, err := s.DB.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+st.Query, st.Args...)
	if err != nil {
		t.Fatalf("storetest: explain %s: %v", st.Query, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatalf("storetest: explain %s: %v", st.Query, err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("storetest: explain %s: %v", st.Query, err)
	}
	return plan
}

// Scans returns the lines of plan that read table whole ("SCAN table …"), not by an index.
func Scans(plan []string, table string) []string {
	var out []string
	for _, p := range plan {
		if f := strings.Fields(p); len(f) >= 2 && f[0] == "SCAN" && f[1] == table {
			out = append(out, p)
		}
	}
	return out
}
