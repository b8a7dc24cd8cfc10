package auth

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/birlik/birlik/apperr"
)

// Middleware authenticates every request with a: it reads `Authorization: Bearer <credential>`,
// and either puts the caller's Identity in the request context or answers 401 with a GraphQL-
// shaped JSON error (code UNAUTHENTICATED) whose message says what is wrong. The next handler
// never runs without an identity.
func Middleware(a Authenticator, log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, err := authenticate(r, a)
			if err != nil {
				e := apperr.From(err)
				if e.Code == apperr.Internal {
					log.ErrorContext(r.Context(), "authenticating a request", "err", err)
					e = apperr.New(apperr.Internal, "internal error while checking credentials")
				}
				WriteError(w, e)
				return
			}
			next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), id)))
		})
	}
}

const usageHint = "send `Authorization: Bearer <API key or token>`"

func authenticate(r *http.Request, a Authenticator) (Identity, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return Identity{}, apperr.New(apperr.Unauthenticated, "missing Authorization header: %s", usageHint)
	}
	scheme, credential, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return Identity{}, apperr.New(apperr.Unauthenticated, "the Authorization header must use the Bearer scheme: %s", usageHint)
	}
	credential = strings.TrimSpace(credential)
	if credential == "" {
		return Identity{}, apperr.New(apperr.Unauthenticated, "the bearer credential is empty: %s", usageHint)
	}
	id, err := a.Authenticate(r.Context(), credential)
	if errors.Is(err, ErrUnknownCredential) {
		return Identity{}, apperr.New(apperr.Unauthenticated, "the API key or token is not known to this gateway: check it, or ask the gateway's operators for one")
	}
	if err != nil {
		return Identity{}, err
	}
	if id.Role == "" {
		return Identity{}, apperr.New(apperr.Internal, "an authenticator returned an identity without a role")
	}
	return id, nil
}

// WriteError answers a plain HTTP request with e as a GraphQL-shaped JSON error, with the status
// apperr.HTTPStatus gives its code.
func WriteError(w http.ResponseWriter, e *apperr.Error) {
	status := apperr.HTTPStatus(e.Code)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="birlik"`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []any{map[string]any{
			"message":    e.Message,
			"extensions": map[string]any{"code": e.Code},
		}},
	})
}
