package main

// The audit log's cost ("writing the entry must not make the citizen query more than
// 20% slower at concurrency 16"). With -audit-overhead, each gateway configuration is started
// twice over the same store: as in service, and with the audit log switched off by the
// gateway's benchmark-only switch (BIRLIK_BENCHMARK_AUDIT_OFF=1 together with
// --benchmark-audit-off; either alone is refused). Both stay up and the citizen workload
// alternates between them (after an uncounted warm-up round on both: on-off, off-on, …) for
// -audit-rounds rounds at each concurrency, so that a change in the machine's other load falls
// on both alike. The overhead is how much
// longer a request takes on average with the audit, from the summed throughput:
// rps(off)/rps(on) − 1.

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

const auditOffTag = " audit-off"

// auditOverhead runs the comparison for configuration c and returns its cells (the audit-off
// cells carry c + auditOffTag as their configuration).
func (b *bench) auditOverhead(ctx context.Context, c, dbURL string) ([]row, error) {
	on, err := b.start(ctx, c, dbURL)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c, err)
	}
	defer on.Stop()
	if err := b.prepare(ctx, on); err != nil {
		return nil, fmt.Errorf("%s: %w", c, err)
	}
	saved := b.o.gatewayEnv
	b.o.gatewayEnv = append(slices.Clone(saved), "BIRLIK_BENCHMARK_AUDIT_OFF=1")
	b.extraArgs, b.tag = []string{"--benchmark-audit-off"}, "-audit-off"
	off, err := b.start(ctx, c, dbURL)
	b.o.gatewayEnv, b.extraArgs, b.tag = saved, nil, ""
	if err != nil {
		return nil, fmt.Errorf("%s%s: %w", c, auditOffTag, err)
	}
	defer off.Stop()
	type gw struct {
		p     *gatewayProc
		label string
	}
	var rows []row
	for _, n := range b.o.concurrency {
		// Round 0 is not counted: it warms both gateways and the cache they share (the first
		// cell of a fresh gateway would otherwise pay for the second's warm cache). Then the
		// order alternates, on-off, off-on, …, so that a drift of the machine's load falls on
		// both alike.
		for round := 0; round <= b.o.auditRounds; round++ {
			order := []gw{{on, c}, {off, c + auditOffTag}}
			if round%2 == 0 {
				order[0], order[1] = order[1], order[0]
			}
			for _, g := range order {
				if ctx.Err() != nil {
					return rows, ctx.Err()
				}
				before := auditStats(g.p)
				r := b.cell(ctx, g.p, g.label, "citizen", n)
				if round == 0 {
					fmt.Fprintf(os.Stderr, "bench: warm-up round, not counted: %s\n", r)
					continue
				}
				rows = append(rows, r)
				fmt.Fprintf(os.Stderr, "bench: round %d: %s\n", round, r)
				if g.p == on {
					fmt.Fprintf(os.Stderr, "bench: round %d: %s\n", round, auditBreakdown(before, auditStats(g.p)))
				}
			}
		}
	}
	return rows, nil
}

// printAuditOverhead prints one line per configuration and concurrency measured with the audit
// on and off, and the verdict of the audit's budget at 16 clients.
func printAuditOverhead(out io.Writer, rows []row) {
	type key struct {
		config string
		n      int
	}
	type sum struct {
		requests, errors, cells int
		seconds                 float64
	}
	sums := map[key]*sum{}
	var order []key
	for _, r := range rows {
		if r.workload != "citizen" {
			continue
		}
		k := key{r.config, r.concurrency}
		if sums[k] == nil {
			sums[k] = &sum{}
			order = append(order, k)
		}
		s := sums[k]
		s.requests += r.requests
		s.errors += r.errors
		s.cells++
		s.seconds += r.elapsed.Seconds()
	}
	for _, k := range order {
		offKey := key{k.config + auditOffTag, k.n}
		off, ok := sums[offKey]
		on := sums[k]
		if !ok || on.requests == 0 || off.requests == 0 {
			continue
		}
		rOn, rOff := float64(on.requests)/on.seconds, float64(off.requests)/off.seconds
		overhead := rOff/rOn - 1
		line := fmt.Sprintf("audit overhead: %s citizen at %d clients: audit on %.1f req/s, off %.1f req/s (%d rounds each, errors %d/%d): %+.1f%%",
			k.config, k.n, rOn, rOff, on.cells, on.errors, off.errors, 100*overhead)
		if k.n == 16 {
			line += fmt.Sprintf(" — target ≤ 20%% at 16 clients: %s", verdict(overhead <= 0.20 && on.errors == 0))
		}
		fmt.Fprintln(out, line)
	}
}

// auditStats reads the sums and counts of the gateway's audit histograms (birlik_audit_*, all
// label values summed) from /metrics; empty when they cannot be read.
func auditStats(g *gatewayProc) map[string]float64 {
	m := map[string]float64{}
	for _, line := range g.Metrics() {
		if !strings.HasPrefix(line, "birlik_audit_") {
			continue
		}
		name, rest, _ := strings.Cut(line, " ")
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name = name[:i]
		}
		if !strings.HasSuffix(name, "_sum") && !strings.HasSuffix(name, "_count") {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64); err == nil {
			m[name] += v
		}
	}
	return m
}

// auditBreakdown says where a cell's requests waited for their audit entries: the means of the
// gateway's audit histograms between two readings.
func auditBreakdown(a, b map[string]float64) string {
	mean := func(n string) float64 {
		c := b[n+"_count"] - a[n+"_count"]
		if c <= 0 {
			return 0
		}
		return (b[n+"_sum"] - a[n+"_sum"]) / c
	}
	if b["birlik_audit_wait_seconds_count"] == 0 {
		return "audit breakdown: the gateway's /metrics has no birlik_audit_* histograms"
	}
	return fmt.Sprintf("audit breakdown: a request waited %.2f ms for its entry (%.2f ms queued before its batch was sent); a batch took %.2f ms to commit and held %.1f entries",
		1000*mean("birlik_audit_wait_seconds"), 1000*mean("birlik_audit_queue_seconds"),
		1000*mean("birlik_audit_write_seconds"), mean("birlik_audit_batch_entries"))
}
