package scalars

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/birlik/birlik/apperr"
)

// MarshalNodeID writes a node ID: the row's internal integer id (Ent's global id, unique across
// types), as a string. It is a store key and nothing else: no personal datum is in it.
func MarshalNodeID(id int) graphql.Marshaler {
	return graphql.MarshalIntID(id)
}

// UnmarshalNodeID reads a node ID as MarshalNodeID wrote it (a string of digits, or a whole
// number); anything else is BAD_INPUT, a client's mistake, never an internal error.
func UnmarshalNodeID(v any) (int, error) {
	var s string
	switch n := v.(type) {
	case int:
		return checkNodeID(int64(n), strconv.Itoa(n))
	case int64:
		return checkNodeID(n, strconv.FormatInt(n, 10))
	case json.Number:
		s = n.String()
	case string:
		s = n
	default:
		return 0, apperr.New(apperr.BadInput, "an ID is a string of digits, as the gateway gave it in an `id` field, not %s", describe(v))
	}
	i, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		shown := s
		if len(shown) > 40 {
			shown = shown[:40] + "…"
		}
		return 0, apperr.New(apperr.BadInput, "ID %q is not an id this gateway gives: pass the `id` of a node as it was given (a string of digits)", shown)
	}
	return checkNodeID(i, s)
}

func checkNodeID(i int64, s string) (int, error) {
	if i < 0 || int64(int(i)) != i {
		return 0, apperr.New(apperr.BadInput, "ID %q is not an id this gateway gives: pass the `id` of a node as it was given (a string of digits)", s)
	}
	return int(i), nil
}
