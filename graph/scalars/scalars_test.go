package scalars_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/birlik/birlik/apperr"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/graph/scalars"
)

func wire(m graphql.Marshaler) string {
	var b bytes.Buffer
	m.MarshalGQL(&b)
	return b.String()
}

func TestMarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		got  graphql.Marshaler
		want string
	}{
		{"date", scalars.MarshalDate(domain.MustDate("2025-09-01")), `"2025-09-01"`},
		// A zero Date is a withheld non-null field (graph/access): "" keeps the object around it.
		{"zero date is empty", scalars.MarshalDate(domain.Date{}), `""`},
		{"month", scalars.MarshalMonth(domain.MustMonth("2024-01")), `"2024-01"`},
		{"tenge past 2^31", scalars.MarshalTenge(domain.Tenge(987_654_321_012)), `987654321012`},
		{"largest tenge is exact", scalars.MarshalTenge(domain.Tenge(9223372036854775807)), `9223372036854775807`},
		{"negative tenge", scalars.MarshalTenge(domain.Tenge(-5)), `-5`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := wire(tc.got); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestUnmarshalTenge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      any
		want    domain.Tenge
		wantErr string
	}{
		{"int64 literal", int64(3_000_000_000), 3_000_000_000, ""},
		{"json number from variables", json.Number("9223372036854775807"), 9223372036854775807, ""},
		{"string", "12345678901234", 12345678901234, ""},
		{"whole float", float64(42), 42, ""},
		{"fraction", 1.5, 0, "whole number"},
		{"decimal string", "10.50", 0, "without decimals"},
		{"overflow", "9223372036854775808", 0, "between"},
		{"boolean", true, 0, "not a boolean"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := scalars.UnmarshalTenge(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || apperr.CodeOf(err) != apperr.BadInput {
					t.Fatalf("err = %v (code %s), want BAD_INPUT containing %q", err, apperr.CodeOf(err), tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

func TestUnmarshalDateAndMonth(t *testing.T) {
	t.Parallel()
	if d, err := scalars.UnmarshalDate("2024-02-29"); err != nil || d != domain.MustDate("2024-02-29") {
		t.Errorf("date: %v %v", d, err)
	}
	for _, bad := range []any{"2024-02-30", "01.09.2025", 20250901} {
		if _, err := scalars.UnmarshalDate(bad); apperr.CodeOf(err) != apperr.BadInput || !strings.Contains(err.Error(), "YYYY-MM-DD") {
			t.Errorf("date %v: err = %v, want BAD_INPUT naming YYYY-MM-DD", bad, err)
		}
	}
	if m, err := scalars.UnmarshalMonth("2025-12"); err != nil || m != domain.MustMonth("2025-12") {
		t.Errorf("month: %v %v", m, err)
	}
	for _, bad := range []any{"2025-13", "2025-1-01", nil} {
		if _, err := scalars.UnmarshalMonth(bad); apperr.CodeOf(err) != apperr.BadInput || !strings.Contains(err.Error(), "YYYY-MM") {
			t.Errorf("month %v: err = %v, want BAD_INPUT naming YYYY-MM", bad, err)
		}
	}
}
