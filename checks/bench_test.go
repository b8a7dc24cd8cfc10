package checks_test

import (
	"context"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/birlik/birlik/checks"
	"github.com/birlik/birlik/gen"
	"github.com/birlik/birlik/syncer/synctest"
)

// BenchmarkChecks measures every check over a synced country of BIRLIK_BENCH_PEOPLE people
// (default 20,000; the target is 1,000,000 on PostgreSQL in under 60 s):
//
//	DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable BIRLIK_BENCH_PEOPLE=1000000 \
//	  go test ./checks -run '^$' -bench Checks -benchtime 1x -timeout 3h
//
// With BIRLIK_BENCH_STORE set (a folder for SQLite, or a postgres:// URL, e.g. with
// &search_path=bench1m) the store is kept between runs and synced only until its load is done,
// so a large country is loaded once (synctest.BenchStore); it must hold the same seed (1) and
// size. The country is still generated, for its ground truth.
//
// The country is loaded through the syncer from in-memory feeds (the simulators' HTTP is not
// what is measured). first_run_s is the first run over an empty findings table (every finding
// inserted); each timed iteration is a rerun (every finding upserted, nothing new).
func BenchmarkChecks(b *testing.B) {
	people := synctest.BenchPeople(b, 20000)
	ctx := context.Background()
	c, err := gen.Generate(gen.Config{Seed: 1, People: people})
	if err != nil {
		b.Fatal(err)
	}
	s := synctest.BenchStore(b, people, func() *gen.Country { return c })
	if _, err := s.DB.ExecContext(ctx, `DELETE FROM findings`); err != nil { // a kept store starts the first run empty
		b.Fatal(err)
	}
	if s.Dialect == dialect.Postgres {
		// ... as a fresh store would: without the dead rows of the runs before (the server here
		// runs no autovacuum).
		if _, err := s.DB.ExecContext(ctx, `VACUUM ANALYZE findings, finding_persons, finding_schools, finding_employers,
			finding_medical_institutions, finding_buildings, finding_payments, finding_families`); err != nil {
			b.Fatal(err)
		}
	}
	truth := len(c.Truth)
	c = nil // let the country go before measuring

	t0 := time.Now()
	sum, err := checks.Run(ctx, s.Store, checks.Defaults())
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
		if sum, err = checks.Run(ctx, s.Store, checks.Defaults()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	for _, k := range sum.Kinds {
		b.Logf("rerun     %-31s %7d cases %s", k.Kind, k.Cases, k.Took.Round(time.Millisecond))
	}
	b.ReportMetric(first.Seconds(), "first_run_s")
	b.ReportMetric(float64(cases), "findings")
	b.ReportMetric(float64(people), "people")
}
