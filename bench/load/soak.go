package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// rssKiB reads VmRSS of process pid from /proc (Linux only).
func rssKiB(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				break
			}
			return strconv.ParseInt(f[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no VmRSS", pid)
}

// soak runs the citizen workload at the highest concurrency for -soak against g and samples the
// gateway's RSS. Memory counts as flat when the median of the last third of the samples is at
// most 10% above the median of the first third (the first tenth is warm-up and not judged).
func (b *bench) soak(ctx context.Context, out io.Writer, g *gatewayProc) error {
	n := slices.Max(b.o.concurrency)
	every := max(b.o.soak/30, 2*time.Second)
	pid := g.Cmd.Process.Pid
	type sample struct {
		at  time.Duration
		kib int64
	}
	var series []sample
	began := time.Now()
	done := make(chan row, 1)
	go func() {
		r := measure(ctx, 0, b.o.soak, n, pid, func(ctx context.Context, rnd *rand.Rand) error {
			return workloads["citizen"](ctx, b, g, rnd)
		})
		r.config, r.workload = "soak", "citizen"
		done <- r
	}()
	tick := time.NewTicker(every)
	defer tick.Stop()
	fmt.Fprintf(out, "\nsoak: citizen workload, %d clients, %v, gateway pid %d RSS every %v\n", n, b.o.soak, pid, every)
	var result row
loop:
	for {
		select {
		case result = <-done:
			break loop
		case <-tick.C:
			kib, err := rssKiB(pid)
			if err != nil {
				return fmt.Errorf("soak: %w", err)
			}
			s := sample{time.Since(began).Round(time.Second), kib}
			series = append(series, s)
			fmt.Fprintf(out, "  %8v  RSS %7.1f MiB\n", s.at, float64(s.kib)/1024)
		}
	}
	fmt.Fprintf(out, "soak: %s\n", result)
	if len(series) < 6 {
		fmt.Fprintln(out, "soak: too few samples to judge; use -soak 1m or longer")
		return nil
	}
	judged := series[len(series)/10:]
	third := len(judged) / 3
	med := func(s []sample) int64 {
		v := make([]int64, len(s))
		for i, x := range s {
			v[i] = x.kib
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	first, last := med(judged[:third]), med(judged[len(judged)-third:])
	growth := float64(last-first) / float64(first) * 100
	fmt.Fprintf(out, "soak: RSS median %.1f MiB in the first third, %.1f MiB in the last: %+.1f%% (%s: flat means at most +10%%)\n",
		float64(first)/1024, float64(last)/1024, growth, verdict(growth <= 10))
	return nil
}
