package auth

// Masking: what a role whose rule for a category is Mask sees of a personal value. A value may
// hold IINs inside it (a source key "IIN|2024-01-01", a finding's key, its evidence): every valid
// IIN inside is masked wherever it stands, and the audit log names each one (IINsIn).

import (
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/birlik/birlik/domain"
)

// MaskString masks a personal string: an IIN keeps its first six digits (the birth date, which
// the masked roles see anyway); a string holding IINs (a composite key) has each of them masked
// that way and keeps the rest; any other string (a name, an opaque key) keeps its first letter.
func MaskString(s string) string {
	if s == "" {
		return ""
	}
	if len(s) == 12 && strings.Trim(s, "0123456789") == "" {
		return s[:6] + "******"
	}
	if m, n := maskIINs(s); n > 0 {
		return m
	}
	r, _ := utf8.DecodeRuneInString(s)
	return string(r) + "***"
}

// personDateKeys are the keys under which a structured value (a finding's evidence) holds a date
// of a person: masked to its year.
var personDateKeys = map[string]bool{"birthDate": true, "deathDate": true, "birth_date": true, "death_date": true}

// MaskValue masks a structured personal value (a JSON object or list, as a finding's evidence):
// every valid IIN inside a string is masked (MaskString's way), and a date of a person (under a
// key birthDate or deathDate) keeps only its year. Other values are kept: they are the facts of
// the case, the identities in them are what is masked. The value is copied, never changed.
func MaskValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if personDateKeys[k] {
				out[k] = maskDate(e)
				continue
			}
			out[k] = MaskValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = MaskValue(e)
		}
		return out
	case string:
		m, _ := maskIINs(x)
		return m
	}
	return v
}

// maskDate keeps the year of a date written YYYY-MM-DD (or YYYY-MM); anything else is withheld.
func maskDate(v any) any {
	s, ok := v.(string)
	if !ok || v == nil {
		return nil
	}
	if len(s) >= 4 && strings.Trim(s[:4], "0123456789") == "" {
		return s[:4] + strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return '*'
			}
			return r
		}, s[4:])
	}
	return "***"
}

// maskIINs masks every valid IIN standing alone in s (a run of exactly 12 digits) and says how
// many it masked.
func maskIINs(s string) (string, int) {
	n := 0
	var b []byte
	eachIIN(s, func(i int) {
		if b == nil {
			b = []byte(s)
		}
		copy(b[i+6:i+12], "******")
		n++
	})
	if n == 0 {
		return s, 0
	}
	return string(b), n
}

// eachIIN calls f with the offset of every valid IIN standing alone in s.
func eachIIN(s string, f func(i int)) {
	for i := 0; i+12 <= len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if j-i == 12 {
			if _, err := domain.ParseIIN(s[i:j]); err == nil {
				f(i)
			}
		}
		i = j
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// IINsIn returns the valid IINs inside a personal value: a string (or string-kinded value, or a
// pointer to one) holding them anywhere, a JSON object or list holding such strings at any depth.
// The audit log names each of them as a person whose data the answer holds.
func IINsIn(v any) []domain.IIN {
	var out []domain.IIN
	iinsIn(v, &out)
	return out
}

func iinsIn(v any, out *[]domain.IIN) {
	switch x := v.(type) {
	case nil:
	case string:
		eachIIN(x, func(i int) { *out = append(*out, domain.IIN(x[i:i+12])) })
	case domain.IIN:
		iinsIn(string(x), out)
	case map[string]any:
		for _, e := range x {
			iinsIn(e, out)
		}
	case []any:
		for _, e := range x {
			iinsIn(e, out)
		}
	default:
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Pointer && !rv.IsNil() {
			rv = rv.Elem()
		}
		if rv.Kind() == reflect.String {
			iinsIn(rv.String(), out)
		}
	}
}
