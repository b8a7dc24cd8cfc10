package familycard_test

import (
	"context"
	"testing"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/familycard"
	"github.com/birlik/birlik/familycard/welfare"
	"github.com/birlik/birlik/gen"
	"github.com/birlik/birlik/syncer/synctest"
)

// BenchmarkAssessMonth assesses every family of a synced country for one month (indicators by
// one GROUP BY, classification, upsert of the assessments). BIRLIK_BENCH_PEOPLE sets the size
// (default 20,000); DATABASE_URL selects PostgreSQL; BIRLIK_BENCH_STORE keeps the loaded store
// between runs (see synctest.BenchStore), so a large country is generated and loaded once:
//
//	BIRLIK_BENCH_STORE='postgres://postgres@127.0.0.1:5432/test?sslmode=disable&search_path=bench1m' \
//	  BIRLIK_BENCH_PEOPLE=1000000 go test ./familycard -run '^$' -bench AssessMonth -benchtime 1x -timeout 3h
//
// Setup (generation and sync through in-memory feeds) is not timed. Each iteration assesses the
// month again (the first over the month's existing assessments, if the kept store has some).
func BenchmarkAssessMonth(b *testing.B) {
	n := synctest.BenchPeople(b, 20000)
	ctx := context.Background()
	s := synctest.BenchStore(b, n, func() *gen.Country {
		c, err := gen.Generate(gen.Config{Seed: 1, People: n})
		if err != nil {
			b.Fatal(err)
		}
		return c
	})
	a, err := familycard.NewAssessor(s.Store, welfare.Default)
	if err != nil {
		b.Fatal(err)
	}
	m := domain.MustMonth("2025-06")
	b.ResetTimer()
	var st familycard.MonthStats
	for i := 0; i < b.N; i++ {
		if st, err = a.AssessMonth(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(st.Families), "families")
	b.ReportMetric(float64(st.Families)*float64(b.N)/b.Elapsed().Seconds(), "families/s")
}
