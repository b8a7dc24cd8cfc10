package kit

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestCPUParsing reads the machine's busy time and a process's CPU time from fixed /proc
// contents, a command name with spaces and parentheses included, and refuses malformed ones.
func TestCPUParsing(t *testing.T) {
	busy, ok := machineBusy([]byte("cpu  100 5 50 9000 20 3 2 1 0 0\ncpu0 50 2 25 4500 10 1 1 0 0 0\n"))
	if !ok || busy != 1610*time.Millisecond { // user 100 + nice 5 + system 50 + irq 3 + softirq 2 + steal 1 ticks
		t.Errorf("machineBusy = %v, %v; want 1.61s", busy, ok)
	}
	proc, ok := processCPU([]byte("1234 (birlik (serve) x) S 1 1234 1234 0 -1 4194560 1000 0 0 0 250 30 0 0 20 0 8 0 100 0 0\n"))
	if !ok || proc != 2800*time.Millisecond { // utime 250 + stime 30 ticks
		t.Errorf("processCPU = %v, %v; want 2.8s", proc, ok)
	}
	for _, bad := range []string{"", "intr 1 2 3 4 5 6 7 8 9", "cpu 1 2 x 4 5 6 7 8 9", "cpu 1 2 3"} {
		if _, ok := machineBusy([]byte(bad)); ok {
			t.Errorf("machineBusy(%q) accepted", bad)
		}
	}
	for _, bad := range []string{"", "1234 (birlik S 1", "1234 (birlik) S 1 2 3", "1234 (birlik) S 1 1234 1234 0 -1 4194560 1000 0 0 0 x 30"} {
		if _, ok := processCPU([]byte(bad)); ok {
			t.Errorf("processCPU(%q) accepted", bad)
		}
	}
}

func TestChildrenCPUParsing(t *testing.T) {
	if p, ok := parentPID([]byte("1234 (postgres: x (y)) S 77 1234")); !ok || p != 77 {
		t.Errorf("parentPID = %d, %v; want 77", p, ok)
	}
	line := []byte("1234 (postgres) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 700 300 20 0 1 0 100 0 0")
	d, ok := childrenCPU(line)
	if !ok || d != 10*time.Second { // (700 + 300) ticks of 10 ms
		t.Errorf("childrenCPU = %v, %v; want 10s", d, ok)
	}
	if _, ok := childrenCPU([]byte("1234 (postgres) S 1")); ok {
		t.Error("a short line was read")
	}
}

// PostgresCPU grows by what a query costs the local server (skipped where it runs elsewhere).
func TestPostgresCPUCountsAQuery(t *testing.T) {
	u := os.Getenv("DATABASE_URL")
	if u == "" {
		t.Skip("needs PostgreSQL: set DATABASE_URL")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var backend int
	if err := conn.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&backend); err != nil {
		t.Fatal(err)
	}
	pm, ok := Postmaster(backend)
	if !ok {
		t.Skip("PostgreSQL does not run on this machine: its processes cannot be read")
	}
	before, ok := PostgresCPU(pm)
	if !ok {
		t.Fatalf("the postmaster %d of backend %d cannot be read", pm, backend)
	}
	var n int64
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM generate_series(1, 20000000)`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	after, _ := PostgresCPU(pm)
	if after <= before {
		t.Errorf("PostgresCPU %v before a query of 20 million rows, %v after: want more", before, after)
	}
	if _, ok := PostgresCPU(backend); !ok {
		t.Error("a backend's own process was not read")
	}
}

// Rows per second are the rows of the window's answers over its length: pages a second times
// the rows they held, the last, short page included; CPU per rows scales to the rows asked.
func TestRowsPerSecond(t *testing.T) {
	c := Cell{Requests: 25, Rows: 24*500 + 234, Elapsed: 10 * time.Second, CPU: CPU{Process: 2 * time.Second, Machine: 6117 * time.Millisecond, OK: true}}
	if got := c.RowsPerSecond(); got != 1223.4 {
		t.Errorf("RowsPerSecond = %v; want 1223.4", got)
	}
	if got := c.RPS() * float64(c.Rows) / float64(c.Requests); math.Abs(got-c.RowsPerSecond()) > 1e-9 {
		t.Errorf("pages/s × rows a page = %v, not RowsPerSecond", got)
	}
	if v, ok := c.CPUPerRows(c.CPU.Machine, 1000); !ok || math.Abs(v-500) > 1e-9 {
		t.Errorf("CPUPerRows(machine, 1000) = %v, %v; want 500 ms", v, ok)
	}
	for _, bad := range []Cell{{Rows: 10}, {Rows: 0, Elapsed: time.Second, CPU: CPU{Machine: time.Second, OK: true}}, {Rows: 10, Elapsed: time.Second}} {
		if _, ok := bad.CPUPerRows(bad.CPU.Machine, 1000); ok {
			t.Errorf("CPUPerRows of %+v told", bad)
		}
	}
	if (Cell{Rows: 10}).RowsPerSecond() != 0 {
		t.Error("a cell without a window has rows per second")
	}
}

// MeasureClients makes each client's request function once and sums the rows of the requests
// it counts.
func TestMeasureClientsCountsRows(t *testing.T) {
	var made atomic.Int64
	c := MeasureClients(context.Background(), 20*time.Millisecond, 100*time.Millisecond, 3, nil, func(i int) func(context.Context, *rand.Rand) (int, error) {
		made.Add(1)
		calls := 0 // this client's own state, used from its goroutine only
		return func(ctx context.Context, _ *rand.Rand) (int, error) {
			calls++
			time.Sleep(time.Millisecond)
			if calls%5 == 0 {
				return 7, errors.New("every fifth request fails")
			}
			return 2, nil
		}
	})
	if made.Load() != 3 {
		t.Errorf("%d request functions made for 3 clients", made.Load())
	}
	if c.Requests == 0 || c.Rows != 2*c.Requests || c.Errors == 0 {
		t.Errorf("%d requests, %d rows, %d errors; want 2 rows a counted request and some errors", c.Requests, c.Rows, c.Errors)
	}
}
