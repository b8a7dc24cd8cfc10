package limits

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/birlik/birlik/auth"
)

// Limits bound what one GraphQL request may ask for.
type Limits struct {
	Depth      int // nesting of fields
	Aliases    int // aliased fields in one operation
	Complexity int // cost as this package counts it (lists count first/last times their fields)
	PageSize   int // the largest first/last of a connection
}

// Options are the limits of a gateway: Base for every role, overridden per role by Roles.
type Options struct {
	Base  Limits
	Roles map[string]Limits
}

// DefaultRoles are the limits per role with nothing configured: citizens ask small questions,
// analysts big pages; roles not named use Options.Base.
func DefaultRoles() map[string]Limits {
	return map[string]Limits{
		auth.RoleCitizen:    {Depth: 8, Aliases: 10, Complexity: 5000, PageSize: 100},
		auth.RoleCaseworker: {Depth: 10, Aliases: 20, Complexity: 20000, PageSize: 200},
		auth.RoleHealth:     {Depth: 8, Aliases: 20, Complexity: 50000, PageSize: 1000},
	}
}

// For returns the limits of role: the role's own, else Base.
func (o Options) For(role string) Limits {
	if l, ok := o.Roles[role]; ok {
		return l
	}
	return o.Base
}

// ForCaller returns the limits of the caller in ctx (by role), for Extension and DefaultPage.
func (o Options) ForCaller(ctx context.Context) Limits {
	id, _ := auth.FromContext(ctx)
	return o.For(id.Role)
}

// ParseRoles reads role=depth:N/aliases:N/complexity:N/page:N;… into o.Roles. A role named
// starts from its current limits (or Base), so one number can be changed alone.
func (o *Options) ParseRoles(s string) error {
	roles := make(map[string]Limits, len(o.Roles))
	for k, v := range o.Roles {
		roles[k] = v
	}
	for _, entry := range strings.Split(s, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		role, spec, ok := strings.Cut(entry, "=")
		if !ok || !auth.ValidRole(role) {
			return fmt.Errorf("entry %q: want role=depth:N/aliases:N/complexity:N/page:N with a role of %s", entry, strings.Join(auth.Roles, ", "))
		}
		l, ok := roles[role]
		if !ok {
			l = o.Base
		}
		for _, kv := range strings.Split(spec, "/") {
			k, v, _ := strings.Cut(kv, ":")
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return fmt.Errorf("entry %q: %q: want name:N with N a whole number of at least 1", entry, kv)
			}
			switch k {
			case "depth":
				l.Depth = n
			case "aliases":
				l.Aliases = n
			case "complexity":
				l.Complexity = n
			case "page":
				l.PageSize = n
			default:
				return fmt.Errorf("entry %q: %q is not depth, aliases, complexity or page", entry, k)
			}
		}
		roles[role] = l
	}
	o.Roles = roles
	return nil
}
