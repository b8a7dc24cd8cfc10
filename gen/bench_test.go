package gen

import (
	"fmt"
	"os"
	"testing"
)

// BenchmarkGenerate measures generation speed in records per second (every record of every
// source). Run: go test ./gen -run '^$' -bench Generate -benchtime 1x
// The 1,000,000-people size runs only with BIRLIK_BENCH_1M=1.
func BenchmarkGenerate(b *testing.B) {
	sizes := []int{20_000, 100_000}
	if os.Getenv("BIRLIK_BENCH_1M") == "1" {
		sizes = append(sizes, 1_000_000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("people=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			records := 0
			for b.Loop() {
				c, err := Generate(Config{Seed: 1, People: n})
				if err != nil {
					b.Fatal(err)
				}
				records = c.Records()
			}
			b.ReportMetric(float64(records), "records")
			b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
