package apperr_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/birlik/birlik/apperr"
	"github.com/birlik/birlik/domain"
)

func TestPresenter(t *testing.T) {
	t.Parallel()
	_, badIIN := domain.ParseIIN("123456789012")
	_, badBIN := domain.ParseBIN("12345678901")
	complexity := gqlerror.Errorf("operation has complexity 10, which exceeds the limit of 5")
	complexity.Extensions = map[string]any{"code": "COMPLEXITY_LIMIT_EXCEEDED"}
	validation := gqlerror.Errorf(`Cannot query field "nope" on type "Query".`)
	validation.Extensions = map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}

	tests := []struct {
		name        string
		err         error
		wantCode    string
		wantMessage string // substring
		wantLogged  string // substring of the log, "" for nothing logged
		hidden      string // must not appear in the message
	}{
		{"coded error keeps its message", apperr.New(apperr.Forbidden, "role health may not read payments"), "FORBIDDEN", "role health may not read payments", "", ""},
		{"wrapped coded error", fmt.Errorf("resolving: %w", apperr.New(apperr.NotFound, "no family F1")), "NOT_FOUND", "no family F1", "", "resolving"},
		{"invalid IIN from domain", badIIN, "INVALID_IIN", `IIN "123456789012": check digit should be`, "", ""},
		{"invalid BIN from domain", badBIN, "INVALID_BIN", `BIN "12345678901": must be 12 digits`, "", ""},
		{"internal error is hidden and logged", errors.New(`pq: relation "persons" does not exist`), "INTERNAL", "request id req-42", `relation \"persons\" does not exist`, "relation"},
		{"coded internal error hides its cause", apperr.Wrap(apperr.Internal, errors.New("SELECT 1 failed"), "store"), "INTERNAL", "request id req-42", "SELECT 1 failed", "SELECT"},
		{"complexity limit becomes QUERY_TOO_COMPLEX", complexity, "QUERY_TOO_COMPLEX", "exceeds the limit of 5", "", ""},
		{"long client message is cut", apperr.New(apperr.BadInput, "IIN %q is not 12 digits", strings.Repeat("7", 5000)), "BAD_INPUT", "(4523 more characters)", "", strings.Repeat("7", 600)},
		{"validation code is kept", validation, "GRAPHQL_VALIDATION_FAILED", `Cannot query field "nope"`, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			present := apperr.Presenter(slog.New(slog.NewTextHandler(&logs, nil)), func(context.Context) string { return "req-42" })
			got := present(context.Background(), tc.err)
			if code := got.Extensions["code"]; code != tc.wantCode {
				t.Errorf("code = %v, want %s", code, tc.wantCode)
			}
			if !strings.Contains(got.Message, tc.wantMessage) {
				t.Errorf("message = %q, want it to contain %q", got.Message, tc.wantMessage)
			}
			if tc.hidden != "" && strings.Contains(got.Message, tc.hidden) {
				t.Errorf("message = %q leaks %q", got.Message, tc.hidden)
			}
			if tc.wantLogged == "" && logs.Len() > 0 {
				t.Errorf("logged %q for a client error", logs.String())
			}
			if tc.wantLogged != "" && !strings.Contains(logs.String(), tc.wantLogged) {
				t.Errorf("log = %q, want it to contain %q", logs.String(), tc.wantLogged)
			}
		})
	}
}

func TestPresenterDoesNotMutateSharedErrors(t *testing.T) {
	t.Parallel()
	shared := gqlerror.Errorf("too complex")
	shared.Extensions = map[string]any{"code": "COMPLEXITY_LIMIT_EXCEEDED"}
	present := apperr.Presenter(slog.New(slog.DiscardHandler), func(context.Context) string { return "" })
	_ = present(context.Background(), shared)
	if shared.Extensions["code"] != "COMPLEXITY_LIMIT_EXCEEDED" {
		t.Fatalf("presenter changed the original error's code to %v", shared.Extensions["code"])
	}
}

func TestRecoverIsInternal(t *testing.T) {
	t.Parallel()
	err := apperr.Recover()(context.Background(), "boom")
	if apperr.CodeOf(err) != apperr.Internal || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("Recover gave %v (code %s), want INTERNAL with the panic as cause", err, apperr.CodeOf(err))
	}
}

func TestHTTPStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code apperr.Code
		want int
	}{
		{apperr.Unauthenticated, 401},
		{apperr.Forbidden, 403},
		{apperr.InvalidIIN, 400},
		{apperr.SourceUnavailable, 503},
		{apperr.Internal, 500},
	}
	for _, tc := range tests {
		t.Run(string(tc.code), func(t *testing.T) {
			if got := apperr.HTTPStatus(tc.code); got != tc.want {
				t.Errorf("HTTPStatus(%s) = %d, want %d", tc.code, got, tc.want)
			}
		})
	}
}
