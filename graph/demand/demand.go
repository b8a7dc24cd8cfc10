// Package demand keeps one caller's heavy work from taking the capacity others need. It prices
// what a GraphQL operation will read before it runs, from the rows of the tables it may scan
// (Extension), holds each role to a budget per request and per minute, and gives each class of
// roles its own concurrency limit and deadline (Bulkheads), so that analysts' aggregates cannot
// starve citizens' lookups or the medical information system's paging.
//
// The price of an operation is its shape, as graph/limits counts it (fields times page sizes),
// plus the rows it may scan: every aggregate root field reads its whole table (or its filtered
// part, which the store cannot know before running it), and every filter with a predicate that no
// index serves (a pattern, a negation, a range, an IS NULL, a `not`, an existence test) on a root
// field reads its type's table, scaled by the pattern's length for pattern predicates; a nested
// connection's filter reads only its parent's rows, which the shape already counts. Equality and `In` on a
// field are taken as served by an index. Row counts come from the store's statistics (TableRows).
package demand

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"golang.org/x/time/rate"

	"github.com/birlik/birlik/apperr"
	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/graph/limits"
)

// scans are the root fields that read a table whole (within their filter and the caller's row
// rules), by the GraphQL type of that table.
var scans = map[string]string{
	"paymentAggregate":          "Payment",
	"findingSummary":            "Finding",
	"akimKPI":                   "FamilyAssessment",
	"welfareTransitions":        "FamilyAssessment",
	"socialObligationsForecast": "Family",
}

// lookups are the root fields that read a few rows by a key or a bounded list, or none.
var lookups = map[string]bool{
	"person": true, "family": true, "school": true, "medicalInstitution": true,
	"node": true, "nodes": true, "regions": true, "myDataAccess": true, "freshness": true,
}

// Budget is what one caller of a role may spend, in rows (see the package comment).
type Budget struct {
	Request   int64 // the most one request may cost
	PerMinute int64 // the most a caller may spend in a minute (the burst is the same)
}

// DefaultBudgets are the budgets with nothing configured: a citizen's questions are small, the
// medical information system pages, analysts aggregate the country.
func DefaultBudgets() map[string]Budget {
	return map[string]Budget{
		auth.RoleCitizen:    {Request: 100_000, PerMinute: 1_000_000},
		auth.RoleCaseworker: {Request: 2_000_000, PerMinute: 20_000_000},
		auth.RoleAnalyst:    {Request: 5_000_000, PerMinute: 60_000_000},
		auth.RoleAdmin:      {Request: 5_000_000, PerMinute: 60_000_000},
		auth.RoleHealth:     {Request: 2_000_000, PerMinute: 60_000_000},
	}
}

// Price is what an operation was priced at, kept in the operation's stats and sent to the client
// in `extensions.cost`.
type Price struct {
	Rows      int64  `json:"rows"`                // the price
	Scanned   int64  `json:"scanned"`             // of which rows of tables it may scan
	Budget    int64  `json:"budget"`              // the caller's budget per request
	PerMinute int64  `json:"perMinute,omitempty"` // and per minute
	Remaining int64  `json:"remaining"`           // left of the minute's budget after this request
	parts     []part // the largest scans, for messages
}

type part struct {
	path string
	rows int64
}

const statsName = "BirlikDemand"

// PriceOf returns the price of the operation in ctx, or nil.
func PriceOf(ctx context.Context) *Price {
	if !graphql.HasOperationContext(ctx) {
		return nil
	}
	p, _ := graphql.GetOperationContext(ctx).Stats.GetExtension(statsName).(*Price)
	return p
}

// Extension is the gqlgen handler extension that prices operations and holds callers to their
// budgets. Add it after limits.Extension, whose shape cost it adds. Create it with New.
type Extension struct {
	rows    Rows
	budgets map[string]Budget
	windows *expirable.LRU[string, *rate.Limiter]
	schema  *ast.Schema
}

// New returns the extension over the row estimates rows with budgets by role (a role without a
// budget gets the citizen's).
func New(rows Rows, budgets map[string]Budget) *Extension {
	return &Extension{rows: rows, budgets: budgets, windows: expirable.NewLRU[string, *rate.Limiter](100_000, nil, 10*time.Minute)}
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
	graphql.ResponseInterceptor
} = (*Extension)(nil)

// ExtensionName implements graphql.HandlerExtension.
func (*Extension) ExtensionName() string { return statsName }

// Validate implements graphql.HandlerExtension.
func (e *Extension) Validate(es graphql.ExecutableSchema) error {
	if e.rows == nil {
		return fmt.Errorf("demand.Extension needs row estimates")
	}
	e.schema = es.Schema()
	return nil
}

// MutateOperationContext implements graphql.OperationContextMutator: it prices the operation and
// refuses it when the price is over the caller's budget.
func (e *Extension) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if opCtx.Operation == nil {
		return nil
	}
	id, _ := auth.FromContext(ctx)
	b, ok := e.budgets[id.Role]
	if !ok {
		b = e.budgets[auth.RoleCitizen]
	}
	p := e.price(opCtx)
	p.Budget, p.PerMinute = b.Request, b.PerMinute
	if s, ok := opCtx.Stats.GetExtension("BirlikQueryLimits").(*limits.Stats); ok && s != nil {
		p.Rows += int64(s.Complexity)
	}
	opCtx.Stats.SetExtension(statsName, p)
	if b.Request > 0 && p.Rows > b.Request {
		return refuse(apperr.QueryTooExpensive, 0, "this request may read about %s rows (%s), more than the %s budget of %s rows per request: filter on exact values (equality or In) instead of patterns, ranges or negations, ask for fewer aggregates or smaller pages per request, or split it",
			group(p.Rows), p.describe(), id.Role, group(b.Request))
	}
	if b.PerMinute <= 0 {
		return nil
	}
	key := id.Role + "|" + id.Client + "|" + id.Subject
	lim, ok := e.windows.Get(key)
	if !ok {
		lim = rate.NewLimiter(rate.Limit(float64(b.PerMinute)/60), int(min(b.PerMinute, int64(^uint(0)>>1))))
		e.windows.Add(key, lim)
	}
	now := time.Now()
	r := lim.ReserveN(now, int(p.Rows))
	if !r.OK() {
		return refuse(apperr.QueryTooExpensive, 0, "this request may read about %s rows, more than the %s budget of %s rows per minute", group(p.Rows), id.Role, group(b.PerMinute))
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		secs := int(d/time.Second) + 1
		return refuse(apperr.BudgetExhausted, secs, "this request may read about %s rows, and %s of the %s budget of %s rows per minute is left: retry in %d s, or ask for less",
			group(p.Rows), group(int64(lim.TokensAt(now))), id.Role, group(b.PerMinute), secs)
	}
	p.Remaining = int64(lim.TokensAt(now))
	return nil
}

// InterceptResponse implements graphql.ResponseInterceptor: the answer carries its price in
// `extensions.cost`, so that a caller sees what a query costs before its budget runs out.
func (e *Extension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil {
		return nil
	}
	if p := PriceOf(ctx); p != nil {
		if resp.Extensions == nil {
			resp.Extensions = map[string]any{}
		}
		resp.Extensions["cost"] = p
	}
	return resp
}

func refuse(code apperr.Code, retryAfter int, format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	err.Extensions = map[string]any{"code": string(code)}
	if retryAfter > 0 {
		err.Extensions["retryAfterSeconds"] = retryAfter
	}
	return err
}

// price walks the operation (fragments expanded) and adds up the rows it may scan.
func (e *Extension) price(opCtx *graphql.OperationContext) *Price {
	w := &pricer{rows: e.rows, schema: e.schema, vars: opCtx.Variables, p: &Price{}}
	w.selections(opCtx.Operation.SelectionSet, "", 0)
	return w.p
}

type pricer struct {
	rows   Rows
	schema *ast.Schema
	vars   map[string]any
	p      *Price
	visits int
}

func (w *pricer) add(path string, rows int64) {
	if rows <= 0 {
		return
	}
	w.p.Rows = addCapped(w.p.Rows, rows)
	w.p.Scanned = addCapped(w.p.Scanned, rows)
	w.p.parts = append(w.p.parts, part{path, rows})
}

func (w *pricer) selections(set ast.SelectionSet, path string, depth int) {
	for _, sel := range set {
		w.visits++
		if w.visits > limits.MaxSelections || depth > 64 {
			return // graph/limits refuses such an operation
		}
		switch s := sel.(type) {
		case *ast.Field:
			w.field(s, path, depth)
		case *ast.InlineFragment:
			w.selections(s.SelectionSet, path, depth)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				w.selections(s.Definition.SelectionSet, path, depth)
			}
		}
	}
}

func (w *pricer) field(f *ast.Field, parent string, depth int) {
	if f.Definition == nil || strings.HasPrefix(f.Name, "__") {
		return
	}
	path := f.Alias
	if parent != "" {
		path = parent + "." + f.Alias
	}
	root := depth == 0 && f.ObjectDefinition != nil && w.schema != nil && w.schema.Query != nil && f.ObjectDefinition.Name == w.schema.Query.Name
	// A root field's filter may scan its table. A nested connection's filter (a person's
	// payments from a month on) reads only the parent's own rows, which the shape's cost already
	// counts by page size.
	var filtered int64
	if root {
		args := f.ArgumentMap(w.vars)
		for _, a := range f.Definition.Arguments {
			if in := a.Type.Name(); strings.HasSuffix(in, "WhereInput") {
				filtered = addCapped(filtered, w.where(in, args[a.Name]))
			}
		}
	}
	switch typ, scan := scans[f.Name]; {
	case root && scan:
		w.add(path, max(w.rows.Rows(typ), filtered))
	case root && !lookups[f.Name] && !strings.HasSuffix(f.Definition.Type.Name(), "Connection"):
		w.add(path, w.largest()) // a root field nobody priced: priced as the largest table
		w.add(path+" (filter)", filtered)
	default:
		w.add(path, filtered)
	}
	w.selections(f.SelectionSet, path, depth+1)
}

// where returns the rows a filter of the input type in (a …WhereInput) may scan.
func (w *pricer) where(in string, v any) int64 {
	switch v := v.(type) {
	case []any:
		var n int64
		for _, x := range v {
			n = addCapped(n, w.where(in, x))
		}
		return n
	case map[string]any:
		typ := strings.TrimSuffix(in, "WhereInput")
		def := w.schema.Types[in]
		var n int64
		scan, factor := false, int64(1)
		for k, x := range v {
			var fd *ast.FieldDefinition
			if def != nil {
				fd = def.Fields.ForName(k)
			}
			switch {
			case fd != nil && strings.HasSuffix(fd.Type.Name(), "WhereInput"):
				if k == "not" {
					scan = true
				}
				n = addCapped(n, w.where(fd.Type.Name(), x)) // and, or, not, has…With
			case cheap(k):
			default:
				scan = true
				if s, ok := x.(string); ok {
					factor = max(factor, 1+int64(len(s))/100)
				}
			}
		}
		if scan {
			n = addCapped(n, w.rows.Rows(typ)*factor)
		}
		return n
	}
	return 0
}

// scanSuffixes end the names of Ent's filter predicates that no index serves in general.
var scanSuffixes = []string{"NEQ", "NotIn", "GT", "GTE", "LT", "LTE", "Contains", "ContainsFold",
	"HasPrefix", "HasSuffix", "EqualFold", "IsNil", "NotNil"}

// cheap reports whether the filter predicate k is one an index serves: equality on a field (the
// predicate named as the field) or In. Existence tests (hasPayments) and the predicates of
// scanSuffixes are not.
func cheap(k string) bool {
	if strings.HasSuffix(k, "NotIn") {
		return false
	}
	if strings.HasSuffix(k, "In") {
		return true
	}
	for _, s := range scanSuffixes {
		if strings.HasSuffix(k, s) {
			return false
		}
	}
	return !(strings.HasPrefix(k, "has") && len(k) > 3 && k[3] >= 'A' && k[3] <= 'Z')
}

func (w *pricer) largest() int64 {
	var n int64
	for typ := range tables {
		n = max(n, w.rows.Rows(typ))
	}
	return n
}

func (p *Price) describe() string {
	parts := append([]part(nil), p.parts...)
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].rows > parts[j].rows })
	var b strings.Builder
	for i, pt := range parts {
		if i == 3 {
			fmt.Fprintf(&b, ", and %d more", len(parts)-3)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s: %s", pt.path, group(pt.rows))
	}
	if b.Len() == 0 {
		return "its shape"
	}
	return b.String()
}

// group writes n with thousands separated: 4,800,000.
func group(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func addCapped(a, b int64) int64 {
	if a > (1<<62)-b {
		return 1 << 62
	}
	return a + b
}

// HasTable reports whether the GraphQL type typ has a table to price its scans by.
func HasTable(typ string) bool { _, ok := tables[typ]; return ok }

// Classified reports whether the root field f is priced by a rule of its own: an aggregate, a
// connection or a lookup (others are priced as a scan of the largest table).
func Classified(f *ast.FieldDefinition) bool {
	_, scan := scans[f.Name]
	return scan || lookups[f.Name] || strings.HasSuffix(f.Type.Name(), "Connection")
}
