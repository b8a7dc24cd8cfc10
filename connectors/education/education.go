// Package education is the connector to the Ministry of Education's national education database
// (docs/sources/education.md): a change feed over its four bulk CSV exports (organisations,
// staff, enrolments, vouchers) and typed look-ups over its JSON API, mapped to domain records and
// validated, with bad rows quarantined.
//
// It owns the education wire format on the client side. It must not import the simulator
// (sim/education) or the generator, and knows nothing of the store.
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
	"sync"
	"sync/atomic"
	"time"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/connectors/transport"
	"github.com/birlik/birlik/domain"
)

// DefaultPageSize is the number of rows asked per export request.
const DefaultPageSize = 5000

// maxLookup is the most IINs one POST /api/enrolments:byChild takes.
const maxLookup = 500

// Client reads the education database. Safe for concurrent use.
type Client struct {
	base string
	http *transport.Client
	// PageSize is the rows per export request (1..10000; default DefaultPageSize).
	PageSize int
	// OnQuarantine, when set, receives every record a look-up method refused (the feed puts
	// them in Page.Quarantined instead).
	OnQuarantine func(connectors.Quarantined)

	quarantined atomic.Int64
	mu          sync.Mutex
	totals      [4]int64 // X-Total-Count of each export, as last seen
}

// New returns a client for the database at baseURL (e.g. "http://127.0.0.1:8083"). cfg.Source
// defaults to "education".
func New(baseURL string, cfg transport.Config) *Client {
	if cfg.Source == "" {
		cfg.Source = string(connectors.Education)
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), http: transport.New(cfg), PageSize: DefaultPageSize}
}

// Client is a change feed.
var _ connectors.Feed = (*Client)(nil)

// Source names the source.
func (c *Client) Source() connectors.Source { return connectors.Education }

// Quarantined is the number of records the client refused so far, in feeds and look-ups.
func (c *Client) Quarantined() int64 { return c.quarantined.Load() }

// cursor is the feed position: the export being read and the last row_version of each.
type cursor struct {
	stage int
	since [4]int64
}

const cursorPrefix = "edu1:"

func (k cursor) String() string {
	return fmt.Sprintf("%s%d:%d:%d:%d:%d", cursorPrefix, k.stage, k.since[0], k.since[1], k.since[2], k.since[3])
}

func parseCursor(s string) (cursor, error) {
	var k cursor
	if s == "" {
		return k, nil
	}
	parts := strings.Split(strings.TrimPrefix(s, cursorPrefix), ":")
	if !strings.HasPrefix(s, cursorPrefix) || len(parts) != 5 {
		return k, fmt.Errorf("education: cursor %q was not made by this connector (want %sSTAGE:V:V:V:V)", s, cursorPrefix)
	}
	for i, p := range parts {
		v, err := strconv.ParseInt(p, 10, 64)
		if err != nil || v < 0 || (i == 0 && v > 3) {
			return k, fmt.Errorf("education: cursor %q: part %d is not valid", s, i+1)
		}
		if i == 0 {
			k.stage = int(v)
		} else {
			k.since[i-1] = v
		}
	}
	return k, nil
}

// Next returns the next page of the feed after cursor: the exports are read in turn
// (organisations, staff, enrolments, vouchers) from each one's last row_version. The page that
// reaches the end of the last export is Done; its cursor starts the next round, which asks every
// export for rows added since.
func (c *Client) Next(ctx context.Context, cur string) (*connectors.Page, error) {
	k, err := parseCursor(cur)
	if err != nil {
		return nil, err
	}
	size := c.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	for k.stage < len(exports) {
		ex := exports[k.stage]
		p := &connectors.Page{Source: connectors.Education}
		rows, last, err := c.readExport(ctx, k.stage, ex, k.since[k.stage], size, p)
		if err != nil {
			return nil, err
		}
		if rows > 0 {
			k.since[k.stage] = max(k.since[k.stage], last.version)
		}
		if rows == 0 || last.version >= last.max {
			k.stage++
		}
		if rows > 0 {
			if k.stage == len(exports) {
				p.Done = true
				k.stage = 0
			}
			p.Cursor = k.String()
			p.Total = c.total()
			c.quarantined.Add(int64(len(p.Quarantined)))
			return p, nil
		}
	}
	k.stage = 0
	return &connectors.Page{Source: connectors.Education, Cursor: k.String(), Done: true, Total: c.total()}, nil
}

func (c *Client) total() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var t int64
	for _, v := range c.totals {
		t += v
	}
	return t
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
	resp, err := c.http.Do(ctx, req)
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
		c.mu.Lock()
		c.totals[stage] = t
		c.mu.Unlock()
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
	err = c.http.GetJSON(ctx, c.base+"/api/organisations/"+url.PathEscape(string(bin)), &o)
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
		c.quarantine(connectors.Quarantined{Entity: "organisation", Key: key, Reason: derr.Error(), Raw: rawJSON(o)})
		return domain.School{}, false, fmt.Errorf("education: organisation %s is invalid in the source: %v", bin, derr)
	}
	return p.Schools[0], true, nil
}

func (c *Client) quarantine(q connectors.Quarantined) {
	q.Source, q.Seen = connectors.Education, time.Now()
	c.quarantined.Add(1)
	if c.OnQuarantine != nil {
		c.OnQuarantine(q)
	}
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

// EnrolmentsByChild returns every enrolment of each child, in batches of 500 per request.
// Children with none are absent from the map. Invalid enrolments are quarantined.
func (c *Client) EnrolmentsByChild(ctx context.Context, iins []domain.IIN) (map[domain.IIN][]domain.Enrolment, error) {
	out := make(map[domain.IIN][]domain.Enrolment, len(iins))
	for start := 0; start < len(iins); start += maxLookup {
		batch := iins[start:min(start+maxLookup, len(iins))]
		req := struct {
			IINs []domain.IIN `json:"iins"`
		}{batch}
		var resp struct {
			Results []struct {
				IIN        string          `json:"iin"`
				Enrolments []enrolmentJSON `json:"enrolments"`
			} `json:"results"`
		}
		if err := c.http.PostJSON(ctx, c.base+"/api/enrolments:byChild", req, &resp); err != nil {
			return nil, err
		}
		for _, r := range resp.Results {
			for _, e := range r.Enrolments {
				var p connectors.Page
				f := []string{e.ID, r.IIN, e.OrgBIN, strconv.Itoa(e.Grade),
					fmt.Sprintf("%04d-%04d", e.AcademicYear, e.AcademicYear+1), isoToNative(e.EnrolledOn), isoToNative(e.LeftOn)}
				if key, derr := decodeEnrolment(&p, f); derr != nil {
					c.quarantine(connectors.Quarantined{Entity: "enrolment", Key: key, Reason: derr.Error(), Raw: rawJSON(e)})
					continue
				}
				en := p.Enrolments[0]
				out[en.ChildIIN] = append(out[en.ChildIIN], en)
			}
		}
	}
	return out, nil
}

func rawJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
