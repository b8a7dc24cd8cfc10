package familycard_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/familycard"
	"github.com/birlik/birlik/familycard/welfare"
	"github.com/birlik/birlik/gen"
	"github.com/birlik/birlik/store/storetest"
	"github.com/birlik/birlik/syncer"
	"github.com/birlik/birlik/syncer/synctest"
)

// BenchmarkAssessMonth assesses every family of a synced country for one month (indicators by
// one GROUP BY, classification, upsert of the assessments). BIRLIK_BENCH_PEOPLE sets the size
// (default 20,000); DATABASE_URL selects PostgreSQL. Setup (generation and sync through in-memory
// feeds) is not timed.
func BenchmarkAssessMonth(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("BIRLIK_BENCH_PEOPLE")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	t0 := time.Now()
	c, err := gen.Generate(gen.Config{Seed: 1, People: n})
	if err != nil {
		b.Fatal(err)
	}
	s := storetest.Open(b)
	if _, err := syncer.New(s.DB, s.Dialect, syncer.Options{Logger: quiet}).Run(ctx, synctest.Feeds(synctest.CountryFeeds(c, 5000))...); err != nil {
		b.Fatal(err)
	}
	b.Logf("setup: %d people generated and synced into %s in %v", n, s.Dialect, time.Since(t0).Round(time.Second))
	a, err := familycard.NewAssessor(s.DB, s.Dialect, welfare.Default)
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
