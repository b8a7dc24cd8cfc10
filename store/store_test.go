package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/person"
	"github.com/birlik/birlik/store"
	"github.com/birlik/birlik/store/storetest"
)

func TestOpenMigratesAndReopens(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	p, err := s.Client.Person.Create().
		SetSource("justice").SetSourceKey("900101300015").SetSourceVersion("v1").
		SetIin("900101300015").SetLastName("Иванов").SetFirstName("Иван").
		SetBirthDate(domain.MustDate("1990-01-01")).SetSex(person.SexM).SetRegionKato("710000000").
		Save(ctx)
	if err != nil {
		t.Fatalf("create person: %v", err)
	}
	if got, want := p.ID>>32, int64(0); int64(got) == want {
		t.Errorf("person id %d is not in its global range", p.ID)
	}
	// Node resolution finds the type from the global ID alone.
	n, err := s.Client.Noder(ctx, p.ID)
	if err != nil {
		t.Fatalf("noder: %v", err)
	}
	if _, ok := n.(*ent.Person); !ok {
		t.Errorf("noder returned %T, want *ent.Person", n)
	}
	got, err := s.Client.Person.Query().Where(person.Iin("900101300015")).Only(ctx)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	if got.BirthDate != domain.MustDate("1990-01-01") || got.DeathDate != nil {
		t.Errorf("dates round-trip: birth %v death %v", got.BirthDate, got.DeathDate)
	}

	// Migrating again is a no-op.
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	// A second open of the same store sees the data.
	s2, err := store.Open(ctx, s.URL, s.DataDir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
	if n, err := s2.Client.Person.Query().Count(ctx); err != nil || n != 1 {
		t.Errorf("reopened store has %d persons (err %v), want 1", n, err)
	}
}

func TestOpenRejectsUnknownURL(t *testing.T) {
	_, err := store.Open(context.Background(), "mysql://x", t.TempDir())
	if err == nil {
		t.Fatal("want an error for a mysql:// DATABASE_URL")
	}
}

// TestPing: Ping answers nil while the store serves, and an error once it lost its tables or
// its connection.
func TestPing(t *testing.T) {
	ctx := context.Background()
	t.Run("tables dropped", func(t *testing.T) {
		s := storetest.Open(t)
		if err := s.Ping(ctx); err != nil {
			t.Fatalf("Ping on a fresh store: %v", err)
		}
		if _, err := s.DB.ExecContext(ctx, `DROP TABLE `+store.RevisionsTable); err != nil {
			t.Fatal(err)
		}
		if err := s.Ping(ctx); err == nil {
			t.Error("Ping after the store's tables were dropped: nil, want an error")
		}
	})
	t.Run("closed", func(t *testing.T) {
		s := storetest.Open(t)
		s.DB.Close()
		if err := s.Ping(ctx); err == nil {
			t.Error("Ping on a closed store: nil, want an error")
		}
	})
}

// TestAnalyzeGivesThePlannerStatistics: after Analyze, SQLite's planner has statistics of the
// store's indexes (sqlite_stat1), and PostgreSQL's of the tables named (pg_stat_user_tables
// records the analyze).
func TestAnalyzeGivesThePlannerStatistics(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t)
	if _, err := s.DB.ExecContext(ctx, s.Rebind(`INSERT INTO sync_cursors (source, cursor, records, total, done, updated_at) VALUES (?, ?, 0, 0, false, ?)`), "justice", "c", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.Analyze(ctx, "sync_cursors"); err != nil {
		t.Fatal(err)
	}
	var n int
	q := `SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'sync_cursors'`
	if s.Postgres() {
		q = `SELECT COUNT(*) FROM pg_stat_user_tables WHERE schemaname = current_schema() AND relname = 'sync_cursors' AND last_analyze IS NOT NULL`
	}
	if err := s.DB.QueryRowContext(ctx, q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Errorf("after Analyze the planner has no statistics of sync_cursors (%s)", s.Dialect)
	}
}
