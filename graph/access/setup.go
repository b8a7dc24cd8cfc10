package access

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/99designs/gqlgen/graphql"
	"github.com/redis/go-redis/v9"

	"github.com/birlik/birlik/audit"
	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/familymembership"
	"github.com/birlik/birlik/ent/finding"
	"github.com/birlik/birlik/ent/person"
	"github.com/birlik/birlik/ent/privacy"
	"github.com/birlik/birlik/graph/limits"
	"github.com/birlik/birlik/ratelimit"
	"github.com/birlik/birlik/store"
)

// Layer is the access control of one gateway, ready to hand to httpapi.Options: who the caller
// is (API keys, then signed tokens), their rate limit and purpose, their query limits, and the
// extension that checks purposes and writes the audit log. Add the directive to graph.Config
// yourself: `Directives: graph.DirectiveRoot{Personal: access.Personal[model.PersonalData]}`.
type Layer struct {
	Authenticator   auth.Authenticator
	Tokens          *auth.Tokens // issues the demo tokens; nil when tokens are off
	QueryMiddleware []func(http.Handler) http.Handler
	Extensions      []graphql.HandlerExtension
	Limits          func(ctx context.Context) limits.Limits
	Audit           *audit.Log
	AuthGuard       func(http.Handler) http.Handler // failed authentications per client address; nil when off
	closers         []func() error
	collectors      []prometheus.Collector
}

// Collectors are the layer's metrics (the audit log's, the rate limits'), to register.
func (l *Layer) Collectors() []prometheus.Collector {
	return append(l.Audit.Collectors(), l.collectors...)
}

// Close stops the audit writer.
func (l *Layer) Close() error {
	var first error
	for i := len(l.closers) - 1; i >= 0; i-- {
		if err := l.closers[i](); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Options are the settings of the access layer.
type Options struct {
	APIKeys []auth.APIKey // the API keys (the configured ones and the demo key)
	// TokenKeys sign (the first) and verify tokens; empty: tokens are off.
	TokenKeys      []auth.SigningKey
	TokenLifetimes auth.Lifetimes     // the longest a token of each role may live
	Purposes       auth.PurposePolicy // the purposes each role may state
	Limits         limits.Options     // query limits, per role over a base
	RateLimits     ratelimit.Policy   // requests per role or client
	// AuthFailures is the failed-authentication budget of one client address; zero: off.
	AuthFailures ratelimit.Limit
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the client.
	TrustedProxies []netip.Prefix
	Logger         *slog.Logger
	RequestID      func(context.Context) string // the request id for audit entries; may be nil
	// OnRateLimitBackend, when set, is told each time the rate limits change where they count:
	// in Redis, or in process while Redis does not answer (ratelimit.FailoverOptions.OnChange).
	OnRateLimitBackend func(b ratelimit.Backend, err error)
}

// DefaultOptions are the access settings with nothing configured (no keys: add them).
func DefaultOptions(base limits.Limits) Options {
	return Options{
		Purposes:       auth.DefaultPurposePolicy(),
		Limits:         limits.Options{Base: base, Roles: limits.DefaultRoles()},
		RateLimits:     ratelimit.DefaultPolicy(),
		TokenLifetimes: auth.DefaultLifetimes(),
		AuthFailures:   ratelimit.DefaultAuthFailures,
	}
}

// NewLayer builds the access layer of o over the store st; rdb, when not nil, is the gateway's
// Redis client (shared with the cache), which the rate limits then use.
func NewLayer(o Options, st *store.Store, rdb redis.UniversalClient) (*Layer, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Layer{}
	chain := auth.Chain{auth.NewAPIKeys(o.APIKeys)}
	if len(o.TokenKeys) > 0 {
		t, err := auth.NewTokens(o.TokenKeys, nil, auth.WithLifetimes(o.TokenLifetimes))
		if err != nil {
			return nil, fmt.Errorf("BIRLIK_JWT_KEYS: %w", err)
		}
		l.Tokens = t
		chain = append(chain, t)
	}
	l.Authenticator = chain

	var limiter ratelimit.Limiter = ratelimit.NewLocal(nil)
	var failures ratelimit.Peeker = ratelimit.NewLocal(nil)
	if rdb != nil {
		// Counted in Redis, shared by every replica; in process while Redis does not answer.
		fo := ratelimit.NewFailover(ratelimit.NewRedis(rdb), ratelimit.FailoverOptions{Log: log, OnChange: o.OnRateLimitBackend})
		limiter, failures = ratelimit.NewLeased(fo, nil), fo
		l.collectors = append(l.collectors, fo.Collectors()...)
		if o.OnRateLimitBackend != nil {
			o.OnRateLimitBackend(ratelimit.BackendRedis, nil)
		}
	}
	if o.AuthFailures != (ratelimit.Limit{}) {
		l.AuthGuard = ratelimit.NewAuthFailures(failures, o.AuthFailures, ratelimit.ClientAddress(o.TrustedProxies), log, nil).Middleware
	}
	l.QueryMiddleware = []func(http.Handler) http.Handler{
		ratelimit.Middleware(limiter, o.RateLimits, log),
		auth.PurposeMiddleware(o.Purposes),
	}
	l.Limits = o.Limits.ForCaller
	l.Audit = audit.New(st)
	l.closers = append(l.closers, l.Audit.Close)
	l.Extensions = []graphql.HandlerExtension{Extension{Audit: l.Audit, Logger: log, RequestID: o.RequestID, Purposes: o.Purposes,
		PersonIINs: PersonIINsFrom(st.Client), FamilyIINs: FamilyIINsFrom(st.Client), FindingIINs: FindingIINsFrom(st.Client)}}
	return l, nil
}

// PersonIINsFrom names persons by their IDs from the store, for the audit entry of an answer
// that showed them without their IIN. It reads past the row rules: the persons were shown to the
// caller already, and their IINs go only into the audit log, never into the answer.
func PersonIINsFrom(client *ent.Client) func(ctx context.Context, ids []int) ([]domain.IIN, error) {
	return func(ctx context.Context, ids []int) ([]domain.IIN, error) {
		ps, err := client.Person.Query().Where(person.IDIn(ids...)).Select(person.FieldIin).
			All(privacy.DecisionContext(ctx, privacy.Allow))
		if err != nil {
			return nil, fmt.Errorf("naming %d persons for the audit entry: %w", len(ids), err)
		}
		if len(ps) != len(ids) {
			return nil, fmt.Errorf("naming %d persons for the audit entry: %d are in the store", len(ids), len(ps))
		}
		out := make([]domain.IIN, len(ps))
		for i, p := range ps {
			out[i] = p.Iin
		}
		return out, nil
	}
}

// FamilyIINsFrom names the members, past and present, of families by their IDs from the store,
// for the audit entry of an answer that returned the families through a filter on a personal
// value. Like PersonIINsFrom it reads past the row rules, into the audit log only.
func FamilyIINsFrom(client *ent.Client) func(ctx context.Context, ids []int) ([]domain.IIN, error) {
	return func(ctx context.Context, ids []int) ([]domain.IIN, error) {
		var iins []domain.IIN
		err := client.FamilyMembership.Query().Where(familymembership.FamilyIDIn(ids...)).
			Select(familymembership.FieldIin).Scan(privacy.DecisionContext(ctx, privacy.Allow), &iins)
		if err != nil {
			return nil, fmt.Errorf("naming the members of %d families for the audit entry: %w", len(ids), err)
		}
		return iins, nil
	}
}

// FindingIINsFrom names the subjects of findings by their IDs from the store (those that name a
// person), for the audit entry, past the row rules as PersonIINsFrom.
func FindingIINsFrom(client *ent.Client) func(ctx context.Context, ids []int) ([]domain.IIN, error) {
	return func(ctx context.Context, ids []int) ([]domain.IIN, error) {
		var subjects []string
		err := client.Finding.Query().Where(finding.IDIn(ids...), finding.SubjectIinNEQ("")).
			Select(finding.FieldSubjectIin).Scan(privacy.DecisionContext(ctx, privacy.Allow), &subjects)
		if err != nil {
			return nil, fmt.Errorf("naming the subjects of %d findings for the audit entry: %w", len(ids), err)
		}
		var out []domain.IIN
		for _, s := range subjects {
			out = append(out, auth.IINsIn(s)...)
		}
		return out, nil
	}
}
