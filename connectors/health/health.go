// Package health is the connector to the Ministry of Healthcare's UMIS (docs/sources/health.md):
// a FHIR R4-style API of Organization, Patient (attachment), Encounter and Coverage resources in
// searchset Bundles. It offers a change feed over the four resource types and the batch look-ups
// the gateway reads live (coverage, visits and attachments by IIN), mapped to domain records
// and validated, with bad resources quarantined.
//
// It owns the health wire format on the client side. It must not import the simulator
// (sim/health) or the generator, and knows nothing of the store.
//
// Its client has the shape every connector has (limits, fields, cursor and batch look-ups):
// see package connectors.
package health

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/connectors/transport"
	"github.com/birlik/birlik/domain"
)

// Limits of the register's API (docs/sources/health.md), under the names every connector uses.
const (
	// MaxBatch is the most IINs one batch search takes.
	MaxBatch = 100
	// BatchWorkers is how many batch searches are in flight at once.
	BatchWorkers = 1
	// MaxPageSize is the largest _count of a feed search.
	MaxPageSize = 5000
	// DefaultPageSize is the _count of feed searches when PageSize is 0.
	DefaultPageSize = 5000
)

// lookupPageSize is the _count of batch searches, whose next links are followed.
const lookupPageSize = 1000

// ErrCircuitOpen is the transport's: a call refused because the register failed too often.
var ErrCircuitOpen = transport.ErrCircuitOpen

// feed lists the resource types in feed order: institutions before what refers to them.
var feed = [4]string{"Organization", "Patient", "Encounter", "Coverage"}

// Client reads the register. Safe for concurrent use; set the exported fields before the first
// call.
type Client struct {
	base      string // ends in /fhir
	transport *transport.Client

	// PageSize is the _count of feed searches (0: DefaultPageSize; the register refuses more
	// than MaxPageSize).
	PageSize int
	// OnQuarantine, when set, receives every resource a look-up refused, one at a time (feed
	// pages carry theirs in Page.Quarantined instead).
	OnQuarantine func(connectors.Quarantined)

	quarantined atomic.Int64      // resources refused so far, in feeds and look-ups
	totals      connectors.Totals // Bundle.total of each resource type's search, as last seen
}

// New returns a client for the register at baseURL, the server root (e.g.
// "http://127.0.0.1:8085") or its FHIR base ("…/fhir"). cfg.Source defaults to "health".
func New(baseURL string, cfg transport.Config) *Client {
	if cfg.Source == "" {
		cfg.Source = string(connectors.Health)
	}
	base := strings.TrimRight(baseURL, "/")
	if !strings.HasSuffix(base, "/fhir") {
		base += "/fhir"
	}
	return &Client{base: base, transport: transport.New(cfg), PageSize: DefaultPageSize}
}

var _ connectors.Feed = (*Client)(nil)

// Source names the source.
func (c *Client) Source() connectors.Source { return connectors.Health }

// Transport is the client's transport (for its breaker state).
func (c *Client) Transport() *transport.Client { return c.transport }

// Quarantined is the number of resources this client has refused so far, in feeds and look-ups.
func (c *Client) Quarantined() int64 { return c.quarantined.Load() }

// search GETs a search URL and decodes its Bundle of resources of type want into p.
func (c *Client) search(ctx context.Context, u, want string, p *connectors.Page) (bundleInfo, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return bundleInfo{}, fmt.Errorf("health: %s search: %w", want, err)
	}
	req.Header.Set("Accept", "application/fhir+json")
	resp, err := c.transport.Do(ctx, req)
	if err != nil {
		var te *transport.Error
		if errors.As(err, &te) && len(te.Body) > 0 {
			if o, ok := decodeOutcome(te.Body); ok {
				return bundleInfo{}, &transport.Error{Source: te.Source, Op: te.Op, Status: te.Status, Err: o, Body: te.Body}
			}
		}
		return bundleInfo{}, err
	}
	defer resp.Body.Close()
	info, err := decodeSearch(resp.Body, want, p, time.Now())
	if err != nil {
		return info, &transport.Error{Source: string(connectors.Health), Op: "GET " + req.URL.Path, Status: resp.StatusCode,
			Err: fmt.Errorf("response does not follow docs/sources/health.md: %w", err)}
	}
	return info, nil
}

// cursorFormat is the feed position's text form, "fhir1:<stage>:<v>:<v>:<v>:<v>": the resource
// type being read and the last meta.versionId read of each.
var cursorFormat = connectors.CursorFormat[int64]{
	Source: connectors.Health, Prefix: "fhir1:", Sep: ":", Staged: true, Lists: len(feed),
}

// Next returns the next page of the feed after cursor: Organization, Patient, Encounter and
// Coverage searches in turn, each from its last meta.versionId. The page that reaches the end
// of the coverages is Done; its cursor starts the next round.
func (c *Client) Next(ctx context.Context, cur string) (*connectors.Page, error) {
	size := connectors.PageSize(c.PageSize, DefaultPageSize)
	page, err := cursorFormat.ReadInTurn(cur, func(k *connectors.Cursor[int64], p *connectors.Page) (int, bool, error) {
		typ := feed[k.Stage]
		info, err := c.search(ctx, fmt.Sprintf("%s/%s?_count=%d&_cursor=%d", c.base, typ, size, k.At[k.Stage]), typ, p)
		if err != nil {
			return 0, false, err
		}
		c.totals.Set(k.Stage, info.Total)
		pos := info.MaxSeq
		if info.Next != "" {
			pos = max(pos, cursorOf(info.Next))
		}
		k.At[k.Stage] = max(k.At[k.Stage], pos)
		return info.Entries, info.Next != "", nil
	})
	if err != nil {
		return nil, err
	}
	c.quarantined.Add(int64(len(page.Quarantined)))
	if k, err := cursorFormat.Parse(cur); err == nil {
		c.totals.Learn(k.Stage, func(i int) (int64, error) {
			// One entry: the Bundle's total.
			info, err := c.search(ctx, fmt.Sprintf("%s/%s?_count=1&_cursor=0", c.base, feed[i]), feed[i], &connectors.Page{})
			return info.Total, err
		})
	}
	page.Total = c.totals.Sum()
	return page, nil
}

// batch runs a batch search of resources of type typ by param over iins, MaxBatch a request,
// following next links, and hands each batch's valid resources to collect (one batch at a
// time). Resources that fail validation go to OnQuarantine.
func (c *Client) batch(ctx context.Context, typ, param string, iins []domain.IIN, extra url.Values, collect func(p *connectors.Page)) error {
	return connectors.Lookup(ctx, iins, MaxBatch, BatchWorkers,
		func(ctx context.Context, batch []domain.IIN) (*connectors.Page, error) {
			ids := make([]string, len(batch))
			for i, v := range batch {
				ids[i] = string(v)
			}
			q := url.Values{param: {strings.Join(ids, ",")}, "_count": {strconv.Itoa(lookupPageSize)}}
			for k, v := range extra {
				q[k] = v
			}
			p := &connectors.Page{Source: connectors.Health}
			u := c.base + "/" + typ + "?" + q.Encode()
			for pages := 0; u != ""; pages++ {
				if pages > 10000 {
					return nil, fmt.Errorf("health: %s search by %s: more than 10000 pages, the next links loop", typ, param)
				}
				info, err := c.search(ctx, u, typ, p)
				if err != nil {
					return nil, err
				}
				u = info.Next
			}
			return p, nil
		},
		func(_ []domain.IIN, p *connectors.Page) {
			connectors.Reject(&c.quarantined, c.OnQuarantine, p.Quarantined)
			collect(p)
		})
}

// CoverageByIIN returns every CSHI coverage period of each person (GET /Coverage?beneficiary=…).
// People without coverage are absent from the map. On error the map holds what was found
// before it.
func (c *Client) CoverageByIIN(ctx context.Context, iins []domain.IIN) (map[domain.IIN][]domain.Coverage, error) {
	out := make(map[domain.IIN][]domain.Coverage, len(iins))
	err := c.batch(ctx, "Coverage", "beneficiary", iins, nil, func(p *connectors.Page) {
		for _, v := range p.Coverages {
			out[v.IIN] = append(out[v.IIN], v)
		}
	})
	return out, err
}

// VisitsByIIN returns each person's visits, newest first, at most limitPerPerson of them
// (0 or less: all) (GET /Encounter?patient=…&_sort=-date). People without visits are absent.
// On error the map holds what was found before it.
func (c *Client) VisitsByIIN(ctx context.Context, iins []domain.IIN, limitPerPerson int) (map[domain.IIN][]domain.Visit, error) {
	out := make(map[domain.IIN][]domain.Visit, len(iins))
	err := c.batch(ctx, "Encounter", "patient", iins, url.Values{"_sort": {"-date"}}, func(p *connectors.Page) {
		for _, v := range p.Visits {
			if limitPerPerson <= 0 || len(out[v.IIN]) < limitPerPerson {
				out[v.IIN] = append(out[v.IIN], v)
			}
		}
	})
	return out, err
}

// AttachmentsByIIN returns every attachment record of each person (GET /Patient?identifier=…).
// People never attached are absent. On error the map holds what was found before it.
func (c *Client) AttachmentsByIIN(ctx context.Context, iins []domain.IIN) (map[domain.IIN][]domain.Attachment, error) {
	out := make(map[domain.IIN][]domain.Attachment, len(iins))
	err := c.batch(ctx, "Patient", "identifier", iins, nil, func(p *connectors.Page) {
		for _, v := range p.Attachments {
			out[v.IIN] = append(out[v.IIN], v)
		}
	})
	return out, err
}
