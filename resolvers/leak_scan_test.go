package resolvers_test

// The leak scanner's eyes: every IIN an answer holds, in the clear or hidden in an encoded
// string (a cursor, an ID, anything base64), with the path it was found at. See TestLeakScanner
// (leak_test.go) and docs/access.md, "The leak scanner".

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/birlik/birlik/domain"
)

// hit is one IIN found in an answer.
type hit struct {
	iin  domain.IIN
	path string // where in the answer: data.persons.edges.3.node.sourceKey, errors.0.message, header X-…
	how  string // "clear", or how it was hidden: "base64 std", "base64 url → msgpack uint64"…
}

// iinScanner finds IINs in text and bytes. known holds the IINs of the country's people: a
// window of a longer run of digits, or an integer in decoded bytes, counts only when it is one
// of them (a run of exactly 12 digits counts whenever it is a valid IIN). notIIN holds numbers
// that are valid IINs by their digits but are something else (organisations' BINs).
type iinScanner struct {
	known  map[domain.IIN]bool
	notIIN map[string]bool
}

// scanJSON walks a JSON document (an answer) and returns every IIN found in any key, string or
// number, decoded forms included, with its path under prefix.
func (s *iinScanner) scanJSON(prefix string, raw []byte) []hit {
	if len(raw) == 0 {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		// Not JSON: scan it as text, so that nothing escapes unread.
		return s.scanText(prefix, string(raw), "clear", 0)
	}
	var out []hit
	s.walk(prefix, v, &out)
	return out
}

func (s *iinScanner) walk(path string, v any, out *[]hit) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			*out = append(*out, s.scanText(path+".<key>", k, "clear", 0)...)
			s.walk(path+"."+k, x[k], out)
		}
	case []any:
		for i, e := range x {
			s.walk(path+"."+strconv.Itoa(i), e, out)
		}
	case string:
		*out = append(*out, s.scanText(path, x, "clear", 0)...)
	case json.Number:
		*out = append(*out, s.scanText(path, x.String(), "clear", 0)...)
	}
}

// base64s are the encodings tried on every run of base64 characters.
var base64s = []struct {
	name string
	enc  *base64.Encoding
}{
	{"base64 std", base64.StdEncoding},
	{"base64 url", base64.URLEncoding},
	{"base64 std raw", base64.RawStdEncoding},
	{"base64 url raw", base64.RawURLEncoding},
}

// scanText finds IINs in s: runs of digits, and every run of base64 characters long enough to
// hold 12 bytes that decodes under some encoding, whose bytes are scanned in turn (two levels).
func (s *iinScanner) scanText(path, text, how string, level int) []hit {
	out := s.scanBytes(path, []byte(text), how, level)
	return out
}

func (s *iinScanner) scanBytes(path string, b []byte, how string, level int) []hit {
	var out []hit
	seen := map[domain.IIN]bool{}
	add := func(v domain.IIN, h string) {
		if !seen[v] {
			seen[v] = true
			out = append(out, hit{iin: v, path: path, how: h})
		}
	}
	// Runs of ASCII digits.
	for i := 0; i < len(b); {
		if !isDigit(b[i]) {
			i++
			continue
		}
		j := i
		for j < len(b) && isDigit(b[j]) {
			j++
		}
		run := string(b[i:j])
		switch {
		case len(run) == 12:
			if _, err := domain.ParseIIN(run); err == nil && !s.notIIN[run] {
				add(domain.IIN(run), how)
			}
		case len(run) > 12:
			for k := 0; k+12 <= len(run); k++ {
				if w := domain.IIN(run[k : k+12]); s.known[w] {
					add(w, how+" (inside a longer number)")
				}
			}
		}
		i = j
	}
	if level > 0 {
		// Decoded bytes: an IIN sent as an integer (msgpack uint64/int64, or any 8-byte
		// big-endian word) of a known person.
		for i := 0; i+8 <= len(b); i++ {
			n := binary.BigEndian.Uint64(b[i : i+8])
			if n >= 1e11 && n < 1e12 {
				if v := domain.IIN(fmt.Sprintf("%012d", n)); s.known[v] {
					add(v, how+" → 64-bit integer")
				}
			}
		}
	}
	if level >= 2 {
		return out
	}
	for _, r := range base64Runs(b) {
		for _, e := range base64s {
			dec, err := e.enc.DecodeString(r)
			if err != nil || len(dec) < 8 {
				continue
			}
			for _, h := range s.scanBytes(path, dec, joinHow(how, e.name), level+1) {
				add(h.iin, h.how)
			}
		}
	}
	return out
}

func joinHow(how, step string) string {
	if how == "clear" {
		return step
	}
	return how + " → " + step
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isBase64Char(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || isDigit(c) || c == '+' || c == '/' || c == '-' || c == '_'
}

// base64Runs returns the maximal runs of base64 characters in b, with their padding, that could
// hold 12 bytes (16 characters or more). "=" ends a run, so that "k=<base64>" is read too.
func base64Runs(b []byte) []string {
	var out []string
	for i := 0; i < len(b); {
		if !isBase64Char(b[i]) {
			i++
			continue
		}
		j := i
		for j < len(b) && isBase64Char(b[j]) {
			j++
		}
		for k := 0; k < 2 && j < len(b) && b[j] == '='; k++ {
			j++
		}
		if j-i >= 16 {
			out = append(out, string(b[i:j]))
		}
		i = j
	}
	return out
}

// maskIIN is how the report shows an IIN: the first six digits, as the gateway masks it.
func maskIIN(v domain.IIN) string {
	if len(v) != 12 {
		return strings.Repeat("*", len(v))
	}
	return string(v[:6]) + "******"
}

// TestLeakScannerSees: the scanner finds an IIN in the clear, in a longer text, in a base64
// cursor of msgpack (string or integer), in URL-safe and unpadded base64, in object keys and
// numbers; and it ignores masked IINs, BINs, invalid check digits and other numbers. A scanner
// that misses these would let TestLeakScanner pass over real leaks.
func TestLeakScannerSees(t *testing.T) {
	valid := func(birth string, serial int) domain.IIN {
		for ; ; serial++ {
			if v, ok := domain.MakeIIN(domain.MustDate(birth), domain.Male, serial); ok {
				return v
			}
		}
	}
	iin, other := valid("1990-01-01", 17), valid("1985-03-12", 21)
	bad := iin[:11] + domain.IIN(fmt.Sprint((iin[11]-'0'+1)%10))
	s := &iinScanner{known: map[domain.IIN]bool{iin: true, other: true}, notIIN: map[string]bool{}}
	// msgpack as entgql cursors are: {"i": 7, "v": "<IIN>"} (a string is its raw bytes), and
	// [uint64 IIN, "x"].
	cursorStr := base64.StdEncoding.EncodeToString(append([]byte{0x82, 0xa1, 'i', 0x07, 0xa1, 'v', 0xac}, iin...))
	word := make([]byte, 8)
	n, _ := strconv.ParseUint(string(iin), 10, 64)
	binary.BigEndian.PutUint64(word, n)
	cursorInt := base64.RawURLEncoding.EncodeToString(append(append([]byte{0x92, 0xcf}, word...), 0xa1, 'x'))
	urlRaw := base64.RawURLEncoding.EncodeToString([]byte("person:" + string(iin) + ":v1"))
	nested := base64.StdEncoding.EncodeToString([]byte("cursor=" + base64.URLEncoding.EncodeToString([]byte("k/"+string(iin)))))
	cases := []struct {
		name, doc string
		want      bool
	}{
		{"clear", `{"a":"{IIN}"}`, true},
		{"inside text", `{"a":"key {IIN}:2025-03"}`, true},
		{"number", `{"a":{IIN}}`, true},
		{"key", `{"{IIN}":1}`, true},
		{"longer number", `{"a":"20250{IIN}"}`, true},
		{"msgpack string cursor", `{"c":"` + cursorStr + `"}`, true},
		{"msgpack integer cursor", `{"c":"` + cursorInt + `"}`, true},
		{"url raw base64", `{"c":"v1.` + urlRaw + `"}`, true},
		{"base64 in base64", `{"c":"` + nested + `"}`, true},
		{"error message", `{"errors":[{"message":"bad cursor {IIN}"}]}`, true},
		{"masked", `{"a":"{MASKED}"}`, false},
		{"bad check digit", `{"a":"{BAD}"}`, false},
		{"KATO and amounts", `{"a":"710000000","b":4250105500}`, false},
		{"random base64", `{"c":"` + base64.StdEncoding.EncodeToString([]byte("nothing personal here at all")) + `"}`, false},
	}
	for _, c := range cases {
		doc := strings.NewReplacer("{IIN}", string(iin), "{BAD}", string(bad), "{MASKED}", maskIIN(iin)).Replace(c.doc)
		hits := s.scanJSON("doc", []byte(doc))
		found := false
		for _, h := range hits {
			if h.iin == iin {
				found = true
			}
		}
		if found != c.want {
			t.Errorf("%s: found %v (hits %+v), want %v", c.name, found, hits, c.want)
		}
	}
	// A valid IIN by its digits that is an organisation's BIN is not a person's.
	s.notIIN[string(other)] = true
	if hits := s.scanJSON("doc", []byte(`{"bin":"`+string(other)+`"}`)); len(hits) != 0 {
		t.Errorf("a BIN counted as an IIN: %+v", hits)
	}
	if got := maskIIN(iin); got != string(iin[:6])+"******" {
		t.Errorf("maskIIN = %s", got)
	}
}
