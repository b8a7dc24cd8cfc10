package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/graph/limits"
	"github.com/birlik/birlik/httpapi"
)

// fakeSchema is a tiny executable schema: whoami answers the caller's role, fail adds an
// internal error with a secret in it, boom panics, wait blocks until the request's context ends
// (sending that context on waiting first) and fails with the context's error, as a store
// statement does.
type fakeSchema struct {
	s       *ast.Schema
	waiting chan<- context.Context
}

func (f fakeSchema) Schema() *ast.Schema { return f.s }
func (f fakeSchema) Complexity(context.Context, string, string, int, map[string]any) (int, bool) {
	return 0, false
}
func (f fakeSchema) Exec(ctx context.Context) graphql.ResponseHandler {
	op := graphql.GetOperationContext(ctx).Operation
	done := false
	return func(ctx context.Context) *graphql.Response {
		if done {
			return nil
		}
		done = true
		switch op.SelectionSet[0].(*ast.Field).Name {
		case "fail":
			graphql.AddError(ctx, errors.New(`pq: syntax error at or near "SELECT secret"`))
			return &graphql.Response{Data: json.RawMessage(`{"fail":null}`)}
		case "boom":
			panic("boom")
		case "wait":
			f.waiting <- ctx
			select {
			case <-ctx.Done():
				graphql.AddError(ctx, fmt.Errorf("sqlite: interrupted (%w)", ctx.Err()))
			case <-time.After(time.Minute):
			}
			return &graphql.Response{Data: json.RawMessage(`{"wait":null}`)}
		}
		id, _ := auth.FromContext(ctx)
		return &graphql.Response{Data: json.RawMessage(fmt.Sprintf(`{"whoami":%q}`, id.Role))}
	}
}

var testSchema = gqlparser.MustLoadSchema(&ast.Source{Input: `
type Query { whoami: String! fail: String boom: String wait: String nested: Nested echo(s: String): String }
type Nested { nested: Nested leaf: String }
type Mutation { touch: String }
`})

const key = "0123456789abcdef-admin"

func newServer(t *testing.T) (*httptest.Server, *httpapi.Readiness, *lockedBuffer) {
	t.Helper()
	return newServerWith(t, nil)
}

// newServerWith is newServer with its options changed by edit (nil: none).
func newServerWith(t *testing.T, edit func(*httpapi.Options)) (*httptest.Server, *httpapi.Readiness, *lockedBuffer) {
	t.Helper()
	var logs lockedBuffer
	ready := httpapi.NewReadiness("first sync running")
	o := httpapi.Options{
		Schema:        fakeSchema{s: testSchema},
		Authenticator: auth.NewAPIKeys([]auth.APIKey{{Key: key, Role: "admin", Client: "test"}}),
		Limits: func(context.Context) limits.Limits {
			return limits.Limits{Depth: 3, Aliases: 2, Complexity: 100, PageSize: 10}
		},
		Logger:            slog.New(httpapi.LogHandler(slog.NewTextHandler(&logs, nil))),
		Registry:          prometheus.NewRegistry(),
		Ready:             ready,
		PlaygroundHeaders: map[string]string{"Authorization": "Bearer " + key},
	}
	if edit != nil {
		edit(&o)
	}
	h, err := httpapi.New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, ready, &logs
}

// lockedBuffer is a bytes.Buffer safe for the server's writes while a test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type gqlResponse struct {
	Data   map[string]any
	Errors []struct {
		Message    string
		Extensions map[string]any
	}
}

func post(t *testing.T, url, token, query string) (int, gqlResponse, http.Header) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest("POST", url+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r gqlResponse
	b, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("response is not JSON: %v: %s", err, b)
	}
	return res.StatusCode, r, res.Header
}

func TestQuery(t *testing.T) {
	t.Parallel()
	srv, _, logs := newServer(t)
	tests := []struct {
		name       string
		token      string
		query      string
		wantStatus int
		wantData   string
		wantCode   string
		wantMsg    string
	}{
		{name: "no token", query: "{ whoami }", wantStatus: 401, wantCode: "UNAUTHENTICATED", wantMsg: "missing Authorization header"},
		{name: "wrong token", token: "0123456789abcdef-wrong", query: "{ whoami }", wantStatus: 401, wantCode: "UNAUTHENTICATED", wantMsg: "not known"},
		{name: "identity reaches the resolver", token: key, query: "{ whoami }", wantStatus: 200, wantData: "admin"},
		{name: "introspection for an authenticated caller", token: key, query: "{ __schema { queryType { name } } }", wantStatus: 200},
		{name: "too deep", token: key, query: "{ nested { nested { nested { leaf } } } }", wantStatus: 200, wantCode: "QUERY_TOO_COMPLEX", wantMsg: "deeper than the limit of 3"},
		{name: "too many aliases", token: key, query: "{ a: whoami b: whoami c: whoami }", wantStatus: 200, wantCode: "QUERY_TOO_COMPLEX", wantMsg: "more than 2 aliases"},
		// A request error under the legacy application/json is 200, as the GraphQL-over-HTTP spec asks.
		{name: "syntax error", token: key, query: "{ whoami", wantStatus: 200, wantCode: "GRAPHQL_PARSE_FAILED"},
		{name: "internal error hides SQL", token: key, query: "{ fail }", wantStatus: 200, wantCode: "INTERNAL", wantMsg: "request id"},
		// A panic outside field resolution (here in the response handler) is answered 422 by gqlgen.
		{name: "panic is an internal error", token: key, query: "{ boom }", wantStatus: 422, wantCode: "INTERNAL", wantMsg: "internal error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, r, hdr := post(t, srv.URL, tc.token, tc.query)
			if status != tc.wantStatus {
				t.Errorf("status = %d, want %d (%+v)", status, tc.wantStatus, r)
			}
			if hdr.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id in the response")
			}
			if tc.wantData != "" && r.Data["whoami"] != tc.wantData {
				t.Errorf("data = %v, want whoami %q", r.Data, tc.wantData)
			}
			if tc.wantCode == "" {
				if len(r.Errors) > 0 {
					t.Errorf("errors = %+v, want none", r.Errors)
				}
				return
			}
			if len(r.Errors) == 0 {
				t.Fatalf("no errors, want code %s", tc.wantCode)
			}
			e := r.Errors[0]
			if e.Extensions["code"] != tc.wantCode || !strings.Contains(e.Message, tc.wantMsg) {
				t.Errorf("error = %+v, want code %s and a message containing %q", e, tc.wantCode, tc.wantMsg)
			}
			if strings.Contains(e.Message, "SELECT") || strings.Contains(e.Message, "goroutine") {
				t.Errorf("error message leaks internals: %q", e.Message)
			}
			if tc.wantCode == "INTERNAL" && tc.wantMsg == "request id" {
				id := hdr.Get("X-Request-Id")
				if !strings.Contains(e.Message, id) {
					t.Errorf("message %q does not name the request id %s", e.Message, id)
				}
				if !strings.Contains(logs.String(), "request_id="+id) || !strings.Contains(logs.String(), "SELECT secret") {
					t.Errorf("the internal error was not logged with its request id and cause; logs:\n%s", logs)
				}
			}
		})
	}
}

func TestGETQuery(t *testing.T) {
	t.Parallel()
	srv, _, _ := newServer(t)
	req, _ := http.NewRequest("GET", srv.URL+"/query?query=%7Bwhoami%7D", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(b), `"whoami":"admin"`) {
		t.Fatalf("GET /query: %d %s", res.StatusCode, b)
	}
}

func TestEndpoints(t *testing.T) {
	t.Parallel()
	srv, ready, _ := newServer(t)
	get := func(path string) (int, string) {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != 200 {
		t.Errorf("/healthz = %d %s", code, body)
	}
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "first sync running") {
		t.Errorf("/readyz before the first sync = %d %s, want 503 saying why", code, body)
	}
	ready.Ready()
	if code, body := get("/readyz"); code != 200 {
		t.Errorf("/readyz after the first sync = %d %s", code, body)
	}
	if code, body := get("/"); code != 200 || !strings.Contains(body, "Bearer "+key) || !strings.Contains(body, "/query") {
		t.Errorf("playground = %d, want GraphiQL with the demo key in its headers", code)
	}
	if code, body := get("/nope"); code != 404 || !strings.Contains(body, "NOT_FOUND") {
		t.Errorf("/nope = %d %s", code, body)
	}
	// Generate some traffic, then check the metrics name it.
	post(t, srv.URL, key, "query Citizen { whoami }")
	post(t, srv.URL, key, "{ fail }")
	code, body := get("/metrics")
	for _, want := range []string{
		`birlik_graphql_request_duration_seconds_count{operation="Citizen"} 1`,
		`birlik_graphql_errors_total{code="INTERNAL"} 1`,
		`birlik_http_request_duration_seconds_count{code="200",handler="query",method="post"}`,
	} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, body)
		}
	}
}

// TestBodyLimit: a body over the limit is 413 with code REQUEST_TOO_LARGE, whether its length is
// announced (Content-Length) or not (chunked), and the answer does not echo it.
func TestBodyLimit(t *testing.T) {
	t.Parallel()
	srv, _, _ := newServer(t)
	huge := `{"query":"{ whoami }","variables":{"x":"` + strings.Repeat("a", 2<<20) + `"}}`
	for _, tc := range []struct {
		name string
		body io.Reader
	}{
		{"with Content-Length", strings.NewReader(huge)},
		{"chunked", io.MultiReader(strings.NewReader(huge))}, // a length the client cannot know
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", srv.URL+"/query", tc.body)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+key)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), `"REQUEST_TOO_LARGE"`) || !strings.Contains(string(b), "1048576") {
				t.Fatalf("2 MiB body: %d %.300s, want 413 REQUEST_TOO_LARGE naming the limit", res.StatusCode, b)
			}
			if strings.Contains(string(b), "aaaa") {
				t.Errorf("the answer echoes the body: %.300s", b)
			}
		})
	}
}

// TestMalformedBody: a body that is not a GraphQL request in JSON is 400 BAD_INPUT saying what
// is wrong, without echoing what the client sent.
func TestMalformedBody(t *testing.T) {
	t.Parallel()
	srv, _, _ := newServer(t)
	long := strings.Repeat("secret-", 5000)
	for _, tc := range []struct{ name, body, want string }{
		{"not JSON", `{"query": "{ whoami }" ` + long, "not valid JSON"},
		{"query not a string", `{"query": ["` + long + `"]}`, `\"query\" is an array, not a string`},
		{"variables not an object", `{"query": "{ whoami }", "variables": "` + long + `"}`, `\"variables\" is a string, not an object`},
		{"trailing garbage", `{"query": "{ whoami }"} ` + long, "not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", srv.URL+"/query", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+key)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), `"BAD_INPUT"`) || !strings.Contains(string(b), tc.want) {
				t.Errorf("%d %.300s, want 400 BAD_INPUT mentioning %s", res.StatusCode, b, tc.want)
			}
			if strings.Contains(string(b), "secret-secret-") || len(b) > 1000 {
				t.Errorf("the answer (%d bytes) echoes the body: %.300s", len(b), b)
			}
		})
	}
}

// TestLongMessagesAreCut: an error GraphQL raises quoting the query (here a validation error
// quoting a huge literal) does not send the client's text back at length.
func TestLongMessagesAreCut(t *testing.T) {
	t.Parallel()
	srv, _, _ := newServer(t)
	list := `["` + strings.Repeat("x", 200000) + `"]`
	status, r, _ := post(t, srv.URL, key, `{ echo(s: `+list+`) }`)
	if len(r.Errors) == 0 {
		t.Fatalf("%d %+v: want a validation error", status, r)
	}
	for _, e := range r.Errors {
		if len(e.Message) > 1000 {
			t.Errorf("a %d-character message: %.200s…", len(e.Message), e.Message)
		}
	}
}

func TestServeShutsDownGracefully(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		_, _ = io.WriteString(w, "finished")
	})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- httpapi.Serve(ctx, ln, h, 5*time.Second, slog.New(slog.DiscardHandler)) }()

	got := make(chan string, 1)
	go func() {
		res, err := http.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		got <- string(b)
	}()
	<-started
	cancel() // like SIGTERM while a request is in flight
	close(release)
	if body := <-got; body != "finished" {
		t.Errorf("in-flight request got %q, want it to finish", body)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve returned %v, want nil after a graceful shutdown", err)
	}
}

func TestRequestIDFromClient(t *testing.T) {
	t.Parallel()
	srv, _, _ := newServer(t)
	for _, tc := range []struct{ name, sent, want string }{
		{"sane id is kept", "lb-1234", "lb-1234"},
		{"hostile id is replaced", "x\" injected=1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv.URL+"/healthz", nil)
			req.Header.Set("X-Request-Id", tc.sent)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			got := res.Header.Get("X-Request-Id")
			if tc.want != "" && got != tc.want || tc.want == "" && (got == "" || got == tc.sent) {
				t.Errorf("X-Request-Id = %q for %q", got, tc.sent)
			}
		})
	}
}

// TestClientGoneAwayCancelsTheRequest: when the client closes its connection, the request's
// context ends, so its store statements stop; the error is CANCELLED, not an internal error,
// and nothing is logged as one.
func TestClientGoneAwayCancelsTheRequest(t *testing.T) {
	waiting := make(chan context.Context, 1)
	srv, _, logs := newServerWith(t, func(o *httpapi.Options) { o.Schema = fakeSchema{s: testSchema, waiting: waiting} })

	clientCtx, leave := context.WithCancel(context.Background())
	body, _ := json.Marshal(map[string]any{"query": "{ wait }"})
	req, _ := http.NewRequestWithContext(clientCtx, "POST", srv.URL+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	sent := make(chan error, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
		}
		sent <- err
	}()

	var running context.Context
	select {
	case running = <-waiting:
	case <-time.After(30 * time.Second):
		t.Fatal("the request never reached the executor")
	}
	leave() // the client goes away mid-request
	select {
	case <-running.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the request's context was not cancelled after its client went away")
	}
	if err := <-sent; !errors.Is(err, context.Canceled) {
		t.Fatalf("the client's request ended with %v, want its own cancellation", err)
	}
	// The handler logs its access line once the executor has returned.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(logs.String(), `path=/query`) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	out := logs.String()
	if !strings.Contains(out, "path=/query") {
		t.Fatalf("no access log line for the cancelled request:\n%s", out)
	}
	for _, bad := range []string{"internal error", "level=ERROR", "level=WARN"} {
		if strings.Contains(out, bad) {
			t.Errorf("a client going away logged %q:\n%s", bad, out)
		}
	}
}
