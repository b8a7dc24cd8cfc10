package limits

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/birlik/birlik/apperr"
)

// MaxPattern is the most characters a pattern filter takes. The store matches a pattern with
// LIKE or ILIKE: SQLite refuses patterns over 50,000 bytes (as an internal error) and
// PostgreSQL scans with whatever it is given, while no name, key or address the gateway holds
// comes near this length.
const MaxPattern = 256

// patternSuffixes end the names of the filter fields matched as patterns (entgql's where
// inputs: nameContains, nameContainsFold, nameHasPrefix, nameHasSuffix, nameEqualFold).
var patternSuffixes = []string{"Contains", "ContainsFold", "HasPrefix", "HasSuffix", "EqualFold"}

// IsPatternFilter reports whether an input field of this name is a pattern filter, checked
// against MaxPattern.
func IsPatternFilter(field string) bool {
	for _, s := range patternSuffixes {
		if strings.HasSuffix(field, s) && len(field) > len(s) {
			return true
		}
	}
	return false
}

// patterns refuses f when a pattern filter anywhere in its arguments (at any depth of the
// where inputs, through and/or/not and has…With) is longer than MaxPattern. It goes by field
// name, so every filter of every type is covered as the schema grows.
func (w *walker) patterns(f *ast.Field, path string) *gqlerror.Error {
	if len(f.Arguments) == 0 {
		return nil
	}
	args := f.ArgumentMap(w.vars)
	for _, name := range slices.Sorted(maps.Keys(args)) {
		if err := checkPatterns(args[name], path, name); err != nil {
			return err
		}
	}
	return nil
}

func checkPatterns(v any, path, at string) *gqlerror.Error {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			s, ok := x[k].(string)
			if ok && IsPatternFilter(k) {
				if n := utf8.RuneCountInString(s); n > MaxPattern {
					return refuse(apperr.BadInput, "%s: %s.%s is %d characters long, more than the %d a pattern filter (…Contains, …HasPrefix, …HasSuffix, …EqualFold) takes: filter on a shorter part of the value", path, at, k, n, MaxPattern)
				}
				continue
			}
			if err := checkPatterns(x[k], path, at+"."+k); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range x {
			if err := checkPatterns(e, path, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	}
	return nil
}
