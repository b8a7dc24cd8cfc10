package httpapi

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"

	"github.com/99designs/gqlgen/graphql"

	"github.com/birlik/birlik/apperr"
)

// The media types of GraphQL over HTTP: a response is application/graphql-response+json when
// the client accepts it first, application/json (the legacy type) otherwise.
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// specTransport brings the answers of one of gqlgen's transports to the GraphQL-over-HTTP spec
// where gqlgen departs from it:
//   - a request error (a document that does not parse or validate, variables that do not
//     coerce) has no "data" entry; gqlgen writes "data": null;
//   - under application/json such a request error is 200, as the spec's legacy type asks;
//     gqlgen answers 422 (under application/graphql-response+json it answers 400, as the spec
//     asks, and that is kept);
//   - a mutation sent with GET is 405 with Allow: POST; gqlgen answers 406.
//
// Answers of 200 pass through untouched and unbuffered; only the short error answers that
// gqlgen writes before anything runs are held and rewritten.
type specTransport struct{ graphql.Transport }

// Do implements graphql.Transport.
func (s specTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	sw := &specWriter{ResponseWriter: w}
	s.Transport.Do(sw, r, exec)
	sw.finish()
}

// specWriter holds a response whose status is not 200 until finish rewrites it.
type specWriter struct {
	http.ResponseWriter
	status int // 0: not written yet; 200: passing through
	body   bytes.Buffer
}

func (s *specWriter) WriteHeader(code int) {
	if s.status != 0 {
		return
	}
	s.status = code
	if code == http.StatusOK {
		s.ResponseWriter.WriteHeader(code)
	}
}

func (s *specWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.WriteHeader(http.StatusOK)
	}
	if s.status == http.StatusOK {
		return s.ResponseWriter.Write(b)
	}
	return s.body.Write(b)
}

func (s *specWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// finish writes a held response, rewritten.
func (s *specWriter) finish() {
	if s.status == 0 || s.status == http.StatusOK {
		return
	}
	status := s.status
	switch status {
	case http.StatusNotAcceptable:
		s.Header().Set("Allow", "POST")
		s.Header().Del("Content-Type")
		writeStatusError(s.ResponseWriter, http.StatusMethodNotAllowed, apperr.BadInput,
			"only queries may be sent with GET: send mutations with POST")
		return
	case http.StatusUnprocessableEntity:
		if mt, _, _ := mime.ParseMediaType(s.Header().Get("Content-Type")); mt == mediaJSON {
			status = http.StatusOK
		} else {
			status = http.StatusBadRequest
		}
	}
	body := s.body.Bytes()
	var resp map[string]json.RawMessage
	if json.Unmarshal(body, &resp) == nil {
		if d, ok := resp["data"]; ok && string(d) == "null" {
			delete(resp, "data")
			if b, err := json.Marshal(resp); err == nil {
				body = b
			}
		}
	}
	s.ResponseWriter.WriteHeader(status)
	_, _ = s.ResponseWriter.Write(body)
}

// unsupported is the last transport: it answers a request no other transport takes, a POST
// whose Content-Type is not application/json, with 415 naming what is supported.
type unsupported struct{}

// Supports implements graphql.Transport: it takes every request.
func (unsupported) Supports(*http.Request) bool { return true }

// Do implements graphql.Transport.
func (unsupported) Do(w http.ResponseWriter, r *http.Request, _ graphql.GraphExecutor) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		writeStatusError(w, http.StatusMethodNotAllowed, apperr.BadInput,
			"%s is not supported on /query: send POST with a JSON body, or GET with ?query=", r.Method)
		return
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		writeStatusError(w, http.StatusUnsupportedMediaType, apperr.BadInput,
			`the request has no Content-Type: send the body as %s ({"query": "…", "variables": {…}}) with "Content-Type: %s"`, mediaJSON, mediaJSON)
		return
	}
	writeStatusError(w, http.StatusUnsupportedMediaType, apperr.BadInput,
		`the Content-Type %q is not supported: send the body as %s ({"query": "…", "variables": {…}}) with "Content-Type: %s"; answers are %s or %s, as Accept asks`,
		ct, mediaJSON, mediaJSON, mediaGraphQLResponse, mediaJSON)
}

// writeStatusError answers with status and a GraphQL-shaped error of code: the answers of the
// HTTP layer whose status is not the one apperr.HTTPStatus gives code.
func writeStatusError(w http.ResponseWriter, status int, code apperr.Code, format string, args ...any) {
	e := apperr.New(code, format, args...)
	w.Header().Set("Content-Type", mediaJSON)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []any{map[string]any{
			"message":    e.Message,
			"extensions": map[string]any{"code": e.Code},
		}},
	})
}
