// Package labour is the connector to the Ministry of Labour and Social Protection's Unified
// Digital Platform (docs/sources/labour.md): a change feed over its eight lists (families,
// disabilities, employers, contracts, contributions, register positions, staffing declarations,
// social payments) with opaque page tokens, and batch look-ups by IIN of families, contracts and
// payments. Every record is validated on the way in (IIN/BIN check digits, dates, periods,
// codes, money); a bad one is quarantined with the reason and its raw JSON. The platform's rate
// limit (429 + Retry-After) is honoured by the shared transport.
//
// It speaks the source's wire format from the document alone: it must not import the simulator
// or the generator, and it knows nothing of the store.
//
// Its client has the shape every connector has (limits, fields, cursor and batch look-ups):
// see package connectors.
package labour

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/connectors/transport"
	"github.com/birlik/birlik/domain"
)

// Limits of the platform's API (docs/sources/labour.md), under the names every connector uses.
const (
	// MaxBatch is the most IINs one search request takes (families:search, contracts:search,
	// payments:search).
	MaxBatch = 500
	// BatchWorkers is how many search requests are in flight at once.
	BatchWorkers = 4
	// MaxPageSize is the most records one list request may ask for.
	MaxPageSize = 2000
	// DefaultPageSize is the records asked per list request when PageSize is 0.
	DefaultPageSize = 1000
)

// ErrCircuitOpen is the transport's: a call refused because the platform failed too often.
var ErrCircuitOpen = transport.ErrCircuitOpen

// Client talks to one platform endpoint. Safe for concurrent use; set the exported fields before
// the first call.
type Client struct {
	base      string
	transport *transport.Client

	// PageSize is the records asked per list request (0: DefaultPageSize; the platform refuses
	// more than MaxPageSize).
	PageSize int
	// OnQuarantine, when set, receives every record a look-up refused, one at a time (feed
	// pages carry theirs in Page.Quarantined instead).
	OnQuarantine func(connectors.Quarantined)

	quarantined atomic.Int64      // records refused so far, in feeds and look-ups
	totals      connectors.Totals // total_size of each list, as last seen
}

// New returns a client for the platform at baseURL. cfg.Source defaults to "labour".
func New(baseURL string, cfg transport.Config) *Client {
	if cfg.Source == "" {
		cfg.Source = string(connectors.Labour)
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), transport: transport.New(cfg), PageSize: DefaultPageSize}
}

var _ connectors.Feed = (*Client)(nil)

// Source names the source.
func (c *Client) Source() connectors.Source { return connectors.Labour }

// Transport is the client's transport (for its breaker state).
func (c *Client) Transport() *transport.Client { return c.transport }

// Quarantined is the number of records this client has refused so far, in feeds and look-ups.
func (c *Client) Quarantined() int64 { return c.quarantined.Load() }

// cursorFormat is the feed position's text form, "v1|<list>|<token 0>|…|<token 7>": the list
// being read and each list's page token ("" before its first page). Tokens are the platform's,
// base64url, never containing "|".
var cursorFormat = connectors.CursorFormat[string]{
	Source: connectors.Labour, Prefix: "v1|", Sep: "|", Staged: true, Lists: len(lists),
}

// Next returns the page after cursor. It reads the lists in order (families, disabilities,
// employers, contracts, contributions, register positions, staffing declarations, payments),
// moving to the next list when one has no more records; after the last, Done is set and the
// cursor starts again at the first list, whose token remembers where it stopped, so the next
// pull picks up only what was added.
func (c *Client) Next(ctx context.Context, cur string) (*connectors.Page, error) {
	page, err := cursorFormat.ReadInTurn(cur, func(k *connectors.Cursor[string], p *connectors.Page) (int, bool, error) {
		l := &lists[k.Stage]
		lp, err := c.fetch(ctx, l, k.At[k.Stage], connectors.PageSize(c.PageSize, DefaultPageSize))
		if err != nil {
			return 0, false, err
		}
		c.totals.Set(k.Stage, lp.Total)
		k.At[k.Stage] = lp.Next
		l.decodeRecords(lp.Records, p)
		return len(lp.Records), lp.More, nil
	})
	if err != nil {
		return nil, err
	}
	c.quarantined.Add(int64(len(page.Quarantined)))
	if k, err := cursorFormat.Parse(cur); err == nil {
		c.totals.Learn(k.Stage, func(i int) (int64, error) {
			lp, err := c.fetch(ctx, &lists[i], "", 1) // one record: the list's total_size
			return lp.Total, err
		})
	}
	page.Total = c.totals.Sum()
	return page, nil
}

func (c *Client) fetch(ctx context.Context, l *list, token string, size int) (listPage, error) {
	q := url.Values{"page_size": {strconv.Itoa(size)}}
	if token != "" {
		q.Set("page_token", token)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/api/v1/"+l.path+"?"+q.Encode(), nil)
	if err != nil {
		return listPage{}, &transport.Error{Source: "labour", Op: "GET /api/v1/" + l.path, Err: err}
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.transport.Do(ctx, req)
	if err != nil {
		return listPage{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return listPage{}, &transport.Error{Source: "labour", Op: "GET /api/v1/" + l.path, Status: resp.StatusCode, Err: fmt.Errorf("read body: %w", err)}
	}
	lp, err := decodeListPage(body, l.array)
	if err != nil {
		return listPage{}, &transport.Error{Source: "labour", Op: "GET /api/v1/" + l.path, Status: resp.StatusCode, Err: err}
	}
	return lp, nil
}

// search posts the IINs, MaxBatch a request, to path and validates the records of each answer
// into a page of its own, which it hands with the batch's IINs to collect (one batch at a
// time). Records that fail validation go to OnQuarantine.
func (c *Client) search(ctx context.Context, path string, l *list, iins []domain.IIN, collect func(batch map[domain.IIN]bool, p *connectors.Page)) error {
	return connectors.Lookup(ctx, iins, MaxBatch, BatchWorkers,
		func(ctx context.Context, batch []domain.IIN) (*connectors.Page, error) {
			var res map[string][]json.RawMessage
			if err := c.transport.PostJSON(ctx, c.base+path, map[string][]domain.IIN{"iins": batch}, &res); err != nil {
				return nil, err
			}
			page := &connectors.Page{Source: connectors.Labour}
			l.decodeRecords(res[l.array], page)
			return page, nil
		},
		func(batch []domain.IIN, page *connectors.Page) {
			connectors.Reject(&c.quarantined, c.OnQuarantine, page.Quarantined)
			set := make(map[domain.IIN]bool, len(batch))
			for _, k := range batch {
				set[k] = true
			}
			collect(set, page)
		})
}

// FamiliesByMemberIIN returns, for each IIN, the families it is or was a member of, in the
// platform's order. IINs in no family are absent. On error the map holds what was found before.
func (c *Client) FamiliesByMemberIIN(ctx context.Context, iins []domain.IIN) (map[domain.IIN][]domain.Family, error) {
	out := map[domain.IIN][]domain.Family{}
	err := c.search(ctx, "/api/v1/families:search", &lists[listFamilies], iins, func(chunk map[domain.IIN]bool, p *connectors.Page) {
		for _, f := range p.Families {
			added := map[domain.IIN]bool{}
			for _, m := range f.Members {
				if chunk[m.IIN] && !added[m.IIN] {
					added[m.IIN] = true
					out[m.IIN] = append(out[m.IIN], f)
				}
			}
		}
	})
	return out, err
}

// ContractsByIIN returns each IIN's labour contracts, in the platform's order.
func (c *Client) ContractsByIIN(ctx context.Context, iins []domain.IIN) (map[domain.IIN][]domain.LabourContract, error) {
	out := map[domain.IIN][]domain.LabourContract{}
	err := c.search(ctx, "/api/v1/contracts:search", &lists[listContracts], iins, func(_ map[domain.IIN]bool, p *connectors.Page) {
		for _, k := range p.Contracts {
			out[k.IIN] = append(out[k.IIN], k)
		}
	})
	return out, err
}

// PaymentsByIIN returns the social payments each IIN received, in the platform's order.
func (c *Client) PaymentsByIIN(ctx context.Context, iins []domain.IIN) (map[domain.IIN][]domain.SocialPayment, error) {
	out := map[domain.IIN][]domain.SocialPayment{}
	err := c.search(ctx, "/api/v1/payments:search", &lists[listPayments], iins, func(_ map[domain.IIN]bool, p *connectors.Page) {
		for _, x := range p.SocialPayments {
			out[x.IIN] = append(out[x.IIN], x)
		}
	})
	return out, err
}
