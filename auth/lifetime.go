package auth

// The longest a token of each role may live. A token is checked against its role's maximum
// when it is verified, not only when the gateway issues it: a token signed elsewhere with a
// shared key (or by a key that leaked) cannot grant itself years of access, because a role's
// maximum bounds both its whole lifetime (exp - iat) and the time it has left (exp - now).

import (
	"fmt"
	"strings"
	"time"
)

// ClockSkew is how far the gateway's clock and an issuer's may disagree: a token's iat may be
// this much in the future, and exp this much past the role's maximum from now.
const ClockSkew = 30 * time.Second

// MinLifetime is the shortest maximum lifetime a role can be given.
const MinLifetime = time.Minute

// Lifetimes is the maximum token lifetime of each role.
type Lifetimes map[string]time.Duration

// DefaultLifetimes are the maximum token lifetimes with nothing configured: a citizen's session
// and an administrator's token last an hour, an official's a working day.
func DefaultLifetimes() Lifetimes {
	return Lifetimes{
		RoleCitizen:    time.Hour,
		RoleCaseworker: 12 * time.Hour,
		RoleAnalyst:    12 * time.Hour,
		RoleInspector:  12 * time.Hour,
		RoleHealth:     12 * time.Hour,
		RoleAdmin:      time.Hour,
	}
}

// Max returns role's maximum token lifetime: its own, else the default, and never more than
// MaxTTL.
func (l Lifetimes) Max(role string) time.Duration {
	d, ok := l[role]
	if !ok {
		d = DefaultLifetimes()[role]
	}
	if d <= 0 || d > MaxTTL {
		d = MaxTTL
	}
	return d
}

// String writes the lifetimes as ParseLifetimes reads them, in the order of Roles.
func (l Lifetimes) String() string {
	parts := make([]string, 0, len(Roles))
	for _, r := range Roles {
		parts = append(parts, r+"="+FormatDuration(l.Max(r)))
	}
	return strings.Join(parts, ";")
}

// ParseLifetimes reads BIRLIK_TOKEN_MAX_TTL: `;`-separated `role=DURATION` entries over the
// defaults, e.g. `citizen=30m;caseworker=8h`. A duration is whole seconds, at least MinLifetime
// and at most MaxTTL.
func ParseLifetimes(s string) (Lifetimes, error) {
	l := DefaultLifetimes()
	for _, entry := range strings.Split(s, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		role, spec, ok := strings.Cut(entry, "=")
		role = strings.TrimSpace(role)
		if !ok || !ValidRole(role) {
			return nil, fmt.Errorf("entry %q: want role=DURATION (e.g. citizen=1h) with a role of %s", entry, strings.Join(Roles, ", "))
		}
		d, err := time.ParseDuration(strings.TrimSpace(spec))
		if err != nil {
			return nil, fmt.Errorf("entry %q: %q is not a duration such as 30m, 8h or 168h", entry, spec)
		}
		if d < MinLifetime || d > MaxTTL || d%time.Second != 0 {
			return nil, fmt.Errorf("entry %q: want whole seconds from %s to %s", entry, FormatDuration(MinLifetime), FormatDuration(MaxTTL))
		}
		l[role] = d
	}
	return l, nil
}

// FormatDuration writes d without zero units: 1h, 12h, 1h30m, 45s.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
