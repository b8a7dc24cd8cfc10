package store_test

import (
	"context"
	"database/sql"
	"os"
	"testing"
	"time"

	"github.com/birlik/birlik/apperr"
	"github.com/birlik/birlik/store/storetest"
)

// TestStatementsStopAtTheirDeadline: a statement that would run for minutes stops when its
// request's context passes its deadline (pgx sends PostgreSQL a cancel request; SQLite is
// interrupted), and the error a client then sees is TIMEOUT, not INTERNAL.
func TestStatementsStopAtTheirDeadline(t *testing.T) {
	st := storetest.Open(t)
	long := `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) SELECT count(*) FROM n`
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var n int64
	done := make(chan error, 1)
	go func() { done <- st.DB.QueryRowContext(ctx, long).Scan(&n) }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatalf("a billion-row statement finished under a 300 ms deadline (%d)", n)
		}
		if ctx.Err() == nil {
			t.Fatalf("the statement failed before its deadline: %v", err)
		}
		if code := apperr.CodeOf(err); code != apperr.Timeout {
			t.Errorf("a statement past its deadline shows the client %s (%v), want TIMEOUT", code, err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the statement ran on two minutes past its deadline")
	}
}

// TestPostgresStatementTimeout: every PostgreSQL connection carries a statement_timeout, a
// backstop under the requests' deadlines, and runs its statements without parallel workers.
func TestPostgresStatementTimeout(t *testing.T) {
	if os.Getenv("DATABASE_URL") == "" {
		t.Skip("DATABASE_URL is not set: the PostgreSQL statement timeout is tested against a real PostgreSQL")
	}
	st := storetest.Open(t)
	var v string
	if err := st.DB.QueryRowContext(context.Background(), "SHOW statement_timeout").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != "10min" {
		t.Errorf("statement_timeout = %q, want 10min", v)
	}
	// One statement, one core: the bulkheads count places as cores.
	if err := st.DB.QueryRowContext(context.Background(), "SHOW max_parallel_workers_per_gather").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != "0" {
		t.Errorf("max_parallel_workers_per_gather = %q, want 0", v)
	}
}

// TestPingSurvivesATerminatedConnection: after PostgreSQL terminates the pool's connections
// (pg_terminate_backend, as a failover or an operator does), the store still answers its ping.
func TestPingSurvivesATerminatedConnection(t *testing.T) {
	if os.Getenv("DATABASE_URL") == "" {
		t.Skip("DATABASE_URL is not set: terminating connections is tested against a real PostgreSQL")
	}
	st := storetest.Open(t)
	ctx := context.Background()
	st.DB.SetMaxIdleConns(1)
	if err := st.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	var pid int
	if err := st.DB.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("pgx", os.Getenv("DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var ok bool
	if err := other.QueryRowContext(ctx, "SELECT pg_terminate_backend($1)", pid).Scan(&ok); err != nil || !ok {
		t.Fatalf("terminating the pool's connection %d: %v %v", pid, ok, err)
	}
	if err := st.Ping(ctx); err != nil {
		t.Errorf("the store does not answer after one of its connections was terminated: %v", err)
	}
}
