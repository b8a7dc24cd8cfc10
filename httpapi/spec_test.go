package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/birlik/birlik/httpapi"
)

// do sends one request to srv's /query with the headers given and returns the status, the
// headers and the decoded body (members as raw JSON).
func do(t *testing.T, method, u string, header map[string]string, body string) (int, http.Header, map[string]json.RawMessage) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, r)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var m map[string]json.RawMessage
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s %s: the body is not a JSON object: %v: %s", method, u, err, b)
		}
	}
	return res.StatusCode, res.Header, m
}

// TestSpecStatusCodes checks the statuses of the GraphQL-over-HTTP spec: request errors are 400
// without data under application/graphql-response+json and 200 under application/json, a
// mutation over GET is 405 with Allow, an unsupported body type 415 naming the supported one.
func TestSpecStatusCodes(t *testing.T) {
	t.Parallel()
	srv, _, _ := newServer(t)
	q := srv.URL + "/query"
	auth := "Bearer " + key
	const gqlResp = "application/graphql-response+json"
	tests := []struct {
		name, method, url, contentType, accept, body string
		wantStatus                                   int
		wantData                                     bool   // the body has a "data" member
		wantCT                                       string // the response's media type
		wantHeader                                   [2]string
		wantMsg                                      string
	}{
		{name: "parse error, graphql-response+json", method: "POST", url: q, contentType: "application/json", accept: gqlResp,
			body: `{"query":"{ whoami"}`, wantStatus: 400, wantCT: gqlResp, wantMsg: "Expected Name"},
		{name: "validation error, graphql-response+json", method: "POST", url: q, contentType: "application/json", accept: gqlResp,
			body: `{"query":"{ nope }"}`, wantStatus: 400, wantCT: gqlResp, wantMsg: "Cannot query field"},
		{name: "parse error, application/json", method: "POST", url: q, contentType: "application/json", accept: "application/json",
			body: `{"query":"{ whoami"}`, wantStatus: 200, wantCT: "application/json", wantMsg: "Expected Name"},
		{name: "validation error, application/json", method: "POST", url: q, contentType: "application/json", accept: "application/json",
			body: `{"query":"{ nope }"}`, wantStatus: 200, wantCT: "application/json", wantMsg: "Cannot query field"},
		{name: "GET parse error, graphql-response+json", method: "GET", url: q + "?query=" + url.QueryEscape("{ whoami"), accept: gqlResp,
			wantStatus: 400, wantCT: gqlResp, wantMsg: "Expected Name"},
		{name: "a query", method: "POST", url: q, contentType: "application/json", accept: gqlResp,
			body: `{"query":"{ whoami }"}`, wantStatus: 200, wantData: true, wantCT: gqlResp},
		{name: "GET mutation", method: "GET", url: q + "?query=" + url.QueryEscape("mutation { touch }"), accept: gqlResp,
			wantStatus: 405, wantCT: "application/json", wantHeader: [2]string{"Allow", "POST"}, wantMsg: "send mutations with POST"},
		{name: "no query", method: "POST", url: q, contentType: "application/json", accept: gqlResp,
			body: `{"variables":{}}`, wantStatus: 400, wantCT: "application/json", wantMsg: "body has no"},
		{name: "unsupported content type", method: "POST", url: q, contentType: "text/plain", accept: gqlResp,
			body: `{ whoami }`, wantStatus: 415, wantCT: "application/json", wantMsg: "send the body as application/json"},
		{name: "another method", method: "PUT", url: q, contentType: "application/json", accept: gqlResp,
			body: `{"query":"{ whoami }"}`, wantStatus: 405, wantCT: "application/json", wantHeader: [2]string{"Allow", "GET, POST"}, wantMsg: "PUT is not supported"},
		{name: "no content type", method: "POST", url: q, accept: gqlResp,
			body: `{"query":"{ whoami }"}`, wantStatus: 415, wantCT: "application/json", wantMsg: "has no Content-Type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"Authorization": auth, "Accept": tc.accept}
			if tc.contentType != "" {
				h["Content-Type"] = tc.contentType
			}
			status, header, body := do(t, tc.method, tc.url, h, tc.body)
			if status != tc.wantStatus {
				t.Errorf("status = %d, want %d (body %s)", status, tc.wantStatus, body["errors"])
			}
			if ct := header.Get("Content-Type"); !strings.HasPrefix(ct, tc.wantCT) {
				t.Errorf("Content-Type = %q, want %s", ct, tc.wantCT)
			}
			if _, has := body["data"]; has != tc.wantData {
				t.Errorf("has a data member: %v, want %v (data %s)", has, tc.wantData, body["data"])
			}
			if tc.wantHeader[0] != "" && header.Get(tc.wantHeader[0]) != tc.wantHeader[1] {
				t.Errorf("%s = %q, want %q", tc.wantHeader[0], header.Get(tc.wantHeader[0]), tc.wantHeader[1])
			}
			if !strings.Contains(string(body["errors"]), tc.wantMsg) {
				t.Errorf("errors = %s, want a message containing %q", body["errors"], tc.wantMsg)
			}
		})
	}
}

// TestCORS checks the answers to browser apps: an allowed origin's preflight names what it may
// send and read, another origin's gets no CORS header, and with no origins configured no answer
// carries one.
func TestCORS(t *testing.T) {
	t.Parallel()
	const allowed, other = "https://app.example.gov", "https://evil.example.com"
	srv, _, _ := newServerWith(t, func(o *httpapi.Options) { o.CORSOrigins = []string{allowed} })
	plain, _, _ := newServer(t)
	preflight := func(base, origin string) (int, http.Header) {
		status, header, _ := do(t, "OPTIONS", base+"/query", map[string]string{
			"Origin":                         origin,
			"Access-Control-Request-Method":  "POST",
			"Access-Control-Request-Headers": "authorization,content-type,x-purpose",
		}, "")
		return status, header
	}

	status, h := preflight(srv.URL, allowed)
	if status != http.StatusNoContent && status != http.StatusOK {
		t.Errorf("allowed preflight: status = %d, want 204 or 200", status)
	}
	if got := h.Get("Access-Control-Allow-Origin"); got != allowed {
		t.Errorf("allowed preflight: Access-Control-Allow-Origin = %q, want %q", got, allowed)
	}
	if !strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
		t.Errorf("allowed preflight: Vary = %q, want it to name Origin", h.Values("Vary"))
	}
	for _, want := range []string{"authorization", "content-type", "x-purpose"} {
		if !strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), want) {
			t.Errorf("allowed preflight: Access-Control-Allow-Headers = %q, want it to name %s", h.Get("Access-Control-Allow-Headers"), want)
		}
	}
	if !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") {
		t.Errorf("allowed preflight: Access-Control-Allow-Methods = %q, want POST", h.Get("Access-Control-Allow-Methods"))
	}
	if h.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("allowed preflight: Access-Control-Allow-Credentials = %q, want none (credentials travel in a header)", h.Get("Access-Control-Allow-Credentials"))
	}

	for name, base := range map[string]string{"other origin": srv.URL, "no origins configured": plain.URL} {
		origin := other
		if base == plain.URL {
			origin = allowed
		}
		_, h := preflight(base, origin)
		for k := range h {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("%s: preflight answer carries %s: %q, want no CORS header", name, k, h.Get(k))
			}
		}
	}

	// A real request from the allowed origin may be read by its app, with the request id.
	status, h, body := do(t, "POST", srv.URL+"/query", map[string]string{
		"Origin": allowed, "Authorization": "Bearer " + key, "Content-Type": "application/json",
	}, `{"query":"{ whoami }"}`)
	if status != http.StatusOK || body["data"] == nil {
		t.Fatalf("POST from the allowed origin: status %d, body %v", status, body)
	}
	if got := h.Get("Access-Control-Allow-Origin"); got != allowed {
		t.Errorf("POST from the allowed origin: Access-Control-Allow-Origin = %q, want %q", got, allowed)
	}
	if exp := strings.ToLower(h.Get("Access-Control-Expose-Headers")); !strings.Contains(exp, "x-request-id") || !strings.Contains(exp, "retry-after") {
		t.Errorf("POST from the allowed origin: Access-Control-Expose-Headers = %q, want X-Request-Id and Retry-After", h.Get("Access-Control-Expose-Headers"))
	}
	_, h, _ = do(t, "POST", srv.URL+"/query", map[string]string{
		"Origin": other, "Authorization": "Bearer " + key, "Content-Type": "application/json",
	}, `{"query":"{ whoami }"}`)
	if got := h.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("POST from another origin: Access-Control-Allow-Origin = %q, want none", got)
	}
}
