// Package apperr owns the errors a client of the gateway can see: one error type with a stable
// machine code and a message that says what to fix, and the one place (Presenter) that turns any
// error into the GraphQL error a client receives, with `extensions.code` set.
//
// Internal errors (a failed SQL statement, a bug) never reach a client: the presenter logs them
// with the request id and answers a generic message naming that id. apperr imports nothing of
// the gateway except domain; every other package may import it.
package apperr

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/birlik/birlik/domain"
)

// Code is a stable machine-readable error code, sent to clients as `extensions.code`. Clients
// code against these strings: never rename one.
type Code string

// The codes a client can receive.
const (
	InvalidIIN        Code = "INVALID_IIN"         // an IIN failed its format or check digit
	InvalidBIN        Code = "INVALID_BIN"         // a BIN failed its format or check digit
	Forbidden         Code = "FORBIDDEN"           // the caller's role or region may not see this
	Unauthenticated   Code = "UNAUTHENTICATED"     // no, unknown, expired or malformed credentials
	PurposeRequired   Code = "PURPOSE_REQUIRED"    // personal data asked for without X-Purpose
	SourceUnavailable Code = "SOURCE_UNAVAILABLE"  // a ministry system did not answer
	QueryTooComplex   Code = "QUERY_TOO_COMPLEX"   // depth, aliases, complexity or page size over the limit
	NotFound          Code = "NOT_FOUND"           // an id that names nothing
	BadInput          Code = "BAD_INPUT"           // an argument of the wrong shape
	TooLarge          Code = "REQUEST_TOO_LARGE"   // a request body over the size limit
	StoreUnavailable  Code = "STORE_UNAVAILABLE"   // the gateway's own store did not answer
	QueryTooExpensive Code = "QUERY_TOO_EXPENSIVE" // may read more rows than the caller's budget allows
	BudgetExhausted   Code = "BUDGET_EXHAUSTED"    // the caller's budget of the minute is spent; retry later
	Overloaded        Code = "OVERLOADED"          // every place of the caller's class is taken; retry later
	Timeout           Code = "TIMEOUT"             // the request ran past its deadline
	Cancelled         Code = "CANCELLED"           // the client went away (or the gateway shut down) before the answer
	Internal          Code = "INTERNAL"            // our fault; the message names the request id
)

// Error is an error a client caused or may act on: a stable code and a message that says what
// to fix. Err, when set, is the underlying cause; it is logged, never shown to the client.
type Error struct {
	Code    Code
	Message string
	Err     error
}

// Error returns the message (and the cause, for logs).
func (e *Error) Error() string {
	if e.Err != nil && e.Code == Internal {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// New returns an error with code and a formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an error with code and message that keeps err as its cause.
func Wrap(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// StoreDown is the error of a request that failed because the gateway's store does not answer
// (cause is what failed); it is the operators' to fix, not the client's, and the client retries.
func StoreDown(cause error) *Error {
	return Wrap(StoreUnavailable, cause, "the gateway's store is not answering, so nothing can be read (or a read recorded in the audit log) now: retry later; /readyz shows when it is back")
}

// From returns the client-facing error err stands for: an *Error found in err's chain, an
// invalid IIN or BIN as INVALID_IIN/INVALID_BIN, and anything else as an INTERNAL error whose
// cause is err (its message is replaced by the presenter before it reaches a client).
func From(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, context.Canceled) {
		return cancelled(err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Code: Timeout, Message: "the request ran past its deadline: ask for less (smaller pages, exact filters, fewer aggregates)", Err: err}
	}
	var id *domain.ErrInvalidID
	if errors.As(err, &id) {
		code := InvalidIIN
		if id.Kind == "BIN" {
			code = InvalidBIN
		}
		return &Error{Code: code, Message: id.Error(), Err: err}
	}
	return &Error{Code: Internal, Message: "internal error", Err: err}
}

// cancelled is the error of a request whose context was cancelled: its client closed the
// connection, or the gateway is shutting down. Nobody but the access log and the metrics is
// likely to see it; it is not the gateway's fault, so never INTERNAL.
func cancelled(err error) *Error {
	return &Error{Code: Cancelled, Message: "the request was cancelled before it finished: its client went away or the gateway is shutting down; send it again", Err: err}
}

// CodeOf is From(err).Code, or "" for a nil error.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	return From(err).Code
}

// HTTPStatus is the status a plain HTTP endpoint answers for code (GraphQL answers 200 with the
// error in the body, except where the transport decides otherwise).
func HTTPStatus(code Code) int {
	switch code {
	case Unauthenticated:
		return http.StatusUnauthorized
	case Forbidden:
		return http.StatusForbidden
	case NotFound:
		return http.StatusNotFound
	case InvalidIIN, InvalidBIN, BadInput, PurposeRequired, QueryTooComplex, QueryTooExpensive:
		return http.StatusBadRequest
	case BudgetExhausted:
		return http.StatusTooManyRequests
	case Overloaded:
		return http.StatusServiceUnavailable
	case Timeout:
		return http.StatusGatewayTimeout
	case Cancelled:
		return 499 // the client closed the request (no standard status; the common convention)
	case TooLarge:
		return http.StatusRequestEntityTooLarge
	case SourceUnavailable, StoreUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
