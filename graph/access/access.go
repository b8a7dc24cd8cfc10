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
	"regexp"
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
	"github.com/birlik/birlik/store"
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
	// request's context, and most personal fields are neither on a person nor hold an IIN.
	// A person loaded without its IIN column (field collection selects only the fields asked
	// for) is noted by its ID and named when the entry is written. A value may hold IINs inside
	// it (a source key, a finding's key or evidence): each is named.
	var owner domain.IIN
	var ownerID int
	if p, ok := obj.(*ent.Person); ok && p != nil {
		owner, ownerID = p.Iin, p.ID
	}
	var values []domain.IIN
	if holdsText(res) {
		values = auth.IINsIn(res)
	}
	if owner != "" || ownerID != 0 || len(values) > 0 {
		if c := fromContext(ctx); c != nil {
			if owner == "" && ownerID != 0 {
				c.addPerson(ownerID)
			}
			c.add(owner)
			c.add(values...)
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

// holdsText reports whether v is a value IINs can stand in: a string-kinded value, a pointer to
// one, or a JSON object or list.
func holdsText(v any) bool {
	switch v.(type) {
	case nil:
		return false
	case string, domain.IIN, map[string]any, []any:
		return true
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	return rv.Kind() == reflect.String
}

// masked masks a string-kinded value, keeping its type (every IIN inside masked, or the first
// letter kept: auth.MaskString), and a JSON object or list (every IIN inside masked, dates of a
// person kept to their year: auth.MaskValue); anything else is emptied.
func masked(v any) any {
	if v == nil {
		return nil
	}
	switch x := v.(type) {
	case map[string]any:
		return auth.MaskValue(x)
	case []any:
		return auth.MaskValue(x)
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
	// filtered is set when the operation filters by a personal value; families maps the
	// families it then returned, whose members the entry names.
	filtered bool
	families map[int]struct{}
	findings map[int]struct{} // findings returned without their subject column
}

// newCollector sizes the IIN set for a family's answer, so that adding to it, which the answer's
// list elements do on goroutines of their own with small stacks, seldom grows the map (growing
// it runs deep enough to grow the goroutine's stack, a copy of the whole stack).
func newCollector() *collector {
	return &collector{iins: make(map[domain.IIN]struct{}, 16), persons: map[int]struct{}{}}
}

// addFamily notes a family whose members the entry must name.
func (c *collector) addFamily(id int) {
	c.mu.Lock()
	if c.families == nil {
		c.families = map[int]struct{}{}
	}
	c.families[id] = struct{}{}
	c.mu.Unlock()
}

// addFinding notes a finding whose subject the entry must name.
func (c *collector) addFinding(id int) {
	c.mu.Lock()
	if c.findings == nil {
		c.findings = map[int]struct{}{}
	}
	c.findings[id] = struct{}{}
	c.mu.Unlock()
}

// familyIDs returns the families noted by addFamily.
func (c *collector) familyIDs() []int { return c.ids(c.families) }

// findingIDs returns the findings noted by addFinding.
func (c *collector) findingIDs() []int { return c.ids(c.findings) }

func (c *collector) ids(m map[int]struct{}) []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]int, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	return out
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

// Recorder writes an audit entry durably (audit.Log). A Recorder that also has
// Available(ctx) error (audit.Log does) tells a failure of its store from one of its own.
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
	// FamilyIINs names the members of the families with the given IDs, for the families an
	// answer returned through a filter on a personal value; required with a recording Audit.
	FamilyIINs func(ctx context.Context, ids []int) ([]domain.IIN, error)
	// FindingIINs names the subjects of the findings with the given IDs, for the findings an
	// answer returned through a filter on a personal value without their subject column.
	FindingIINs func(ctx context.Context, ids []int) ([]domain.IIN, error)
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
	graphql.ResponseInterceptor
	graphql.FieldInterceptor
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
	personal  bool         // selects a @personal field, or filters or sorts by one
	aggregate bool         // selects totals or aggregates
	subjects  []domain.IIN // the IINs the operation's filters and lookups name
	refused   bool         // refused before it ran: it read nothing, so it is no read to record
	filtered  bool         // filters, sorts or looks up by a personal value
}

// aggregateFields are the fields that answer counts and sums over people.
var aggregateFields = map[string]bool{"totalCount": true, "paymentAggregate": true, "findingSummary": true, "akimKPI": true}

// MutateOperationContext implements graphql.OperationContextMutator. It walks the operation
// before anything runs, every selected field and every argument value (variables resolved),
// and refuses it:
//   - FORBIDDEN when it selects a field, or uses an argument, filter field or ordering, that the
//     schema does not classify as personal or public (deny by default, classify.go);
//   - PURPOSE_REQUIRED when it reads personal data without a stated purpose: a @personal field,
//     or a filter, ordering or lookup by one (filtering by a value is reading it);
//   - FORBIDDEN when it filters, sorts or looks up by a personal field the role may not see in
//     the clear for that purpose (one that sees it masked could otherwise find its clear value).
//
// The IINs its filters and lookups name are recorded in the audit entry as its subjects.
func (e Extension) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if opCtx.Operation == nil {
		return nil
	}
	id, _ := auth.FromContext(ctx)
	w := &walker{
		cls:     schemaClasses(),
		vars:    opCtx.Variables,
		role:    id.Role,
		scoped:  id.Role == auth.RoleCitizen || !id.AllRegions(),
		purpose: auth.PurposeFrom(ctx),
		r:       &reads{},
		seen:    map[string]bool{},
	}
	w.selections(opCtx.Operation.SelectionSet)
	opCtx.Stats.SetExtension(extensionName, w.r)
	w.r.refused = true
	if w.unclassified != "" {
		return coded(apperr.Forbidden, "%s is not classified as personal or public data, so the gateway does not answer it: leave it out of the query (graph/access/classify.go classifies the schema)", w.unclassified)
	}
	if w.r.personal && w.purpose == "" {
		return coded(apperr.PurposeRequired, "this query reads personal data: state its purpose in the %s header (the role %s may state: %s)", auth.PurposeHeader, id.Role, strings.Join(e.Purposes[id.Role], ", "))
	}
	if w.refused != "" {
		return coded(apperr.Forbidden, "%s", w.refused)
	}
	w.r.refused = false
	return nil
}

// coded is an operation-level error with its extensions.code.
func coded(code apperr.Code, format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	err.Extensions = map[string]any{"code": string(code)}
	return err
}

// iinPattern matches the filters on an IIN field by a pattern or a range (iinHasPrefix,
// recipientIinGT, …): IINs are looked up whole, so that the filter names whose records it
// returns (submatch 1: the field).
var iinPattern = regexp.MustCompile(`^((?:iin|[a-z]\w*Iin))(NEQ|NotIn|GT|GTE|LT|LTE|Contains|ContainsFold|HasPrefix|HasSuffix|EqualFold)$`)

// walker walks one operation: its selections and the values of their arguments.
type walker struct {
	cls           *classes
	vars          map[string]any
	role, purpose string
	// scoped is set for a caller whose row rules limit the records it sees (a citizen, a token
	// naming regions); edge counts the has…With filters the walk is inside.
	scoped       bool
	edge         int
	r            *reads
	seen         map[string]bool // fragments walked
	unclassified string          // the first item the schema does not classify
	refused      string          // why the first personal filter the role may not use is refused
}

func (w *walker) selections(set ast.SelectionSet) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "myDataAccess" {
				continue // a citizen reading the log of their own data reads no one's data
			}
			if strings.HasPrefix(s.Name, "__") {
				continue // __typename, and introspection (authenticated callers only)
			}
			typ := ""
			if s.ObjectDefinition != nil {
				typ = s.ObjectDefinition.Name
			}
			key := typ + "." + s.Name
			k, ok := w.cls.lookup(key)
			if !ok {
				w.unknown("the field " + key)
			} else if k.personal {
				w.r.personal = true
			}
			if aggregateFields[s.Name] {
				w.r.aggregate = true
			}
			if len(s.Arguments) > 0 && s.Definition != nil {
				w.arguments(key, s)
			}
			w.selections(s.SelectionSet)
		case *ast.InlineFragment:
			w.selections(s.SelectionSet)
		case *ast.FragmentSpread:
			if s.Definition != nil && !w.seen[s.Name] {
				w.seen[s.Name] = true
				w.selections(s.Definition.SelectionSet)
			}
		}
	}
}

func (w *walker) unknown(what string) {
	if w.unclassified == "" {
		w.unclassified = what
	}
}

// arguments checks the arguments field (key Type.field) is given, and the values in them.
func (w *walker) arguments(key string, f *ast.Field) {
	values := f.ArgumentMap(w.vars)
	for _, a := range f.Arguments {
		def := f.Definition.Arguments.ForName(a.Name)
		if def == nil {
			continue // the validator has refused it already
		}
		ak := key + "(" + a.Name + ")"
		k, ok := w.cls.lookup(ak)
		if !ok {
			w.unknown("the argument " + ak)
			continue
		}
		v := values[a.Name]
		if k.personal && v != nil {
			w.filter(fmt.Sprintf("the argument %s of %s", a.Name, key), k.category, v)
		}
		w.value(def.Type, v)
	}
}

// value checks an argument value of type t: the fields of an input object, the values of an
// ordering, recursively.
func (w *walker) value(t *ast.Type, v any) {
	if v == nil || t == nil {
		return
	}
	if t.Elem != nil {
		if list, ok := v.([]any); ok {
			for _, e := range list {
				w.value(t.Elem, e)
			}
			return
		}
		w.value(t.Elem, v) // a single value given for a list
		return
	}
	def := w.cls.schema.Types[t.NamedType]
	if def == nil {
		return
	}
	switch def.Kind {
	case ast.InputObject:
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		for name, fv := range m {
			key := def.Name + "." + name
			k, ok := w.cls.lookup(key)
			if !ok {
				w.unknown("the input field " + key)
				continue
			}
			if k.personal && fv != nil {
				w.filter("the filter "+key, k.category, fv)
				if iinPattern.MatchString(name) && w.refused == "" && w.purpose != "" {
					w.refused = fmt.Sprintf("the filter %s matches IINs by a pattern or a range, which does not name the people whose records it returns, so their reads could not be recorded: one may not filter, sort or look up by part of an IIN; filter by whole IINs (%s or %sIn)", key, iinPattern.FindStringSubmatch(name)[1], iinPattern.FindStringSubmatch(name)[1])
				}
			}
			if fd := def.Fields.ForName(name); fd != nil {
				edge := strings.HasPrefix(name, "has") && strings.HasSuffix(name, "With")
				if edge {
					w.edge++
				}
				w.value(fd.Type, fv)
				if edge {
					w.edge--
				}
			}
		}
	case ast.Enum:
		name, ok := v.(string)
		if !ok {
			return
		}
		key := def.Name + "." + name
		k, ok := w.cls.lookup(key)
		if !ok {
			w.unknown("the value " + key)
			return
		}
		if k.personal {
			w.filter("the ordering "+key, k.category, nil)
		}
	}
}

// filter notes a filter, ordering or lookup by a personal value of category c: the operation
// reads personal data (it needs a purpose and is audited), the role must see c in the clear
// for its purpose, and the IINs in v are the operation's subjects.
func (w *walker) filter(what string, c auth.Category, v any) {
	w.r.personal, w.r.filtered = true, true
	w.r.subjects = append(w.r.subjects, auth.IINsIn(v)...)
	if w.purpose == "" || w.refused != "" {
		return
	}
	if w.scoped && w.edge > 0 {
		// A has…With filter tests the related records in SQL without their row rules: through
		// it a caller limited to their family or region would learn about people outside it.
		w.refused = fmt.Sprintf("%s is by %s data inside a has…With filter, which tests records beyond the row rules of the role %s limited to its own family or region(s): it may not filter, sort or look up by it there; filter the records you may read directly (persons, families, payments) instead", what, c, w.role)
		return
	}
	switch auth.FieldRule(w.role, c, w.purpose) {
	case auth.Mask:
		w.refused = fmt.Sprintf("%s is by %s data, which the role %s sees masked for the purpose %q: it may not filter, sort or look up by its clear value; leave it out of the query", what, c, w.role, w.purpose)
	case auth.Forbid:
		w.refused = fmt.Sprintf("%s is by %s data, which the role %s may not see for the purpose %q: it may not filter, sort or look up by it either; leave it out of the query", what, c, w.role, w.purpose)
	}
}

// InterceptField implements graphql.FieldInterceptor: while an audited operation runs, every
// record it resolves that carries IINs (a payment's recipient and child, a membership's member)
// names them in the entry, whichever of its fields are selected: rows found through a filter
// on a personal field are that person's data even when the answer shows only their amounts.
// Only records of types with IIN fields look up the collector (cached by type).
func (Extension) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	res, err := next(ctx)
	if err != nil || res == nil {
		return res, err
	}
	switch x := res.(type) {
	case *ent.Person:
		// A person loaded without its IIN column (only `id` asked for) is named by its ID.
		if x != nil && x.Iin == "" && x.ID != 0 {
			if c := fromContext(ctx); c != nil {
				c.addPerson(x.ID)
			}
		}
		return res, err
	case *ent.Family:
		// A family found through a personal filter is its members' data, whichever of its
		// fields are shown: its members are named when the entry is written.
		if x != nil && x.ID != 0 {
			if c := fromContext(ctx); c != nil && c.filtered {
				c.addFamily(x.ID)
			}
		}
		return res, err
	case *ent.Finding:
		// A finding names its subject; one loaded without it is named by its ID.
		if x != nil && x.ID != 0 {
			if c := fromContext(ctx); c != nil {
				if x.SubjectIin != "" {
					c.add(auth.IINsIn(x.SubjectIin)...)
				} else if c.filtered {
					c.addFinding(x.ID)
				}
			}
		}
		return res, err
	}
	rv := reflect.ValueOf(res)
	idx := iinFieldsOf(rv.Type())
	if len(idx) == 0 {
		return res, err
	}
	c := fromContext(ctx)
	if c == nil {
		return res, err
	}
	add := func(p reflect.Value) {
		if p.Kind() != reflect.Pointer || p.IsNil() {
			return
		}
		p = p.Elem()
		for _, i := range idx {
			f := p.Field(i)
			if f.Kind() == reflect.Pointer {
				if f.IsNil() {
					continue
				}
				f = f.Elem()
			}
			c.add(domain.IIN(f.String()))
		}
	}
	if rv.Kind() == reflect.Slice {
		for i := 0; i < rv.Len(); i++ {
			add(rv.Index(i))
		}
	} else {
		add(rv)
	}
	return res, err
}

// iinTypes caches, per result type, the indexes of its record's domain.IIN fields (nil: none).
var iinTypes sync.Map // reflect.Type → []int

var iinType = reflect.TypeOf(domain.IIN(""))

// iinFieldsOf returns the indexes of the domain.IIN (or *domain.IIN) fields of the record a
// result of type t holds: a pointer to a struct, or a slice of them.
func iinFieldsOf(t reflect.Type) []int {
	if v, ok := iinTypes.Load(t); ok {
		return v.([]int)
	}
	var idx []int
	rt := t
	if rt.Kind() == reflect.Slice {
		rt = rt.Elem()
	}
	if rt.Kind() == reflect.Pointer && rt.Elem().Kind() == reflect.Struct {
		st := rt.Elem()
		for i := 0; i < st.NumField(); i++ {
			ft := st.Field(i).Type
			if ft == iinType || (ft.Kind() == reflect.Pointer && ft.Elem() == iinType) {
				idx = append(idx, i)
			}
		}
	}
	iinTypes.Store(t, idx)
	return idx
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
	if r == nil || r.refused || (!r.personal && !r.aggregate) {
		return next(ctx)
	}
	c := newCollector()
	c.filtered = r.filtered
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
	c.add(r.subjects...) // the IINs its filters and lookups name
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
	for _, n := range []struct {
		ids  []int
		name func(ctx context.Context, ids []int) ([]domain.IIN, error)
		what string
	}{
		{c.personIDs(), e.PersonIINs, "the persons shown without their IIN"},
		{c.familyIDs(), e.FamilyIINs, "the members of families"},
		{c.findingIDs(), e.FindingIINs, "the subjects of findings"},
	} {
		if len(n.ids) == 0 {
			continue
		}
		var more []domain.IIN
		err := fmt.Errorf("access.Extension has no function to name %s (%d)", n.what, len(n.ids))
		if n.name != nil {
			more, err = n.name(ctx, n.ids)
		}
		if err != nil {
			if resp := e.storeDown(ctx, err); resp != nil {
				return resp
			}
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
		if resp := e.storeDown(ctx, err); resp != nil {
			return resp
		}
		e.Logger.ErrorContext(ctx, "audit entry not written: the answer is withheld", "err", err)
		return &graphql.Response{Errors: gqlerror.List{{
			Message:    "the audit log could not record this read, so the data is withheld: retry later",
			Extensions: map[string]any{"code": string(apperr.Internal)},
		}}}
	}
	return resp
}

// storeDown returns the answer to a read whose audit entry could not be named or written (err)
// because the store does not answer, or lost the connection the write was on (a failover, a
// terminated backend: store.ConnectionLost), or nil when the store answers and the failure is
// the audit log's own. The data is withheld either way; a lost store is STORE_UNAVAILABLE, which
// /readyz reports too, logged as a warning (its readiness change is the operators' signal).
func (e Extension) storeDown(ctx context.Context, err error) *graphql.Response {
	if !store.ConnectionLost(err) {
		a, ok := e.Audit.(interface{ Available(context.Context) error })
		if !ok || a.Available(ctx) == nil {
			return nil
		}
	}
	e.Logger.WarnContext(ctx, "store unavailable: the answer is withheld", "err", err)
	se := apperr.StoreDown(err)
	return &graphql.Response{Errors: gqlerror.List{{
		Message:    se.Message,
		Extensions: map[string]any{"code": string(se.Code)},
	}}}
}
