// Package education is the connector to the Ministry of Education's national education database
// (docs/sources/education.md): a change feed over its four bulk CSV exports (organisations,
// staff, enrolments, vouchers) and typed look-ups over its JSON API, mapped to domain records and
// validated, with bad rows quarantined.
//
// It owns the education wire format on the client side. It must not import the simulator
// (sim/education) or the generator, and knows nothing of the store.
//
// Its client has the shape every connector has (limits, fields, cursor and batch look-ups):
// see package connectors.
package education

import (
	"context"
	"encoding/json"
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

// Limits of the database's API (docs/sources/education.md), under the names every connector
// uses.
const (
	// MaxBatch is the most IINs one POST /api/enrolments:byChild takes.
	MaxBatch = 500
	// BatchWorkers is how many batch look-up requests are in flight at once.
	BatchWorkers = 1
	// MaxPageSize is the most rows one export request may ask for.
	MaxPageSize = 10000
	// DefaultPageSize is the rows asked per export request when PageSize is 0.
	DefaultPageSize = 5000
)

// ErrCircuitOpen is the transport's: a call refused because the database failed too often.
var ErrCircuitOpen = transport.ErrCircuitOpen

// Client reads the education database. Safe for concurrent use; set the exported fields before
// the first call.
type Client struct {
	base      string
	transport *transport.Client

	// PageSize is the rows asked per export request (0: DefaultPageSize; the database refuses
	// more than MaxPageSize).
	PageSize int
	// OnQuarantine, when set, receives every record a look-up refused, one at a time (feed
	// pages carry theirs in Page.Quarantined instead).
	OnQuarantine func(connectors.Quarantined)

	quarantined atomic.Int64      // records refused so far, in feeds and look-ups
	totals      connectors.Totals // X-Total-Count of each export, as last seen
}

// New returns a client for the database at baseURL (e.g. "http://127.0.0.1:8083"). cfg.Source
// defaults to "education".
func New(baseURL string, cfg transport.Config) *Client {
	if cfg.Source == "" {
		cfg.Source = string(connectors.Education)
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), transport: transport.New(cfg), PageSize: DefaultPageSize}
}

var _ connectors.Feed = (*Client)(nil)

// Source names the source.
func (c *Client) Source() connectors.Source { return connectors.Education }

// Transport is the client's transport (for its breaker state).
func (c *Client) Transport() *transport.Client { return c.transport }

// Quarantined is the number of records this client has refused so far, in feeds and look-ups.
func (c *Client) Quarantined() int64 { return c.quarantined.Load() }

// cursorFormat is the feed position's text form, "edu1:<stage>:<v>:<v>:<v>:<v>": the export
// being read and the last row_version read of each.
var cursorFormat = connectors.CursorFormat[int64]{
	Source: connectors.Education, Prefix: "edu1:", Sep: ":", Staged: true, Lists: len(exports),
}

// Next returns the next page of the feed after cursor: the exports are read in turn
// (organisations, staff, enrolments, vouchers) from each one's last row_version. The page that
// reaches the end of the last export is Done; its cursor starts the next round, which asks every
// export for rows added since.
func (c *Client) Next(ctx context.Context, cur string) (*connectors.Page, error) {
	size := connectors.PageSize(c.PageSize, DefaultPageSize)
	page, err := cursorFormat.ReadInTurn(cur, func(k *connectors.Cursor[int64], p *connectors.Page) (int, bool, error) {
		rows, last, err := c.readExport(ctx, k.Stage, exports[k.Stage], k.At[k.Stage], size, p)
		if err != nil {
			return 0, false, err
		}
		if rows > 0 {
			k.At[k.Stage] = max(k.At[k.Stage], last.version)
		}
		return rows, last.version < last.max, nil
	})
	if err != nil {
		return nil, err
	}
	c.quarantined.Add(int64(len(page.Quarantined)))
	if k, err := cursorFormat.Parse(cur); err == nil {
		c.totals.Learn(k.Stage, func(i int) (int64, error) {
			_, _, err := c.readExport(ctx, i, exports[i], 0, 1, &connectors.Page{}) // one row: X-Total-Count
			n, _ := c.totals.Get(i)
			return n, err
		})
	}
	page.Total = c.totals.Sum()
	return page, nil
}

type position struct{ version, max int64 }

func header(resp *http.Response, name string) (int64, bool) {
	v, err := strconv.ParseInt(resp.Header.Get(name), 10, 64)
	return v, err == nil
}

// readExport fetches one page of an export and decodes it into p.
func (c *Client) readExport(ctx context.Context, stage int, ex export, since int64, limit int, p *connectors.Page) (int, position, error) {
	u := fmt.Sprintf("%s%s?since=%d&limit=%d", c.base, ex.path, since, limit)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, position{}, fmt.Errorf("education: %w", err)
	}
	req.Header.Set("Accept", "text/csv")
	resp, err := c.transport.Do(ctx, req)
	if err != nil {
		return 0, position{}, err
	}
	defer resp.Body.Close()
	rows, last, err := decodeExport(resp.Body, ex, p, time.Now())
	if err != nil {
		return 0, position{}, &transport.Error{Source: string(connectors.Education), Op: "GET " + ex.path, Status: resp.StatusCode, Err: err}
	}
	pos := position{version: last}
	// The server's headers are authoritative: X-Last-Version covers rows whose row_version
	// could not be read, X-Max-Version says whether more follow.
	if v, ok := header(resp, "X-Last-Version"); ok && v > pos.version {
		pos.version = v
	}
	if v, ok := header(resp, "X-Max-Version"); ok {
		pos.max = v
	} else {
		pos.max = pos.version // no header: assume a short page is the last
		if rows >= limit {
			pos.max = pos.version + 1
		}
	}
	if t, ok := header(resp, "X-Total-Count"); ok {
		c.totals.Set(stage, t)
	}
	return rows, pos, nil
}

// ---- JSON look-ups (section 2) ----

type orgJSON struct {
	BIN         string `json:"bin"`
	Name        string `json:"name"`
	Type        string `json:"type"`
	Ownership   string `json:"ownership"`
	KATO        string `json:"kato"`
	CadastralNo string `json:"cadastralNo"`
	StateOrder  bool   `json:"stateOrder"`
}

// Organisation looks up one organisation by BIN. found is false when the database has none;
// a record that fails validation is an error (and is quarantined).
func (c *Client) Organisation(ctx context.Context, bin domain.BIN) (org domain.School, found bool, err error) {
	var o orgJSON
	err = c.transport.GetJSON(ctx, c.base+"/api/organisations/"+url.PathEscape(string(bin)), &o)
	if te := (*transport.Error)(nil); errors.As(err, &te) && te.Status == http.StatusNotFound {
		return domain.School{}, false, nil
	}
	if err != nil {
		return domain.School{}, false, err
	}
	var p connectors.Page
	so := "0"
	if o.StateOrder {
		so = "1"
	}
	f := []string{o.BIN, o.Name, o.Type, o.Ownership, o.KATO, o.CadastralNo, so}
	if key, derr := decodeOrganisation(&p, f); derr != nil {
		connectors.Reject(&c.quarantined, c.OnQuarantine, []connectors.Quarantined{refused("organisation", key, derr, o)})
		return domain.School{}, false, fmt.Errorf("education: organisation %s is invalid in the source: %v", bin, derr)
	}
	return p.Schools[0], true, nil
}

// refused is the quarantine record of an answer of the JSON API that failed validation.
func refused(entity, key string, err error, raw any) connectors.Quarantined {
	b, _ := json.Marshal(raw)
	return connectors.Quarantined{Source: connectors.Education, Entity: entity, Key: key, Reason: err.Error(), Raw: string(b), Seen: time.Now()}
}

type enrolmentJSON struct {
	ID           string  `json:"id"`
	OrgBIN       string  `json:"orgBin"`
	Grade        int     `json:"grade"`
	AcademicYear int     `json:"academicYear"`
	EnrolledOn   *string `json:"enrolledOn"`
	LeftOn       *string `json:"leftOn"`
}

// isoToNative turns an ISO yyyy-mm-dd (or null) into the export's dd.mm.yyyy so one validator
// serves both; anything else is passed on unchanged to fail validation.
func isoToNative(s *string) string {
	if s == nil {
		return ""
	}
	v := *s
	if len(v) != 10 || v[4] != '-' || v[7] != '-' {
		return v
	}
	return v[8:10] + "." + v[5:7] + "." + v[0:4]
}

// EnrolmentsByChild returns every enrolment of each child, MaxBatch children a request.
// Children with none are absent from the map; invalid enrolments are quarantined (given to
// OnQuarantine). On error the map holds what was found before it.
func (c *Client) EnrolmentsByChild(ctx context.Context, iins []domain.IIN) (map[domain.IIN][]domain.Enrolment, error) {
	out := make(map[domain.IIN][]domain.Enrolment, len(iins))
	err := connectors.Lookup(ctx, iins, MaxBatch, BatchWorkers,
		func(ctx context.Context, batch []domain.IIN) (*connectors.Page, error) {
			req := struct {
				IINs []domain.IIN `json:"iins"`
			}{batch}
			var resp struct {
				Results []struct {
					IIN        string          `json:"iin"`
					Enrolments []enrolmentJSON `json:"enrolments"`
				} `json:"results"`
			}
			if err := c.transport.PostJSON(ctx, c.base+"/api/enrolments:byChild", req, &resp); err != nil {
				return nil, err
			}
			p := &connectors.Page{Source: connectors.Education}
			for _, r := range resp.Results {
				for _, e := range r.Enrolments {
					f := []string{e.ID, r.IIN, e.OrgBIN, strconv.Itoa(e.Grade),
						fmt.Sprintf("%04d-%04d", e.AcademicYear, e.AcademicYear+1), isoToNative(e.EnrolledOn), isoToNative(e.LeftOn)}
					if key, err := decodeEnrolment(p, f); err != nil {
						p.Quarantined = append(p.Quarantined, refused("enrolment", key, err, e))
					}
				}
			}
			return p, nil
		},
		func(_ []domain.IIN, p *connectors.Page) {
			connectors.Reject(&c.quarantined, c.OnQuarantine, p.Quarantined)
			for _, en := range p.Enrolments {
				out[en.ChildIIN] = append(out[en.ChildIIN], en)
			}
		})
	return out, err
}
