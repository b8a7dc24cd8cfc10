package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/birlik/birlik/apperr"
	"github.com/birlik/birlik/auth"
)

// limitBody bounds a request body to n bytes: a body that announces more (Content-Length) is
// refused at once, before authentication reads anything; one that does not (chunked) is cut at
// n bytes, which post answers 413 when it reads past them.
func limitBody(n int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > n {
			auth.WriteError(w, tooLarge(n))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, n)
		next.ServeHTTP(w, r)
	})
}

func tooLarge(n int64) *apperr.Error {
	return apperr.New(apperr.TooLarge, "the request body is more than the limit of %d bytes: send a smaller query, or fewer variables", n)
}

// post is gqlgen's POST transport behind a reading of the body of its own: a body over the
// limit is 413 REQUEST_TOO_LARGE and a body that is not one GraphQL request in JSON is 400
// BAD_INPUT saying what is wrong. gqlgen's own answers to both are an uncoded 200 and an error
// that quotes the whole body back; these never quote it.
type post struct{ transport.POST }

// Do implements graphql.Transport.
func (p post) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		if tl := (*http.MaxBytesError)(nil); errors.As(err, &tl) {
			auth.WriteError(w, tooLarge(tl.Limit))
			return
		}
		auth.WriteError(w, apperr.New(apperr.BadInput, "the request body could not be read to its end: send it again"))
		return
	}
	if e := checkRequest(body); e != nil {
		auth.WriteError(w, e)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	p.POST.Do(w, r, exec)
}

// request is the shape of a GraphQL request over POST; the variables and extensions are only
// checked to be objects here (gqlgen decodes them).
type request struct {
	Query         string          `json:"query"`
	OperationName string          `json:"operationName"`
	Variables     json.RawMessage `json:"variables"`
	Extensions    json.RawMessage `json:"extensions"`
}

// checkRequest returns the client error of a body that is not one GraphQL request in JSON, or
// nil. Its messages name the position or the member at fault, never the body's text.
func checkRequest(body []byte) *apperr.Error {
	const want = `send one JSON object such as {"query": "{ regions { kato } }", "variables": {}}`
	if len(bytes.TrimSpace(body)) == 0 {
		return apperr.New(apperr.BadInput, "the request body is empty: %s", want)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var req request
	if err := dec.Decode(&req); err != nil {
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syntax):
			return apperr.New(apperr.BadInput, "the request body is not valid JSON (at byte %d): %s", syntax.Offset, want)
		case errors.As(err, &typ) && typ.Field != "":
			return apperr.New(apperr.BadInput, "the request body's %q is %s, not %s: %s", typ.Field, article(typ.Value), kindOf(typ.Field), want)
		case errors.As(err, &typ):
			return apperr.New(apperr.BadInput, "the request body is %s, not an object: %s", article(typ.Value), want)
		}
		return apperr.New(apperr.BadInput, "the request body is not valid JSON (it ends too early): %s", want)
	}
	if dec.More() {
		return apperr.New(apperr.BadInput, "the request body is not valid JSON (something follows the request object at byte %d): %s", dec.InputOffset(), want)
	}
	for name, v := range map[string]json.RawMessage{"variables": req.Variables, "extensions": req.Extensions} {
		if len(v) > 0 && v[0] != '{' && string(v) != "null" {
			return apperr.New(apperr.BadInput, "the request body's %q is %s, not an object: %s", name, article(jsonKind(v)), want)
		}
	}
	// A request without a query is one of a persisted query (its hash is in the extensions,
	// which gqlgen's APQ checks); any other has nothing to run.
	if strings.TrimSpace(req.Query) == "" && !bytes.Contains(req.Extensions, []byte(`"persistedQuery"`)) {
		return apperr.New(apperr.BadInput, `the request body has no "query": %s`, want)
	}
	return nil
}

// kindOf is what a member of the request must be.
func kindOf(field string) string {
	if field == "query" || field == "operationName" {
		return "a string"
	}
	return "an object"
}

// jsonKind names the kind of the JSON value v as encoding/json does ("string", "array"…).
func jsonKind(v json.RawMessage) string {
	switch v[0] {
	case '"':
		return "string"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	}
	return "number"
}

func article(kind string) string {
	switch kind {
	case "array", "object":
		return "an " + kind
	case "":
		return "a value of another kind"
	}
	return "a " + kind
}
