package auth

// Signed bearer tokens (JWT, github.com/golang-jwt/jwt/v5): people sign in elsewhere and reach
// the gateway with a token naming their subject, role, region scope and expiry. The signing keys
// come from configuration; the first key signs, every key verifies, so keys rotate by putting
// the new key first and dropping the old one once its tokens have expired.

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/birlik/birlik/apperr"
	"github.com/birlik/birlik/domain"
)

// Issuer is the `iss` claim of the gateway's tokens; a token from another issuer is refused.
const Issuer = "birlik"

// MinHMACSecret is the shortest HS256 secret accepted, in bytes (RFC 7518 §3.2: at least the
// hash's size).
const MinHMACSecret = 32

// SigningKey is one configured token key: its id (the token header's `kid`), the algorithm, and
// the key material. A key without a private part (an Ed25519 public key) only verifies.
type SigningKey struct {
	ID     string
	Method jwt.SigningMethod
	sign   any // []byte for HS256, ed25519.PrivateKey for EdDSA; nil for verify-only keys
	verify any // []byte for HS256, ed25519.PublicKey for EdDSA
}

// CanSign reports whether the key has the private material to sign tokens.
func (k SigningKey) CanSign() bool { return k.sign != nil }

// String names the key without its secret.
func (k SigningKey) String() string { return k.ID + ":" + k.Method.Alg() }

// NewHMACKey returns an HS256 key.
func NewHMACKey(id string, secret []byte) SigningKey {
	return SigningKey{ID: id, Method: jwt.SigningMethodHS256, sign: secret, verify: secret}
}

// NewEd25519Key returns an EdDSA key that signs and verifies.
func NewEd25519Key(id string, priv ed25519.PrivateKey) SigningKey {
	return SigningKey{ID: id, Method: jwt.SigningMethodEdDSA, sign: priv, verify: priv.Public()}
}

// ParseSigningKeys reads BIRLIK_JWT_KEYS: a comma-separated list of
//
//	kid:BASE64SECRET            an HS256 secret of at least 32 bytes
//	kid:ed25519:BASE64SEED      an Ed25519 private key (32-byte seed or 64-byte key): signs, verifies
//	kid:ed25519-pub:BASE64KEY   an Ed25519 public key: verifies only
//
// The first key signs the tokens the gateway issues; every key verifies. Secrets are never
// echoed in errors.
func ParseSigningKeys(s string) ([]SigningKey, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var keys []SigningKey
	seen := map[string]int{}
	for i, entry := range strings.Split(s, ",") {
		n := i + 1
		parts := strings.Split(strings.TrimSpace(entry), ":")
		var k SigningKey
		switch {
		case len(parts) == 2:
			secret, err := decodeB64(parts[1])
			if err != nil {
				return nil, fmt.Errorf("entry %d (kid %q): the secret is not base64: %v", n, parts[0], err)
			}
			if len(secret) < MinHMACSecret {
				return nil, fmt.Errorf("entry %d (kid %q): the secret is %d bytes; use at least %d random bytes (e.g. openssl rand -base64 32)", n, parts[0], len(secret), MinHMACSecret)
			}
			k = NewHMACKey(parts[0], secret)
		case len(parts) == 3 && parts[1] == "ed25519":
			raw, err := decodeB64(parts[2])
			if err != nil {
				return nil, fmt.Errorf("entry %d (kid %q): the Ed25519 key is not base64: %v", n, parts[0], err)
			}
			switch len(raw) {
			case ed25519.SeedSize:
				k = NewEd25519Key(parts[0], ed25519.NewKeyFromSeed(raw))
			case ed25519.PrivateKeySize:
				k = NewEd25519Key(parts[0], ed25519.PrivateKey(raw))
			default:
				return nil, fmt.Errorf("entry %d (kid %q): an Ed25519 private key is a %d-byte seed or %d bytes, not %d", n, parts[0], ed25519.SeedSize, ed25519.PrivateKeySize, len(raw))
			}
		case len(parts) == 3 && parts[1] == "ed25519-pub":
			raw, err := decodeB64(parts[2])
			if err != nil || len(raw) != ed25519.PublicKeySize {
				return nil, fmt.Errorf("entry %d (kid %q): an Ed25519 public key is %d bytes of base64", n, parts[0], ed25519.PublicKeySize)
			}
			k = SigningKey{ID: parts[0], Method: jwt.SigningMethodEdDSA, verify: ed25519.PublicKey(raw)}
		default:
			return nil, fmt.Errorf("entry %d: want kid:BASE64SECRET, kid:ed25519:BASE64SEED or kid:ed25519-pub:BASE64KEY", n)
		}
		if k.ID == "" {
			return nil, fmt.Errorf("entry %d: the key id (kid) is empty; name the key, e.g. 2026-01", n)
		}
		if prev, dup := seen[k.ID]; dup {
			return nil, fmt.Errorf("entries %d and %d have the same key id %q; every key needs its own", prev, n, k.ID)
		}
		seen[k.ID] = n
		keys = append(keys, k)
	}
	if !keys[0].CanSign() {
		return nil, fmt.Errorf("the first key (kid %q) signs tokens, so it needs a secret or private key, not a public key", keys[0].ID)
	}
	return keys, nil
}

func decodeB64(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	_, err := base64.StdEncoding.DecodeString(s)
	return nil, err
}

// DemoJWTKeyFile is the file in the data folder that keeps the embedded default's token key.
const DemoJWTKeyFile = "jwt-key"

// LoadOrCreateDemoJWTKey returns the embedded default's HS256 token key, kept in
// dir/jwt-key (as kid:BASE64SECRET) so tokens issued by `birlik token` stay valid across
// restarts; it creates a random one on first use.
func LoadOrCreateDemoJWTKey(dir string) (SigningKey, error) {
	path := filepath.Join(dir, DemoJWTKeyFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		keys, err := ParseSigningKeys(strings.TrimSpace(string(b)))
		if err != nil || len(keys) != 1 {
			return SigningKey{}, fmt.Errorf("token key in %s is not one kid:BASE64SECRET (%v): delete the file to get a new one", path, err)
		}
		return keys[0], nil
	case !errors.Is(err, fs.ErrNotExist):
		return SigningKey{}, fmt.Errorf("reading the token key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return SigningKey{}, fmt.Errorf("creating the data folder for the token key: %w", err)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return SigningKey{}, fmt.Errorf("making a token key: %w", err)
	}
	id := "demo-" + time.Now().UTC().Format("20060102")
	line := id + ":" + base64.StdEncoding.EncodeToString(secret)
	if err := os.WriteFile(path, []byte(line+"\n"), 0o600); err != nil {
		return SigningKey{}, fmt.Errorf("writing the token key: %w", err)
	}
	return NewHMACKey(id, secret), nil
}

// claims are the gateway's token claims: the registered ones (sub, exp, iat, iss, nbf, jti)
// and the caller's role, client and region scope.
type claims struct {
	Role    string   `json:"role"`
	Client  string   `json:"client,omitempty"`
	Regions []string `json:"regions,omitempty"`
	jwt.RegisteredClaims
}

// Tokens issues and verifies the gateway's signed tokens. It implements Authenticator:
// a credential that is not shaped like a JWT is ErrUnknownCredential (an API key, perhaps);
// a JWT that fails is an UNAUTHENTICATED error saying why (expired, malformed, wrongly signed,
// unknown key id, bad claims).
type Tokens struct {
	keys   []SigningKey
	byID   map[string]SigningKey
	parser *jwt.Parser
	now    func() time.Time
	life   Lifetimes
}

// TokenOption configures Tokens.
type TokenOption func(*Tokens)

// WithLifetimes sets the maximum token lifetime of each role (BIRLIK_TOKEN_MAX_TTL); without it
// the roles have DefaultLifetimes.
func WithLifetimes(l Lifetimes) TokenOption {
	return func(t *Tokens) {
		if l != nil {
			t.life = l
		}
	}
}

// NewTokens returns Tokens over keys (the first signs). now is the clock (nil: time.Now).
func NewTokens(keys []SigningKey, now func() time.Time, opts ...TokenOption) (*Tokens, error) {
	if len(keys) == 0 {
		return nil, errors.New("no token keys: set BIRLIK_JWT_KEYS (kid:BASE64SECRET,…)")
	}
	if !keys[0].CanSign() {
		return nil, fmt.Errorf("the first token key %q cannot sign", keys[0].ID)
	}
	if now == nil {
		now = time.Now
	}
	t := &Tokens{keys: keys, byID: map[string]SigningKey{}, now: now, life: DefaultLifetimes()}
	for _, o := range opts {
		o(t)
	}
	methods := map[string]bool{}
	for _, k := range keys {
		t.byID[k.ID] = k
		methods[k.Method.Alg()] = true
	}
	var algs []string
	for a := range methods {
		algs = append(algs, a)
	}
	t.parser = jwt.NewParser(
		jwt.WithValidMethods(algs),
		jwt.WithIssuer(Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(ClockSkew),
		jwt.WithTimeFunc(now),
	)
	return t, nil
}

// MaxTTL is the longest lifetime any role's tokens may be given.
const MaxTTL = 30 * 24 * time.Hour

// MaxLifetime returns the longest lifetime a token of role may have.
func (t *Tokens) MaxLifetime(role string) time.Duration { return t.life.Max(role) }

// Issue returns a token for id, valid for ttl, signed with the first key. ttl may not exceed
// the maximum of id's role.
func (t *Tokens) Issue(id Identity, ttl time.Duration) (string, error) {
	if err := checkIdentity(id); err != nil {
		return "", err
	}
	if ttl <= 0 {
		return "", fmt.Errorf("token lifetime %v: want a positive duration such as 1h", ttl)
	}
	if limit := t.life.Max(id.Role); ttl > limit {
		return "", fmt.Errorf("token lifetime %s is longer than the %s role's maximum of %s (BIRLIK_TOKEN_MAX_TTL): ask for at most %s", FormatDuration(ttl), id.Role, FormatDuration(limit), FormatDuration(limit))
	}
	now := t.now()
	c := claims{
		Role:   id.Role,
		Client: id.Client,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Subject:   id.Subject,
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
	}
	for _, r := range id.Regions {
		c.Regions = append(c.Regions, string(r))
	}
	k := t.keys[0]
	tok := jwt.NewWithClaims(k.Method, c)
	tok.Header["kid"] = k.ID
	s, err := tok.SignedString(k.sign)
	if err != nil {
		return "", fmt.Errorf("signing a token with key %s: %w", k, err)
	}
	return s, nil
}

// checkIdentity refuses an identity a token may not carry.
func checkIdentity(id Identity) error {
	if !ValidRole(id.Role) {
		return fmt.Errorf("role %q is unknown; use one of %s", id.Role, strings.Join(Roles, ", "))
	}
	if strings.TrimSpace(id.Subject) == "" {
		return errors.New("the subject is empty: name the person (their IIN) or the system")
	}
	if id.Role == RoleCitizen {
		if _, err := domain.ParseIIN(id.Subject); err != nil {
			return fmt.Errorf("a citizen's subject is their IIN: %w", err)
		}
	}
	if id.Role == RoleCaseworker && id.AllRegions() {
		return errors.New("a caseworker works in a region: give their region's KATO code")
	}
	return nil
}

// LooksLikeJWT reports whether credential has the shape of a compact JWS (three base64url parts).
func LooksLikeJWT(credential string) bool {
	return strings.Count(credential, ".") == 2 && !strings.ContainsAny(credential, " \t")
}

// Authenticate implements Authenticator.
func (t *Tokens) Authenticate(_ context.Context, credential string) (Identity, error) {
	if !LooksLikeJWT(credential) {
		return Identity{}, ErrUnknownCredential
	}
	var c claims
	_, err := t.parser.ParseWithClaims(credential, &c, t.keyFor)
	if err != nil {
		return Identity{}, t.explain(err, &c)
	}
	id := Identity{Subject: c.Subject, Role: c.Role, Client: c.Client}
	if id.Client == "" {
		id.Client = "token"
	}
	for _, r := range c.Regions {
		k, err := domain.ParseKATO(r)
		if err != nil {
			return Identity{}, apperr.New(apperr.Unauthenticated, "the token's region scope is invalid: %v", err)
		}
		id.Regions = append(id.Regions, k)
	}
	if err := checkIdentity(id); err != nil {
		return Identity{}, apperr.New(apperr.Unauthenticated, "the token's claims are not acceptable: %v", err)
	}
	if err := t.checkLifetime(&c); err != nil {
		return Identity{}, err
	}
	return id, nil
}

// checkLifetime refuses a token that lives longer than its role allows: its whole lifetime
// (exp - iat) and the time it has left (exp - now) must each be within the role's maximum, and
// it must say when it was issued (iat, which the parser has checked is not in the future).
func (t *Tokens) checkLifetime(c *claims) *apperr.Error {
	limit := t.life.Max(c.Role)
	if c.IssuedAt == nil {
		return apperr.New(apperr.Unauthenticated, "the token has no issue time (iat): the gateway bounds a %s token's lifetime to %s and needs iat to do so; ask for a new token", c.Role, FormatDuration(limit))
	}
	iat, exp := c.IssuedAt.Time, c.ExpiresAt.Time
	if exp.After(iat.Add(limit)) {
		return apperr.New(apperr.Unauthenticated, "the token lives from %s to %s, longer than the %s role's maximum token lifetime of %s (BIRLIK_TOKEN_MAX_TTL): ask for a new token of at most %s",
			iat.UTC().Format(time.RFC3339), exp.UTC().Format(time.RFC3339), c.Role, FormatDuration(limit), FormatDuration(limit))
	}
	if now := t.now(); exp.After(now.Add(limit + ClockSkew)) {
		return apperr.New(apperr.Unauthenticated, "the token is valid until %s, more than the %s role's maximum token lifetime of %s from now (BIRLIK_TOKEN_MAX_TTL): ask for a new token of at most %s",
			exp.UTC().Format(time.RFC3339), c.Role, FormatDuration(limit), FormatDuration(limit))
	}
	return nil
}

var errUnknownKid = errors.New("unknown key id")

func (t *Tokens) keyFor(tok *jwt.Token) (any, error) {
	kid, _ := tok.Header["kid"].(string)
	k, ok := t.byID[kid]
	if !ok {
		return nil, fmt.Errorf("%w %q", errUnknownKid, kid)
	}
	if tok.Method.Alg() != k.Method.Alg() {
		return nil, fmt.Errorf("key %q is for %s, the token says %s", kid, k.Method.Alg(), tok.Method.Alg())
	}
	return k.verify, nil
}

// explain turns a parse error into an UNAUTHENTICATED error that says what is wrong.
func (t *Tokens) explain(err error, c *claims) *apperr.Error {
	msg := func(format string, args ...any) *apperr.Error {
		return apperr.Wrap(apperr.Unauthenticated, err, format, args...)
	}
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return msg("the token is malformed (not a signed JWT the gateway can read): copy it whole, or ask for a new one")
	case errors.Is(err, errUnknownKid):
		return msg("the token is signed with a key id (kid) this gateway does not know: it was issued elsewhere or its key was retired; ask for a new token")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable), errors.Is(err, jwt.ErrSignatureInvalid):
		return msg("the token is wrongly signed: its signature does not verify with the gateway's keys")
	case errors.Is(err, jwt.ErrTokenExpired):
		at := "an unknown time"
		if c.ExpiresAt != nil {
			at = c.ExpiresAt.UTC().Format(time.RFC3339)
		}
		return msg("the token expired at %s: ask for a new one", at)
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return msg("the token is not valid yet (issued in the future): check the issuer's clock")
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return msg("the token was issued by %q, not by %q", c.Issuer, Issuer)
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return msg("the token lacks a required claim (exp): ask for a new one")
	}
	return msg("the token is not valid: %v", err)
}
