package cursor_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"entgo.io/contrib/entgql"

	"github.com/birlik/birlik/apperr"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/graph/cursor"
)

func sealer(t *testing.T, fill byte) *cursor.Sealer {
	t.Helper()
	s, err := cursor.NewSealer(bytes.Repeat([]byte{fill}, cursor.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// marshal writes c as the Cursor scalar would, with s in the context.
func marshal(t *testing.T, s *cursor.Sealer, c entgql.Cursor[int]) string {
	t.Helper()
	var b bytes.Buffer
	if err := cursor.MarshalCursor(c).MarshalGQLContext(cursor.NewContext(context.Background(), s), &b); err != nil {
		t.Fatal(err)
	}
	tok, err := strconv.Unquote(b.String())
	if err != nil {
		t.Fatalf("cursor %s is not a JSON string: %v", b.String(), err)
	}
	return tok
}

func TestCursorRoundTripsAndHidesItsValue(t *testing.T) {
	s := sealer(t, 1)
	ctx := cursor.NewContext(context.Background(), s)
	const iin = "310116406125"
	c := entgql.Cursor[int]{ID: 4294967301, Value: iin}
	tok := marshal(t, s, c)
	if strings.Contains(tok, iin) {
		t.Fatalf("cursor %q shows the IIN", tok)
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		t.Fatalf("cursor %q is not base64url: %v", tok, err)
	}
	if bytes.Contains(raw, []byte(iin)) || bytes.Contains(raw, []byte("3101")) {
		t.Fatalf("cursor %q decodes to bytes containing the IIN", tok)
	}
	// entgql's own encoding (base64 of msgpack) must not read it either.
	var plain entgql.Cursor[int]
	if err := plain.UnmarshalGQL(tok); err == nil && plain.Value == iin {
		t.Fatalf("entgql decodes the sealed cursor to its value")
	}
	got, err := cursor.UnmarshalCursor(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != c.ID || got.Value != iin {
		t.Fatalf("round trip: got %+v, want %+v", got, c)
	}
	// One position, one cursor: an edge's cursor equals the page's endCursor.
	if again := marshal(t, s, c); again != tok {
		t.Fatalf("the same cursor sealed twice differs: %q, %q", tok, again)
	}
	if other := marshal(t, s, entgql.Cursor[int]{ID: 4294967302, Value: iin}); other == tok {
		t.Fatal("two positions got one cursor")
	}
}

func TestCursorValuesKeepTheirStoreForm(t *testing.T) {
	// A date is compared with its column as the text the store holds, so the cursor keeps
	// that text (msgpack alone would write it as bytes); a null date stays null.
	s := sealer(t, 4)
	ctx := cursor.NewContext(context.Background(), s)
	var none *domain.Date
	d := domain.MustDate("1985-07-01")
	for _, c := range []struct {
		value, want any
	}{
		{d, "1985-07-01"},
		{&d, "1985-07-01"},
		{none, nil},
		{[]any{d, "Сейтов", none}, []any{"1985-07-01", "Сейтов", nil}},
		{"310116406125", "310116406125"},
	} {
		got, err := cursor.UnmarshalCursor(ctx, marshal(t, s, entgql.Cursor[int]{ID: 5, Value: c.value}))
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%#v", got.Value) != fmt.Sprintf("%#v", c.want) {
			t.Errorf("value %#v came back as %#v, want %#v", c.value, got.Value, c.want)
		}
	}
}

func TestRefusedCursorsAreBadInput(t *testing.T) {
	s := sealer(t, 1)
	ctx := cursor.NewContext(context.Background(), s)
	tok := marshal(t, s, entgql.Cursor[int]{ID: 7, Value: "Иванов"})
	raw, _ := base64.RawURLEncoding.DecodeString(tok)

	flipped := func(i int) string {
		b := bytes.Clone(raw)
		b[i] ^= 0x01
		return base64.RawURLEncoding.EncodeToString(b)
	}
	var plainEntgql bytes.Buffer
	entgql.Cursor[int]{ID: 7, Value: "Иванов"}.MarshalGQL(&plainEntgql)
	cases := map[string]any{
		"another key":           marshal(t, sealer(t, 2), entgql.Cursor[int]{ID: 7, Value: "Иванов"}),
		"truncated":             tok[:len(tok)-4],
		"very short":            tok[:6],
		"first byte changed":    flipped(0),
		"middle byte changed":   flipped(len(raw) / 2),
		"last byte changed":     flipped(len(raw) - 1),
		"not base64":            "%%%not base64%%%",
		"empty":                 "",
		"entgql's plain cursor": strings.Trim(plainEntgql.String(), `"`),
		"a number":              42,
		"another kind":          s.Seal("myDataAccess", []byte("12")),
	}
	for name, v := range cases {
		_, err := cursor.UnmarshalCursor(ctx, v)
		if apperr.CodeOf(err) != apperr.BadInput {
			t.Errorf("%s: error %v (code %q), want BAD_INPUT", name, err, apperr.CodeOf(err))
			continue
		}
		if s, ok := v.(string); ok && s != "" && !strings.Contains(err.Error(), "not one this gateway issued") {
			t.Errorf("%s: message %q does not say the cursor is not one this gateway issued", name, err)
		}
	}
}

func TestKindsDoNotMix(t *testing.T) {
	s := sealer(t, 3)
	tok := s.Seal("myDataAccess", []byte("42"))
	if b, err := s.Open("myDataAccess", tok); err != nil || string(b) != "42" {
		t.Fatalf("Open = %q, %v", b, err)
	}
	if _, err := s.Open("welfareTransitions", tok); apperr.CodeOf(err) != apperr.BadInput {
		t.Fatalf("a cursor of another kind opened: %v", err)
	}
}

func TestNoSealerInContextIsNotBadInput(t *testing.T) {
	// A wiring fault is ours, not the client's: it must not read as BAD_INPUT.
	if _, err := cursor.UnmarshalCursor(context.Background(), "abc"); err == nil || apperr.CodeOf(err) != apperr.Internal {
		t.Fatalf("no sealer: %v, want an internal error", err)
	}
	var b bytes.Buffer
	if err := cursor.MarshalCursor(entgql.Cursor[int]{ID: 1}).MarshalGQLContext(context.Background(), &b); err == nil {
		t.Fatal("marshal without a sealer succeeded")
	}
}

func TestKeys(t *testing.T) {
	if _, err := cursor.NewSealer(make([]byte, 16)); err == nil {
		t.Error("a 16-byte key was accepted")
	}
	k := bytes.Repeat([]byte{9}, 32)
	for _, s := range []string{base64.StdEncoding.EncodeToString(k), base64.RawStdEncoding.EncodeToString(k), " " + base64.StdEncoding.EncodeToString(k) + "\n"} {
		got, err := cursor.ParseKey(s)
		if err != nil || !bytes.Equal(got, k) {
			t.Errorf("ParseKey(%q) = %x, %v", s, got, err)
		}
	}
	for _, s := range []string{"not base64!", base64.StdEncoding.EncodeToString(make([]byte, 31)), base64.StdEncoding.EncodeToString(make([]byte, 64))} {
		if _, err := cursor.ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) accepted", s)
		}
	}

	dir := filepath.Join(t.TempDir(), "data")
	first, err := cursor.LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	second, err := cursor.LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) || len(first) != cursor.KeySize {
		t.Fatalf("the kept key changed between loads: %x, %x", first, second)
	}
	other, err := cursor.LoadOrCreateKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(first, other) {
		t.Fatal("two data folders got the same key")
	}
	fi, err := os.Stat(filepath.Join(dir, cursor.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("key file mode %v: readable by others", fi.Mode().Perm())
	}
	if err := os.WriteFile(filepath.Join(dir, cursor.KeyFile), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := cursor.LoadOrCreateKey(dir); err == nil || !strings.Contains(err.Error(), "delete the file") {
		t.Fatalf("a damaged key file: %v, want an error saying to delete it", err)
	}
}
