package main

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseInts(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []int
		wantErr bool
	}{
		{"1,16,64", []int{1, 16, 64}, false},
		{" 4 ", []int{4}, false},
		{"", nil, true},
		{"0", nil, true},
		{"1,x", nil, true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseInts(tc.in)
			if (err != nil) != tc.wantErr || len(got) != len(tc.want) {
				t.Fatalf("parseInts(%q) = %v, %v", tc.in, got, err)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("parseInts(%q)[%d] = %d, want %d", tc.in, i, got[i], tc.want[i])
				}
			}
		})
	}
}

// TestMeasureCountsOnlyMeasuredRequests checks that warm-up requests are not counted, that
// errors count apart from latencies, and that the run ends after warm-up plus duration.
func TestMeasureCountsOnlyMeasuredRequests(t *testing.T) {
	var calls atomic.Int64
	began := time.Now()
	r := measure(context.Background(), 50*time.Millisecond, 100*time.Millisecond, 2, 0, func(ctx context.Context, rnd *rand.Rand) error {
		n := calls.Add(1)
		time.Sleep(5 * time.Millisecond)
		if n%4 == 0 {
			return errors.New("boom")
		}
		return nil
	})
	took := time.Since(began)
	if took < 150*time.Millisecond || took > 2*time.Second {
		t.Errorf("measure took %v, want about 150ms", took)
	}
	if total := int64(r.requests + r.errors); total >= calls.Load() {
		t.Errorf("counted %d requests of %d calls: warm-up calls were counted", total, calls.Load())
	}
	if r.errors == 0 || r.firstErr != "boom" {
		t.Errorf("errors = %d, first %q; want some, first boom", r.errors, r.firstErr)
	}
	if r.requests == 0 || r.p50 < 5*time.Millisecond || r.p99 < r.p50 {
		t.Errorf("requests %d p50 %v p99 %v: want requests with p50 ≥ 5ms ≤ p99", r.requests, r.p50, r.p99)
	}
}

// TestMeasureReadsCPU: a cell whose requests burn CPU in the process it names reports that
// process's CPU time and the machine's, the machine's at least the process's. How much CPU the
// spinning clients get depends on what else the machine runs, so this test is opt-in
// (BIRLIK_BENCH_CPU=1, see bench/README.md); TestCPUParsing covers the reading itself.
func TestMeasureReadsCPU(t *testing.T) {
	if os.Getenv("BIRLIK_BENCH_CPU") != "1" {
		t.Skip("depends on the CPU this process gets; set BIRLIK_BENCH_CPU=1 to run it on a quiet machine")
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here: CPU per request is not reported")
	}
	r := measure(context.Background(), 20*time.Millisecond, 300*time.Millisecond, 2, os.Getpid(), func(ctx context.Context, rnd *rand.Rand) error {
		for t0 := time.Now(); time.Since(t0) < 2*time.Millisecond; {
		}
		return nil
	})
	gw, ok := r.cpuPerRequest(r.cpu.gateway)
	all, _ := r.cpuPerRequest(r.cpu.machine)
	// Two clients spinning for 300ms use about 0.6s of CPU on a quiet machine; ticks are 10ms,
	// so allow a wide margin.
	if !ok || r.cpu.gateway < 100*time.Millisecond || r.cpu.machine < r.cpu.gateway-20*time.Millisecond || gw <= 0 || all <= 0 {
		t.Errorf("cpu %+v, per request gateway %.2f ms machine %.2f ms (%d requests): want the spinning clients' CPU", r.cpu, gw, all, r.requests)
	}
}

// TestMeasureCountsUnfinishedRequests: requests slower than the window are neither answers nor
// errors; they are counted as unfinished, so an empty cell says why it is empty.
func TestMeasureCountsUnfinishedRequests(t *testing.T) {
	r := measure(context.Background(), 10*time.Millisecond, 50*time.Millisecond, 3, 0, func(ctx context.Context, rnd *rand.Rand) error {
		select {
		case <-time.After(500 * time.Millisecond):
		case <-ctx.Done():
		}
		return nil
	})
	if r.requests != 0 || r.errors != 0 || r.unfinished != 3 {
		t.Errorf("requests %d errors %d unfinished %d: want 0, 0 and the 3 clients' requests", r.requests, r.errors, r.unfinished)
	}
}

// The target lines say the verdicts and what the 2x target leaves per request, from a measured
// run's cells: half of the floor's 7,000 req/s on 2 CPUs allows 0.57 ms of machine CPU a request.
func TestPrintTargets(t *testing.T) {
	cell := func(config, w string, n, requests int, p99 time.Duration, machine time.Duration) row {
		return row{config: config, workload: w, concurrency: n, requests: requests, elapsed: 10 * time.Second, p99: p99,
			cpu: cpuTimes{machine: machine, ok: true}}
	}
	rows := []row{
		cell("postgres+redis", "citizen", 16, 11_000, 35*time.Millisecond, 16500*time.Millisecond), // 1.50 ms a request
		cell("postgres+redis", "citizen", 64, 17_000, 73200*time.Microsecond, 18700*time.Millisecond),
		cell("postgres+redis", "overhead", 16, 94_000, 7*time.Millisecond, 15980*time.Millisecond), // 0.17 ms
		cell(floorConfig, "citizen", 16, 70_000, 9*time.Millisecond, 18900*time.Millisecond),       // 0.27 ms
		cell(floorConfig, "citizen", 64, 38_000, 65500*time.Microsecond, 19760*time.Millisecond),
	}
	var b strings.Builder
	printTargets(&b, rows, 2)
	out := b.String()
	for _, want := range []string{
		"floor/gateway = 6.36x (NOT met)",
		"within 2x is 3500 req/s: at most 0.57 ms of the machine's CPU per request on 2 CPUs; the gateway's citizen requests used 1.50 ms, the floor's 0.27 ms, a request that reads nothing (overhead) 0.17 ms",
		"p99 at 64 clients under 50 ms: 73.2 ms (NOT met); the floor's own p99 there: 65.5 ms",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the targets do not say %q:\n%s", want, out)
		}
	}

	// Without the floor's cells there is nothing to compare with: no 2x line.
	b.Reset()
	printTargets(&b, rows[:2], 2)
	if strings.Contains(b.String(), "2x") || !strings.Contains(b.String(), "73.2 ms (NOT met)\n") {
		t.Errorf("without the floor:\n%s", b.String())
	}
}
