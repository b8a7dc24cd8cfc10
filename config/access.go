package config

// The access-control settings: token keys, purposes per role, query limits per role,
// rate limits, and what a citizen's myDataAccess shows of the official.

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/ratelimit"
)

// Access is who may do what, beyond the API keys.
type Access struct {
	JWTKeys    []auth.SigningKey  // BIRLIK_JWT_KEYS: the first signs, all verify
	Purposes   auth.PurposePolicy // BIRLIK_PURPOSES: purposes each role may state
	RoleLimits map[string]Limits  // BIRLIK_ROLE_LIMITS: query limits per role (over Limits)
	RateLimits ratelimit.Policy   // BIRLIK_RATE_LIMITS: requests per role or client
	// TokenLifetimes is the longest a token of each role may live (BIRLIK_TOKEN_MAX_TTL),
	// checked when a token is verified and when one is issued.
	TokenLifetimes auth.Lifetimes
	// AuthFailures is the failed-authentication budget of one client address
	// (BIRLIK_AUTH_FAILURES); the zero Limit is off.
	AuthFailures ratelimit.Limit
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the client
	// (BIRLIK_TRUSTED_PROXIES); empty: the connection's remote address is the client.
	TrustedProxies []netip.Prefix
	// ShowOfficial makes a citizen's myDataAccess name the official (subject) who read their
	// data, not only the organisation and role (BIRLIK_AUDIT_SHOW_OFFICIAL).
	ShowOfficial bool
}

// DefaultRoleLimits are the query limits per role with nothing configured: citizens ask small
// questions, analysts big pages; roles not named use Limits.
func DefaultRoleLimits() map[string]Limits {
	return map[string]Limits{
		auth.RoleCitizen:    {Depth: 8, Aliases: 10, Complexity: 5000, PageSize: 100},
		auth.RoleCaseworker: {Depth: 10, Aliases: 20, Complexity: 20000, PageSize: 200},
		auth.RoleHealth:     {Depth: 8, Aliases: 20, Complexity: 50000, PageSize: 1000},
	}
}

// LimitsFor returns the limits of role: the role's own, else base.
func (a Access) LimitsFor(role string, base Limits) Limits {
	if l, ok := a.RoleLimits[role]; ok {
		return l
	}
	return base
}

func (c *Config) accessSettings() []setting {
	return []setting{
		{"BIRLIK_JWT_KEYS", "jwt-keys", "token keys kid:BASE64SECRET or kid:ed25519:BASE64SEED,…; the first signs", &secretValue{func(s string) error {
			k, err := auth.ParseSigningKeys(s)
			c.Access.JWTKeys = k
			return err
		}, func() string { return fmt.Sprintf("%d keys", len(c.Access.JWTKeys)) }}},
		{"BIRLIK_PURPOSES", "purposes", "purposes per role: role=purpose|purpose;…", &funcValue{func(s string) error {
			p, err := auth.ParsePurposePolicy(s)
			if err == nil {
				c.Access.Purposes = p
			}
			return err
		}, func() string { return "" }}},
		{"BIRLIK_ROLE_LIMITS", "role-limits", "query limits per role: role=depth:N/aliases:N/complexity:N/page:N;…", &funcValue{func(s string) error {
			return parseRoleLimits(s, c.Limits, c.Access.RoleLimits)
		}, func() string { return "" }}},
		{"BIRLIK_RATE_LIMITS", "rate-limits", "request rates: role=RATE/PERIOD[:BURST] or client:NAME=…;…", &funcValue{func(s string) error {
			p, err := ratelimit.ParsePolicy(s)
			if err == nil {
				c.Access.RateLimits = p
			}
			return err
		}, func() string { return "" }}},
		{"BIRLIK_TOKEN_MAX_TTL", "token-max-ttl", "longest token lifetime per role, checked at verification: role=DURATION;…", &funcValue{func(s string) error {
			l, err := auth.ParseLifetimes(s)
			if err == nil {
				c.Access.TokenLifetimes = l
			}
			return err
		}, func() string { return c.Access.TokenLifetimes.String() }}},
		{"BIRLIK_AUTH_FAILURES", "auth-failures", "failed authentications one client address may make, RATE/PERIOD[:BURST], before its requests get 429; off: no limit", &funcValue{func(s string) error {
			l, err := ratelimit.ParseAuthFailures(s)
			if err == nil {
				c.Access.AuthFailures = l
			}
			return err
		}, func() string {
			if c.Access.AuthFailures == (ratelimit.Limit{}) {
				return "off"
			}
			return c.Access.AuthFailures.String()
		}}},
		{"BIRLIK_TRUSTED_PROXIES", "trusted-proxies", "reverse proxies (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For names the client; empty: the connection's address", &funcValue{func(s string) error {
			p, err := ratelimit.ParseTrustedProxies(s)
			if err == nil {
				c.Access.TrustedProxies = p
			}
			return err
		}, func() string {
			parts := make([]string, len(c.Access.TrustedProxies))
			for i, p := range c.Access.TrustedProxies {
				parts[i] = p.String()
			}
			return strings.Join(parts, ",")
		}}},
		{"BIRLIK_AUDIT_SHOW_OFFICIAL", "audit-show-official", "myDataAccess names the official, not only organisation and role (true/false)", &funcValue{func(s string) error {
			b, err := strconv.ParseBool(strings.TrimSpace(s))
			if err != nil {
				return fmt.Errorf("want true or false")
			}
			c.Access.ShowOfficial = b
			return nil
		}, func() string { return strconv.FormatBool(c.Access.ShowOfficial) }}},
	}
}

func defaultAccess() Access {
	return Access{
		Purposes:       auth.DefaultPurposePolicy(),
		RoleLimits:     DefaultRoleLimits(),
		RateLimits:     ratelimit.DefaultPolicy(),
		TokenLifetimes: auth.DefaultLifetimes(),
		AuthFailures:   ratelimit.DefaultAuthFailures,
	}
}

// parseRoleLimits reads role=depth:N/aliases:N/complexity:N/page:N entries into into; a role
// named starts from its current limits (or base), so one number can be changed alone.
func parseRoleLimits(s string, base Limits, into map[string]Limits) error {
	for _, entry := range strings.Split(s, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		role, spec, ok := strings.Cut(entry, "=")
		if !ok || !auth.ValidRole(role) {
			return fmt.Errorf("entry %q: want role=depth:N/aliases:N/complexity:N/page:N with a role of %s", entry, strings.Join(auth.Roles, ", "))
		}
		l, ok := into[role]
		if !ok {
			l = base
		}
		for _, kv := range strings.Split(spec, "/") {
			k, v, _ := strings.Cut(kv, ":")
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return fmt.Errorf("entry %q: %q: want name:N with N a whole number of at least 1", entry, kv)
			}
			switch k {
			case "depth":
				l.Depth = n
			case "aliases":
				l.Aliases = n
			case "complexity":
				l.Complexity = n
			case "page":
				l.PageSize = n
			default:
				return fmt.Errorf("entry %q: %q is not depth, aliases, complexity or page", entry, k)
			}
		}
		into[role] = l
	}
	return nil
}

// funcValue is a flag.Value that parses with a function.
type funcValue struct {
	set func(string) error
	get func() string
}

func (v *funcValue) String() string {
	if v.get == nil {
		return ""
	}
	return v.get()
}
func (v *funcValue) Set(s string) error { return v.set(s) }

// secretValue is a funcValue whose input is never echoed in errors.
type secretValue funcValue

func (v *secretValue) String() string {
	if v.get == nil {
		return ""
	}
	return v.get()
}
func (v *secretValue) Set(s string) error { return v.set(s) }

func isSecret(v any) bool { _, ok := v.(*secretValue); return ok }
