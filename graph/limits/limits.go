// Package limits owns the gqlgen handler extension that refuses a hostile query before any
// resolver runs: too deep, too many aliases, too large a page, or too complex. It walks the
// validated operation once, with fragments expanded, and answers a GraphQL error with
// `extensions.code` QUERY_TOO_COMPLEX and a message naming the field and the limit. On the same
// walk it refuses a pattern filter (…Contains and the like) longer than MaxPattern characters
// as BAD_INPUT (patterns.go).
//
// Complexity is counted here rather than with gqlgen's per-field complexity functions, so that
// every field of every schema is covered by one rule: a field costs 1 plus its children's cost,
// times the page size for a field with `first`/`last` (DefaultPageSize when neither is given),
// times ListEstimate for another list field. Introspection is allowed (every caller is
// authenticated) but walked like any query, with its own depth allowance.
//
// limits reads only the query and the caller's limits; it never touches data.
package limits

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/birlik/birlik/apperr"
)

const (
	// ListEstimate is the assumed length of a list field without paging arguments (a family's
	// members, a person's enrolments): such lists are small by design.
	ListEstimate = 10
	// IntrospectionDepth is the depth allowed under __schema and __type; GraphiQL's own
	// introspection query nests type references about a dozen levels.
	IntrospectionDepth = 20
	// MaxSelections bounds the walk itself: a query whose fragments expand to more field
	// selections than this is refused before anything else is counted.
	MaxSelections = 20000
)

// Stats is what the extension measured, kept in the operation's stats for logs and metrics.
type Stats struct {
	Depth, Aliases, Complexity, Selections int
}

// StatsOf returns the stats of the operation in ctx, or nil.
func StatsOf(ctx context.Context) *Stats {
	if !graphql.HasOperationContext(ctx) {
		return nil
	}
	s, _ := graphql.GetOperationContext(ctx).Stats.GetExtension(extensionName).(*Stats)
	return s
}

const extensionName = "BirlikQueryLimits"

// Extension is the gqlgen handler extension. Limits returns the limits of the caller in ctx
// (they depend on the role); it must not be nil.
type Extension struct {
	Limits func(ctx context.Context) Limits
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = Extension{}

// ExtensionName implements graphql.HandlerExtension.
func (Extension) ExtensionName() string { return extensionName }

// Validate implements graphql.HandlerExtension.
func (e Extension) Validate(graphql.ExecutableSchema) error {
	if e.Limits == nil {
		return fmt.Errorf("limits.Extension needs a Limits function")
	}
	return nil
}

// MutateOperationContext implements graphql.OperationContextMutator: it refuses the operation
// when it breaks a limit.
func (e Extension) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if opCtx.Operation == nil {
		return nil
	}
	w := walker{limits: e.Limits(ctx), vars: opCtx.Variables}
	cost, err := w.selections(opCtx.Operation.SelectionSet, 1, false, "")
	stats := &Stats{Depth: w.depth, Aliases: w.aliases, Complexity: cost, Selections: w.visits}
	opCtx.Stats.SetExtension(extensionName, stats)
	if err != nil {
		return err
	}
	if cost > w.limits.Complexity {
		return refuse(apperr.QueryTooComplex, "the query's complexity is %d, more than the limit of %d: ask for smaller pages (first/last), fewer fields or fewer nested lists", cost, w.limits.Complexity)
	}
	return nil
}

type walker struct {
	limits  Limits
	vars    map[string]any
	visits  int
	depth   int
	aliases int
}

// selections walks set, whose fields are at depth, and returns its cost. path names the parent
// field for messages.
func (w *walker) selections(set ast.SelectionSet, depth int, introspection bool, path string) (int, *gqlerror.Error) {
	cost := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			c, err := w.field(s, depth, introspection, path)
			if err != nil {
				return 0, err
			}
			cost = addCapped(cost, c)
		case *ast.InlineFragment:
			c, err := w.selections(s.SelectionSet, depth, introspection, path)
			if err != nil {
				return 0, err
			}
			cost = addCapped(cost, c)
		case *ast.FragmentSpread:
			if s.Definition == nil {
				continue // validation reports unknown fragments
			}
			c, err := w.selections(s.Definition.SelectionSet, depth, introspection, path)
			if err != nil {
				return 0, err
			}
			cost = addCapped(cost, c)
		}
	}
	return cost, nil
}

func (w *walker) field(f *ast.Field, depth int, introspection bool, parent string) (int, *gqlerror.Error) {
	w.visits++
	if w.visits > MaxSelections {
		return 0, refuse(apperr.QueryTooComplex, "the query selects more than %d fields once its fragments are expanded: split it", MaxSelections)
	}
	path := f.Alias
	if parent != "" {
		path = parent + "." + f.Alias
	}
	if f.Alias != "" && f.Alias != f.Name {
		w.aliases++
		if w.aliases > w.limits.Aliases {
			return 0, refuse(apperr.QueryTooComplex, "the query uses more than %d aliases (at %s): fetch many records with a list or connection instead of one alias each", w.limits.Aliases, path)
		}
	}
	if f.Name == "__schema" || f.Name == "__type" {
		introspection = true
	}
	if depth > w.depth {
		w.depth = depth
	}
	if maxDepth := w.limits.Depth; !introspection && depth > maxDepth {
		return 0, refuse(apperr.QueryTooComplex, "the query nests %d fields deep at %s, deeper than the limit of %d: query the deeper records from their own entry point", depth, path, maxDepth)
	} else if introspection && depth > IntrospectionDepth {
		return 0, refuse(apperr.QueryTooComplex, "the introspection query nests deeper than %d at %s", IntrospectionDepth, path)
	}

	if err := w.patterns(f, path); err != nil {
		return 0, err
	}
	multiplier := 1
	if !introspection && f.Definition != nil {
		m, err := w.pageSize(f, path)
		if err != nil {
			return 0, err
		}
		switch {
		case m > 0:
			multiplier = m
		case f.Definition.Type.Elem != nil && !underConnection(f):
			multiplier = ListEstimate
		}
	}
	children, err := w.selections(f.SelectionSet, depth+1, introspection, path)
	if err != nil {
		return 0, err
	}
	return addCapped(1, mulCapped(multiplier, children)), nil
}

// pageSize returns the page size a field with first/last arguments asks for (DefaultPageSize
// when it has them but gives neither), or 0 for a field without them.
func (w *walker) pageSize(f *ast.Field, path string) (int, *gqlerror.Error) {
	def := f.Definition
	if def.Arguments.ForName("first") == nil && def.Arguments.ForName("last") == nil {
		return 0, nil
	}
	args := f.ArgumentMap(w.vars)
	size := 0
	for _, name := range []string{"first", "last"} {
		v, ok := args[name]
		if !ok || v == nil {
			continue
		}
		n, ok := toInt(v)
		if !ok {
			continue // validation reports the type
		}
		if n < 0 {
			return 0, refuse(apperr.BadInput, "%s: %s is %d; a page size cannot be negative", path, name, n)
		}
		if n > int64(w.limits.PageSize) {
			return 0, refuse(apperr.QueryTooComplex, "%s: %s is %d, more than the largest page of %d: page with after/before and pageInfo", path, name, n, w.limits.PageSize)
		}
		if int(n) > size {
			size = int(n)
		}
	}
	if size == 0 {
		size = DefaultPageSize(w.limits)
	}
	return size, nil
}

// underConnection reports whether f is the edges or nodes list of a Relay connection, already
// multiplied by the connection's page size.
func underConnection(f *ast.Field) bool {
	return f.ObjectDefinition != nil && strings.HasSuffix(f.ObjectDefinition.Name, "Connection") &&
		(f.Name == "edges" || f.Name == "nodes")
}

func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case float64:
		return int64(n), n == math.Trunc(n)
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

func addCapped(a, b int) int {
	if a > math.MaxInt32-b {
		return math.MaxInt32
	}
	return a + b
}

func mulCapped(a, b int) int {
	if a != 0 && b > math.MaxInt32/a {
		return math.MaxInt32
	}
	return a * b
}

func refuse(code apperr.Code, format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	err.Extensions = map[string]any{"code": string(code)}
	return err
}

// DefaultPageSize is the page a connection gets when the query gives neither first nor last.
func DefaultPageSize(l Limits) int { return min(100, l.PageSize) }

// DefaultPage returns field middleware that gives a connection asked without first and last the
// default page (first, or last when paging backwards with before), so no list is unbounded.
func DefaultPage(limits func(ctx context.Context) Limits) graphql.FieldMiddleware {
	return func(ctx context.Context, next graphql.Resolver) (any, error) {
		fc := graphql.GetFieldContext(ctx)
		if fc == nil || fc.Args == nil {
			return next(ctx)
		}
		first, hasFirst := fc.Args["first"].(*int)
		last, hasLast := fc.Args["last"].(*int)
		if hasFirst && hasLast && first == nil && last == nil {
			n := DefaultPageSize(limits(ctx))
			if before := fc.Args["before"]; before != nil && !reflect.ValueOf(before).IsNil() {
				fc.Args["last"] = &n
			} else {
				fc.Args["first"] = &n
			}
		}
		return next(ctx)
	}
}
