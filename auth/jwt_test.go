package auth_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/birlik/birlik/apperr"
	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/domain"
)

var (
	secretA = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdefA"))
	secretB = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdefB"))
	seed    = base64.StdEncoding.EncodeToString(make([]byte, ed25519.SeedSize))
)

func mustKeys(t *testing.T, s string) []auth.SigningKey {
	t.Helper()
	k, err := auth.ParseSigningKeys(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParseSigningKeys(t *testing.T) {
	t.Parallel()
	pub := base64.StdEncoding.EncodeToString(ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey))
	tests := []struct {
		name     string
		in       string
		wantAlgs []string
		wantErr  string
	}{
		{name: "empty", in: ""},
		{name: "hmac", in: "k1:" + secretA, wantAlgs: []string{"HS256"}},
		{name: "rotation", in: "k2:" + secretB + ",k1:" + secretA, wantAlgs: []string{"HS256", "HS256"}},
		{name: "ed25519 and public", in: "e1:ed25519:" + seed + ",e0:ed25519-pub:" + pub, wantAlgs: []string{"EdDSA", "EdDSA"}},
		{name: "short secret", in: "k1:" + base64.StdEncoding.EncodeToString([]byte("short")), wantErr: "the secret is 5 bytes; use at least 32"},
		{name: "not base64", in: "k1:!!!", wantErr: "not base64"},
		{name: "public first", in: "e0:ed25519-pub:" + pub, wantErr: "the first key (kid \"e0\") signs tokens"},
		{name: "duplicate kid", in: "k1:" + secretA + ",k1:" + secretB, wantErr: "same key id"},
		{name: "bad shape", in: "k1:a:b:c", wantErr: "want kid:BASE64SECRET"},
		{name: "bad seed size", in: "e1:ed25519:" + secretA, wantErr: "an Ed25519 private key is a 32-byte seed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			keys, err := auth.ParseSigningKeys(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), secretA) {
					t.Error("the error echoes the secret")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var algs []string
			for _, k := range keys {
				algs = append(algs, k.Method.Alg())
			}
			if !slices.Equal(algs, tc.wantAlgs) {
				t.Errorf("algorithms %v, want %v", algs, tc.wantAlgs)
			}
		})
	}
}

const citizenIIN = "900101300017"

func TestTokensAuthenticate(t *testing.T) {
	t.Parallel()
	if _, err := domain.ParseIIN(citizenIIN); err != nil {
		t.Fatalf("test IIN: %v", err)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	old := mustKeys(t, "k1:"+secretA)
	rotated := mustKeys(t, "k2:"+secretB+",k1:"+secretA)
	other := mustKeys(t, "k1:"+secretB) // same kid, other secret
	ed := mustKeys(t, "e1:ed25519:"+seed)

	issue := func(keys []auth.SigningKey, id auth.Identity, ttl time.Duration, at time.Time) string {
		t.Helper()
		tk, err := auth.NewTokens(keys, func() time.Time { return at })
		if err != nil {
			t.Fatal(err)
		}
		s, err := tk.Issue(id, ttl)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	citizen := auth.Identity{Role: "citizen", Subject: citizenIIN, Client: "egov"}
	caseworker := auth.Identity{Role: "caseworker", Subject: "officer-7", Client: "akimat", Regions: []domain.KATO{"710000000"}}

	// A token signed with "none", and one with claims the gateway refuses, signed properly.
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "x", "role": "admin", "iss": "birlik", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	badRole := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "x", "role": "root", "iss": "birlik", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()})
	badRole.Header["kid"] = "k1"
	badRoleTok, _ := badRole.SignedString([]byte("0123456789abcdef0123456789abcdefA"))
	otherIss := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "x", "role": "admin", "iss": "elsewhere", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()})
	otherIss.Header["kid"] = "k1"
	otherIssTok, _ := otherIss.SignedString([]byte("0123456789abcdef0123456789abcdefA"))

	tests := []struct {
		name     string
		verify   []auth.SigningKey
		token    string
		want     auth.Identity
		wantMsg  string
		unknown  bool
		wantCode apperr.Code
	}{
		{name: "valid citizen", verify: old, token: issue(old, citizen, time.Hour, now), want: citizen},
		{name: "valid caseworker with region", verify: old, token: issue(old, caseworker, time.Hour, now), want: caseworker},
		{name: "ed25519", verify: ed, token: issue(ed, citizen, time.Hour, now), want: citizen},
		{name: "old key still verifies after rotation", verify: rotated, token: issue(old, citizen, time.Hour, now), want: citizen},
		{name: "new key verifies", verify: rotated, token: issue(rotated, citizen, time.Hour, now), want: citizen},
		{name: "retired key", verify: mustKeys(t, "k2:"+secretB), token: issue(old, citizen, time.Hour, now), wantMsg: "key id (kid) this gateway does not know"},
		{name: "expired", verify: old, token: issue(old, citizen, time.Hour, now.Add(-2*time.Hour)), wantMsg: "expired at 2026-03-01T11:00:00Z"},
		{name: "wrongly signed", verify: other, token: issue(old, citizen, time.Hour, now), wantMsg: "wrongly signed"},
		{name: "tampered payload", verify: old, token: tamper(issue(old, citizen, time.Hour, now)), wantMsg: "wrongly signed"},
		{name: "alg none", verify: old, token: none, wantMsg: "wrongly signed"},
		{name: "malformed", verify: old, token: "abc.def.ghi", wantMsg: "malformed"},
		{name: "unknown role", verify: old, token: badRoleTok, wantMsg: `role "root" is unknown`},
		{name: "other issuer", verify: old, token: otherIssTok, wantMsg: `issued by "elsewhere"`},
		{name: "not a JWT", verify: old, token: "0123456789abcdef-admin", unknown: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tk, err := auth.NewTokens(tc.verify, clock)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tk.Authenticate(context.Background(), tc.token)
			switch {
			case tc.unknown:
				if err != auth.ErrUnknownCredential {
					t.Fatalf("err = %v, want ErrUnknownCredential so the next authenticator decides", err)
				}
			case tc.wantMsg != "":
				if apperr.CodeOf(err) != apperr.Unauthenticated || !strings.Contains(err.Error(), tc.wantMsg) {
					t.Fatalf("err = %v (code %s), want UNAUTHENTICATED containing %q", err, apperr.CodeOf(err), tc.wantMsg)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if got.Role != tc.want.Role || got.Subject != tc.want.Subject || got.Client != tc.want.Client || !slices.Equal(got.Regions, tc.want.Regions) {
					t.Errorf("identity %+v, want %+v", got, tc.want)
				}
			}
		})
	}
}

// tamper changes the payload's role to admin, keeping the signature.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = regexp.MustCompile(`"role":"[a-z]+"`).ReplaceAll(payload, []byte(`"role":"admin"`))
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}

func TestIssueRefuses(t *testing.T) {
	t.Parallel()
	tk, err := auth.NewTokens(mustKeys(t, "k1:"+secretA), nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		id      auth.Identity
		ttl     time.Duration
		wantErr string
	}{
		{"citizen without IIN", auth.Identity{Role: "citizen", Subject: "bob"}, time.Hour, "a citizen's subject is their IIN"},
		{"caseworker without region", auth.Identity{Role: "caseworker", Subject: "o1"}, time.Hour, "works in a region"},
		{"unknown role", auth.Identity{Role: "root", Subject: "o1"}, time.Hour, "unknown"},
		{"no subject", auth.Identity{Role: "admin"}, time.Hour, "subject is empty"},
		{"ttl too long", auth.Identity{Role: "admin", Subject: "o1"}, 365 * 24 * time.Hour, "at most"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tk.Issue(tc.id, tc.ttl); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestMiddlewareWithTokens: through the HTTP middleware, an API key and a token both pass and a
// bad token is a 401 that says why.
func TestMiddlewareWithTokens(t *testing.T) {
	t.Parallel()
	tk, err := auth.NewTokens(mustKeys(t, "k1:"+secretA), nil)
	if err != nil {
		t.Fatal(err)
	}
	keys := auth.NewAPIKeys([]auth.APIKey{{Key: adminKey, Role: "health", Client: "umis"}})
	h := auth.Middleware(auth.Chain{keys, tk}, slog.New(slog.DiscardHandler))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := auth.FromContext(r.Context())
		w.Write([]byte(id.Role))
	}))
	good, _ := tk.Issue(auth.Identity{Role: "analyst", Subject: "a1", Client: "stat"}, time.Minute)
	expired, _ := (func() (string, error) {
		past, _ := auth.NewTokens(mustKeys(t, "k1:"+secretA), func() time.Time { return time.Now().Add(-time.Hour) })
		return past.Issue(auth.Identity{Role: "analyst", Subject: "a1"}, time.Minute)
	})()
	for _, tc := range []struct {
		name, cred string
		status     int
		body       string
	}{
		{"api key carries its role", adminKey, 200, "health"},
		{"token", good, 200, "analyst"},
		{"expired token", expired, 401, "expired at"},
		{"wrongly signed token", tamper(good), 401, "wrongly signed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/query", nil)
			req.Header.Set("Authorization", "Bearer "+tc.cred)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.body) {
				t.Errorf("status %d body %s, want %d containing %q", rec.Code, rec.Body, tc.status, tc.body)
			}
		})
	}
}
