package synctest

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/gen"
	"github.com/birlik/birlik/store"
	"github.com/birlik/birlik/store/storetest"
	"github.com/birlik/birlik/syncer"
)

// BenchPageSize is the page size of the benchmarks' in-memory feeds.
const BenchPageSize = 5000

// BenchPeople is BIRLIK_BENCH_PEOPLE, the size of the benchmarks' country, or def.
func BenchPeople(tb testing.TB, def int) int {
	v := os.Getenv("BIRLIK_BENCH_PEOPLE")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		tb.Fatalf("BIRLIK_BENCH_PEOPLE=%q: want a number of people", v)
	}
	return n
}

// BenchStore returns the store a benchmark runs on, holding the country country() returns
// (seed 1 and the benchmark's size), synced through the syncer from in-memory feeds.
//
// With BIRLIK_BENCH_STORE set — a folder for SQLite, or a postgres:// URL whose schema exists,
// e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable&search_path=bench1m — that store
// is kept between runs: it is synced only while a source's cursor is not done, so a large
// country is loaded once and an interrupted load resumes where it stopped. It must hold the
// same seed and size as the benchmark asks for (the number of persons it holds is logged).
// Without it, the store is a fresh storetest store (DATABASE_URL selects PostgreSQL).
//
// country is called only when the store must be synced. The sync logs its progress on standard
// error when the country has 100,000 people or more.
func BenchStore(tb testing.TB, people int, country func() *gen.Country) *storetest.Store {
	tb.Helper()
	ctx := context.Background()
	s := keptStore(tb)
	if s == nil {
		s = storetest.Open(tb)
	} else if done(tb, s) {
		var n int
		if err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM persons`).Scan(&n); err != nil {
			tb.Fatal(err)
		}
		tb.Logf("kept store %s: loaded, %d persons (the benchmark asks for %d people)", s.Dialect, n, people)
		restore(tb, s, slog.New(slog.NewTextHandler(os.Stderr, nil)))
		return s
	}
	t0 := time.Now()
	c := country()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if people >= 100000 {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if s.Dialect == dialect.Postgres && people >= BulkPeople {
		var loaded bool
		if err := s.DB.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM persons)`).Scan(&loaded); err != nil {
			tb.Fatal(err)
		}
		if !loaded {
			n, err := syncer.DeferIndexes(ctx, s.Store)
			if err != nil {
				tb.Fatal(err)
			}
			logger.Info("bulk load: deferred secondary indexes and foreign keys until the load is done", "deferred", n)
		}
	}
	sy := syncer.New(s.Store, syncer.Options{Logger: logger, LogEvery: 30 * time.Second})
	st, err := sy.Run(ctx, Feeds(CountryFeeds(c, BenchPageSize))...)
	if err != nil {
		tb.Fatal(err)
	}
	var recs int64
	for _, f := range st.Feeds {
		recs += f.Records
	}
	restore(tb, s, logger)
	el := time.Since(t0)
	tb.Logf("%s: synced %d people, %d records in %s (%.0f records/s, generation included)", s.Dialect, people, recs,
		el.Round(time.Second), float64(recs)/el.Seconds())
	return s
}

// BulkPeople is the size from which a benchmark loads an empty PostgreSQL store in bulk:
// secondary indexes and foreign keys deferred until the load is done (syncer.DeferIndexes).
const BulkPeople = 100000

// restore rebuilds the indexes and foreign keys a bulk load deferred, if any (a load that was
// interrupted during the rebuild is finished here).
func restore(tb testing.TB, s *storetest.Store, logger *slog.Logger) {
	tb.Helper()
	t0 := time.Now()
	n, err := syncer.RestoreIndexes(context.Background(), s.Store, "1GB", logger)
	if err != nil {
		tb.Fatal(err)
	}
	if n > 0 {
		tb.Logf("bulk load: rebuilt %d indexes and foreign keys in %s", n, time.Since(t0).Round(time.Second))
	}
}

// keptStore opens BIRLIK_BENCH_STORE, or returns nil when it is not set.
func keptStore(tb testing.TB) *storetest.Store {
	v := os.Getenv("BIRLIK_BENCH_STORE")
	if v == "" {
		return nil
	}
	s := &storetest.Store{}
	if strings.HasPrefix(v, "postgres") {
		s.URL = v
	} else {
		s.DataDir = v
	}
	st, err := store.Open(context.Background(), s.URL, s.DataDir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	s.Store = st
	return s
}

// done reports whether every source's cursor says its feed is done.
func done(tb testing.TB, s *storetest.Store) bool {
	var n int
	if err := s.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM sync_cursors WHERE done`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n == len(connectors.Sources)
}

// Synced generates a country of people from seed and syncs it into a new test store (pages of
// 2,000 records, sync logs discarded), for tests of what reads the store after a sync.
func Synced(tb testing.TB, seed int64, people int) (*gen.Country, *storetest.Store) {
	tb.Helper()
	c, err := gen.Generate(gen.Config{Seed: seed, People: people})
	if err != nil {
		tb.Fatal(err)
	}
	s := storetest.Open(tb)
	sy := syncer.New(s.Store, syncer.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if _, err := sy.Run(context.Background(), Feeds(CountryFeeds(c, 2000))...); err != nil {
		tb.Fatalf("sync: %v", err)
	}
	return c, s
}
