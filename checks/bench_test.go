package checks_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/birlik/birlik/checks"
	"github.com/birlik/birlik/gen"
	"github.com/birlik/birlik/store"
	"github.com/birlik/birlik/store/storetest"
	"github.com/birlik/birlik/syncer"
	"github.com/birlik/birlik/syncer/synctest"
)

// BenchmarkChecks measures every check over a synced country of BIRLIK_BENCH_PEOPLE people
// (default 20,000; issue 6's target is 1,000,000 on PostgreSQL in under 60 s):
//
//	DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable BIRLIK_BENCH_PEOPLE=1000000 \
//	  go test ./checks -run '^$' -bench Checks -benchtime 1x -timeout 3h
//
// With BIRLIK_BENCH_STORE set (a folder for SQLite, or a postgres:// URL, e.g. with
// &search_path=bench1m) the store is kept between runs and synced only when it is empty, so a
// large country is loaded once; it must hold the same seed (1) and size.
//
// The country is loaded through the syncer from in-memory feeds (the simulators' HTTP is not
// what is measured). first_run_s is the first run over an empty findings table (every finding
// inserted); each timed iteration is a rerun (every finding upserted, nothing new).
func BenchmarkChecks(b *testing.B) {
	people := 20000
	if v := os.Getenv("BIRLIK_BENCH_PEOPLE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("BIRLIK_BENCH_PEOPLE=%q: want a number of people", v)
		}
		people = n
	}
	ctx := context.Background()
	c, err := gen.Generate(gen.Config{Seed: 1, People: people})
	if err != nil {
		b.Fatal(err)
	}
	s := benchStore(b)
	t0 := time.Now()
	var persons int
	if err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM persons`).Scan(&persons); err != nil {
		b.Fatal(err)
	}
	if persons == 0 {
		if _, err := syncer.New(s.DB, s.Dialect, syncer.Options{Logger: quiet}).Run(ctx, synctest.Feeds(synctest.CountryFeeds(c, 5000))...); err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: synced %d people in %s", s.Dialect, people, time.Since(t0).Round(time.Second))
	}
	if _, err := s.DB.ExecContext(ctx, `DELETE FROM findings`); err != nil { // a kept store starts the first run empty
		b.Fatal(err)
	}
	truth := len(c.Truth)
	c = nil // let the country go before measuring

	t0 = time.Now()
	sum, err := checks.Run(ctx, s.DB, s.Dialect, checks.Defaults())
	if err != nil {
		b.Fatal(err)
	}
	first := time.Since(t0)
	cases := 0
	for _, k := range sum.Kinds {
		cases += k.Cases
		b.Logf("first run %-31s %7d cases %s", k.Kind, k.Cases, k.Took.Round(time.Millisecond))
	}
	if cases != truth {
		b.Fatalf("%d cases, truth has %d", cases, truth)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := checks.Run(ctx, s.DB, s.Dialect, checks.Defaults()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(first.Seconds(), "first_run_s")
	b.ReportMetric(float64(cases), "findings")
	b.ReportMetric(float64(people), "people")
}

// benchStore is the kept store of BIRLIK_BENCH_STORE, or a fresh test store.
func benchStore(b *testing.B) *storetest.Store {
	v := os.Getenv("BIRLIK_BENCH_STORE")
	if v == "" {
		return storetest.Open(b)
	}
	s := &storetest.Store{}
	if strings.HasPrefix(v, "postgres") {
		s.URL = v
	} else {
		s.DataDir = v
	}
	client, db, d, err := store.Open(context.Background(), s.URL, s.DataDir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { client.Close() })
	s.Client, s.DB, s.Dialect = client, db, d
	return s
}
