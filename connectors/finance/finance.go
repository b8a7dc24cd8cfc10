// Package finance is the connector to the Ministry of Finance's OrtaBilim payment service
// (docs/sources/finance.md): SOAP 1.1 envelopes over HTTP, with a change feed over the
// state-order payments and income reports and a batch look-up of payments by organisation,
// mapped to domain records and validated, with bad records quarantined.
//
// It owns the finance wire format on the client side. It must not import the simulator
// (sim/finance) or the generator, and knows nothing of the store.
//
// Its client has the shape every connector has (limits, fields, cursor and batch look-ups):
// see package connectors.
package finance

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/connectors/transport"
	"github.com/birlik/birlik/domain"
)

// Endpoint is the service's path under the base URL.
const Endpoint = "/OrtaBilim/PaymentService"

// Limits of the service (docs/sources/finance.md), under the names every connector uses.
const (
	// MaxBatch is the most BINs one GetPaymentsByOrganisation takes.
	MaxBatch = 100
	// BatchWorkers is how many batch look-up requests are in flight at once.
	BatchWorkers = 1
	// MaxPageSize is the most records one feed request may ask for.
	MaxPageSize = 10000
	// DefaultPageSize is the records asked per feed request when PageSize is 0.
	DefaultPageSize = 5000
)

// ErrCircuitOpen is the transport's: a call refused because the service failed too often.
var ErrCircuitOpen = transport.ErrCircuitOpen

// maxBody bounds one response (a page of 10000 payments is about 4 MB).
const maxBody = 256 << 20

// Client calls the payment service. Safe for concurrent use; set the exported fields before the
// first call.
type Client struct {
	base      string
	transport *transport.Client

	// PageSize is the records asked per feed request (0: DefaultPageSize; the service refuses
	// more than MaxPageSize).
	PageSize int
	// OnQuarantine, when set, receives every record a look-up refused, one at a time (feed
	// pages carry theirs in Page.Quarantined instead).
	OnQuarantine func(connectors.Quarantined)

	quarantined atomic.Int64      // records refused so far, in feeds and look-ups
	totals      connectors.Totals // totalCount of each feed, as last seen
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
	return &Client{base: strings.TrimRight(baseURL, "/"), transport: transport.New(cfg), PageSize: DefaultPageSize}
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

var _ connectors.Feed = (*Client)(nil)

// Source names the source.
func (c *Client) Source() connectors.Source { return connectors.Finance }

// Transport is the client's transport (for its breaker state).
func (c *Client) Transport() *transport.Client { return c.transport }

// Quarantined is the number of records this client has refused so far, in feeds and look-ups.
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
	resp, err := c.transport.Do(ctx, hr)
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

// cursorFormat is the feed position's text form, "fin1:<stage>:<id>:<id>": the feed being read
// (0 payments, 1 income reports) and the last recordId read of each.
var cursorFormat = connectors.CursorFormat[int64]{
	Source: connectors.Finance, Prefix: "fin1:", Sep: ":", Staged: true, Lists: len(feedOps),
}

var feedOps = [2]string{"GetStateOrderPayments", "GetIncomeReports"}

// Next returns the next page of the feed after cursor: state-order payments, then income
// reports, each from its last recordId. The page that reaches the end of the income reports is
// Done; its cursor starts the next round.
func (c *Client) Next(ctx context.Context, cur string) (*connectors.Page, error) {
	size := connectors.PageSize(c.PageSize, DefaultPageSize)
	page, err := cursorFormat.ReadInTurn(cur, func(k *connectors.Cursor[int64], p *connectors.Page) (int, bool, error) {
		head, err := c.readFeed(ctx, k.Stage, k.At[k.Stage], size, p)
		if err != nil {
			return 0, false, err
		}
		k.At[k.Stage] = head.LastID
		return p.Len(), head.LastID < head.MaxID, nil
	})
	if err != nil {
		return nil, err
	}
	c.quarantined.Add(int64(len(page.Quarantined)))
	if k, err := cursorFormat.Parse(cur); err == nil {
		c.totals.Learn(k.Stage, func(i int) (int64, error) {
			head, err := c.readFeed(ctx, i, 0, 1, &connectors.Page{}) // one record: totalCount
			return head.TotalCount, err
		})
	}
	page.Total = c.totals.Sum()
	return page, nil
}

// readFeed reads one page of the feed operation of stage after afterID into p, and records
// the operation's totalCount.
func (c *Client) readFeed(ctx context.Context, stage int, afterID int64, size int, p *connectors.Page) (feedHead, error) {
	op := feedOps[stage]
	resp, err := c.call(ctx, op, pageRequest{XMLName: xmlName(op), AfterID: afterID, PageSize: size})
	if err != nil {
		return feedHead{}, err
	}
	var head feedHead
	now := time.Now()
	body := io.LimitReader(resp.Body, maxBody)
	if stage == 0 {
		err = decodePayments(body, &head, p, now)
	} else {
		err = decodeReports(body, &head, p, now)
	}
	resp.Body.Close()
	if err == nil && head.seen != 3 {
		err = errors.New("totalCount, maxId or lastId missing")
	}
	if err == nil && head.LastID < afterID {
		err = fmt.Errorf("lastId %d is before afterId %d", head.LastID, afterID)
	}
	if err != nil {
		return feedHead{}, c.wrap(op, err)
	}
	c.totals.Set(stage, head.TotalCount)
	return head, nil
}

func xmlName(op string) xml.Name { return xml.Name{Local: "ob:" + op} }

// PaymentsByOrganisation returns every state-order payment to the given organisations for the
// months from..to (inclusive), MaxBatch BINs a request. Organisations without payments are
// absent from the map; invalid payments are quarantined (given to OnQuarantine). On error the
// map holds what was found before it.
func (c *Client) PaymentsByOrganisation(ctx context.Context, bins []domain.BIN, from, to domain.Month) (map[domain.BIN][]domain.StateOrderPayment, error) {
	if from > to {
		return nil, fmt.Errorf("finance: PaymentsByOrganisation: from %s is after to %s", from, to)
	}
	out := make(map[domain.BIN][]domain.StateOrderPayment, len(bins))
	err := connectors.Lookup(ctx, bins, MaxBatch, BatchWorkers,
		func(ctx context.Context, batch []domain.BIN) (*connectors.Page, error) {
			req := byOrganisationRequest{FromPeriod: from.String(), ToPeriod: to.String()}
			for _, b := range batch {
				req.BINs = append(req.BINs, string(b))
			}
			const op = "GetPaymentsByOrganisation"
			resp, err := c.call(ctx, op, req)
			if err != nil {
				return nil, err
			}
			p := &connectors.Page{Source: connectors.Finance}
			err = decodePayments(io.LimitReader(resp.Body, maxBody), nil, p, time.Now())
			resp.Body.Close()
			if err != nil {
				return nil, c.wrap(op, err)
			}
			return p, nil
		},
		func(_ []domain.BIN, p *connectors.Page) {
			connectors.Reject(&c.quarantined, c.OnQuarantine, p.Quarantined)
			for _, pay := range p.StateOrderPayments {
				out[pay.BIN] = append(out[pay.BIN], pay)
			}
		})
	return out, err
}
