// Package readroute decides, for each GraphQL operation, whether its store reads may go to the
// read replica (DATABASE_READ_URL) or must go to the primary, and marks the operation's context
// with store.Primary when they must. It is the one place that decides it:
//
//   - every mutation, and every read of the operations that follow a caller's mutation until the
//     replica has replayed it (read-your-writes, by the primary's WAL position at the write);
//   - every operation that reads what requests write: the root fields marked primary in
//     rootFields (the audit log, the findings), and any field anywhere in the operation whose
//     type is one of writtenTypes (a finding reached through a person, a payment, a node, …).
//
// TestEveryRootFieldIsRouted walks the schema's root fields, so a new one cannot be served
// before it is listed here; TestMutationsReturnWrittenTypes keeps what a mutation returns among
// writtenTypes.
package readroute

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/store"
)

// Route is where an operation's reads go.
type Route int

const (
	Replica Route = iota // the read replica: data only the syncs and derived work write
	Primary              // the primary: what requests write, or what the caller just wrote
)

// rootFields routes every root field of Query (and Subscription) by what it reads.
var rootFields = map[string]Route{
	// the audit log: written by every request, a citizen's own reads among them
	"Query.myDataAccess": Primary,
	// findings: their status is written by the caseworkers (confirmFinding, dismissFinding)
	"Query.findings":       Primary,
	"Query.findingSummary": Primary,
	// the synced records and the derived family card: written by the syncs and the derived
	// work only; a finding selected under them is caught by writtenTypes
	"Query.node":                      Replica,
	"Query.nodes":                     Replica,
	"Query.buildings":                 Replica,
	"Query.changes":                   Replica,
	"Query.employers":                 Replica,
	"Query.families":                  Replica,
	"Query.medicalInstitutions":       Replica,
	"Query.payments":                  Replica,
	"Query.persons":                   Replica,
	"Query.quarantines":               Replica,
	"Query.schools":                   Replica,
	"Query.syncCursors":               Replica,
	"Query.welfareTransitions":        Replica,
	"Query.akimKPI":                   Replica,
	"Query.socialObligationsForecast": Replica,
	"Query.person":                    Replica,
	"Query.family":                    Replica,
	"Query.school":                    Replica,
	"Query.medicalInstitution":        Replica,
	"Query.paymentAggregate":          Replica,
	"Query.regions":                   Replica,
	"Query.freshness":                 Replica,
	// introspection reads no store
	"Query.__schema":   Replica,
	"Query.__type":     Replica,
	"Query.__typename": Replica,
}

// writtenTypes are the types whose data requests write: an operation that selects a field of
// one, or a field returning one, anywhere, reads the primary.
var writtenTypes = map[string]bool{
	"Finding": true, "FindingConnection": true, "FindingEdge": true, "FindingSummary": true,
	"DataAccess": true, "DataAccessConnection": true, "DataAccessEdge": true, "DataAccessPageInfo": true,
}

// Classify returns the route of op, and whether it writes.
func Classify(op *ast.OperationDefinition) (route Route, writes bool) {
	if op == nil {
		return Primary, false
	}
	if op.Operation == ast.Mutation {
		return Primary, true
	}
	for _, f := range fields(op.SelectionSet, map[string]bool{}) {
		if f.Name == "__typename" && f.ObjectDefinition == nil {
			continue
		}
		if f.ObjectDefinition != nil && (f.ObjectDefinition.Name == "Query" || f.ObjectDefinition.Name == "Subscription") {
			if r, ok := rootFields[f.ObjectDefinition.Name+"."+f.Name]; !ok || r == Primary {
				return Primary, false // a root field nobody routed reads the primary
			}
		}
		if f.ObjectDefinition != nil && writtenTypes[f.ObjectDefinition.Name] {
			return Primary, false
		}
		if f.Definition != nil && writtenTypes[f.Definition.Type.Name()] {
			return Primary, false
		}
	}
	return Replica, false
}

// fields lists every field of set, through fragments, each fragment once.
func fields(set ast.SelectionSet, seen map[string]bool) []*ast.Field {
	var out []*ast.Field
	for _, s := range set {
		switch s := s.(type) {
		case *ast.Field:
			out = append(out, s)
			out = append(out, fields(s.SelectionSet, seen)...)
		case *ast.InlineFragment:
			out = append(out, fields(s.SelectionSet, seen)...)
		case *ast.FragmentSpread:
			if s.Definition != nil && !seen[s.Name] {
				seen[s.Name] = true
				out = append(out, fields(s.Definition.SelectionSet, seen)...)
			}
		}
	}
	return out
}

// Writes is what read-your-writes needs of the store: noting a caller's write, and whether
// the replica has replayed it (store.Router).
type Writes interface {
	Wrote(ctx context.Context, caller string)
	Behind(ctx context.Context, caller string) bool
}

// Extension marks each operation's context for its route (store.Primary) and notes each
// mutation's caller in W, whose following operations then read the primary until the replica
// has replayed the write.
type Extension struct{ W Writes }

var (
	_ graphql.HandlerExtension     = Extension{}
	_ graphql.OperationInterceptor = Extension{}
)

// ExtensionName implements graphql.HandlerExtension.
func (Extension) ExtensionName() string { return "ReadRoute" }

// Validate implements graphql.HandlerExtension.
func (Extension) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation implements graphql.OperationInterceptor.
func (e Extension) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	var op *ast.OperationDefinition
	if graphql.HasOperationContext(ctx) {
		op = graphql.GetOperationContext(ctx).Operation
	}
	route, writes := Classify(op)
	caller := Caller(ctx)
	if route == Replica && caller != "" && e.W.Behind(ctx, caller) {
		route = Primary
	}
	if route == Primary {
		ctx = store.Primary(ctx)
	}
	h := next(ctx)
	if !writes || caller == "" {
		return h
	}
	return func(ctx context.Context) *graphql.Response {
		resp := h(ctx)
		e.W.Wrote(ctx, caller)
		return resp
	}
}

// Caller is the key of the caller read-your-writes follows: the identity's role, client and
// subject; empty for an anonymous context.
func Caller(ctx context.Context) string {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return ""
	}
	return id.Role + "\x00" + id.Client + "\x00" + id.Subject
}
