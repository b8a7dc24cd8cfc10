package health_test

import (
	"context"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"

	"github.com/birlik/birlik/connectors/health"
	"github.com/birlik/birlik/connectors/transport"
	"github.com/birlik/birlik/gen"
	simhealth "github.com/birlik/birlik/sim/health"
)

// TestFullPullOfGeneratedCountry pulls a country from the generator through the simulator:
// every record arrives, none is quarantined (the generator makes only valid records), in order.
func TestFullPullOfGeneratedCountry(t *testing.T) {
	t.Parallel()
	c, err := gen.Generate(gen.Config{Seed: 7, People: 3000})
	if err != nil {
		t.Fatal(err)
	}
	_, url := serve(t, c)
	cl := health.New(url, fast())
	cl.PageSize = 500
	got, _ := pull(t, cl, "")
	sameRecords(t, got, c)
	if len(got.Quarantined) > 0 {
		t.Errorf("%d records of a generated country quarantined, first: %+v", len(got.Quarantined), got.Quarantined[0])
	}
}

// BenchmarkFullPull measures a full pull of a generated country through the connector from its
// simulator over loopback HTTP. Size: BIRLIK_BENCH_PEOPLE (default 5000), e.g.
//
//	BIRLIK_BENCH_PEOPLE=1000000 go test ./connectors/health -run '^$' -bench FullPull -benchtime 1x
func BenchmarkFullPull(b *testing.B) {
	people := 5000
	if v := os.Getenv("BIRLIK_BENCH_PEOPLE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("BIRLIK_BENCH_PEOPLE=%q: want a number of people", v)
		}
		people = n
	}
	c, err := gen.Generate(gen.Config{Seed: 7, People: people})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(simhealth.New(c))
	defer ts.Close()
	want := len(c.MedicalInstitutions) + len(c.Attachments) + len(c.Visits) + len(c.Coverages)
	cl := health.New(ts.URL, transport.Config{})
	ctx := context.Background()
	b.ResetTimer()
	records := 0
	for b.Loop() {
		n, cursor := 0, ""
		for {
			p, err := cl.Next(ctx, cursor)
			if err != nil {
				b.Fatal(err)
			}
			n += len(p.MedicalInstitutions) + len(p.Attachments) + len(p.Visits) + len(p.Coverages) + len(p.Quarantined)
			cursor = p.Cursor
			if p.Done {
				break
			}
		}
		if n != want {
			b.Fatalf("pulled %d records, the country has %d", n, want)
		}
		records += n
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(want), "records/pull")
}
