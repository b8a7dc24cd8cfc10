package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/birlik/birlik/bench/internal/kit"
)

// outcome is what one request came to.
type outcome int

const (
	answered outcome = iota // HTTP 200, no error
	degraded                // answered from the store with a live source missing (SOURCE_UNAVAILABLE) or from the cache past its freshness (extensions.stale)
	refused                 // demand control or the rate limiter said no before or while it ran (see refusalCodes)
	failed                  // a transport error, a 5xx, INTERNAL, any other error, or an answer without what was asked
)

// refusalCodes are the codes with which the gateway turns work away to protect the others: over
// the per-request or per-minute budget, no place in the bulkhead, past the deadline, over the
// rate. For an analyst they are refusals, not errors; a citizen's request has no reason to get
// them, so for citizens and the medical information system they count as errors.
var refusalCodes = map[string]bool{
	"QUERY_TOO_EXPENSIVE": true,
	"BUDGET_EXHAUSTED":    true,
	"OVERLOADED":          true,
	"TIMEOUT":             true,
	"RATE_LIMITED":        true,
}

// result is one request's outcome, with the error code (or what failed) when it was not answered.
type result struct {
	outcome outcome
	code    string // extensions.code, "stale", "HTTP 502", "transport", …
	detail  string // the first error's message, clipped
	body    []byte
	rows    int64 // the price the gateway put on the request (extensions.cost.rows), 0 when it said none
}

// classify reads one answer. err is a transport error.
func classify(status int, body []byte, err error) result {
	if err != nil {
		return result{outcome: failed, code: "transport", detail: clipString(err.Error())}
	}
	var r struct {
		Errors []struct {
			Message    string
			Extensions struct{ Code string }
		}
		Extensions map[string]json.RawMessage
	}
	if jerr := json.Unmarshal(body, &r); jerr != nil {
		return result{outcome: failed, code: fmt.Sprintf("HTTP %d", status), detail: "not JSON: " + kit.Clip(body)}
	}
	var cost struct{ Rows int64 }
	if c, ok := r.Extensions["cost"]; ok {
		_ = json.Unmarshal(c, &cost)
	}
	if len(r.Errors) == 0 {
		if status != http.StatusOK {
			return result{outcome: failed, code: fmt.Sprintf("HTTP %d", status), detail: kit.Clip(body)}
		}
		if _, ok := r.Extensions["stale"]; ok {
			return result{outcome: degraded, code: "stale", body: body, rows: cost.Rows}
		}
		return result{outcome: answered, body: body, rows: cost.Rows}
	}
	first := r.Errors[0]
	res := result{code: first.Extensions.Code, detail: clipString(first.Message), body: body, rows: cost.Rows}
	if res.code == "" {
		res.code = fmt.Sprintf("HTTP %d", status)
	}
	allRefusals, allUnavailable := true, true
	for _, e := range r.Errors {
		if e.Extensions.Code == "INTERNAL" {
			return result{outcome: failed, code: "INTERNAL", detail: clipString(e.Message)}
		}
		allRefusals = allRefusals && refusalCodes[e.Extensions.Code]
		allUnavailable = allUnavailable && e.Extensions.Code == "SOURCE_UNAVAILABLE"
	}
	switch {
	case allRefusals:
		res.outcome = refused
	case allUnavailable && status == http.StatusOK:
		res.outcome = degraded
	default:
		res.outcome = failed
	}
	return res
}

// citizenOutcome is r for a citizen's or the medical information system's request: their
// requests are small, so a refusal (no place, past the deadline, over a budget) is a failure.
func citizenOutcome(r result) result {
	if r.outcome == refused {
		r.outcome = failed
	}
	return r
}

func clipString(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// tally counts one workload's requests in one phase.
type tally struct {
	mu       sync.Mutex
	lat      []time.Duration // answered and degraded requests
	answered int
	degraded int
	refused  int
	failed   int
	// unfinished requests were still running when their workload stopped: each enters lat with
	// the time it had taken then, a lower bound, so that a stall shows in the quantiles.
	unfinished int
	codes      map[string]int // refusals, degradations and failures by code
	firstFail  string
	// firstByCode is the message of the first refusal of each code (the price and the budget).
	firstByCode map[string]string
}

func (t *tally) add(r result, d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.codes == nil {
		t.codes = map[string]int{}
	}
	switch r.outcome {
	case answered:
		t.answered++
		t.lat = append(t.lat, d)
		return
	case degraded:
		t.degraded++
		t.lat = append(t.lat, d)
	case refused:
		t.refused++
		if t.firstByCode == nil {
			t.firstByCode = map[string]string{}
		}
		if _, ok := t.firstByCode[r.code]; !ok {
			t.firstByCode[r.code] = r.detail
		}
	case failed:
		t.failed++
		if t.firstFail == "" {
			t.firstFail = r.code + ": " + r.detail
		}
	}
	t.codes[r.code]++
}

// cut counts a request still running, after d, when its workload stopped.
func (t *tally) cut(d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.unfinished++
	t.lat = append(t.lat, d)
}

// requests is every request started in the phase.
func (t *tally) requests() int { return t.answered + t.degraded + t.refused + t.failed + t.unfinished }

// quantiles of the latencies of the answered and degraded requests and, as lower bounds, of the
// unfinished ones.
func (t *tally) quantiles() (p50, p99, max time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	slices.Sort(t.lat)
	return kit.Quantile(t.lat, 0.5), kit.Quantile(t.lat, 0.99), kit.Quantile(t.lat, 1)
}

// codeList is "CODE n, CODE n" by code ("–" for none); only selects the codes counted.
func (t *tally) codeList(only func(string) bool) string {
	var parts []string
	keys := make([]string, 0, len(t.codes))
	for k := range t.codes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if only == nil || only(k) {
			parts = append(parts, fmt.Sprintf("%s %d", k, t.codes[k]))
		}
	}
	if len(parts) == 0 {
		return "–"
	}
	return strings.Join(parts, ", ")
}

// phaseStats is what one phase saw.
type phaseStats struct {
	name    string
	skipped string // why the phase did not run ("" when it ran)
	began   time.Time
	took    time.Duration
	load    string // the machine's load average at the phase's end

	citizen, live, umis, analyst, hostile tally

	mu      sync.Mutex
	readyz  map[string]int  // "200 ready", "503 not ready", "unreachable", …: times seen
	reasons map[string]bool // the bodies of answers other than 200
	notes   []string        // what the phase did, when
	// inflight counts the requests started in the phase and still running.
	inflight atomic.Int64
	// first is the first outcome of each hostile query, by name.
	first map[string]string
}

// firstOutcome notes how the first request of the hostile query name ended.
func (p *phaseStats) firstOutcome(name string, r result, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.first == nil {
		p.first = map[string]string{}
	}
	if _, ok := p.first[name]; ok {
		return
	}
	switch r.outcome {
	case answered, degraded:
		p.first[name] = fmt.Sprintf("answered in %.1fs, priced at %d rows", d.Seconds(), r.rows)
	default:
		p.first[name] = fmt.Sprintf("%s after %.1fs: %s", r.code, d.Seconds(), r.detail)
	}
}

func newPhase(name string) *phaseStats {
	return &phaseStats{name: name, readyz: map[string]int{}, reasons: map[string]bool{}}
}

func (p *phaseStats) note(format string, args ...any) {
	msg := fmt.Sprintf("%5.1fs  ", time.Since(p.began).Seconds()) + fmt.Sprintf(format, args...)
	p.mu.Lock()
	p.notes = append(p.notes, msg)
	p.mu.Unlock()
	logf("%s: %s", p.name, msg)
}

func (p *phaseStats) sawReadyz(code int, body []byte) {
	key, reason := readyzSummary(code, body)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.readyz[key]++
	if reason != "" && len(p.reasons) < 5 {
		p.reasons[reason] = true
	}
}

// readyzSummary reads one /readyz answer: "CODE status" (or "unreachable"), and, unless the
// gateway said it is ready, why: the components not ok ({"status", "components": {name: {state,
// detail}}}) or else the body.
func readyzSummary(code int, body []byte) (key, reason string) {
	if code == 0 {
		return "unreachable", ""
	}
	var r struct {
		Status     string
		Components map[string]struct{ State, Detail string }
	}
	_ = json.Unmarshal(body, &r)
	if r.Status == "" {
		r.Status = "?"
	}
	key = fmt.Sprintf("%d %s", code, r.Status)
	if code == http.StatusOK && r.Status == "ready" {
		return key, ""
	}
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(r.Components)) {
		if c := r.Components[name]; c.State != "ok" {
			parts = append(parts, strings.TrimSpace(name+" "+c.State+" "+c.Detail))
		}
	}
	if len(parts) == 0 {
		return key, strings.TrimSpace(kit.Clip(body))
	}
	return key, strings.Join(parts, "; ")
}

func (p *phaseStats) readyzList() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	keys := make([]string, 0, len(p.readyz))
	for k := range p.readyz {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, p.readyz[k]))
	}
	if len(parts) == 0 {
		return "–"
	}
	return strings.Join(parts, ", ")
}

// workloads drives the three users' requests and /readyz polls, each counted in the phase
// that is current when the request starts.
type workloads struct {
	g       *gateway
	keys    kit.Keys
	hostile []string // the hostile analysts' keys
	s       *kit.Samples
	current atomic.Pointer[phaseStats]
}

// loop sends do's requests one after the other until ctx ends, each counted in the phase current
// when it started; a request cut by ctx's end is counted as unfinished. pause, when set, is how
// long to wait after a refused request.
func (w *workloads) loop(ctx context.Context, wg *sync.WaitGroup, seed uint64, into func(*phaseStats) *tally, pause time.Duration, do func(ctx context.Context, rnd *rand.Rand) result) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		rnd := rand.New(rand.NewPCG(seed, uint64(time.Now().UnixNano())))
		for ctx.Err() == nil {
			ph := w.current.Load()
			ph.inflight.Add(1)
			t0 := time.Now()
			r := do(ctx, rnd)
			d := time.Since(t0)
			ph.inflight.Add(-1)
			if ctx.Err() != nil {
				into(ph).cut(d)
				return
			}
			into(ph).add(r, d)
			if r.outcome == refused && pause > 0 {
				select {
				case <-time.After(pause):
				case <-ctx.Done():
				}
			}
		}
	}()
}

// paced sends do's requests at rate a second, each in its own goroutine, whatever the answers'
// latency (an open loop, as citizens arrive: a slow gateway does not slow their arrival). Each
// request's time counts from when it was due, so a request that waited for a free client is not
// measured short. A request is counted in the phase current when it was due; one cut by ctx's
// end is counted as unfinished.
func (w *workloads) paced(ctx context.Context, wg *sync.WaitGroup, seed uint64, into func(*phaseStats) *tally, rate float64, do func(ctx context.Context, rnd *rand.Rand) result) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		every := time.Duration(float64(time.Second) / rate)
		next := time.Now()
		for n := uint64(0); ; n++ {
			if !sleepUntil(ctx, next) {
				return
			}
			due := next
			next = next.Add(every)
			ph := w.current.Load()
			ph.inflight.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer ph.inflight.Add(-1)
				r := do(ctx, rand.New(rand.NewPCG(seed, n)))
				d := time.Since(due)
				if ctx.Err() != nil {
					into(ph).cut(d)
					return
				}
				into(ph).add(r, d)
			}()
		}
	}()
}

// citizen asks the citizen query (live: with the live fields) about a random person with the
// key of a caseworker of their region; an answer must hold the person.
func (w *workloads) citizen(live bool) func(ctx context.Context, rnd *rand.Rand) result {
	query := kit.CitizenQuery
	if live {
		query = kit.CitizenLiveQuery
	}
	return func(ctx context.Context, rnd *rand.Rand) result {
		iin, key := w.s.Person(rnd, w.keys)
		status, body, err := w.g.Post(ctx, key, kit.PurposeCase, query, map[string]any{"iin": iin, "from": w.s.PeriodFrom})
		r := citizenOutcome(classify(status, body, err))
		if r.outcome == answered || r.outcome == degraded {
			if !bytes.Contains(body, []byte(`"iin":"`+iin+`"`)) {
				return result{outcome: failed, code: "wrong answer", detail: "person " + iin + " is missing from the answer: " + kit.Clip(body)}
			}
		}
		return r
	}
}

// umis follows the change feed a page of 500 at a time from a random page of it, starting again
// at another after its end.
func (w *workloads) umis() func(ctx context.Context, rnd *rand.Rand) result {
	var after any
	return func(ctx context.Context, rnd *rand.Rand) result {
		if after == nil && len(w.s.Cursors) > 0 {
			after = w.s.Cursors[rnd.IntN(len(w.s.Cursors))]
		}
		status, body, err := w.g.Post(ctx, w.keys.Health, kit.PurposeUMIS, kit.UMISQuery, map[string]any{"after": after})
		r := citizenOutcome(classify(status, body, err))
		if r.outcome != answered {
			return r
		}
		var page struct {
			Data struct {
				Changes struct {
					PageInfo struct {
						HasNextPage bool
						EndCursor   *string
					}
				}
			}
		}
		if json.Unmarshal(body, &page) != nil {
			return result{outcome: failed, code: "wrong answer", detail: "not a change-feed page: " + kit.Clip(body)}
		}
		after = nil
		if pi := page.Data.Changes.PageInfo; pi.HasNextPage && pi.EndCursor != nil {
			after = *pi.EndCursor
		}
		return r
	}
}

// analyst sends the analysts' steady queries in turn.
func (w *workloads) analyst() func(ctx context.Context, rnd *rand.Rand) result {
	i := 0
	return func(ctx context.Context, rnd *rand.Rand) result {
		region := w.s.Regions[rnd.IntN(len(w.s.Regions))]
		var query string
		vars := map[string]any{"region": region}
		switch i % 3 {
		case 0:
			query = analystReadmeQuery
		case 1:
			query = analystFindingsQuery
		default:
			query, vars["from"] = kit.AnalystQuery, w.s.PeriodFrom
		}
		i++
		status, body, err := w.g.Post(ctx, w.keys.Analyst, kit.PurposeStats, query, vars)
		return classify(status, body, err)
	}
}

// hostileAnalyst sends the hostile queries in turn with key; the first outcome of each query
// is noted in p.
func (w *workloads) hostileAnalyst(key string, p *phaseStats) func(ctx context.Context, rnd *rand.Rand) result {
	i := rand.IntN(len(hostileQueries))
	return func(ctx context.Context, rnd *rand.Rand) result {
		q := hostileQueries[i%len(hostileQueries)]
		i++
		t0 := time.Now()
		status, body, err := w.g.Post(ctx, key, purposeInspection, q.query, nil)
		r := classify(status, body, err)
		if ctx.Err() != nil {
			r = result{outcome: failed, code: "unfinished", detail: "still running when the phase ended"}
		}
		p.firstOutcome(q.name, r, time.Since(t0))
		return r
	}
}

// pollReadyz asks /readyz every second until ctx ends.
func (w *workloads) pollReadyz(ctx context.Context, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				ph := w.current.Load()
				code, body := w.g.readyz()
				if ctx.Err() != nil {
					return
				}
				ph.sawReadyz(code, body)
			}
		}
	}()
}
