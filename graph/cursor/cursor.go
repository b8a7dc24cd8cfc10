// Package cursor makes the gateway's pagination cursors opaque: every cursor a client receives
// is sealed with authenticated encryption (AES-256-GCM) under the gateway's cursor key, so it
// carries no readable data (an entgql cursor holds the value of the ordering field: an IIN, a
// name, a birth date) and a cursor the gateway did not issue, or one changed in any byte, is
// refused with BAD_INPUT instead of being decoded.
//
// The key travels in the request context (NewContext, put there by the HTTP layer), never in a
// package variable, so two gateways in one process keep their own keys. The GraphQL scalar
// `Cursor` is mapped in gqlgen.yml to MarshalCursor/UnmarshalCursor, which seal and open
// entgql's cursors; hand-made cursors (String fields) use Seal and Open with a kind of their
// own, so that a cursor of one list is refused by another.
package cursor

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/birlik/birlik/apperr"
)

// KeySize is the length of a cursor key in bytes (AES-256).
const KeySize = 32

// Kinds of cursor: the kind is authenticated with the cursor, so a cursor of one kind never
// opens as another.
const (
	KindConnection = "connection" // entgql's connection cursors (the Cursor scalar)
)

// Sealer seals and opens cursors under one key. It is safe for concurrent use.
type Sealer struct {
	aead     cipher.AEAD
	nonceKey []byte
}

// NewSealer returns a Sealer for a KeySize-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("a cursor key is %d bytes, not %d", KeySize, len(key))
	}
	// Two keys from the one configured: one encrypts, one derives the nonces.
	block, err := aes.NewCipher(derive(key, "birlik cursor encryption"))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead, nonceKey: derive(key, "birlik cursor nonce")}, nil
}

func derive(key []byte, label string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// Seal returns plain sealed as a cursor of kind: URL-safe base64 (no padding) of the nonce and
// the ciphertext with its tag. The nonce is an HMAC of kind and plain, so one position of a
// list always gets the same cursor (an edge's cursor equals the page's endCursor) and a nonce
// is never reused for different contents.
func (s *Sealer) Seal(kind string, plain []byte) string {
	m := hmac.New(sha256.New, s.nonceKey)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write(plain)
	nonce := m.Sum(nil)[:s.aead.NonceSize()]
	out := s.aead.Seal(nonce, nonce, plain, []byte(kind))
	return base64.RawURLEncoding.EncodeToString(out)
}

// Open returns what Seal sealed into token as a cursor of kind. A token that is not base64, too
// short, sealed under another key or as another kind, or changed in any byte is an apperr
// BAD_INPUT error saying so.
func (s *Sealer) Open(kind, token string) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) < s.aead.NonceSize()+s.aead.Overhead() {
		return nil, refused(token)
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, b[:n], b[n:], []byte(kind))
	if err != nil {
		return nil, refused(token)
	}
	return plain, nil
}

// ErrNotIssued is the cause of every refused cursor.
var ErrNotIssued = errors.New("cursor not issued by this gateway")

func refused(token string) error {
	shown := token
	if len(shown) > 40 {
		shown = shown[:40] + "…"
	}
	return apperr.Wrap(apperr.BadInput, ErrNotIssued,
		"cursor %q is not one this gateway issued (or it was changed, or issued under another cursor key): pass the endCursor or startCursor of the previous page as it was given", shown)
}

type ctxKey struct{}

// NewContext returns ctx carrying s, the sealer of the request's cursors.
func NewContext(ctx context.Context, s *Sealer) context.Context {
	return context.WithValue(ctx, ctxKey{}, s)
}

// FromContext returns the sealer NewContext put in ctx, or nil.
func FromContext(ctx context.Context) *Sealer {
	s, _ := ctx.Value(ctxKey{}).(*Sealer)
	return s
}

// Middleware puts s in every request's context.
func Middleware(s *Sealer) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), s)))
		})
	}
}

// errNoSealer is a wiring fault: the request's context carries no cursor key.
var errNoSealer = errors.New("no cursor key in the request context (cursor.NewContext)")

// Seal seals plain as a cursor of kind with the sealer in ctx.
func Seal(ctx context.Context, kind string, plain []byte) (string, error) {
	s := FromContext(ctx)
	if s == nil {
		return "", errNoSealer
	}
	return s.Seal(kind, plain), nil
}

// Open opens a cursor of kind with the sealer in ctx (see Sealer.Open).
func Open(ctx context.Context, kind, token string) ([]byte, error) {
	s := FromContext(ctx)
	if s == nil {
		return nil, errNoSealer
	}
	return s.Open(kind, token)
}

// MarshalCursor writes an entgql cursor (its msgpack form, as entgql encodes it) sealed with the
// sealer in the context: the GraphQL scalar Cursor.
func MarshalCursor(c entgql.Cursor[int]) graphql.ContextMarshaler {
	return graphql.ContextWriterFunc(func(ctx context.Context, w io.Writer) error {
		v, err := storeForm(c.Value)
		if err != nil {
			return fmt.Errorf("encoding a cursor's value: %w", err)
		}
		c.Value = v
		plain, err := msgpack.Marshal(c)
		if err != nil {
			return fmt.Errorf("encoding a cursor: %w", err)
		}
		token, err := Seal(ctx, KindConnection, plain)
		if err != nil {
			return err
		}
		_, err = io.WriteString(w, strconv.Quote(token))
		return err
	})
}

// storeForm returns a cursor's value (one value, or one per ordering field) with every value
// that has a database form (domain.Date) in that form: msgpack writes a text marshaler's text
// as bytes, which the store compares as a blob, not as the column's text, and the page after
// such a cursor comes out wrong.
func storeForm(v any) (any, error) {
	switch v := v.(type) {
	case driver.Valuer:
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
			return nil, nil // a null column (an optional date)
		}
		return v.Value()
	case []any:
		out := make([]any, len(v))
		for i := range v {
			var err error
			if out[i], err = storeForm(v[i]); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return v, nil
}

// UnmarshalCursor reads a cursor MarshalCursor wrote; anything else is BAD_INPUT.
func UnmarshalCursor(ctx context.Context, v any) (entgql.Cursor[int], error) {
	var c entgql.Cursor[int]
	token, ok := v.(string)
	if !ok {
		return c, apperr.New(apperr.BadInput, "a Cursor is a string (the endCursor or startCursor of the previous page), not %T", v)
	}
	plain, err := Open(ctx, KindConnection, token)
	if err != nil {
		return c, err
	}
	if err := msgpack.Unmarshal(plain, &c); err != nil {
		// Only a sealed cursor of another build's format gets here.
		return c, apperr.Wrap(apperr.BadInput, err, "cursor %q is not one this version of the gateway reads: start again from the first page", token)
	}
	return c, nil
}
