package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/birlik/birlik/apperr"
	"github.com/birlik/birlik/auth"
)

// signed returns a token over claims, signed with secretA under kid k1, as an issuer holding the
// key could make it without going through Issue.
func signed(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	tok.Header["kid"] = "k1"
	s, err := tok.SignedString([]byte("0123456789abcdef0123456789abcdefA"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestTokenLifetimeEnforcedAtVerification: a properly signed token whose exp lies beyond its
// role's maximum lifetime is refused, whatever signed it; one within the maximum passes.
func TestTokenLifetimeEnforcedAtVerification(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	year9999 := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	claims := func(role, sub string, iat, exp time.Time) jwt.MapClaims {
		c := jwt.MapClaims{"sub": sub, "role": role, "iss": "birlik", "exp": exp.Unix()}
		if !iat.IsZero() {
			c["iat"] = iat.Unix()
		}
		return c
	}
	life, err := auth.ParseLifetimes("analyst=2h")
	if err != nil {
		t.Fatal(err)
	}
	tk, err := auth.NewTokens(mustKeys(t, "k1:"+secretA), func() time.Time { return now }, auth.WithLifetimes(life))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		token   string
		wantMsg string // empty: accepted
	}{
		{"citizen, exp in the year 9999", signed(t, claims("citizen", citizenIIN, now, year9999)), "longer than the citizen role's maximum token lifetime of 1h"},
		{"admin, exp in the year 9999", signed(t, claims("admin", "root", now, year9999)), "longer than the admin role's maximum token lifetime of 1h"},
		{"citizen, one hour", signed(t, claims("citizen", citizenIIN, now, now.Add(time.Hour))), ""},
		{"citizen, an hour and a second", signed(t, claims("citizen", citizenIIN, now, now.Add(time.Hour+time.Second))), "maximum token lifetime of 1h"},
		{"caseworker's default 12h", signed(t, jwt.MapClaims{"sub": "o7", "role": "caseworker", "regions": []string{"710000000"}, "iss": "birlik", "iat": now.Unix(), "exp": now.Add(12 * time.Hour).Unix()}), ""},
		{"analyst within the configured 2h", signed(t, claims("analyst", "a1", now.Add(-time.Hour), now.Add(time.Hour))), ""},
		{"analyst past the configured 2h", signed(t, claims("analyst", "a1", now, now.Add(3*time.Hour))), "analyst role's maximum token lifetime of 2h"},
		{"backdated iat, exp far ahead", signed(t, claims("analyst", "a1", now.Add(-time.Hour), now.Add(5*time.Hour))), "maximum token lifetime of 2h"},
		{"no iat", signed(t, claims("analyst", "a1", time.Time{}, now.Add(time.Hour))), "no issue time (iat)"},
		{"iat in the future", signed(t, claims("analyst", "a1", now.Add(5*time.Minute), now.Add(time.Hour))), "issued in the future"},
		{"iat within the clock skew", signed(t, claims("analyst", "a1", now.Add(10*time.Second), now.Add(time.Hour))), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tk.Authenticate(context.Background(), tc.token)
			if tc.wantMsg == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if apperr.CodeOf(err) != apperr.Unauthenticated || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("err = %v (code %s), want UNAUTHENTICATED containing %q", err, apperr.CodeOf(err), tc.wantMsg)
			}
		})
	}
}

func TestIssueRefusesPastTheRoleMaximum(t *testing.T) {
	t.Parallel()
	tk, err := auth.NewTokens(mustKeys(t, "k1:"+secretA), nil)
	if err != nil {
		t.Fatal(err)
	}
	citizen := auth.Identity{Role: "citizen", Subject: citizenIIN, Client: "egov"}
	if _, err := tk.Issue(citizen, 2*time.Hour); err == nil || !strings.Contains(err.Error(), "longer than the citizen role's maximum of 1h") {
		t.Fatalf("2h citizen token: err = %v, want a refusal naming the role's maximum", err)
	}
	s, err := tk.Issue(citizen, time.Hour)
	if err != nil {
		t.Fatalf("1h citizen token: %v", err)
	}
	if _, err := tk.Authenticate(context.Background(), s); err != nil {
		t.Fatalf("the issued 1h token is refused: %v", err)
	}
	if got := tk.MaxLifetime("caseworker"); got != 12*time.Hour {
		t.Errorf("caseworker maximum %v, want the default 12h", got)
	}
}

func TestParseLifetimes(t *testing.T) {
	t.Parallel()
	l, err := auth.ParseLifetimes(" citizen=30m ; inspector=8h ")
	if err != nil {
		t.Fatal(err)
	}
	if l.Max("citizen") != 30*time.Minute || l.Max("inspector") != 8*time.Hour || l.Max("admin") != time.Hour {
		t.Errorf("lifetimes %s", l)
	}
	if got, want := auth.DefaultLifetimes().String(), "citizen=1h;caseworker=12h;analyst=12h;inspector=12h;health=12h;admin=1h"; got != want {
		t.Errorf("defaults %s, want %s", got, want)
	}
	for in, want := range map[string]string{
		"root=1h":       "with a role of",
		"citizen":       "want role=DURATION",
		"citizen=soon":  "not a duration",
		"citizen=10s":   "from 1m to 720h",
		"citizen=9999h": "from 1m to 720h",
		"citizen=90.5s": "whole seconds",
	} {
		if _, err := auth.ParseLifetimes(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseLifetimes(%q) = %v, want an error containing %q", in, err, want)
		}
	}
}
