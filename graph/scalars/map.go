package scalars

import (
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// MarshalMap writes a JSON object (a finding's evidence) with every instant in it as RFC 3339
// in UTC (e.g. 2026-03-01T09:30:00.5Z), whatever text the store produced: the checks build
// evidence in SQL, where PostgreSQL writes a timestamp as 2026-03-01 09:30:00.5+00 or
// 2026-03-01T09:30:00.5+00:00 and SQLite holds Go's 2026-03-01 09:30:00.5 +0000 UTC. Dates
// (YYYY-MM-DD), months and every other string are written as they are.
func MarshalMap(m map[string]any) graphql.Marshaler {
	if m == nil {
		return graphql.Null
	}
	return graphql.MarshalMap(instantsRFC3339(m).(map[string]any))
}

// UnmarshalMap reads a JSON object.
func UnmarshalMap(v any) (map[string]any, error) {
	return graphql.UnmarshalMap(v)
}

// instantsRFC3339 returns v with every string that is an instant rewritten as RFC 3339 (a copy:
// the map may be shared, e.g. by a cache).
func instantsRFC3339(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = instantsRFC3339(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = instantsRFC3339(e)
		}
		return out
	case string:
		if t, ok := ParseInstant(x); ok {
			return t.UTC().Format(time.RFC3339Nano)
		}
	}
	return v
}

// instantLayouts are the texts of an instant the stores produce: RFC 3339, PostgreSQL's (with a
// space, an hour-only offset), SQLite's and Go's time.String (how the SQLite driver stores a
// time.Time).
var instantLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z07",
	"2006-01-02T15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999 -0700 MST",
	"2006-01-02 15:04:05.999999999 -0700",
}

// ParseInstant reads an instant in any of the texts the stores produce (instantLayouts),
// reporting whether s is one. A date alone (YYYY-MM-DD) is not an instant.
func ParseInstant(s string) (time.Time, bool) {
	// Cheap test first: YYYY-MM-DD, then a space or T, then HH:MM.
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' {
		return time.Time{}, false
	}
	for _, l := range instantLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
