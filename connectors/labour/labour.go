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
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/connectors/transport"
	"github.com/birlik/birlik/domain"
)

// Limits of the platform's API.
const (
	MaxSearch       = 500  // IINs per search
	MaxPageSize     = 2000 // records per list page
	DefaultPageSize = 1000
	lookupWorkers   = 4
)

// ErrCircuitOpen is the transport's: a call refused because the platform failed too often.
var ErrCircuitOpen = transport.ErrCircuitOpen

// Client talks to one platform endpoint. Safe for concurrent use; set the exported fields before
// the first call.
type Client struct {
	base string
	t    *transport.Client

	// PageSize is the number of records asked per list page (default 1000, at most 2000).
	PageSize int
	// OnQuarantine, when set, receives every record of a look-up that failed validation (feed
	// pages carry theirs in Page.Quarantined instead).
	OnQuarantine func(connectors.Quarantined)

	quarantined atomic.Int64
	totals      [8]atomic.Int64 // last known total_size of each list
}

// New returns a client for the platform at baseURL. cfg.Source defaults to "labour".
func New(baseURL string, cfg transport.Config) *Client {
	if cfg.Source == "" {
		cfg.Source = string(connectors.Labour)
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), t: transport.New(cfg), PageSize: DefaultPageSize}
}

// Source names the source.
func (c *Client) Source() connectors.Source { return connectors.Labour }

// Transport is the client's transport (for its breaker state).
func (c *Client) Transport() *transport.Client { return c.t }

// Quarantined is the number of records this client has quarantined so far.
func (c *Client) Quarantined() int64 { return c.quarantined.Load() }

func (c *Client) pageSize() int {
	if c.PageSize <= 0 {
		return DefaultPageSize
	}
	return min(c.PageSize, MaxPageSize)
}

// cursor is the feed position: the list being read and each list's page token ("" before its
// first page). Its text form is "v1|<list index>|<token 0>|…|<token 7>"; tokens are the
// platform's, base64url, never containing "|".
type cursor struct {
	list   int
	tokens [8]string
}

func (c cursor) String() string {
	return "v1|" + strconv.Itoa(c.list) + "|" + strings.Join(c.tokens[:], "|")
}

func parseCursor(s string) (cursor, error) {
	var cur cursor
	if s == "" {
		return cur, nil
	}
	parts := strings.Split(s, "|")
	ok := len(parts) == 2+len(lists) && parts[0] == "v1"
	if ok {
		n, err := strconv.Atoi(parts[1])
		ok = err == nil && n >= 0 && n < len(lists)
		cur.list = n
		copy(cur.tokens[:], parts[2:])
	}
	if !ok {
		return cursor{}, fmt.Errorf("labour: cursor %q is not one this connector issued (want v1|N|8 tokens, or empty to start over)", s)
	}
	return cur, nil
}

// Next returns the page after cursor. It reads the lists in order (families, disabilities,
// employers, contracts, contributions, register positions, staffing declarations, payments),
// moving to the next list when one has no more records; after the last, Done is set and the
// cursor starts again at the first list, whose token remembers where it stopped, so the next
// pull picks up only what was added.
func (c *Client) Next(ctx context.Context, cur string) (*connectors.Page, error) {
	pos, err := parseCursor(cur)
	if err != nil {
		return nil, err
	}
	page := &connectors.Page{Source: connectors.Labour}
	for ; pos.list < len(lists); pos.list++ {
		l := &lists[pos.list]
		lp, err := c.fetch(ctx, l, pos.tokens[pos.list])
		if err != nil {
			return nil, err
		}
		c.totals[pos.list].Store(lp.Total)
		pos.tokens[pos.list] = lp.Next
		if len(lp.Records) == 0 {
			continue
		}
		c.quarantined.Add(int64(l.decodeRecords(lp.Records, page)))
		if !lp.More {
			pos.list++
		}
		break
	}
	if pos.list >= len(lists) {
		pos.list = 0
		page.Done = true
	}
	page.Cursor = pos.String()
	for i := range c.totals {
		page.Total += c.totals[i].Load()
	}
	return page, nil
}

func (c *Client) fetch(ctx context.Context, l *list, token string) (listPage, error) {
	q := url.Values{"page_size": {strconv.Itoa(c.pageSize())}}
	if token != "" {
		q.Set("page_token", token)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/api/v1/"+l.path+"?"+q.Encode(), nil)
	if err != nil {
		return listPage{}, &transport.Error{Source: "labour", Op: "GET /api/v1/" + l.path, Err: err}
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.t.Do(ctx, req)
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

// search posts the IINs in chunks of 500 to path, validates the records of each answer into a
// page of its own and hands it, with the chunk's IINs, to collect (one call at a time). Records
// that fail validation go to OnQuarantine.
func (c *Client) search(ctx context.Context, path string, l *list, iins []domain.IIN, collect func(chunk map[domain.IIN]bool, p *connectors.Page)) error {
	keys := make([]string, 0, len(iins))
	seen := make(map[domain.IIN]bool, len(iins))
	for _, k := range iins {
		if !seen[k] {
			seen[k] = true
			keys = append(keys, string(k))
		}
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(lookupWorkers)
	for len(keys) > 0 {
		n := min(len(keys), MaxSearch)
		chunk := keys[:n]
		keys = keys[n:]
		g.Go(func() error {
			var res map[string][]json.RawMessage
			if err := c.t.PostJSON(gctx, c.base+path, map[string][]string{"iins": chunk}, &res); err != nil {
				return err
			}
			page := &connectors.Page{Source: connectors.Labour}
			c.quarantined.Add(int64(l.decodeRecords(res[l.array], page)))
			set := make(map[domain.IIN]bool, len(chunk))
			for _, k := range chunk {
				set[domain.IIN(k)] = true
			}
			mu.Lock()
			defer mu.Unlock()
			if c.OnQuarantine != nil {
				for _, q := range page.Quarantined {
					c.OnQuarantine(q)
				}
			}
			collect(set, page)
			return nil
		})
	}
	return g.Wait()
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

var _ connectors.Feed = (*Client)(nil)
