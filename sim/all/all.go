// Package all starts the five ministry simulators (justice, labour, education, finance, health)
// over one generated country, each on its own loopback HTTP server, for `birlik sim`, the
// embedded default and benchmarks.
//
// It only wires simulators together: it holds no format of its own, and the gateway proper must
// never import it (server wiring in main may).
package all

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/birlik/birlik/gen"
	"github.com/birlik/birlik/sim"
	"github.com/birlik/birlik/sim/education"
	"github.com/birlik/birlik/sim/finance"
	"github.com/birlik/birlik/sim/health"
	"github.com/birlik/birlik/sim/justice"
	"github.com/birlik/birlik/sim/labour"
)

// Names lists the simulators in their fixed order.
var Names = []string{"justice", "labour", "education", "finance", "health"}

// Simulator is one running simulator.
type Simulator struct {
	Name    string
	URL     string // base URL, e.g. http://127.0.0.1:41234
	Handler http.Handler
	Mux     *sim.Mux // its faults and counters

	srv *http.Server
	ln  net.Listener
}

// Set is the five running simulators.
type Set struct {
	Justice   *justice.Server
	Labour    *labour.Server
	Education *education.Server
	Finance   *finance.Server
	Health    *health.Server

	sims []*Simulator
	errs chan error
}

// Start serves the five simulators of c. addr is the host for all of them, with an optional
// first port: "127.0.0.1" or "" gives random free ports on loopback; "127.0.0.1:9100" gives
// ports 9100..9104 in the order of Names. The servers stop when ctx ends or on Close.
//
// With only, just the simulators of those names listen (in the order of Names, on consecutive
// ports from addr's), so that one source can run, stop and restart in a process of its own; the
// Set's fields still hold all five servers, and URLs, Simulators and Close cover the ones
// listening.
func Start(ctx context.Context, c *gen.Country, addr string, only ...string) (*Set, error) {
	if c == nil {
		return nil, errors.New("sim/all: no country to serve")
	}
	serve := map[string]bool{}
	for _, n := range only {
		known := false
		for _, name := range Names {
			known = known || n == name
		}
		if !known {
			return nil, fmt.Errorf("sim/all: no simulator named %q (one of %v)", n, Names)
		}
		serve[n] = true
	}
	host, port := "127.0.0.1", 0
	if addr != "" {
		h, p, err := net.SplitHostPort(addr)
		if err != nil {
			h, p = addr, "0"
		}
		if h != "" {
			host = h
		}
		if port, err = strconv.Atoi(p); err != nil || port < 0 || port > 65535-len(Names) {
			return nil, fmt.Errorf("sim/all: address %q: want host or host:port with a port below %d", addr, 65535-len(Names))
		}
	}
	s := &Set{
		Justice:   justice.New(c),
		Labour:    labour.New(c),
		Education: education.New(c),
		Finance:   finance.New(c),
		Health:    health.New(c),
		errs:      make(chan error, len(Names)),
	}
	muxes := []struct {
		h http.Handler
		m *sim.Mux
	}{{s.Justice, s.Justice.Mux}, {s.Labour, s.Labour.Mux}, {s.Education, s.Education.Mux}, {s.Finance, s.Finance.Mux}, {s.Health, s.Health.Mux}}
	next := 0 // port offset of the next simulator that listens
	for i, name := range Names {
		if len(serve) > 0 && !serve[name] {
			continue
		}
		p := 0
		if port != 0 {
			p = port + next
		}
		next++
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("sim/all: %s: %w", name, err)
		}
		sm := &Simulator{Name: name, URL: "http://" + ln.Addr().String(), Handler: muxes[i].h, Mux: muxes[i].m, ln: ln,
			srv: &http.Server{Handler: muxes[i].h, ReadHeaderTimeout: 10 * time.Second}}
		s.sims = append(s.sims, sm)
		go func() {
			if err := sm.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.errs <- fmt.Errorf("sim/all: %s: %w", sm.Name, err)
			}
		}()
	}
	go func() {
		<-ctx.Done()
		s.Close()
	}()
	return s, nil
}

// URLs lists the simulators' base URLs in the order of Names.
func (s *Set) URLs() []struct{ Name, URL string } {
	out := make([]struct{ Name, URL string }, len(s.sims))
	for i, sm := range s.sims {
		out[i].Name, out[i].URL = sm.Name, sm.URL
	}
	return out
}

// URL returns the base URL of the named simulator ("" when unknown).
func (s *Set) URL(name string) string {
	for _, sm := range s.sims {
		if sm.Name == name {
			return sm.URL
		}
	}
	return ""
}

// Simulators lists the running simulators in the order of Names.
func (s *Set) Simulators() []*Simulator { return s.sims }

// Errors reports a server that stopped on its own with an error.
func (s *Set) Errors() <-chan error { return s.errs }

// Close stops every simulator at once (in-flight requests are cut). Safe to call twice.
func (s *Set) Close() error {
	var errs []error
	for _, sm := range s.sims {
		if err := sm.srv.Close(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", sm.Name, err))
		}
	}
	return errors.Join(errs...)
}
