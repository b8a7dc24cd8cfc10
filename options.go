package main

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/config"
	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/graph/access"
	"github.com/birlik/birlik/graph/cursor"
	"github.com/birlik/birlik/graph/demand"
	"github.com/birlik/birlik/graph/limits"
	"github.com/birlik/birlik/httpapi"
	"github.com/birlik/birlik/ratelimit"
	"github.com/birlik/birlik/rules"
)

// options are the gateway's settings, each on the options type of the package that uses it:
// config's plain settings (addresses, URLs, sizes), and the settings declared here, which the
// packages that own their types parse (keys, policies, per-role limits, the cursor key).
type options struct {
	config.Config
	// Access configures the access layer. Its APIKeys are the configured keys (the demo key is
	// added at start) and its TokenKeys the configured ones (the demo key file's, see tokenKeys).
	Access access.Options
	// ShowOfficial makes a citizen's myDataAccess name the official who read their data, not
	// only the organisation and role (BIRLIK_AUDIT_SHOW_OFFICIAL).
	ShowOfficial bool
	// CursorKey seals the pagination cursors (BIRLIK_CURSOR_KEY); nil: a key kept in DataDir.
	CursorKey []byte
	// AsOf is the day the integrity checks and the family card are evaluated on
	// (BIRLIK_AS_OF); zero: the last day of the store's latest complete month.
	AsOf domain.Date
	// CheckWorkers is how many kinds of integrity check run at once on PostgreSQL
	// (BIRLIK_CHECK_WORKERS, checks.Config.Workers).
	CheckWorkers int
	// Demand prices requests and keeps each class of roles in its bulkhead (BIRLIK_BUDGETS,
	// BIRLIK_BULKHEADS).
	Demand demand.Options
	// CORSOrigins are the origins whose browser apps may call the gateway (BIRLIK_CORS_ORIGINS);
	// empty: no CORS headers.
	CORSOrigins []string
}

// The groups of the settings declared here (config.Group… are config's own).
const (
	groupAccess = "access" // who may do what: keys, purposes, limits, budgets, cursors
	groupTokens = "tokens" // the keys and lifetimes of signed tokens
	groupAsOf   = "as-of"  // the day the checks and the family card are evaluated on, and how many checks run at once
)

// The groups of settings each command reads (nil: every one, for serve).
var (
	forSync   = []string{config.GroupStore, config.GroupSources, config.GroupLog}
	forStore  = []string{config.GroupStore, config.GroupLog}
	forDerive = []string{config.GroupStore, config.GroupLog, groupAsOf}
	forToken  = []string{config.GroupStore, config.GroupSources, groupTokens}
)

// loadOptions reads the settings of groups (nil: all) as config.Load does (defaults,
// environment, then flags) and validates them; every error names the variable to fix.
func loadOptions(fs *flag.FlagSet, args []string, getenv func(string) string, groups []string) (options, error) {
	o := options{Access: access.DefaultOptions(limits.Limits{}), Demand: demand.DefaultOptions(), CheckWorkers: 1}
	var roleLimits string
	cfg, err := config.Load(fs, args, getenv, groups, o.settings(&roleLimits)...)
	if err != nil {
		return options{}, err
	}
	o.Config = cfg
	// The per-role limits start from the base limits as the flags left them.
	o.Access.Limits = limits.Options{Base: limits.Limits(cfg.Limits), Roles: limits.DefaultRoles()}
	var errs []error
	if err := o.Access.Limits.ParseRoles(roleLimits); err != nil {
		errs = append(errs, fmt.Errorf("BIRLIK_ROLE_LIMITS=%q: %w", roleLimits, err))
	}
	if (groups == nil || slices.Contains(groups, groupAccess)) && !cfg.Sources.Embedded() && len(o.Access.APIKeys) == 0 {
		errs = append(errs, errors.New("BIRLIK_API_KEYS: is empty: with real sources there is no demo key, so configure at least one key:role:client"))
	}
	if err := errors.Join(errs...); err != nil {
		return options{}, err
	}
	return o, nil
}

// settings are the settings whose values are other packages' types. roleLimits receives
// BIRLIK_ROLE_LIMITS as given (checked here), applied over the final base limits by loadOptions.
func (o *options) settings(roleLimits *string) []config.Setting {
	a := &o.Access
	return []config.Setting{
		{Env: "BIRLIK_API_KEYS", Group: groupAccess, Flag: "api-keys", Usage: "API keys key:role:client[:KATO|KATO],…", Secret: true,
			Value: config.Func(func(s string) error {
				keys, err := auth.ParseAPIKeys(s)
				a.APIKeys = keys
				return err
			}, func() string { return count(len(a.APIKeys), "keys") })}, // never print the secrets
		{Env: "BIRLIK_JWT_KEYS", Group: groupTokens, Flag: "jwt-keys", Usage: "token keys kid:BASE64SECRET or kid:ed25519:BASE64SEED,…; the first signs", Secret: true,
			Value: config.Func(func(s string) error {
				k, err := auth.ParseSigningKeys(s)
				a.TokenKeys = k
				return err
			}, func() string { return count(len(a.TokenKeys), "keys") })},
		{Env: "BIRLIK_PURPOSES", Group: groupAccess, Flag: "purposes", Usage: "purposes per role: role=purpose|purpose;…",
			Value: config.Func(func(s string) error {
				p, err := auth.ParsePurposePolicy(s)
				if err == nil {
					a.Purposes = p
				}
				return err
			}, nil)},
		{Env: "BIRLIK_ROLE_LIMITS", Group: groupAccess, Flag: "role-limits", Usage: "query limits per role: role=depth:N/aliases:N/complexity:N/page:N;…",
			Value: config.Func(func(s string) error {
				check := limits.Options{Roles: limits.DefaultRoles()}
				if err := check.ParseRoles(s); err != nil {
					return err
				}
				*roleLimits = s
				return nil
			}, func() string { return *roleLimits })},
		{Env: "BIRLIK_RATE_LIMITS", Group: groupAccess, Flag: "rate-limits", Usage: "request rates: role=RATE/PERIOD[:BURST] or client:NAME=…;…",
			Value: config.Func(func(s string) error {
				p, err := ratelimit.ParsePolicy(s)
				if err == nil {
					a.RateLimits = p
				}
				return err
			}, nil)},
		{Env: "BIRLIK_TOKEN_MAX_TTL", Group: groupTokens, Flag: "token-max-ttl", Usage: "longest token lifetime per role, checked at verification: role=DURATION;…",
			Value: config.Func(func(s string) error {
				l, err := auth.ParseLifetimes(s)
				if err == nil {
					a.TokenLifetimes = l
				}
				return err
			}, func() string { return a.TokenLifetimes.String() })},
		{Env: "BIRLIK_AUTH_FAILURES", Group: groupAccess, Flag: "auth-failures", Usage: "failed authentications one client address may make, RATE/PERIOD[:BURST], before its requests get 429; off: no limit",
			Value: config.Func(func(s string) error {
				l, err := ratelimit.ParseAuthFailures(s)
				if err == nil {
					a.AuthFailures = l
				}
				return err
			}, func() string {
				if a.AuthFailures == (ratelimit.Limit{}) {
					return "off"
				}
				return a.AuthFailures.String()
			})},
		{Env: "BIRLIK_TRUSTED_PROXIES", Group: groupAccess, Flag: "trusted-proxies", Usage: "reverse proxies (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For names the client; empty: the connection's address",
			Value: config.Func(func(s string) error {
				p, err := ratelimit.ParseTrustedProxies(s)
				if err == nil {
					a.TrustedProxies = p
				}
				return err
			}, func() string {
				parts := make([]string, len(a.TrustedProxies))
				for i, p := range a.TrustedProxies {
					parts[i] = p.String()
				}
				return strings.Join(parts, ",")
			})},
		{Env: "BIRLIK_AUDIT_SHOW_OFFICIAL", Group: groupAccess, Flag: "audit-show-official", Usage: "myDataAccess names the official, not only organisation and role (true/false)",
			Value: config.Func(func(s string) error {
				b, err := strconv.ParseBool(strings.TrimSpace(s))
				if err != nil {
					return errors.New("want true or false")
				}
				o.ShowOfficial = b
				return nil
			}, func() string { return strconv.FormatBool(o.ShowOfficial) })},
		{Env: "BIRLIK_BUDGETS", Group: groupAccess, Flag: "budgets", Usage: "rows one caller of a role may read, per request and per minute: role=REQUEST/PERMINUTE;… (see docs/operations.md)",
			Value: config.Func(func(s string) error {
				b, err := demand.ParseBudgets(s, o.Demand.Budgets)
				if err == nil {
					o.Demand.Budgets = b
				}
				return err
			}, nil)},
		{Env: "BIRLIK_BULKHEADS", Group: groupAccess, Flag: "bulkheads", Usage: "requests each class of roles runs at once, how long one waits for a place and its deadline: NAME:ROLE+ROLE=N[/WAIT[/TIMEOUT]];…",
			Value: config.Func(func(s string) error {
				c, err := demand.ParseClasses(s)
				if err == nil {
					o.Demand.Classes = c
				}
				return err
			}, nil)},
		{Env: "BIRLIK_CORS_ORIGINS", Group: config.GroupServe, Flag: "cors-origins", Usage: "origins scheme://host[:port], comma-separated, whose browser apps may call /query (CORS); empty: none",
			Value: config.Func(func(s string) error {
				origins, err := httpapi.ParseCORSOrigins(s)
				if err == nil {
					o.CORSOrigins = origins
				}
				return err
			}, func() string { return strings.Join(o.CORSOrigins, ",") })},
		{Env: "BIRLIK_AS_OF", Group: groupAsOf, Flag: "as-of", Usage: "day the integrity checks and the family card are evaluated on: YYYY-MM-DD, or YYYY-MM for its last day; empty: the last day of the store's latest complete month",
			Value: config.Func(func(s string) error {
				d, err := rules.ParseAsOf(s)
				o.AsOf = d
				return err
			}, func() string {
				if o.AsOf.IsZero() {
					return ""
				}
				return o.AsOf.String()
			})},
		{Env: "BIRLIK_CHECK_WORKERS", Group: groupAsOf, Flag: "check-workers", Usage: "kinds of integrity check run at once on PostgreSQL, each on a connection and a core of its own (SQLite: one at a time); more finishes a large country's checks sooner and leaves fewer cores to the queries meanwhile",
			Value: config.Func(func(s string) error {
				n, err := strconv.Atoi(s)
				if err != nil || n < 1 {
					return fmt.Errorf("want a number of 1 or more")
				}
				o.CheckWorkers = n
				return nil
			}, func() string { return strconv.Itoa(o.CheckWorkers) })},
		{Env: "BIRLIK_CURSOR_KEY", Group: groupAccess, Flag: "cursor-key", Usage: "key that seals pagination cursors: 32 random bytes in base64 (openssl rand -base64 32); the same on every replica; unset: a key kept in the data folder", Secret: true,
			Value: config.Func(func(s string) error {
				k, err := cursor.ParseKey(s)
				o.CursorKey = k
				return err
			}, func() string {
				if o.CursorKey == nil {
					return ""
				}
				return "set"
			})},
	}
}

func count(n int, what string) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d %s", n, what)
}

// sourceURLs returns the base URL of every source, by source.
func sourceURLs(s config.Sources) map[connectors.Source]string {
	return map[connectors.Source]string{
		connectors.Justice:   s.Justice,
		connectors.Labour:    s.Labour,
		connectors.Education: s.Education,
		connectors.Finance:   s.Finance,
		connectors.Health:    s.Health,
	}
}
