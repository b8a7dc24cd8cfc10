// Package health is the connector to the Ministry of Healthcare's UMIS (docs/sources/health.md):
// a FHIR R4-style API of Organization, Patient (attachment), Encounter and Coverage resources in
// searchset Bundles. It offers a change feed over the four resource types and the batch look-ups
// the gateway reads live (coverage, visits and attachments by IIN), mapped to domain records
// and validated, with bad resources quarantined.
//
// It owns the health wire format on the client side. It must not import the simulator
// (sim/health) or the generator, and knows nothing of the store.
package health

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/connectors/transport"
	"github.com/birlik/birlik/domain"
)

// DefaultPageSize is the _count of feed searches (the register allows 1..5000).
const DefaultPageSize = 5000

// maxBatch is the most IINs one batch search takes.
const maxBatch = 100

// feed lists the resource types in feed order: institutions before what refers to them.
var feed = [4]string{"Organization", "Patient", "Encounter", "Coverage"}

// Client reads the register. Safe for concurrent use.
type Client struct {
	base string // ends in /fhir
	http *transport.Client
	// PageSize is the _count of feed searches (1..5000; default DefaultPageSize).
	PageSize int
	// OnQuarantine, when set, receives every resource a look-up refused (the feed puts them
	// in Page.Quarantined instead).
	OnQuarantine func(connectors.Quarantined)

	quarantined atomic.Int64
	mu          sync.Mutex
	totals      [4]int64
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
	return &Client{base: base, http: transport.New(cfg), PageSize: DefaultPageSize}
}

// Client is a change feed.
var _ connectors.Feed = (*Client)(nil)

// Source names the source.
func (c *Client) Source() connectors.Source { return connectors.Health }

// Quarantined is the number of resources the client refused so far.
func (c *Client) Quarantined() int64 { return c.quarantined.Load() }

// search GETs a search URL and decodes its Bundle of resources of type want into p.
func (c *Client) search(ctx context.Context, u, want string, p *connectors.Page) (bundleInfo, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return bundleInfo{}, fmt.Errorf("health: %s search: %w", want, err)
	}
	req.Header.Set("Accept", "application/fhir+json")
	resp, err := c.http.Do(ctx, req)
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

// cursor is the feed position: the resource type being read and the last meta.versionId of
// each.
type cursor struct {
	stage int
	after [4]int64
}

const cursorPrefix = "fhir1:"

func (k cursor) String() string {
	return fmt.Sprintf("%s%d:%d:%d:%d:%d", cursorPrefix, k.stage, k.after[0], k.after[1], k.after[2], k.after[3])
}

func parseCursor(s string) (cursor, error) {
	var k cursor
	if s == "" {
		return k, nil
	}
	parts := strings.Split(strings.TrimPrefix(s, cursorPrefix), ":")
	if !strings.HasPrefix(s, cursorPrefix) || len(parts) != 5 {
		return k, fmt.Errorf("health: cursor %q was not made by this connector (want %sSTAGE:V:V:V:V)", s, cursorPrefix)
	}
	for i, p := range parts {
		v, err := strconv.ParseInt(p, 10, 64)
		if err != nil || v < 0 || (i == 0 && v > 3) {
			return k, fmt.Errorf("health: cursor %q: part %d is not valid", s, i+1)
		}
		if i == 0 {
			k.stage = int(v)
		} else {
			k.after[i-1] = v
		}
	}
	return k, nil
}

// Next returns the next page of the feed after cursor: Organization, Patient, Encounter and
// Coverage searches in turn, each from its last meta.versionId. The page that reaches the end
// of the coverages is Done; its cursor starts the next round.
func (c *Client) Next(ctx context.Context, cur string) (*connectors.Page, error) {
	k, err := parseCursor(cur)
	if err != nil {
		return nil, err
	}
	size := c.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	for k.stage < len(feed) {
		typ := feed[k.stage]
		p := &connectors.Page{Source: connectors.Health}
		info, err := c.search(ctx, fmt.Sprintf("%s/%s?_count=%d&_cursor=%d", c.base, typ, size, k.after[k.stage]), typ, p)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.totals[k.stage] = info.Total
		total := c.totals[0] + c.totals[1] + c.totals[2] + c.totals[3]
		c.mu.Unlock()
		pos := info.MaxSeq
		if info.Next != "" {
			pos = max(pos, cursorOf(info.Next))
		}
		k.after[k.stage] = max(k.after[k.stage], pos)
		if info.Next == "" || info.Entries == 0 {
			k.stage++
		}
		if info.Entries > 0 {
			if k.stage == len(feed) {
				p.Done, k.stage = true, 0
			}
			p.Cursor, p.Total = k.String(), total
			c.quarantined.Add(int64(len(p.Quarantined)))
			return p, nil
		}
	}
	c.mu.Lock()
	total := c.totals[0] + c.totals[1] + c.totals[2] + c.totals[3]
	c.mu.Unlock()
	return &connectors.Page{Source: connectors.Health, Cursor: cursor{after: k.after}.String(), Done: true, Total: total}, nil
}

// batch runs a batch search of resources of type typ by param over iins, 100 per request,
// following next links, and returns the valid records in one page. Quarantined resources go to
// OnQuarantine.
func (c *Client) batch(ctx context.Context, typ, param string, iins []domain.IIN, extra url.Values) (*connectors.Page, error) {
	out := &connectors.Page{Source: connectors.Health}
	for start := 0; start < len(iins); start += maxBatch {
		chunk := iins[start:min(start+maxBatch, len(iins))]
		ids := make([]string, len(chunk))
		for i, v := range chunk {
			ids[i] = string(v)
		}
		q := url.Values{param: {strings.Join(ids, ",")}, "_count": {"1000"}}
		for k, v := range extra {
			q[k] = v
		}
		u := c.base + "/" + typ + "?" + q.Encode()
		for pages := 0; u != ""; pages++ {
			if pages > 10000 {
				return nil, fmt.Errorf("health: %s search by %s: more than 10000 pages, the next links loop", typ, param)
			}
			info, err := c.search(ctx, u, typ, out)
			if err != nil {
				return nil, err
			}
			u = info.Next
		}
	}
	for _, q := range out.Quarantined {
		c.quarantined.Add(1)
		if c.OnQuarantine != nil {
			c.OnQuarantine(q)
		}
	}
	out.Quarantined = nil
	return out, nil
}

// CoverageByIIN returns every CSHI coverage period of each person (GET /Coverage?beneficiary=…).
// People without coverage are absent from the map.
func (c *Client) CoverageByIIN(ctx context.Context, iins []domain.IIN) (map[domain.IIN][]domain.Coverage, error) {
	p, err := c.batch(ctx, "Coverage", "beneficiary", iins, nil)
	if err != nil {
		return nil, err
	}
	out := make(map[domain.IIN][]domain.Coverage, len(iins))
	for _, v := range p.Coverages {
		out[v.IIN] = append(out[v.IIN], v)
	}
	return out, nil
}

// VisitsByIIN returns each person's visits, newest first, at most limitPerPerson of them
// (0 or less: all) (GET /Encounter?patient=…&_sort=-date). People without visits are absent.
func (c *Client) VisitsByIIN(ctx context.Context, iins []domain.IIN, limitPerPerson int) (map[domain.IIN][]domain.Visit, error) {
	p, err := c.batch(ctx, "Encounter", "patient", iins, url.Values{"_sort": {"-date"}})
	if err != nil {
		return nil, err
	}
	out := make(map[domain.IIN][]domain.Visit, len(iins))
	for _, v := range p.Visits {
		if limitPerPerson > 0 && len(out[v.IIN]) >= limitPerPerson {
			continue
		}
		out[v.IIN] = append(out[v.IIN], v)
	}
	return out, nil
}

// AttachmentsByIIN returns every attachment record of each person (GET /Patient?identifier=…).
// People never attached are absent.
func (c *Client) AttachmentsByIIN(ctx context.Context, iins []domain.IIN) (map[domain.IIN][]domain.Attachment, error) {
	p, err := c.batch(ctx, "Patient", "identifier", iins, nil)
	if err != nil {
		return nil, err
	}
	out := make(map[domain.IIN][]domain.Attachment, len(iins))
	for _, v := range p.Attachments {
		out[v.IIN] = append(out[v.IIN], v)
	}
	return out, nil
}
