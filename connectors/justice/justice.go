// Package justice is the connector to the Ministry of Justice's register of individuals and
// real-estate cadastre (docs/sources/justice.md): batch look-ups of persons by IIN and buildings
// by cadastral number, and a change feed over both, mapped to domain records. Every record is
// validated on the way in (IIN check digit and its agreement with birth date and sex, dates,
// enums, KATO, cadastral number); a bad one is quarantined with the reason and its raw JSON.
//
// It speaks the source's wire format from the document alone: it must not import the simulator
// or the generator, and it knows nothing of the store.
//
// Its client has the shape every connector has (limits, fields, cursor and batch look-ups):
// see package connectors.
package justice

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/connectors/transport"
	"github.com/birlik/birlik/domain"
)

// Limits of the register's API (docs/sources/justice.md), under the names every connector uses.
const (
	// MaxBatch is the most keys one batch look-up request takes (persons:batchGet,
	// buildings:batchGet).
	MaxBatch = 500
	// BatchWorkers is how many batch look-up requests are in flight at once.
	BatchWorkers = 4
	// MaxPageSize is the most records one feed request may ask for.
	MaxPageSize = 5000
	// DefaultPageSize is the records asked per feed request when PageSize is 0.
	DefaultPageSize = 2000
)

// ErrCircuitOpen is the transport's: a call refused because the register failed too often.
var ErrCircuitOpen = transport.ErrCircuitOpen

// Client talks to one justice endpoint. Safe for concurrent use; set the exported fields before
// the first call.
type Client struct {
	base      string
	transport *transport.Client

	// PageSize is the records asked per feed request (0: DefaultPageSize; the register refuses
	// more than MaxPageSize).
	PageSize int
	// OnQuarantine, when set, receives every record a look-up refused, one at a time (feed
	// pages carry theirs in Page.Quarantined instead).
	OnQuarantine func(connectors.Quarantined)

	quarantined atomic.Int64      // records refused so far, in feeds and look-ups
	totals      connectors.Totals // list 0 person changes, 1 buildings
}

// New returns a client for the register at baseURL (e.g. "http://127.0.0.1:41234"). cfg.Source
// defaults to "justice".
func New(baseURL string, cfg transport.Config) *Client {
	if cfg.Source == "" {
		cfg.Source = string(connectors.Justice)
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), transport: transport.New(cfg), PageSize: DefaultPageSize}
}

var _ connectors.Feed = (*Client)(nil)

// Source names the source.
func (c *Client) Source() connectors.Source { return connectors.Justice }

// Transport is the client's transport (for its breaker state).
func (c *Client) Transport() *transport.Client { return c.transport }

// Quarantined is the number of records this client has refused so far, in feeds and look-ups.
func (c *Client) Quarantined() int64 { return c.quarantined.Load() }

// found is one batch's answer: the records that passed validation and those refused.
type found[T any] struct {
	records []T
	refused []connectors.Quarantined
}

// PersonsByIIN looks up the current record of each IIN, MaxBatch a request. IINs the register
// does not hold are absent from the map, as are records that failed validation (given to
// OnQuarantine). On error the map holds what was found before it.
func (c *Client) PersonsByIIN(ctx context.Context, iins []domain.IIN) (map[domain.IIN]domain.Person, error) {
	out := make(map[domain.IIN]domain.Person, len(iins))
	err := connectors.Lookup(ctx, iins, MaxBatch, BatchWorkers,
		func(ctx context.Context, batch []domain.IIN) (found[domain.Person], error) {
			var res personsBatch
			if err := c.transport.PostJSON(ctx, c.base+"/v1/persons:batchGet", map[string][]domain.IIN{"iins": batch}, &res); err != nil {
				return found[domain.Person]{}, err
			}
			ps, qs := res.decode()
			return found[domain.Person]{ps, qs}, nil
		},
		func(_ []domain.IIN, f found[domain.Person]) {
			connectors.Reject(&c.quarantined, c.OnQuarantine, f.refused)
			for _, p := range f.records {
				out[p.IIN] = p
			}
		})
	return out, err
}

// BuildingsByCadastral looks up the current record of each cadastral number, like PersonsByIIN.
func (c *Client) BuildingsByCadastral(ctx context.Context, numbers []string) (map[string]domain.Building, error) {
	out := make(map[string]domain.Building, len(numbers))
	err := connectors.Lookup(ctx, numbers, MaxBatch, BatchWorkers,
		func(ctx context.Context, batch []string) (found[domain.Building], error) {
			var res buildingsBatch
			if err := c.transport.PostJSON(ctx, c.base+"/v1/buildings:batchGet", map[string][]string{"cadastralNumbers": batch}, &res); err != nil {
				return found[domain.Building]{}, err
			}
			bs, qs := decodeBuildings(res.Buildings)
			return found[domain.Building]{bs, qs}, nil
		},
		func(_ []string, f found[domain.Building]) {
			connectors.Reject(&c.quarantined, c.OnQuarantine, f.refused)
			for _, b := range f.records {
				out[b.Cadastral] = b
			}
		})
	return out, err
}

// cursorFormat is the feed position's text form, "v1:p=<seq>;b=<seq>": the last person change
// and the last building read. The feed has no stages: every page asks for person changes first.
var cursorFormat = connectors.CursorFormat[int64]{
	Source: connectors.Justice, Prefix: "v1:", Sep: ";", Lists: 2, Labels: []string{"p=", "b="},
}

const (
	persons   = 0 // list index of the person changes in the cursor and totals
	buildings = 1
)

// Next returns the page after cursor: person changes while there are any after the cursor, then
// buildings. Done is set when neither feed has anything after the returned cursor.
func (c *Client) Next(ctx context.Context, cur string) (*connectors.Page, error) {
	pos, err := cursorFormat.Parse(cur)
	if err != nil {
		return nil, err
	}
	page := &connectors.Page{Source: connectors.Justice}
	var pp changesPage
	if err := c.transport.GetJSON(ctx, c.feedURL("/v1/persons/changes", pos.At[persons]), &pp); err != nil {
		return nil, err
	}
	c.totals.Set(persons, pp.Total)
	if len(pp.Changes) > 0 {
		if pp.LastSeq <= pos.At[persons] {
			return nil, &transport.Error{Source: "justice", Op: "GET /v1/persons/changes", Status: 200,
				Err: fmt.Errorf("lastSeq %d does not advance past after=%d with %d changes", pp.LastSeq, pos.At[persons], len(pp.Changes))}
		}
		page.PersonVersions, page.Quarantined = pp.decode()
		c.quarantined.Add(int64(len(page.Quarantined)))
		pos.At[persons] = pp.LastSeq
		page.Cursor = cursorFormat.Format(pos)
		if err := c.knowBuildingsTotal(ctx); err != nil {
			return nil, err
		}
		page.Total = c.totals.Sum()
		return page, nil
	}
	var bp buildingsPage
	if err := c.transport.GetJSON(ctx, c.feedURL("/v1/buildings", pos.At[buildings]), &bp); err != nil {
		return nil, err
	}
	c.totals.Set(buildings, bp.Total)
	page.Total = c.totals.Sum()
	if len(bp.Buildings) > 0 && bp.LastSeq <= pos.At[buildings] {
		return nil, &transport.Error{Source: "justice", Op: "GET /v1/buildings", Status: 200,
			Err: fmt.Errorf("lastSeq %d does not advance past after=%d with %d buildings", bp.LastSeq, pos.At[buildings], len(bp.Buildings))}
	}
	page.Buildings, page.Quarantined = bp.decode()
	c.quarantined.Add(int64(len(page.Quarantined)))
	if len(bp.Buildings) > 0 {
		pos.At[buildings] = bp.LastSeq
	}
	page.Cursor = cursorFormat.Format(pos)
	page.Done = !bp.HasMore
	return page, nil
}

func (c *Client) feedURL(path string, after int64) string {
	return c.base + path + "?" + url.Values{"after": {strconv.FormatInt(after, 10)}, "limit": {strconv.Itoa(connectors.PageSize(c.PageSize, DefaultPageSize))}}.Encode()
}

// knowBuildingsTotal makes sure the totals hold the cadastre feed's size: asked once (limit=1)
// and then refreshed by every buildings page.
func (c *Client) knowBuildingsTotal(ctx context.Context) error {
	if _, ok := c.totals.Get(buildings); ok {
		return nil
	}
	var bp buildingsPage
	if err := c.transport.GetJSON(ctx, c.base+"/v1/buildings?after=0&limit=1", &bp); err != nil {
		return err
	}
	c.totals.Set(buildings, bp.Total)
	return nil
}
