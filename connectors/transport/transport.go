// Package transport is the one resilient HTTP transport every connector uses to talk to its
// ministry system: a timeout on every attempt, retries with exponential backoff and jitter on
// network errors, timeouts, 429 and 5xx (never on another 4xx), the server's Retry-After
// honoured on 429 and 503, a circuit breaker per source, and context cancellation that ends
// any wait at once. Errors name the source and the request that failed.
//
// Whether and how long to retry is hashicorp/go-retryablehttp's loop with this package's
// policies; the breaker is sony/gobreaker. The package knows no source's format beyond
// JSON helpers: it must not import a connector, the simulators or the store.
package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
	"github.com/sony/gobreaker/v2"
)

// ErrCircuitOpen is wrapped by the error of a request refused because the source's circuit
// breaker is open (too many consecutive failures; it half-opens after the cooldown).
var ErrCircuitOpen = errors.New("circuit open")

// Config configures a Client. Zero fields take the defaults in their comments.
type Config struct {
	// Source names the ministry system (e.g. "justice"); every error starts with it.
	Source string
	// Timeout bounds each attempt, including reading the response body (default 30s: a bulk
	// page of several thousand records on a busy source must not be cut off mid-body).
	Timeout time.Duration
	// MaxRetries is the number of retries after the first attempt (default 4; negative: none).
	MaxRetries int
	// MinBackoff and MaxBackoff bound the exponential backoff (defaults 250ms and 5s). A
	// Retry-After sent with a 429 or 503 is honoured as sent.
	MinBackoff, MaxBackoff time.Duration
	// BreakerFailures is the number of consecutive failed attempts (network error, timeout,
	// 5xx) that opens the circuit (default 5).
	BreakerFailures uint32
	// BreakerCooldown is how long the circuit stays open before a trial request (default 10s).
	BreakerCooldown time.Duration
	// HTTPClient is the client attempts go through (default: a pooled client). Its Timeout
	// and Transport are not changed; a copy is used.
	HTTPClient *http.Client

	// Observer, when set, is called after every attempt (metrics): op is "METHOD /path",
	// status 0 when no response came.
	Observer func(source, op string, status int, dur time.Duration, err error)
	// OnRetry, when set, is called before each wait between attempts with the attempt that
	// just failed (0 for the first), the status it got (0 for none) and the wait chosen.
	OnRetry func(op string, attempt int, status int, wait time.Duration)
}

func (c *Config) defaults() {
	if c.Source == "" {
		c.Source = "source"
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = 4
	} else if c.MaxRetries < 0 {
		c.MaxRetries = 0
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = 250 * time.Millisecond
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 5 * time.Second
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = c.MinBackoff
	}
	if c.BreakerFailures == 0 {
		c.BreakerFailures = 5
	}
	if c.BreakerCooldown <= 0 {
		c.BreakerCooldown = 10 * time.Second
	}
}

// Client sends requests to one source. Safe for concurrent use.
type Client struct {
	cfg     Config
	retry   *retryablehttp.Client
	breaker *gobreaker.TwoStepCircuitBreaker[struct{}]

	mu          sync.Mutex
	lastFailure string // the last failed attempt, for the circuit-open message
}

// New returns a client for cfg.Source.
func New(cfg Config) *Client {
	cfg.defaults()
	c := &Client{cfg: cfg}
	c.breaker = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        cfg.Source,
		MaxRequests: 1,
		Timeout:     cfg.BreakerCooldown,
		ReadyToTrip: func(n gobreaker.Counts) bool { return n.ConsecutiveFailures >= cfg.BreakerFailures },
	})
	var hc http.Client
	if cfg.HTTPClient != nil {
		hc = *cfg.HTTPClient
	} else {
		hc = *cleanhttp.DefaultPooledClient()
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hc.Timeout = cfg.Timeout
	hc.Transport = &attempt{c: c, base: base}

	c.retry = &retryablehttp.Client{
		HTTPClient:   &hc,
		Logger:       nil,
		RetryWaitMin: cfg.MinBackoff,
		RetryWaitMax: cfg.MaxBackoff,
		RetryMax:     cfg.MaxRetries,
		CheckRetry:   checkRetry,
		Backoff:      backoff,
		ErrorHandler: giveUp,
	}
	if cfg.OnRetry != nil {
		c.retry.Backoff = func(min, max time.Duration, n int, resp *http.Response) time.Duration {
			d := backoff(min, max, n, resp)
			status := 0
			op := ""
			if resp != nil {
				status = resp.StatusCode
				if resp.Request != nil {
					op = opOf(resp.Request)
				}
			}
			cfg.OnRetry(op, n, status, d)
			return d
		}
	}
	return c
}

// Source is the source this client talks to.
func (c *Client) Source() string { return c.cfg.Source }

// State is the circuit breaker's state: "closed", "open" or "half-open".
func (c *Client) State() string { return c.breaker.State().String() }

// checkRetry decides whether to retry: never once the caller's context is done or the circuit
// is open; otherwise go-retryablehttp's default policy (network errors, timeouts, 429, 5xx
// except 501; never another 4xx).
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil && errors.Is(err, ErrCircuitOpen) {
		return false, err
	}
	return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
}

// backoff decides how long to wait before retry n+1: the server's Retry-After on a 429 or 503
// that sends one (go-retryablehttp's DefaultBackoff reads it), else exponential from min,
// capped at max, with equal jitter (half fixed, half random) so clients do not retry in step.
func backoff(min, max time.Duration, n int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) &&
		resp.Header.Get("Retry-After") != "" {
		return retryablehttp.DefaultBackoff(min, max, n, resp)
	}
	d := max
	if n < 30 {
		if e := min << uint(n); e > 0 && e < max {
			d = e
		}
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// attempt is the RoundTripper under go-retryablehttp: one attempt through the breaker, with
// the observer told.
type attempt struct {
	c    *Client
	base http.RoundTripper
}

func (a *attempt) RoundTrip(req *http.Request) (*http.Response, error) {
	c := a.c
	op := opOf(req)
	done, err := c.breaker.Allow()
	if err != nil {
		c.mu.Lock()
		last := c.lastFailure
		c.mu.Unlock()
		err = fmt.Errorf("%w (%d consecutive failures, retry after %s): last failure: %s",
			ErrCircuitOpen, c.cfg.BreakerFailures, c.cfg.BreakerCooldown, last)
		if c.cfg.Observer != nil {
			c.cfg.Observer(c.cfg.Source, op, 0, 0, err)
		}
		return nil, err
	}
	start := time.Now()
	resp, err := a.base.RoundTrip(req)
	dur := time.Since(start)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	switch {
	case err != nil && req.Context().Err() != nil && !errors.Is(req.Context().Err(), context.DeadlineExceeded):
		// The caller gave up: not the source's fault.
		done(true)
	case err != nil:
		c.noteFailure(err.Error())
		done(false)
	case status >= 500:
		c.noteFailure(fmt.Sprintf("HTTP %d", status))
		done(false)
	default:
		done(true)
	}
	if c.cfg.Observer != nil {
		c.cfg.Observer(c.cfg.Source, op, status, dur, err)
	}
	return resp, err
}

func (c *Client) noteFailure(s string) {
	c.mu.Lock()
	c.lastFailure = s
	c.mu.Unlock()
}

func opOf(req *http.Request) string {
	if req == nil || req.URL == nil {
		return ""
	}
	return req.Method + " " + req.URL.Path
}

// Error is a request to a source that failed: the source, the operation ("GET /v1/persons"),
// the final HTTP status (0 when no response came) and the cause, which for an error status is
// the source's own message.
type Error struct {
	Source string
	Op     string
	Status int
	Err    error
	// Body is the start (up to 64 KiB) of the final error response, for connectors that
	// decode their source's error format (a SOAP fault, a FHIR OperationOutcome).
	Body []byte
}

func (e *Error) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("%s: %s: HTTP %d %s: %v", e.Source, e.Op, e.Status, http.StatusText(e.Status), e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", e.Source, e.Op, e.Err)
}

// Unwrap returns the cause (ErrCircuitOpen, a context error, a network error…).
func (e *Error) Unwrap() error { return e.Err }

const maxErrorBody = 64 << 10

// Do sends req with retries under ctx (which replaces req's context). The body, if any, is
// buffered so it can be sent again. A 2xx response is returned for the caller to read and
// close; any other final outcome is an *Error.
func (c *Client) Do(ctx context.Context, req *http.Request) (*http.Response, error) {
	op := opOf(req)
	rr, err := retryablehttp.FromRequest(req)
	if err != nil {
		return nil, &Error{Source: c.cfg.Source, Op: op, Err: fmt.Errorf("prepare request: %w", err)}
	}
	rr = rr.WithContext(ctx)
	resp, err := c.retry.Do(rr)
	var g *gaveUp
	switch {
	case err != nil && resp != nil && errors.As(err, &g) && g.err == nil:
		// The last attempt got an answer that is still worth retrying (5xx, 429): report it.
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		msg := messageOf(body)
		if g.attempts > 1 {
			msg += fmt.Sprintf(" (gave up after %d attempts)", g.attempts)
		}
		return nil, &Error{Source: c.cfg.Source, Op: op, Status: resp.StatusCode, Err: errors.New(msg), Body: body}
	case err != nil:
		if resp != nil {
			resp.Body.Close()
		}
		if ctx.Err() != nil {
			err = ctx.Err()
		} else if errors.As(err, &g) && errors.Is(err, ErrCircuitOpen) {
			err = unwrapURLError(g.err)
		} else if !errors.As(err, &g) {
			err = unwrapURLError(err)
		}
		return nil, &Error{Source: c.cfg.Source, Op: op, Err: err}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return nil, &Error{Source: c.cfg.Source, Op: op, Status: resp.StatusCode, Err: errors.New(messageOf(body)), Body: body}
}

// unwrapURLError drops net/http's `Get "url": ` wrapping: the Error already names the operation.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}

// gaveUp is what the retry loop's error handler returns when it stops: how many attempts were
// made, and the last transport error (nil when the last attempt got a response).
type gaveUp struct {
	attempts int
	err      error
}

func (g *gaveUp) Error() string {
	if g.err == nil {
		return fmt.Sprintf("gave up after %d attempt(s)", g.attempts)
	}
	return fmt.Sprintf("%v (gave up after %d attempt(s))", unwrapURLError(g.err), g.attempts)
}

func (g *gaveUp) Unwrap() error { return g.err }

func giveUp(resp *http.Response, err error, attempts int) (*http.Response, error) {
	return resp, &gaveUp{attempts: attempts, err: err}
}

// messageOf extracts a human message from an error body: the "message" (or "error") of a JSON
// object, at any of the usual places, else the body's text, shortened.
func messageOf(body []byte) string {
	var v struct {
		Message string          `json:"message"`
		Error   json.RawMessage `json:"error"`
		Detail  string          `json:"detail"`
	}
	if json.Unmarshal(body, &v) == nil {
		var inner struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		}
		var s string
		switch {
		case len(v.Error) > 0 && json.Unmarshal(v.Error, &inner) == nil && inner.Message != "":
			if inner.Code != "" {
				return inner.Code + ": " + inner.Message
			}
			return inner.Message
		case len(v.Error) > 0 && json.Unmarshal(v.Error, &s) == nil && s != "":
			return s
		case v.Message != "":
			return v.Message
		case v.Detail != "":
			return v.Detail
		}
	}
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	if s == "" {
		s = "empty response"
	}
	return s
}

// GetJSON sends GET url and decodes a 2xx JSON answer into out.
func (c *Client) GetJSON(ctx context.Context, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return &Error{Source: c.cfg.Source, Op: "GET " + url, Err: err}
	}
	req.Header.Set("Accept", "application/json")
	return c.doJSON(ctx, req, out)
}

// PostJSON sends in as JSON to url with POST and decodes a 2xx JSON answer into out (out may
// be nil to discard it).
func (c *Client) PostJSON(ctx context.Context, url string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return &Error{Source: c.cfg.Source, Op: "POST " + url, Err: fmt.Errorf("encode request: %w", err)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return &Error{Source: c.cfg.Source, Op: "POST " + url, Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	return c.doJSON(ctx, req, out)
}

func (c *Client) doJSON(ctx context.Context, req *http.Request, out any) error {
	resp, err := c.Do(ctx, req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return &Error{Source: c.cfg.Source, Op: opOf(req), Status: resp.StatusCode, Err: fmt.Errorf("decode JSON response: %w", err)}
	}
	return nil
}
