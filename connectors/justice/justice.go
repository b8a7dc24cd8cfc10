// Package justice is the connector to the Ministry of Justice's register of individuals and
// real-estate cadastre (docs/sources/justice.md): batch look-ups of persons by IIN and buildings
// by cadastral number, and a change feed over both, mapped to domain records. Every record is
// validated on the way in (IIN check digit and its agreement with birth date and sex, dates,
// enums, KATO, cadastral number); a bad one is quarantined with the reason and its raw JSON.
//
// It speaks the source's wire format from the document alone: it must not import the simulator
// or the generator, and it knows nothing of the store.
package justice

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/connectors/transport"
	"github.com/birlik/birlik/domain"
)

// Limits of the source's API.
const (
	MaxBatch     = 500  // keys per batchGet
	MaxPageSize  = 5000 // records per feed page
	DefaultPage  = 2000
	lookupWorker = 4 // batchGet chunks in flight at once
)

// Client talks to one justice endpoint. Safe for concurrent use; set the exported fields before
// the first call.
type Client struct {
	base string
	t    *transport.Client

	// PageSize is the number of records asked per feed page (default 2000, at most 5000).
	PageSize int
	// OnQuarantine, when set, receives every record of a look-up that failed validation (feed
	// pages carry theirs in Page.Quarantined instead).
	OnQuarantine func(connectors.Quarantined)

	quarantined    atomic.Int64
	buildingsTotal atomic.Int64 // last known size of the cadastre's feed, -1 unknown
}

// New returns a client for the register at baseURL (e.g. "http://127.0.0.1:41234"). cfg.Source
// defaults to "justice".
func New(baseURL string, cfg transport.Config) *Client {
	if cfg.Source == "" {
		cfg.Source = string(connectors.Justice)
	}
	c := &Client{base: strings.TrimRight(baseURL, "/"), t: transport.New(cfg), PageSize: DefaultPage}
	c.buildingsTotal.Store(-1)
	return c
}

// Source names the source.
func (c *Client) Source() connectors.Source { return connectors.Justice }

// Transport is the client's transport (for its breaker state).
func (c *Client) Transport() *transport.Client { return c.t }

// Quarantined is the number of records this client has quarantined so far (feeds and look-ups).
func (c *Client) Quarantined() int64 { return c.quarantined.Load() }

func (c *Client) pageSize() int {
	if c.PageSize <= 0 {
		return DefaultPage
	}
	return min(c.PageSize, MaxPageSize)
}

func (c *Client) reject(q *connectors.Quarantined) {
	c.quarantined.Add(1)
	if c.OnQuarantine != nil {
		c.OnQuarantine(*q)
	}
}

// PersonsByIIN looks up the current record of each IIN, in chunks of 500. IINs the register does
// not hold are absent from the map, as are records that failed validation (given to
// OnQuarantine). On error the map holds what was found before it.
func (c *Client) PersonsByIIN(ctx context.Context, iins []domain.IIN) (map[domain.IIN]domain.Person, error) {
	keys := make([]string, 0, len(iins))
	seen := make(map[domain.IIN]bool, len(iins))
	for _, k := range iins {
		if !seen[k] {
			seen[k] = true
			keys = append(keys, string(k))
		}
	}
	out := make(map[domain.IIN]domain.Person, len(keys))
	var mu sync.Mutex
	err := c.chunked(ctx, keys, func(ctx context.Context, chunk []string) error {
		var res personsBatch
		if err := c.t.PostJSON(ctx, c.base+"/v1/persons:batchGet", map[string][]string{"iins": chunk}, &res); err != nil {
			return err
		}
		ps, qs := res.decode()
		for i := range qs {
			c.reject(&qs[i])
		}
		mu.Lock()
		defer mu.Unlock()
		for _, p := range ps {
			out[p.IIN] = p
		}
		return nil
	})
	return out, err
}

// BuildingsByCadastral looks up the current record of each cadastral number, in chunks of 500,
// like PersonsByIIN.
func (c *Client) BuildingsByCadastral(ctx context.Context, numbers []string) (map[string]domain.Building, error) {
	keys := make([]string, 0, len(numbers))
	seen := make(map[string]bool, len(numbers))
	for _, k := range numbers {
		if k != "" && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	out := make(map[string]domain.Building, len(keys))
	var mu sync.Mutex
	err := c.chunked(ctx, keys, func(ctx context.Context, chunk []string) error {
		var res buildingsBatch
		if err := c.t.PostJSON(ctx, c.base+"/v1/buildings:batchGet", map[string][]string{"cadastralNumbers": chunk}, &res); err != nil {
			return err
		}
		bs, qs := decodeBuildings(res.Buildings)
		for i := range qs {
			c.reject(&qs[i])
		}
		mu.Lock()
		defer mu.Unlock()
		for _, b := range bs {
			out[b.Cadastral] = b
		}
		return nil
	})
	return out, err
}

func (c *Client) chunked(ctx context.Context, keys []string, do func(context.Context, []string) error) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(lookupWorker)
	for len(keys) > 0 {
		n := min(len(keys), MaxBatch)
		chunk := keys[:n]
		keys = keys[n:]
		g.Go(func() error { return do(ctx, chunk) })
	}
	return g.Wait()
}

// cursor is the feed position: the last person change and the last building read. Its text
// form is "v1:p=<seq>;b=<seq>".
type cursor struct{ persons, buildings int64 }

func (c cursor) String() string { return fmt.Sprintf("v1:p=%d;b=%d", c.persons, c.buildings) }

func parseCursor(s string) (cursor, error) {
	if s == "" {
		return cursor{}, nil
	}
	var cur cursor
	rest, ok := strings.CutPrefix(s, "v1:p=")
	if ok {
		var ps, bs string
		ps, bs, ok = strings.Cut(rest, ";b=")
		if ok {
			var e1, e2 error
			cur.persons, e1 = strconv.ParseInt(ps, 10, 64)
			cur.buildings, e2 = strconv.ParseInt(bs, 10, 64)
			ok = e1 == nil && e2 == nil && cur.persons >= 0 && cur.buildings >= 0
		}
	}
	if !ok {
		return cursor{}, fmt.Errorf("justice: cursor %q is not one this connector issued (want v1:p=N;b=M, or empty to start over)", s)
	}
	return cur, nil
}

// Next returns the page after cursor: person changes while there are any after the cursor, then
// buildings. Done is set when neither feed has anything after the returned cursor.
func (c *Client) Next(ctx context.Context, cur string) (*connectors.Page, error) {
	pos, err := parseCursor(cur)
	if err != nil {
		return nil, err
	}
	page := &connectors.Page{Source: connectors.Justice}
	var pp changesPage
	if err := c.t.GetJSON(ctx, c.feedURL("/v1/persons/changes", pos.persons), &pp); err != nil {
		return nil, err
	}
	if len(pp.Changes) > 0 {
		if pp.LastSeq <= pos.persons {
			return nil, &transport.Error{Source: "justice", Op: "GET /v1/persons/changes", Status: 200,
				Err: fmt.Errorf("lastSeq %d does not advance past after=%d with %d changes", pp.LastSeq, pos.persons, len(pp.Changes))}
		}
		page.PersonVersions, page.Quarantined = pp.decode()
		c.quarantined.Add(int64(len(page.Quarantined)))
		pos.persons = pp.LastSeq
		page.Cursor = pos.String()
		bt, err := c.knownBuildingsTotal(ctx)
		if err != nil {
			return nil, err
		}
		page.Total = pp.Total + bt
		return page, nil
	}
	var bp buildingsPage
	if err := c.t.GetJSON(ctx, c.feedURL("/v1/buildings", pos.buildings), &bp); err != nil {
		return nil, err
	}
	c.buildingsTotal.Store(bp.Total)
	page.Total = pp.Total + bp.Total
	if len(bp.Buildings) > 0 && bp.LastSeq <= pos.buildings {
		return nil, &transport.Error{Source: "justice", Op: "GET /v1/buildings", Status: 200,
			Err: fmt.Errorf("lastSeq %d does not advance past after=%d with %d buildings", bp.LastSeq, pos.buildings, len(bp.Buildings))}
	}
	page.Buildings, page.Quarantined = bp.decode()
	c.quarantined.Add(int64(len(page.Quarantined)))
	if len(bp.Buildings) > 0 {
		pos.buildings = bp.LastSeq
	}
	page.Cursor = pos.String()
	page.Done = !bp.HasMore
	return page, nil
}

func (c *Client) feedURL(path string, after int64) string {
	return c.base + path + "?" + url.Values{"after": {strconv.FormatInt(after, 10)}, "limit": {strconv.Itoa(c.pageSize())}}.Encode()
}

// knownBuildingsTotal is the cadastre feed's size, asked once (limit=1) and then refreshed by
// every buildings page.
func (c *Client) knownBuildingsTotal(ctx context.Context) (int64, error) {
	if t := c.buildingsTotal.Load(); t >= 0 {
		return t, nil
	}
	var bp buildingsPage
	u := c.base + "/v1/buildings?after=0&limit=1"
	if err := c.t.GetJSON(ctx, u, &bp); err != nil {
		return 0, err
	}
	c.buildingsTotal.Store(bp.Total)
	return bp.Total, nil
}

// ErrCircuitOpen is the transport's: a call refused because the register failed too often.
var ErrCircuitOpen = transport.ErrCircuitOpen

var _ connectors.Feed = (*Client)(nil)
