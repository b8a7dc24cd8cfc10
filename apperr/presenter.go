package apperr

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// gqlgen's own codes that the presenter translates; the rest of gqlgen's codes
// (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED) pass unchanged, as GraphQL clients know them.
const gqlgenComplexityCode = "COMPLEXITY_LIMIT_EXCEEDED"

// MaxMessage is the most characters of a message a client receives: GraphQL's own errors quote
// the query ("String cannot represent a non string value: …"), and a client's text is never
// sent back at length.
const MaxMessage = 500

// Cut returns s cut to at most n characters, saying how many were left out.
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return fmt.Sprintf("%s… (%d more characters)", string(r[:n]), len(r)-n)
}

// Presenter returns the gqlgen error presenter: every error a client receives passes through it.
// It sets `extensions.code` from the error's Code, keeps the message of client errors (cut to
// MaxMessage characters), and replaces the message of internal errors with a generic one naming
// the request id, after logging the cause on log (with ctx, so the log line carries the request
// id too). requestID returns the current request's id ("" when unknown).
func Presenter(log *slog.Logger, requestID func(context.Context) string) graphql.ErrorPresenterFunc {
	present := presenter(log, requestID)
	return func(ctx context.Context, err error) *gqlerror.Error {
		p := present(ctx, err)
		if p != nil {
			p.Message = Cut(p.Message, MaxMessage)
		}
		return p
	}
}

func presenter(log *slog.Logger, requestID func(context.Context) string) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		if err == nil {
			return nil
		}
		presented := *graphql.DefaultErrorPresenter(ctx, err) // a copy: never mutate a shared error
		presented.Extensions = cloneExtensions(presented.Extensions)

		if presented.Err == nil {
			// An error GraphQL itself raised (parse, validation, a gqlgen limit): its message is
			// written for clients already.
			switch code, _ := presented.Extensions["code"].(string); code {
			case gqlgenComplexityCode:
				presented.Extensions["code"] = string(QueryTooComplex)
			case "":
				presented.Extensions["code"] = string(BadInput)
			}
			return &presented
		}

		e := From(err)
		if e.Code == Internal {
			// A store driver may report a statement stopped by the request's end in its own words
			// (SQLite: "interrupted"): the request's context says why it ended.
			switch ctx.Err() {
			case context.Canceled:
				e = cancelled(err)
			case context.DeadlineExceeded:
				e = From(fmt.Errorf("%w: %w", context.DeadlineExceeded, err))
			}
		}
		presented.Extensions["code"] = string(e.Code)
		if e.Code != Internal {
			presented.Message = e.Message
			return &presented
		}
		id := requestID(ctx)
		log.Log(ctx, slog.LevelError, "internal error", "path", presented.Path.String(), "err", err)
		presented.Message = "internal error: the gateway's operators can trace it by request id " + id
		if id == "" {
			presented.Message = "internal error"
		}
		return &presented
	}
}

// Recover returns gqlgen's recover function: a panic in a resolver becomes an INTERNAL error
// carrying the panic and its stack as its cause, which Presenter logs and hides from the client.
func Recover() graphql.RecoverFunc {
	return func(ctx context.Context, v any) error {
		return &Error{Code: Internal, Message: "internal error", Err: fmt.Errorf("panic: %v\n%s", v, debug.Stack())}
	}
}

func cloneExtensions(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}
