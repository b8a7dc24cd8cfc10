// Package sim holds what the five ministry simulators share: fault knobs and request counters.
// Each simulator (sim/justice, sim/labour, sim/education, sim/finance, sim/health) is a real HTTP
// server that serves a generated country (package gen) in its source's native format, written
// from that source's document in docs/sources/.
//
// Simulators stand outside the gateway: the gateway and the connectors never import them.
package sim

import (
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Faults are the knobs tests and benchmarks turn on a simulator. The zero value is a healthy
// source. Safe for concurrent use; change them at any time.
type Faults struct {
	mu            sync.RWMutex
	latency       time.Duration
	errorRate     float64 // share of requests answered 503
	down          bool    // every request answered 503
	malformedRate float64 // share of records a simulator corrupts (each simulator in its own way)
	rng           *rand.Rand
}

// SetLatency adds d to every request.
func (f *Faults) SetLatency(d time.Duration) { f.mu.Lock(); f.latency = d; f.mu.Unlock() }

// SetErrorRate makes a share (0..1) of requests fail with 503.
func (f *Faults) SetErrorRate(r float64) { f.mu.Lock(); f.errorRate = r; f.mu.Unlock() }

// SetDown makes every request fail with 503 while down is true.
func (f *Faults) SetDown(down bool) { f.mu.Lock(); f.down = down; f.mu.Unlock() }

// SetMalformedRate makes a share (0..1) of records malformed. Which records is deterministic:
// see Malformed.
func (f *Faults) SetMalformedRate(r float64) { f.mu.Lock(); f.malformedRate = r; f.mu.Unlock() }

// Malformed reports whether the record with the given stable index should be corrupted: the same
// index gives the same answer on every request, so a client that re-reads a page sees the same
// bad records.
func (f *Faults) Malformed(index int64) bool {
	f.mu.RLock()
	r := f.malformedRate
	f.mu.RUnlock()
	if r <= 0 {
		return false
	}
	// A fixed hash of the index, uniform in [0,1).
	x := uint64(index)*0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019
	x ^= x >> 31
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 29
	return float64(x>>11)/float64(1<<53) < r
}

func (f *Faults) fail() (time.Duration, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rng == nil {
		f.rng = rand.New(rand.NewPCG(1, 2))
	}
	return f.latency, f.down || (f.errorRate > 0 && f.rng.Float64() < f.errorRate)
}

// Counter counts the requests a simulator served, by endpoint (a route pattern).
type Counter struct {
	mu sync.Mutex
	n  map[string]*atomic.Int64
}

// Inc adds one to endpoint's count.
func (c *Counter) Inc(endpoint string) {
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]*atomic.Int64{}
	}
	v, ok := c.n[endpoint]
	if !ok {
		v = new(atomic.Int64)
		c.n[endpoint] = v
	}
	c.mu.Unlock()
	v.Add(1)
}

// Get returns endpoint's count.
func (c *Counter) Get(endpoint string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.n[endpoint]; ok {
		return v.Load()
	}
	return 0
}

// Total is the count over all endpoints.
func (c *Counter) Total() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var t int64
	for _, v := range c.n {
		t += v.Load()
	}
	return t
}

// Snapshot returns every endpoint's count.
func (c *Counter) Snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := make(map[string]int64, len(c.n))
	for k, v := range c.n {
		m[k] = v.Load()
	}
	return m
}

// Endpoints lists the endpoints counted so far, sorted.
func (c *Counter) Endpoints() []string {
	s := c.Snapshot()
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Mux is an http.ServeMux that counts every request by its route pattern and applies the
// faults before the handler runs. FaultResponse writes the source's own error for a simulated
// outage (each format has its own: a JSON error, a SOAP fault, a FHIR OperationOutcome).
type Mux struct {
	*http.ServeMux
	Faults        *Faults
	Counter       *Counter
	FaultResponse func(w http.ResponseWriter, r *http.Request)
}

// NewMux returns a Mux with fresh faults and counters.
func NewMux(faultResponse func(w http.ResponseWriter, r *http.Request)) *Mux {
	return &Mux{ServeMux: http.NewServeMux(), Faults: &Faults{}, Counter: &Counter{}, FaultResponse: faultResponse}
}

// ServeHTTP counts, applies latency and failures, then routes.
func (m *Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, pattern := m.ServeMux.Handler(r)
	if pattern == "" {
		pattern = "unmatched"
	}
	m.Counter.Inc(pattern)
	lat, fail := m.Faults.fail()
	if lat > 0 {
		select {
		case <-time.After(lat):
		case <-r.Context().Done():
			return
		}
	}
	if fail {
		if m.FaultResponse != nil {
			m.FaultResponse(w, r)
		} else {
			http.Error(w, "service unavailable (simulated)", http.StatusServiceUnavailable)
		}
		return
	}
	m.ServeMux.ServeHTTP(w, r)
}
