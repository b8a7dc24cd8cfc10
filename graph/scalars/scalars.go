// Package scalars owns the wire format of Birlik's custom GraphQL scalars, mapped in gqlgen.yml to
// the domain types: Date (YYYY-MM-DD) to domain.Date, Month (YYYY-MM) to domain.Month, and Tenge
// (a whole number of tenge, 64-bit) to domain.Tenge.
//
// Tenge is written as a JSON number (exact: every int64 is an integer literal) and read from a
// number or a decimal string, since JavaScript clients cannot hold integers past 2^53 in a
// number. Bad input is an apperr BAD_INPUT error that says what was expected.
package scalars

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/birlik/birlik/apperr"
	"github.com/birlik/birlik/domain"
)

// MarshalDate writes a date as "YYYY-MM-DD" (the zero date, a withheld value, as "").
func MarshalDate(d domain.Date) graphql.Marshaler {
	if d.IsZero() {
		// Only a withheld value is a zero Date (optional dates are pointers, null when
		// absent): a non-null field the caller may not see answers "" beside its FORBIDDEN
		// error, so that the object around it stays (graph/access).
		return graphql.MarshalString("")
	}
	return graphql.MarshalString(d.String())
}

// UnmarshalDate reads "YYYY-MM-DD".
func UnmarshalDate(v any) (domain.Date, error) {
	s, ok := v.(string)
	if !ok {
		return domain.Date{}, apperr.New(apperr.BadInput, "a Date is a string YYYY-MM-DD, not %s", describe(v))
	}
	d, err := domain.ParseDate(s)
	if err != nil {
		return domain.Date{}, apperr.New(apperr.BadInput, "Date %q: want YYYY-MM-DD, e.g. 2025-09-01", s)
	}
	return d, nil
}

// MarshalMonth writes a month as "YYYY-MM".
func MarshalMonth(m domain.Month) graphql.Marshaler {
	return graphql.MarshalString(m.String())
}

// UnmarshalMonth reads "YYYY-MM".
func UnmarshalMonth(v any) (domain.Month, error) {
	s, ok := v.(string)
	if !ok {
		return 0, apperr.New(apperr.BadInput, "a Month is a string YYYY-MM, not %s", describe(v))
	}
	m, err := domain.ParseMonth(s)
	if err != nil {
		return 0, apperr.New(apperr.BadInput, "Month %q: want YYYY-MM, e.g. 2025-09", s)
	}
	return m, nil
}

// MarshalTenge writes an amount as a JSON integer.
func MarshalTenge(t domain.Tenge) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.FormatInt(int64(t), 10))
	})
}

// UnmarshalTenge reads an amount from a whole number or a string of digits (optionally signed).
func UnmarshalTenge(v any) (domain.Tenge, error) {
	switch n := v.(type) {
	case int:
		return domain.Tenge(n), nil
	case int32:
		return domain.Tenge(n), nil
	case int64:
		return domain.Tenge(n), nil
	case json.Number:
		return parseTenge(n.String())
	case string:
		return parseTenge(n)
	case float64:
		if n != math.Trunc(n) || math.Abs(n) > 1<<53 {
			return 0, apperr.New(apperr.BadInput, "Tenge %v: want a whole number of tenge (send amounts past 2^53 as a string)", n)
		}
		return domain.Tenge(n), nil
	}
	return 0, apperr.New(apperr.BadInput, "a Tenge is a whole number of tenge (a number or a string of digits), not %s", describe(v))
}

func parseTenge(s string) (domain.Tenge, error) {
	i, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, apperr.New(apperr.BadInput, "Tenge %q: want a whole number of tenge between -9223372036854775808 and 9223372036854775807, without decimals or separators", s)
	}
	return domain.Tenge(i), nil
}

func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("a %T", v)
}
