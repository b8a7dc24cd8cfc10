package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/birlik/birlik/store"
)

// TestRouterRoutes: reads go to the replica unless the context asks for the primary; writes,
// transactions (with options too) and the reads in them go to the primary; a replica that fails
// (here: closed) sends its read to the primary and is left alone. Two SQLite files stand for
// the primary and the replica, each holding a row that names it.
func TestRouterRoutes(t *testing.T) {
	ctx := context.Background()
	open := func(name string) *entsql.Driver {
		db, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), name+".db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if _, err := db.Exec(`CREATE TABLE whoami (name TEXT); INSERT INTO whoami VALUES ('` + name + `')`); err != nil {
			t.Fatal(err)
		}
		return entsql.OpenDB(dialect.SQLite, db)
	}
	primary, replica := open("primary"), open("replica")
	r := store.NewRouter(primary, primary.DB(), replica, replica.DB())
	who := func(ctx context.Context, q dialect.ExecQuerier) string {
		t.Helper()
		var rows entsql.Rows
		if err := q.Query(ctx, `SELECT name FROM whoami`, []any{}, &rows); err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var name string
		for rows.Next() {
			if err := rows.Scan(&name); err != nil {
				t.Fatal(err)
			}
		}
		return name
	}
	if got := who(ctx, r); got != "replica" {
		t.Errorf("a read went to %s, want the replica", got)
	}
	if got := who(store.Primary(ctx), r); got != "primary" {
		t.Errorf("a read marked Primary went to %s", got)
	}
	if !store.OnPrimary(store.Primary(ctx)) || store.OnPrimary(ctx) {
		t.Error("OnPrimary does not tell a marked context from an unmarked one")
	}
	if err := r.Exec(ctx, `UPDATE whoami SET name = name || '!'`, []any{}, nil); err != nil {
		t.Fatal(err)
	}
	if got := who(store.Primary(ctx), r); got != "primary!" {
		t.Errorf("after a write through the router the primary holds %q, want primary!", got)
	}
	tx, err := r.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := who(ctx, tx); got != "primary!" {
		t.Errorf("a read in a transaction went to %s, want the primary", got)
	}
	tx.Rollback()
	btx, err := r.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := who(ctx, btx); got != "primary!" {
		t.Errorf("a read in a BeginTx transaction went to %s, want the primary", got)
	}
	btx.Rollback()
	if rep, prim, _ := r.Served(); rep != 1 || prim != 2 {
		t.Errorf("Served = %d on the replica, %d on the primary; want 1 and 2 (reads in transactions are not the router's)", rep, prim)
	}

	replica.DB().Close()
	if got := who(ctx, r); got != "primary!" {
		t.Errorf("with the replica closed a read went to %s, want the primary", got)
	}
	if down, why := r.Down(); !down || why == "" {
		t.Errorf("Down = %v %q after the replica failed a read; want down with the reason", down, why)
	}
	if got := who(ctx, r); got != "primary!" {
		t.Errorf("the replica down, a read went to %s, want the primary", got)
	}
	if _, _, fb := r.Served(); fb != 1 {
		t.Errorf("fallbacks = %d, want 1 (the read the replica failed; the next went to the primary directly)", fb)
	}
}

// TestReadURLNeedsPostgres: a read replica of the embedded SQLite store is refused, naming the
// setting.
func TestReadURLNeedsPostgres(t *testing.T) {
	_, err := store.OpenWith(context.Background(), "", t.TempDir(), store.Options{ReadURL: "postgres://postgres@127.0.0.1:1/test"})
	if err == nil || !strings.Contains(err.Error(), "DATABASE_READ_URL") || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Fatalf("OpenWith(SQLite, ReadURL) = %v; want an error naming DATABASE_READ_URL and DATABASE_URL", err)
	}
}
