package demand

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/birlik/birlik/auth"
)

// Options are the demand controls of a gateway.
type Options struct {
	Budgets map[string]Budget // by role
	Classes []Class           // the bulkheads
}

// DefaultOptions are the demand controls with nothing configured.
func DefaultOptions() Options {
	return Options{Budgets: DefaultBudgets(), Classes: DefaultClasses()}
}

// ParseBudgets reads role=REQUEST/PERMINUTE;… (rows; an underscore or comma may group digits)
// over budgets, returning the result.
func ParseBudgets(s string, budgets map[string]Budget) (map[string]Budget, error) {
	out := make(map[string]Budget, len(budgets))
	for k, v := range budgets {
		out[k] = v
	}
	for _, entry := range strings.Split(s, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		role, spec, ok := strings.Cut(entry, "=")
		req, per, ok2 := strings.Cut(spec, "/")
		if !ok || !ok2 || !auth.ValidRole(role) {
			return nil, fmt.Errorf("entry %q: want role=REQUEST/PERMINUTE in rows (e.g. analyst=5000000/60000000) with a role of %s", entry, strings.Join(auth.Roles, ", "))
		}
		var b Budget
		for _, f := range []struct {
			s string
			v *int64
		}{{req, &b.Request}, {per, &b.PerMinute}} {
			n, err := strconv.ParseInt(strings.NewReplacer("_", "", ",", "").Replace(strings.TrimSpace(f.s)), 10, 64)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("entry %q: %q: want a whole number of rows of at least 1", entry, f.s)
			}
			*f.v = n
		}
		out[role] = b
	}
	return out, nil
}
