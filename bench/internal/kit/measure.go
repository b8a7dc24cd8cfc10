package kit

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// CPU is CPU time used so far by some processes (the server measured, all its processes
// together) and by the whole machine.
type CPU struct {
	Process, Machine time.Duration
	OK               bool // false where /proc cannot be read (not Linux)
}

// clockTick is the unit of /proc's CPU times (USER_HZ: 100 on Linux everywhere it runs).
const clockTick = 10 * time.Millisecond

// ReadCPU reads the CPU time of processes pids together (user + system; none when pids is
// empty or holds only 0) and of the machine (every CPU's time not idle or waiting for I/O) from
// /proc.
func ReadCPU(pids ...int) CPU {
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return CPU{}
	}
	machine, ok := machineBusy(stat)
	if !ok {
		return CPU{}
	}
	t := CPU{Machine: machine, OK: true}
	for _, pid := range pids {
		if pid == 0 {
			continue
		}
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return CPU{}
		}
		d, ok := processCPU(b)
		if !ok {
			return CPU{}
		}
		t.Process += d
	}
	return t
}

// machineBusy is the busy time of every CPU together in /proc/stat's first line (user, nice,
// system, irq, softirq, steal; not idle or iowait).
func machineBusy(stat []byte) (time.Duration, bool) {
	line, _, _ := bytes.Cut(stat, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 9 || f[0] != "cpu" {
		return 0, false
	}
	var busy int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} { // user nice system (idle iowait) irq softirq steal
		v, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, false
		}
		busy += v
	}
	return time.Duration(busy) * clockTick, true
}

// processCPU is the user and system time in a /proc/PID/stat line.
func processCPU(b []byte) (time.Duration, bool) {
	// The command name (field 2) is in parentheses and may hold spaces: count from after it.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	pf := strings.Fields(string(b[i+1:]))
	if len(pf) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(pf[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(pf[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * clockTick, true
}

// Cell is what one measured cell (a server × a workload × a number of clients) answered.
type Cell struct {
	Requests, Errors int
	Unfinished       int // requests still running when the window ended (or abandoned)
	Elapsed          time.Duration
	P50, P99         time.Duration
	Max              time.Duration // the slowest answer: a stall that p99 hides at high rates
	// Rows is the rows the counted requests returned, for a workload whose requests return a
	// varying number of them (a page of a feed; the last page may be short); 0 otherwise.
	Rows     int
	FirstErr string
	// CPU is the CPU time the measured processes and the whole machine used during the window
	// (CPU.OK false where /proc cannot tell; Process 0 when no process was named).
	CPU CPU
}

// RPS is the answers per second of the window.
func (c Cell) RPS() float64 {
	if c.Elapsed <= 0 {
		return 0
	}
	return float64(c.Requests) / c.Elapsed.Seconds()
}

// CPUPerRequest is the CPU time d per answered request, in milliseconds; false when it cannot
// be told.
func (c Cell) CPUPerRequest(d time.Duration) (float64, bool) {
	if !c.CPU.OK || c.Requests == 0 || d <= 0 {
		return 0, false
	}
	return float64(d) / float64(time.Millisecond) / float64(c.Requests), true
}

// RowsPerSecond is the rows of the window's answers per second: its answers per second times
// the rows they returned on average.
func (c Cell) RowsPerSecond() float64 {
	if c.Elapsed <= 0 {
		return 0
	}
	return float64(c.Rows) / c.Elapsed.Seconds()
}

// CPUPerRows is the CPU time d per n rows returned, in milliseconds; false when it cannot be
// told.
func (c Cell) CPUPerRows(d time.Duration, n int) (float64, bool) {
	if !c.CPU.OK || c.Rows == 0 || d <= 0 || n <= 0 {
		return 0, false
	}
	return float64(d) / float64(time.Millisecond) * float64(n) / float64(c.Rows), true
}

// Measure runs do from n goroutines for warmup (unmeasured) then duration, and returns the cell
// with the latencies of the successful requests that finished inside the measured window.
// Errors count apart and stop nothing. Requests in flight 2s after the window are cancelled.
// The CPU time the processes pids (the server measured; none for none) and the machine used in
// the window is read from /proc at its start and end: on a shared or noisy machine, CPU per
// request varies far less than requests per second.
func Measure(ctx context.Context, warmup, duration time.Duration, n int, pids []int, do func(ctx context.Context, rnd *rand.Rand) error) Cell {
	return MeasureClients(ctx, warmup, duration, n, pids, func(int) func(context.Context, *rand.Rand) (int, error) {
		return func(ctx context.Context, rnd *rand.Rand) (int, error) { return 0, do(ctx, rnd) }
	})
}

// MeasureClients is Measure for clients that keep state of their own between requests (a
// place in a feed they follow) and return how many rows each request returned: client(i) is
// the request function of client i, called from that client's goroutine only. Cell.Rows sums
// the rows of the requests counted.
func MeasureClients(ctx context.Context, warmup, duration time.Duration, n int, pids []int,
	client func(i int) func(ctx context.Context, rnd *rand.Rand) (rows int, err error)) Cell {
	var (
		mu       sync.Mutex
		lat      []time.Duration
		rows     atomic.Int64
		errs     atomic.Int64
		late     atomic.Int64 // started inside the window, finished after it or abandoned
		firstErr atomic.Value
	)
	start := time.Now()
	measureFrom := start.Add(warmup)
	end := measureFrom.Add(duration)
	// Requests still running 2s after the window are abandoned (they would not count), so a
	// slow cell cannot hold the run up by the whole queue of 64 clients.
	ctx, cancel := context.WithDeadline(ctx, end.Add(2*time.Second))
	defer cancel()
	var cpu0, cpu1 CPU
	cpuRead := make(chan struct{})
	go func() {
		defer close(cpuRead)
		time.Sleep(time.Until(measureFrom))
		cpu0 = ReadCPU(pids...)
		time.Sleep(time.Until(end))
		cpu1 = ReadCPU(pids...)
	}()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(i)+1, uint64(time.Now().UnixNano())))
			do := client(i)
			local := make([]time.Duration, 0, 1024)
			var localErrs, localRows int64
			for ctx.Err() == nil {
				t0 := time.Now()
				if t0.After(end) {
					break
				}
				got, err := do(ctx, rnd)
				t1 := time.Now()
				d := t1.Sub(t0)
				if t1.After(end) {
					late.Add(1) // still running when the window ended
					continue
				}
				if t1.Before(measureFrom) {
					continue // finished in the warm-up
				}
				if err != nil {
					localErrs++
					firstErr.CompareAndSwap(nil, clipString(err.Error()))
					continue
				}
				local = append(local, d)
				localRows += int64(got)
			}
			errs.Add(localErrs)
			rows.Add(localRows)
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	<-cpuRead
	// A request counts when it finishes inside the window, whenever it started: throughput is
	// completions per second of the window, and a cell slower than the window shows as empty.
	slices.Sort(lat)
	c := Cell{Requests: len(lat), Errors: int(errs.Load()), Unfinished: int(late.Load()), Elapsed: duration, Rows: int(rows.Load()),
		P50: Quantile(lat, 0.50), P99: Quantile(lat, 0.99), Max: Quantile(lat, 1)}
	if v, ok := firstErr.Load().(string); ok {
		c.FirstErr = v
	}
	if cpu0.OK && cpu1.OK {
		c.CPU = CPU{Process: cpu1.Process - cpu0.Process, Machine: cpu1.Machine - cpu0.Machine, OK: true}
	}
	return c
}

func clipString(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// PostgresCPU is the CPU time the PostgreSQL server whose postmaster is pid has used so far: the
// postmaster's and its live children's (backends, checkpointer, WAL writer…) user and system
// time, plus the time of the children that have exited, which the kernel adds to the
// postmaster's children's times. The difference between two readings is what that server did
// between them, whatever else runs on the machine (another PostgreSQL server included). ok is
// false when the postmaster cannot be read (it runs on another machine, or not on Linux).
func PostgresCPU(pid int) (d time.Duration, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	own, ok1 := processCPU(b)
	children, ok2 := childrenCPU(b)
	if !ok1 || !ok2 {
		return 0, false
	}
	d = own + children
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		return 0, false
	}
	for _, e := range dirs {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		if parent, ok := parentPID(b); !ok || parent != pid {
			continue
		}
		if c, ok := processCPU(b); ok {
			d += c
		}
	}
	return d, true
}

// Postmaster returns the process id of the postmaster of the server that runs the backend
// backendPID (SELECT pg_backend_pid()), when that server runs on this machine.
func Postmaster(backendPID int) (int, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(backendPID) + "/stat")
	if err != nil {
		return 0, false
	}
	return parentPID(b)
}

// parentPID is the parent's process id in a /proc/PID/stat line (field 4).
func parentPID(b []byte) (int, bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	pf := strings.Fields(string(b[i+1:]))
	if len(pf) < 2 {
		return 0, false
	}
	p, err := strconv.Atoi(pf[1])
	return p, err == nil
}

// childrenCPU is the user and system time of a process's waited-for children, from its
// /proc/PID/stat line (cutime, cstime: fields 16 and 17).
func childrenCPU(b []byte) (time.Duration, bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	pf := strings.Fields(string(b[i+1:]))
	if len(pf) < 15 {
		return 0, false
	}
	cu, err1 := strconv.ParseInt(pf[13], 10, 64)
	cs, err2 := strconv.ParseInt(pf[14], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(cu+cs) * clockTick, true
}
