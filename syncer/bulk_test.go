package syncer_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/birlik/birlik/store"
	"github.com/birlik/birlik/store/storetest"
	"github.com/birlik/birlik/syncer"
	"github.com/birlik/birlik/syncer/synctest"
)

// schemaDDL lists the current schema's indexes and constraints, as PostgreSQL prints them.
func schemaDDL(t *testing.T, s *storetest.Store) string {
	t.Helper()
	rows, err := s.DB.QueryContext(context.Background(), `
		SELECT c.relname || ' ' || pg_get_indexdef(x.indexrelid) FROM pg_index x
		JOIN pg_class c ON c.oid = x.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema()
		UNION ALL
		SELECT c.relname || ' ' || con.conname || ' ' || pg_get_constraintdef(con.oid) FROM pg_constraint con
		JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema()
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, "\n")
}

// A bulk load (indexes deferred, then rebuilt) leaves the same schema and the same data as an
// ordinary sync, and an interrupted rebuild is finished by the next one.
func TestBulkLoad(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	if s.Dialect != dialect.Postgres {
		if _, err := syncer.DeferIndexes(ctx, s.Store); err == nil {
			t.Fatal("DeferIndexes on SQLite: no error")
		}
		t.Skip("bulk loading is PostgreSQL's (set DATABASE_URL)")
	}
	c := country(t, 3, 1000)
	want := schemaDDL(t, s)

	n, err := syncer.DeferIndexes(ctx, s.Store)
	if err != nil {
		t.Fatal(err)
	}
	deferred := schemaDDL(t, s)
	if n < 10 || deferred == want {
		t.Fatalf("deferred %d definitions; the schema changed: %v", n, deferred != want)
	}
	for _, l := range strings.Split(want, "\n") {
		if strings.Contains(l, "UNIQUE INDEX") && !strings.Contains(deferred, l) {
			t.Errorf("a unique key was dropped: %s", l)
		}
	}
	written := map[string]bool{}
	for _, tb := range syncer.BulkTables() {
		written[tb] = true
	}
	for _, l := range strings.Split(deferred, "\n") {
		if tb, _, _ := strings.Cut(l, " "); written[tb] && strings.Contains(l, "FOREIGN KEY") {
			t.Errorf("a foreign key of a table sync writes was left: %s", l)
		}
	}
	sy := syncer.New(s.Store, syncer.Options{Logger: quiet})
	if _, err := sy.Run(ctx, synctest.Feeds(synctest.CountryFeeds(c, 400))...); err != nil {
		t.Fatalf("bulk sync: %v", err)
	}
	if _, err := syncer.DeferIndexes(ctx, s.Store); err == nil || !strings.Contains(err.Error(), "already holds persons") {
		t.Errorf("DeferIndexes on a loaded store: %v, want a refusal", err)
	}

	// A rebuild that stops part-way (here: cancelled after its first definition) is finished by
	// the next one. By the first definition, every table the load wrote has statistics: the
	// foreign keys' validation is planned on them.
	var loaded time.Time
	if err := s.DB.QueryRowContext(ctx, `SELECT clock_timestamp()`).Scan(&loaded); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	first := true
	stop := func(string, string) {
		if first {
			first = false
			cancel()
			for _, tb := range syncer.BulkTables() {
				var analyzed bool
				if err := s.DB.QueryRowContext(ctx, `SELECT coalesce(last_analyze >= $2, false) FROM pg_stat_user_tables
					WHERE schemaname = current_schema() AND relname = $1`, tb, loaded).Scan(&analyzed); err != nil {
					t.Errorf("statistics of %s: %v", tb, err)
				} else if !analyzed {
					t.Errorf("%s was not analyzed after the load, before the first foreign key was rebuilt", tb)
				}
			}
		}
	}
	got, err := syncer.RestoreIndexesObserved(cctx, s.DB, s.Dialect, "64MB", quiet, stop)
	if err == nil || got != 1 {
		t.Fatalf("interrupted rebuild: %d rebuilt, err %v; want 1 and the cancellation", got, err)
	}
	// The rest is rebuilt through connections whose statements time out after 1 ms, as a large
	// table's index would outlast the gateway's statement timeout: the rebuild has none.
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("statement_timeout", "1")
	u.RawQuery = q.Encode()
	short, err := store.OpenPostgres(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer short.Close()
	if _, err := short.ExecContext(ctx, `SELECT pg_sleep(0.05)`); err == nil {
		t.Fatal("a 50 ms statement passed a 1 ms statement timeout: the test proves nothing")
	}
	got, err = syncer.RestoreIndexesObserved(ctx, short, s.Dialect, "64MB", quiet, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got != n-1 {
		t.Errorf("rebuilt %d after the interruption, want %d", got, n-1)
	}
	if after := schemaDDL(t, s); after != want {
		t.Errorf("schema after the rebuild differs from the migrated one:\n got %s\nwant %s", after, want)
	}
	if again, err := syncer.RestoreIndexes(ctx, s.Store, "", quiet); err != nil || again != 0 {
		t.Errorf("second rebuild: %d, %v; want 0, nil", again, err)
	}

	// The same country synced the ordinary way holds the same content.
	o := storetest.Open(t)
	if _, err := syncer.New(o.Store, syncer.Options{Logger: quiet}).Run(ctx, synctest.Feeds(synctest.CountryFeeds(c, 400))...); err != nil {
		t.Fatal(err)
	}
	if a, b := dump(t, s, false), dump(t, o, false); a != b {
		t.Error("the bulk-loaded store's content differs from an ordinary sync's")
	}
}
