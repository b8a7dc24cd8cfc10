// Package access applies the field rules of the graph and records what each request read:
//
//   - Personal is the @personal directive on every personal field: by the caller's role (and
//     purpose) the field answers its value, a masked value, or a FORBIDDEN error on that field
//     while the rest of the answer stays (auth.FieldRule is the table);
//   - Extension refuses an operation that selects personal fields without a purpose
//     (PURPOSE_REQUIRED), collects the IINs whose data the answer holds, and writes the audit
//     entry before the answer leaves; when the entry cannot be written, the answer is an error
//     and holds no data.
//
// Row rules (which persons a caller sees at all) are the store's privacy policies
// (ent/schema/privacy.go), not this package's. access reads the store only to name, for the
// audit entry, persons an answer showed without their IIN (PersonIINsFrom).
package access

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/birlik/birlik/apperr"
	"github.com/birlik/birlik/audit"
	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
)

// DirectiveName is the schema's name of the directive.
const DirectiveName = "personal"

// Personal implements the @personal(category:) directive; instantiate it with the generated
// enum type: `Directives: graph.DirectiveRoot{Personal: access.Personal[model.PersonalData]}`.
func Personal[C ~string](ctx context.Context, obj any, next graphql.Resolver, category C) (any, error) {
	id, _ := auth.FromContext(ctx)
	cat := auth.Category(category)
	rule := auth.FieldRule(id.Role, cat, auth.PurposeFrom(ctx))
	fc := graphql.GetFieldContext(ctx)
	if rule == auth.Forbid {
		name := "this field"
		nonNull := false
		if fc != nil {
			name = fc.Object + "." + fc.Field.Name
			nonNull = fc.Field.Definition != nil && fc.Field.Definition.Type.NonNull
		}
		graphql.AddError(ctx, apperr.New(apperr.Forbidden, "%s is %s data, which the role %s may not see", name, cat, id.Role))
		if !nonNull {
			return nil, nil
		}
		// A non-null field cannot answer null without nulling its parent: it answers an empty
		// value of its type (the error says it is withheld).
		res, err := next(ctx)
		if err != nil || res == nil {
			return res, err
		}
		return emptyOf(res), nil
	}
	res, err := next(ctx)
	if err != nil {
		return res, err
	}
	// The collector is looked up only when there is an IIN to add: the lookup walks the
	// request's context, and most personal fields are neither on a person nor an IIN.
	// A person loaded without its IIN column (field collection selects only the fields asked
	// for) is noted by its ID and named when the entry is written.
	var owner, value domain.IIN
	var ownerID int
	if p, ok := obj.(*ent.Person); ok && p != nil {
		owner, ownerID = p.Iin, p.ID
	}
	if cat == auth.CatIdentity {
		value, _ = res.(domain.IIN)
	}
	if owner != "" || ownerID != 0 || value != "" {
		if c := fromContext(ctx); c != nil {
			if owner == "" && ownerID != 0 {
				c.addPerson(ownerID)
			}
			c.add(owner, value)
		}
	}
	if rule == auth.Mask {
		return masked(res), nil
	}
	return res, nil
}

// emptyOf returns the empty value of v's type: a new zero struct for a pointer.
func emptyOf(v any) any {
	t := reflect.TypeOf(v)
	if t.Kind() == reflect.Pointer {
		return reflect.New(t.Elem()).Interface()
	}
	return reflect.Zero(t).Interface()
}

// masked masks a string-kinded value, keeping its type; anything else is emptied.
func masked(v any) any {
	if v == nil {
		return nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.String {
		return reflect.ValueOf(auth.MaskString(rv.String())).Convert(rv.Type()).Interface()
	}
	if rv.Kind() == reflect.Pointer && !rv.IsNil() && rv.Elem().Kind() == reflect.String {
		m := reflect.New(rv.Elem().Type())
		m.Elem().Set(reflect.ValueOf(auth.MaskString(rv.Elem().String())).Convert(rv.Elem().Type()))
		return m.Interface()
	}
	return emptyOf(v)
}

// collector gathers the IINs one request's answer holds, and the IDs of the persons it shows
// whose IINs were not loaded.
type collector struct {
	mu      sync.Mutex
	iins    map[domain.IIN]struct{}
	persons map[int]struct{}
}

// newCollector sizes the IIN set for a family's answer, so that adding to it, which the answer's
// list elements do on goroutines of their own with small stacks, seldom grows the map (growing
// it runs deep enough to grow the goroutine's stack, a copy of the whole stack).
func newCollector() *collector {
	return &collector{iins: make(map[domain.IIN]struct{}, 16), persons: map[int]struct{}{}}
}

// addPerson notes a person shown whose IIN is not known yet.
func (c *collector) addPerson(id int) {
	c.mu.Lock()
	c.persons[id] = struct{}{}
	c.mu.Unlock()
}

// personIDs returns the persons noted by addPerson.
func (c *collector) personIDs() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]int, 0, len(c.persons))
	for id := range c.persons {
		out = append(out, id)
	}
	return out
}

// add adds the IINs that are not empty.
func (c *collector) add(iins ...domain.IIN) {
	c.mu.Lock()
	for _, v := range iins {
		if v != "" {
			c.iins[v] = struct{}{}
		}
	}
	c.mu.Unlock()
}

func (c *collector) list() []domain.IIN {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]domain.IIN, 0, len(c.iins))
	for k := range c.iins {
		out = append(out, k)
	}
	return out
}

// collectorKey carries the operation's collector in the context its fields run under
// (InterceptResponse puts it there when the operation writes an entry).
type collectorKey struct{}

// fromContext returns the collector of the operation in ctx, or nil when it writes no entry.
func fromContext(ctx context.Context) *collector {
	c, _ := ctx.Value(collectorKey{}).(*collector)
	return c
}

// Recorder writes an audit entry durably (audit.Log).
type Recorder interface {
	Record(ctx context.Context, e audit.Entry) error
}

// Extension is the gqlgen handler extension: purpose check, IIN collection, audit entry.
type Extension struct {
	Audit     Recorder                         // where entries go; required
	Logger    *slog.Logger                     // internal errors
	RequestID func(ctx context.Context) string // the request id for entries (may be nil)
	Purposes  auth.PurposePolicy               // for PURPOSE_REQUIRED messages (may be nil)
	// PersonIINs names the persons with the given IDs, for the persons an answer showed without
	// their IIN (e.g. `members { person { lastName } }`); required with a recording Audit.
	PersonIINs func(ctx context.Context, ids []int) ([]domain.IIN, error)
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
	graphql.ResponseInterceptor
} = Extension{}

const extensionName = "BirlikAccess"

// ExtensionName implements graphql.HandlerExtension.
func (Extension) ExtensionName() string { return extensionName }

// Validate implements graphql.HandlerExtension.
func (e Extension) Validate(graphql.ExecutableSchema) error {
	if e.Audit == nil || e.Logger == nil {
		return fmt.Errorf("access.Extension needs Audit and Logger")
	}
	return nil
}

// reads is what an operation reads, found by walking it before it runs.
type reads struct {
	personal  bool // selects a @personal field
	aggregate bool // selects totals or aggregates
}

// aggregateFields are the fields that answer counts and sums over people.
var aggregateFields = map[string]bool{"totalCount": true, "paymentAggregate": true, "findingSummary": true, "akimKPI": true}

// MutateOperationContext implements graphql.OperationContextMutator: an operation that selects
// personal data without a stated purpose is refused with PURPOSE_REQUIRED.
func (e Extension) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if opCtx.Operation == nil {
		return nil
	}
	r := &reads{}
	walk(opCtx.Operation.SelectionSet, r, map[string]bool{})
	opCtx.Stats.SetExtension(extensionName, r)
	if r.personal && auth.PurposeFrom(ctx) == "" {
		id, _ := auth.FromContext(ctx)
		err := gqlerror.Errorf("this query reads personal data: state its purpose in the %s header (the role %s may state: %s)", auth.PurposeHeader, id.Role, strings.Join(e.Purposes[id.Role], ", "))
		err.Extensions = map[string]any{"code": string(apperr.PurposeRequired)}
		return err
	}
	return nil
}

func walk(set ast.SelectionSet, r *reads, seen map[string]bool) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "myDataAccess" {
				continue // a citizen reading the log of their own data reads no one's data
			}
			if s.Definition != nil && s.Definition.Directives.ForName(DirectiveName) != nil {
				r.personal = true
			}
			if aggregateFields[s.Name] {
				r.aggregate = true
			}
			walk(s.SelectionSet, r, seen)
		case *ast.InlineFragment:
			walk(s.SelectionSet, r, seen)
		case *ast.FragmentSpread:
			if s.Definition != nil && !seen[s.Name] {
				seen[s.Name] = true
				walk(s.Definition.SelectionSet, r, seen)
			}
		}
	}
}

// InterceptResponse implements graphql.ResponseInterceptor: it runs the operation with a
// collector, then writes the audit entry before returning the answer (none when the operation
// was refused before it ran).
func (e Extension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	opCtx := graphql.GetOperationContext(ctx)
	r, _ := opCtx.Stats.GetExtension(extensionName).(*reads)
	if r == nil || (!r.personal && !r.aggregate) {
		return next(ctx)
	}
	c := newCollector()
	resp := next(context.WithValue(ctx, collectorKey{}, c))
	if resp == nil {
		return resp
	}
	// An operation refused before it ran (PURPOSE_REQUIRED here, or a later extension's
	// refusal: gqlgen answers those through the response interceptors too) answers errors and
	// no data at all, and read no one's data: it is not a read, and writes no entry.
	if resp.Data == nil && len(c.list()) == 0 && len(c.personIDs()) == 0 {
		return resp
	}
	id, _ := auth.FromContext(ctx)
	entry := audit.Entry{
		Subject:   id.Subject,
		Role:      id.Role,
		Client:    id.Client,
		Purpose:   auth.PurposeFrom(ctx),
		Operation: opCtx.OperationName,
		QueryHash: audit.QueryHash(opCtx.RawQuery),
		Aggregate: r.aggregate && !r.personal,
		IINs:      c.list(),
	}
	if ids := c.personIDs(); len(ids) > 0 {
		var more []domain.IIN
		err := fmt.Errorf("access.Extension has no PersonIINs to name %d persons shown without their IIN", len(ids))
		if e.PersonIINs != nil {
			more, err = e.PersonIINs(ctx, ids)
		}
		if err != nil {
			e.Logger.ErrorContext(ctx, "audit entry incomplete: the answer is withheld", "err", err)
			return &graphql.Response{Errors: gqlerror.List{{
				Message:    "the audit log could not name everyone this read shows, so the data is withheld: retry later",
				Extensions: map[string]any{"code": string(apperr.Internal)},
			}}}
		}
		entry.IINs = append(entry.IINs, more...)
	}
	if entry.Operation == "" && opCtx.Operation != nil {
		entry.Operation = opCtx.Operation.Name
	}
	if e.RequestID != nil {
		entry.RequestID = e.RequestID(ctx)
	}
	if err := e.Audit.Record(ctx, entry); err != nil {
		e.Logger.ErrorContext(ctx, "audit entry not written: the answer is withheld", "err", err)
		return &graphql.Response{Errors: gqlerror.List{{
			Message:    "the audit log could not record this read, so the data is withheld: retry later",
			Extensions: map[string]any{"code": string(apperr.Internal)},
		}}}
	}
	return resp
}
