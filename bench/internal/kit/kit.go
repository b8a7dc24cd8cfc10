// Package kit holds what the benchmarks under bench share to drive a gateway they started as a
// subprocess: the API keys they configure, a GraphQL client, the workloads' queries and the
// sample of IINs, months and change-feed cursors they draw from, nearest-rank quantiles, free
// loopback ports, and a PostgreSQL database of their own beside DATABASE_URL's.
//
// Like the benchmarks, it talks to the gateway over HTTP only: it imports none of the gateway's
// packages but domain's region list.
package kit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/birlik/birlik/domain"
)

// Keys are the API keys a benchmark configures on the gateway: one per workload's role, and a
// caseworker per region (a caseworker works in one region; the person asked for picks the key).
type Keys struct {
	Admin, Analyst, Health string
	Caseworker             map[string]string // by region KATO
}

// NewKeys makes random keys for the admin, analyst, health client and a caseworker per region.
func NewKeys() Keys {
	ks := Keys{Admin: NewKey("admin"), Analyst: NewKey("analyst"), Health: NewKey("umis"), Caseworker: map[string]string{}}
	for _, r := range domain.Regions {
		ks.Caseworker[string(r.KATO)] = NewKey("case-" + string(r.KATO))
	}
	return ks
}

// NewKey makes a random API key whose text starts with bench-what.
func NewKey(what string) string { return fmt.Sprintf("bench-%s-%016x", what, rand.Uint64()) }

// Entries are the keys as the gateway's --api-keys takes them, key:role:client[:KATO].
func (k Keys) Entries() []string {
	list := []string{
		k.Admin + ":admin:bench-admin",
		k.Analyst + ":analyst:bench-analyst",
		k.Health + ":health:bench-umis",
	}
	for _, r := range domain.Regions {
		list = append(list, k.Caseworker[string(r.KATO)]+":caseworker:bench-citizen-app:"+string(r.KATO))
	}
	return list
}

// Flag is the value of the gateway's --api-keys for these keys.
func (k Keys) Flag() string { return strings.Join(k.Entries(), ",") }

// Client sends GraphQL requests to one gateway.
type Client struct {
	Base string // http://127.0.0.1:PORT
	HTTP *http.Client
}

// NewClient returns a client of the gateway at base with room for many concurrent requests.
func NewClient(base string) *Client {
	return &Client{Base: base, HTTP: &http.Client{
		Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, MaxConnsPerHost: 0},
		Timeout:   60 * time.Second}}
}

// Post posts one GraphQL request with key and purpose and returns the HTTP status and body;
// err is a transport error only.
func (c *Client) Post(ctx context.Context, key, purpose, query string, vars map[string]any) (int, []byte, error) {
	return c.PostOperation(ctx, key, purpose, query, "", vars)
}

// PostOperation is Post for the operation named operation of a query holding several ("": the
// query's only one).
func (c *Client) PostOperation(ctx context.Context, key, purpose, query, operation string, vars map[string]any) (int, []byte, error) {
	payload := map[string]any{"query": query, "variables": vars}
	if operation != "" {
		payload["operationName"] = operation
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Base+"/query", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("X-Purpose", purpose)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, err
	}
	return resp.StatusCode, b, nil
}

// GQL posts one GraphQL request and returns its body; a transport error, a status other than
// 200 or an "errors" member is an error.
func (c *Client) GQL(ctx context.Context, key, purpose, query string, vars map[string]any) ([]byte, error) {
	return c.GQLOperation(ctx, key, purpose, query, "", vars)
}

// GQLOperation is GQL for the operation named operation of a query holding several ("": the
// query's only one).
func (c *Client) GQLOperation(ctx context.Context, key, purpose, query, operation string, vars map[string]any) ([]byte, error) {
	status, b, err := c.PostOperation(ctx, key, purpose, query, operation, vars)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return b, fmt.Errorf("HTTP %d: %s", status, Clip(b))
	}
	if bytes.Contains(b, []byte(`"errors":`)) {
		return b, fmt.Errorf("GraphQL errors: %s", Clip(b))
	}
	return b, nil
}

// Metrics reads the gateway's /metrics, a line each (nil when it cannot be read).
func (c *Client) Metrics() []string {
	resp, err := c.HTTP.Get(c.Base + "/metrics")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil
	}
	return strings.Split(string(b), "\n")
}

// DerivedDone reports whether the gateway has finished the work it does after its first sync
// (the metric birlik_derived_runs_total counts it; any outcome counts).
func (c *Client) DerivedDone() bool {
	for _, line := range c.Metrics() {
		if strings.HasPrefix(line, `birlik_derived_runs_total{job="assessments"`) {
			return true
		}
		if strings.HasPrefix(line, `birlik_derived_runs_total{job="checks",outcome="error"}`) {
			return true // the assessments do not run after failed checks
		}
	}
	return false
}

// Clip shortens a body for a message.
func Clip(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// FreePort returns a loopback address, 127.0.0.1:PORT, that was free a moment ago.
func FreePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Tail returns the last n lines of the file at path ("" when it cannot be read).
func Tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Quantile is the nearest-rank quantile of sorted samples.
func Quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*q+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// CreateDatabase creates database name on DATABASE_URL's server (the user needs CREATEDB) and
// returns its URL.
func CreateDatabase(ctx context.Context, dbURL, name string) (string, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return "", fmt.Errorf("DATABASE_URL: connecting: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("creating the benchmark's database %s (the DATABASE_URL user needs CREATEDB): %w", name, err)
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// DropDatabase drops database name on DATABASE_URL's server, closing its connections.
func DropDatabase(ctx context.Context, dbURL, name string) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}

// Group writes n with its thousands separated by commas: 4,800,000.
func Group(n int64) string {
	s := strconv.FormatInt(n, 10)
	start := 0
	if n < 0 {
		start = 1
	}
	for i := len(s) - 3; i > start; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
