// Package finance is the connector to the Ministry of Finance's OrtaBilim payment service
// (docs/sources/finance.md): SOAP 1.1 envelopes over HTTP, with a change feed over the
// state-order payments and income reports and a batch look-up of payments by organisation,
// mapped to domain records and validated, with bad records quarantined.
//
// It owns the finance wire format on the client side. It must not import the simulator
// (sim/finance) or the generator, and knows nothing of the store.
package finance

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/connectors/transport"
	"github.com/birlik/birlik/domain"
)

// Endpoint is the service's path under the base URL.
const Endpoint = "/OrtaBilim/PaymentService"

// DefaultPageSize is the records asked per feed request (the service allows 1..10000).
const DefaultPageSize = 5000

// maxBINs is the most BINs one GetPaymentsByOrganisation takes.
const maxBINs = 100

// maxBody bounds one response (a page of 10000 payments is about 4 MB).
const maxBody = 256 << 20

// Client calls the payment service. Safe for concurrent use.
type Client struct {
	base string
	http *transport.Client
	// PageSize is the records per feed request (1..10000; default DefaultPageSize).
	PageSize int
	// OnQuarantine, when set, receives every record a look-up refused (the feed puts them in
	// Page.Quarantined instead).
	OnQuarantine func(connectors.Quarantined)

	quarantined atomic.Int64
	mu          sync.Mutex
	totals      [2]int64
}

// New returns a client for the service at baseURL (e.g. "http://127.0.0.1:8084"; the endpoint
// path is added). cfg.Source defaults to "finance". SOAP faults of kind Client come with HTTP
// 500 as SOAP 1.1 prescribes; the client recognises them and never retries them.
func New(baseURL string, cfg transport.Config) *Client {
	if cfg.Source == "" {
		cfg.Source = string(connectors.Finance)
	}
	var hc http.Client
	if cfg.HTTPClient != nil {
		hc = *cfg.HTTPClient
	}
	base := hc.Transport
	if base == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 16
		base = t
	}
	hc.Transport = clientFaults{base}
	cfg.HTTPClient = &hc
	return &Client{base: strings.TrimRight(baseURL, "/"), http: transport.New(cfg), PageSize: DefaultPageSize}
}

// clientFaults turns an HTTP 500 that carries a soap:Client fault into a 400 for the transport,
// so that a request that will fail the same way again is neither retried nor counted against
// the source's circuit.
type clientFaults struct{ base http.RoundTripper }

func (t clientFaults) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusInternalServerError {
		return resp, err
	}
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	if f, ok := decodeFault(head); ok && f.Client() {
		resp.StatusCode, resp.Status = http.StatusBadRequest, "400 Bad Request (SOAP client fault sent with HTTP 500)"
		resp.Header.Set("X-Soap-Status", "500")
	}
	return resp, nil
}

// Client is a change feed.
var _ connectors.Feed = (*Client)(nil)

// Source names the source.
func (c *Client) Source() connectors.Source { return connectors.Finance }

// Quarantined is the number of records the client refused so far.
func (c *Client) Quarantined() int64 { return c.quarantined.Load() }

// call sends one operation and returns the response, for the caller to stream and close.
// Faults come back as a *transport.Error whose Err is the *Fault.
func (c *Client) call(ctx context.Context, op string, req any) (*http.Response, error) {
	body, err := encodeRequest(req)
	if err != nil {
		return nil, fmt.Errorf("finance: %s: encode request: %w", op, err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+Endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("finance: %s: %w", op, err)
	}
	hr.Header.Set("Content-Type", "text/xml; charset=utf-8")
	hr.Header.Set("SOAPAction", `"`+nsOB+"/"+op+`"`)
	opName := "POST " + Endpoint + " " + op
	resp, err := c.http.Do(ctx, hr)
	if err != nil {
		var te *transport.Error
		if errors.As(err, &te) && len(te.Body) > 0 {
			if f, ok := decodeFault(te.Body); ok {
				status := te.Status
				if f.Client() {
					status = http.StatusInternalServerError // as sent; see clientFaults
				}
				return nil, &transport.Error{Source: te.Source, Op: opName, Status: status, Err: f, Body: te.Body}
			}
		}
		return nil, err
	}
	return resp, nil
}

func (c *Client) wrap(op string, err error) error {
	var f *Fault
	if errors.As(err, &f) {
		return &transport.Error{Source: string(connectors.Finance), Op: "POST " + Endpoint + " " + op, Status: http.StatusOK, Err: f}
	}
	return &transport.Error{Source: string(connectors.Finance), Op: "POST " + Endpoint + " " + op, Status: http.StatusOK,
		Err: fmt.Errorf("response does not follow docs/sources/finance.md: %w", err)}
}

// cursor is the feed position: the list being read (0 payments, 1 income reports) and the last
// recordId of each.
type cursor struct {
	stage int
	after [2]int64
}

const cursorPrefix = "fin1:"

func (k cursor) String() string {
	return fmt.Sprintf("%s%d:%d:%d", cursorPrefix, k.stage, k.after[0], k.after[1])
}

func parseCursor(s string) (cursor, error) {
	var k cursor
	if s == "" {
		return k, nil
	}
	parts := strings.Split(strings.TrimPrefix(s, cursorPrefix), ":")
	if !strings.HasPrefix(s, cursorPrefix) || len(parts) != 3 {
		return k, fmt.Errorf("finance: cursor %q was not made by this connector (want %sSTAGE:ID:ID)", s, cursorPrefix)
	}
	for i, p := range parts {
		v, err := strconv.ParseInt(p, 10, 64)
		if err != nil || v < 0 || (i == 0 && v > 1) {
			return k, fmt.Errorf("finance: cursor %q: part %d is not valid", s, i+1)
		}
		if i == 0 {
			k.stage = int(v)
		} else {
			k.after[i-1] = v
		}
	}
	return k, nil
}

var feedOps = [2]string{"GetStateOrderPayments", "GetIncomeReports"}

// Next returns the next page of the feed after cursor: state-order payments, then income
// reports, each from its last recordId. The page that reaches the end of the income reports is
// Done; its cursor starts the next round.
func (c *Client) Next(ctx context.Context, cur string) (*connectors.Page, error) {
	k, err := parseCursor(cur)
	if err != nil {
		return nil, err
	}
	size := c.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	for k.stage < 2 {
		op := feedOps[k.stage]
		resp, err := c.call(ctx, op, pageRequest{XMLName: xmlName(op), AfterID: k.after[k.stage], PageSize: size})
		if err != nil {
			return nil, err
		}
		p := &connectors.Page{Source: connectors.Finance}
		var head feedHead
		now := time.Now()
		body := io.LimitReader(resp.Body, maxBody)
		if k.stage == 0 {
			err = decodePayments(body, &head, p, now)
		} else {
			err = decodeReports(body, &head, p, now)
		}
		resp.Body.Close()
		if err == nil && head.seen != 3 {
			err = errors.New("totalCount, maxId or lastId missing")
		}
		if err == nil && head.LastID < k.after[k.stage] {
			err = fmt.Errorf("lastId %d is before afterId %d", head.LastID, k.after[k.stage])
		}
		if err != nil {
			return nil, c.wrap(op, err)
		}
		c.mu.Lock()
		c.totals[k.stage] = head.TotalCount
		total := c.totals[0] + c.totals[1]
		c.mu.Unlock()
		n := p.Len()
		k.after[k.stage] = head.LastID
		if n == 0 || head.LastID >= head.MaxID {
			k.stage++
		}
		if n > 0 {
			if k.stage == 2 {
				p.Done, k.stage = true, 0
			}
			p.Cursor, p.Total = k.String(), total
			c.quarantined.Add(int64(len(p.Quarantined)))
			return p, nil
		}
	}
	c.mu.Lock()
	total := c.totals[0] + c.totals[1]
	c.mu.Unlock()
	return &connectors.Page{Source: connectors.Finance, Cursor: cursor{after: k.after}.String(), Done: true, Total: total}, nil
}

func xmlName(op string) xml.Name { return xml.Name{Local: "ob:" + op} }

// PaymentsByOrganisation returns every state-order payment to the given organisations for the
// months from..to (inclusive), 100 BINs per request. Organisations without payments are absent
// from the map; invalid payments are quarantined (OnQuarantine).
func (c *Client) PaymentsByOrganisation(ctx context.Context, bins []domain.BIN, from, to domain.Month) (map[domain.BIN][]domain.StateOrderPayment, error) {
	if from > to {
		return nil, fmt.Errorf("finance: PaymentsByOrganisation: from %s is after to %s", from, to)
	}
	out := make(map[domain.BIN][]domain.StateOrderPayment, len(bins))
	for start := 0; start < len(bins); start += maxBINs {
		batch := bins[start:min(start+maxBINs, len(bins))]
		req := byOrganisationRequest{FromPeriod: from.String(), ToPeriod: to.String()}
		for _, b := range batch {
			req.BINs = append(req.BINs, string(b))
		}
		const op = "GetPaymentsByOrganisation"
		resp, err := c.call(ctx, op, req)
		if err != nil {
			return nil, err
		}
		var p connectors.Page
		err = decodePayments(io.LimitReader(resp.Body, maxBody), nil, &p, time.Now())
		resp.Body.Close()
		if err != nil {
			return nil, c.wrap(op, err)
		}
		for _, pay := range p.StateOrderPayments {
			out[pay.BIN] = append(out[pay.BIN], pay)
		}
		for _, q := range p.Quarantined {
			c.quarantined.Add(1)
			if c.OnQuarantine != nil {
				c.OnQuarantine(q)
			}
		}
	}
	return out, nil
}
