package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The fit recovers the exponent and the factor of an exact power law, and refuses what it
// cannot fit.
func TestFitPower(t *testing.T) {
	for _, b := range []float64{0.5, 1, 1.3} {
		xs := []float64{1e6, 2e6, 5e6}
		ys := make([]float64, len(xs))
		for i, x := range xs {
			ys[i] = 3e-5 * math.Pow(x, b)
		}
		f, ok := fitPower(xs, ys)
		if !ok || math.Abs(f.B-b) > 1e-9 || math.Abs(f.At(2e7)/(3e-5*math.Pow(2e7, b))-1) > 1e-9 {
			t.Errorf("fit of y = 3e-5·x^%v: %+v, %v", b, f, ok)
		}
	}
	if _, ok := fitPower([]float64{1e6}, []float64{3}); ok {
		t.Error("one point was fitted")
	}
	if _, ok := fitPower([]float64{1e6, 1e6}, []float64{3, 4}); ok {
		t.Error("two points of one size were fitted")
	}
	if _, ok := fitPower([]float64{1e6, 2e6}, []float64{0, 4}); ok {
		t.Error("a zero was fitted on a logarithmic scale")
	}
}

// The table takes each size's latest result, fits every step, and says where the projection
// to 20 million misses its target.
func TestPrintFit(t *testing.T) {
	at := func(people int, checks float64, when time.Time) Result {
		return Result{People: people, When: when, FirstLoad: Step{Seconds: float64(people) / 1000},
			Checks: Step{Seconds: checks}, Citizen: []Cell{{Clients: 1, P50ms: 4}, {Clients: 16, P99ms: 90, RPS: 900}, {Rate: 100, P99ms: 30, RPS: 100}}}
	}
	day := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	rs := []Result{
		at(1_000_000, 999, day),               // replaced by the later run of the same size
		at(1_000_000, 50, day.Add(time.Hour)), // checks grow as people², reaching 20,000 s at 20 M
		at(2_000_000, 200, day),
	}
	var out bytes.Buffer
	if err := printFit(&out, rs); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{
		"| first load (sync) (s) | 1,000 | 2,000 | 1.00 | 20,000 |",
		"| all checks (s) | 50.0 | 200 | 2.00 | 20,000 | checks under 10 minutes: **does not hold** |",
		"| citizen p99 at a fixed rate (one replica's share of the load) (ms) | 30.0 | 30.0 | 0.00 | 30.0 | citizen p99 under 50 ms: holds |",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the table lacks %q:\n%s", want, s)
		}
	}
}

func TestOptionErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-people", "1000000,lots", "-database-url", "postgres://x"},
		{"-people", "10", "-database-url", "postgres://x"},
		{"-people", "1000000", "-database-url", ""},
	} {
		if err := run(context.Background(), args, &bytes.Buffer{}); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

// The whole benchmark at a small size on PostgreSQL: every step runs, the store equals the
// country (every injected case found), the citizen query answers without errors, and the
// result line can be fitted.
func TestSmallCountry(t *testing.T) {
	base := os.Getenv("DATABASE_URL")
	if base == "" {
		t.Skip("needs PostgreSQL: set DATABASE_URL (the growth curve is measured on PostgreSQL)")
	}
	if testing.Short() {
		t.Skip("builds the gateway and runs it: not in -short")
	}
	work := t.TempDir()
	bin := filepath.Join(work, "birlik")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	results := filepath.Join(work, "results.jsonl")
	var out bytes.Buffer
	err := run(context.Background(), []string{"-people", "3000", "-database-url", base, "-bin", bin, "-results", results,
		"-citizen-duration", "2s"}, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	rs, err := readResults(results)
	if err != nil || len(rs) != 1 {
		t.Fatalf("results: %v, %v", rs, err)
	}
	r := rs[0]
	if r.MonthRecs == 0 || r.MonthRecs >= r.Records || r.Findings != r.Truth || r.Families == 0 || r.StoreBytes == 0 {
		t.Errorf("result %+v: want a held month, every case found, families assessed, a store size", r)
	}
	if len(r.Citizen) != 3 || rateCell(r).Rate != 100 {
		t.Errorf("citizen cells %+v: want 1 and 16 clients and 100 req/s", r.Citizen)
	}
	for _, c := range r.Citizen {
		if c.Requests == 0 || c.Errors != 0 {
			t.Errorf("citizen at %d clients: %d answers, %d errors", c.Clients, c.Requests, c.Errors)
		}
	}
	if !strings.Contains(out.String(), "| first load (sync) (s) |") {
		t.Errorf("no table:\n%s", out.String())
	}
}
