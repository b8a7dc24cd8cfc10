package store_test

import (
	"context"
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
// backstop under the requests' deadlines.
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
}
