package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/httpapi"
	"github.com/birlik/birlik/syncer"
)

// syncCounts holds each source's records applied so far and its feed's announced total, from
// the syncer's OnProgress; safe for concurrent use.
type syncCounts struct {
	mu sync.Mutex
	m  map[connectors.Source][2]int64
}

func (c *syncCounts) set(src connectors.Source, records, total int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[connectors.Source][2]int64{}
	}
	c.m[src] = [2]int64{records, total}
}

func (c *syncCounts) get(src connectors.Source) (records, total int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := c.m[src]
	return v[0], v[1]
}

// firstStartEvery is how often the first start's progress is printed while a step lasts.
const firstStartEvery = 10 * time.Second

// printFirstStart prints to out, until /readyz would answer 200 (or ctx ends), what the gateway
// is doing before it is ready and how far it got: the first sync with each source's records,
// then the integrity checks and the family assessments, each with its time. A first start on
// an empty store takes a minute or more (most of it the sync into the store), and the playground
// answers meanwhile with what is synced so far; these lines say what is being waited for. The
// same progress goes, every second, into the details of /readyz's components, which the
// playground page shows above the editor until the gateway is ready.
func (g *gateway) printFirstStart(ctx context.Context, out io.Writer) {
	start := time.Now()
	el := func() string { return time.Since(start).Round(time.Second).String() }
	fmt.Fprintf(out, "until ready (/readyz 503 meanwhile): syncing the sources into the store, then the integrity findings and the family assessments; a first start on an empty store takes about a minute on an idle machine (progress below, and above the playground's editor)\n")
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	const (
		syncing = iota
		checking
		assessing
	)
	step, stepStart, lastPrint := syncing, start, start
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if g.Ready.Report(ctx).Ready() {
			fmt.Fprintf(out, "ready after %s: /readyz answers 200\n", el())
			return
		}
		st := g.deriver.state()
		switch {
		case step == syncing && syncDone(g.sched.Status()):
			var n int64
			for _, s := range g.sched.Status() {
				r, _ := g.counts.get(s.Source)
				n += r
			}
			fmt.Fprintf(out, "  first sync done in %s: %s records; running the integrity checks…\n", time.Since(stepStart).Round(time.Second), thousands(n))
			step, stepStart, lastPrint = checking, time.Now(), time.Now()
		case step == checking && !st.FindingsAt.IsZero():
			fmt.Fprintf(out, "  integrity checks done in %s; assessing every family's welfare category month by month…\n", time.Since(stepStart).Round(time.Second))
			step, stepStart, lastPrint = assessing, time.Now(), time.Now()
		case time.Since(lastPrint) >= firstStartEvery:
			lastPrint = time.Now()
			switch step {
			case syncing:
				fmt.Fprintf(out, "  %s syncing: %s\n", el(), g.syncProgress())
			case checking:
				fmt.Fprintf(out, "  %s running the integrity checks…\n", el())
			case assessing:
				fmt.Fprintf(out, "  %s assessing the families…\n", el())
			}
		}
		g.explainFirstStart(step == syncing, step == checking, time.Since(stepStart))
	}
}

// explainFirstStart writes how far the first start got into the details of the readiness
// components still down: the sync's records per source while syncing, else the derived step
// running and for how long. Only the leading replica knows its sync's progress; a follower's
// components say what the store shows (follow).
func (g *gateway) explainFirstStart(syncing, checking bool, took time.Duration) {
	if !g.lease.Leading() {
		return
	}
	took = took.Round(time.Second)
	switch {
	case syncing:
		g.Ready.Explain(httpapi.ComponentSync, httpapi.Down, fmt.Sprintf("the first sync of every source has not finished (%s so far): %s", took, g.syncProgress()))
	case checking:
		g.Ready.Explain(httpapi.ComponentDerived, httpapi.Down, fmt.Sprintf("running the integrity checks (%s so far); the family assessments follow", took))
	default:
		g.Ready.Explain(httpapi.ComponentDerived, httpapi.Down, fmt.Sprintf("the integrity checks are done; assessing every family's welfare category month by month (%s so far)", took))
	}
}

// syncDone reports whether every source has completed a pass.
func syncDone(status []syncer.SourceStatus) bool {
	for _, s := range status {
		if !s.Completed {
			return false
		}
	}
	return len(status) > 0
}

// syncProgress is one line of each source's records so far, e.g.
// "justice done (21,946), labour 58,380 of 170,302, finance 35,000".
func (g *gateway) syncProgress() string {
	status := g.sched.Status()
	slices.SortFunc(status, func(a, b syncer.SourceStatus) int { return strings.Compare(string(a.Source), string(b.Source)) })
	parts := make([]string, 0, len(status))
	for _, s := range status {
		r, total := g.counts.get(s.Source)
		switch {
		case s.Completed:
			parts = append(parts, fmt.Sprintf("%s done (%s)", s.Source, thousands(r)))
		case total > r:
			parts = append(parts, fmt.Sprintf("%s %s of %s so far", s.Source, thousands(r), thousands(total)))
		default:
			parts = append(parts, fmt.Sprintf("%s %s", s.Source, thousands(r)))
		}
	}
	return strings.Join(parts, ", ")
}

// thousands writes n with commas between groups of three digits.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
