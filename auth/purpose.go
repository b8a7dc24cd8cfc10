package auth

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/birlik/birlik/apperr"
)

// PurposeHeader is the header a request states its purpose in.
const PurposeHeader = "X-Purpose"

type purposeKey struct{}

// WithPurpose returns ctx carrying the request's stated purpose.
func WithPurpose(ctx context.Context, purpose string) context.Context {
	return context.WithValue(ctx, purposeKey{}, purpose)
}

// PurposeFrom returns the purpose the request stated, or "" when it stated none.
func PurposeFrom(ctx context.Context) string {
	p, _ := ctx.Value(purposeKey{}).(string)
	return p
}

// PurposeMiddleware reads X-Purpose (after Middleware has put the identity in the context):
// an unknown purpose is BAD_INPUT (400), a purpose the caller's role may not state is FORBIDDEN
// (403), and a stated purpose is put in the context. A request without one goes on: the graph
// answers PURPOSE_REQUIRED only when it asks for personal data.
func PurposeMiddleware(policy PurposePolicy) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			purpose := strings.TrimSpace(r.Header.Get(PurposeHeader))
			if purpose == "" {
				next.ServeHTTP(w, r)
				return
			}
			id, _ := FromContext(r.Context())
			if !slices.Contains(Purposes, purpose) {
				WriteError(w, apperr.New(apperr.BadInput, "%s: %q is not a purpose this gateway knows; use one of %s", PurposeHeader, purpose, strings.Join(Purposes, ", ")))
				return
			}
			if !policy.Allowed(id.Role, purpose) {
				WriteError(w, apperr.New(apperr.Forbidden, "%s: the role %s may not read data for %q; its purposes are: %s", PurposeHeader, id.Role, purpose, strings.Join(policy[id.Role], ", ")))
				return
			}
			next.ServeHTTP(w, r.WithContext(WithPurpose(r.Context(), purpose)))
		})
	}
}
