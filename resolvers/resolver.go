// Package resolvers holds the GraphQL resolvers of the unified graph: thin functions that read
// the arguments, call the store's Ent client or a package of the graph layer, and return. Lists
// are entgql connections (paging, filters, ordering in one call); lookups by IIN or BIN validate
// the identifier first (INVALID_IIN / INVALID_BIN) and answer null for an unknown one.
//
// Resolvers never hold business rules and never write to the store.
package resolvers

import (
	"context"
	"fmt"
	"reflect"
	"strconv"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/schema"
	"github.com/birlik/birlik/familycard/welfare"
	"github.com/birlik/birlik/graph/model"
	"github.com/birlik/birlik/loaders"
)

// Resolver is the root resolver: what every resolver may use.
type Resolver struct {
	Client *ent.Client
	// ShowOfficial makes myDataAccess name the official who read, not only the organisation
	// and role (configuration BIRLIK_AUDIT_SHOW_OFFICIAL).
	ShowOfficial bool
	// Freshness reports how current the data is (Query.freshness); nil: nothing is known, as in
	// a store served without syncs.
	FreshnessOf func(ctx context.Context) *model.DataFreshness
}

// unfiltered reports whether a payments' where selects every payment: absent, or with no
// condition set (every field, the predicates extensions add included, at its zero value).
func unfiltered(where *ent.PaymentWhereInput) bool {
	return where == nil || reflect.ValueOf(*where).IsZero()
}

// region is the Region of a KATO code; an unknown code keeps itself as its name.
func region(k domain.KATO) *domain.Region {
	if r, ok := domain.RegionOf(k); ok {
		return &r
	}
	return &domain.Region{KATO: k, Name: string(k)}
}

// designCapacity is the design capacity read with school s (schema.SchoolDesignCapacity): nil when
// the cadastre has no building of its number; ok false when s was read without the column.
func designCapacity(s *ent.School) (_ *int, ok bool, err error) {
	v, err := s.Value(schema.SchoolDesignCapacity)
	if err != nil {
		return nil, false, nil // not selected: the caller reads the building
	}
	var text string
	switch x := v.(type) {
	case string:
		text = x
	case []byte:
		text = string(x)
	default:
		return nil, true, fmt.Errorf("school %s: its building's design capacity is a %T, want text", s.Bin, v)
	}
	if text == "" {
		return nil, true, nil // the cadastre has no building of its number
	}
	n, err := strconv.Atoi(text)
	if err != nil {
		return nil, true, fmt.Errorf("school %s: its building's design capacity %q: %w", s.Bin, text, err)
	}
	return &n, true, nil
}

// orNil turns Ent's not-found into a null answer: an unknown key is not an error.
func orNil[T any](v *T, err error) (*T, error) {
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return v, err
}

// familyAssessment is the family's assessment under the default rules for month (the latest when
// nil), batched through the request's loaders: one query per level.
func (r *Resolver) familyAssessment(ctx context.Context, f *ent.Family, month *domain.Month) (*ent.FamilyAssessment, error) {
	l, err := loaders.From(ctx)
	if err != nil {
		return nil, err
	}
	k := loaders.AssessmentKey{FamilyID: f.ID, RuleVersion: welfare.Default.Version}
	if month != nil {
		k.Month = *month
	}
	return l.Assessment(ctx, k)
}

// assessmentPage pages a family's assessments (by month) forward: those after the cursor, at
// most first of them (all when first is nil), as a Relay connection.
func assessmentPage(all []*ent.FamilyAssessment, after *ent.Cursor, first *int) *ent.FamilyAssessmentConnection {
	start := 0
	if after != nil {
		// A cursor that names no assessment of this family pages past the end rather than
		// starting over, so a client never reads a month twice.
		start = len(all)
		for i, a := range all {
			if a.ID == after.ID {
				start = i + 1
				break
			}
		}
	}
	rest := all[start:]
	n := len(rest)
	if first != nil && *first < n {
		n = max(*first, 0)
	}
	c := &ent.FamilyAssessmentConnection{TotalCount: len(all)}
	for _, a := range rest[:n] {
		c.Edges = append(c.Edges, &ent.FamilyAssessmentEdge{Node: a, Cursor: ent.Cursor{ID: a.ID, Value: a.Month}})
	}
	c.PageInfo.HasNextPage = n < len(rest)
	c.PageInfo.HasPreviousPage = start > 0
	if len(c.Edges) > 0 {
		c.PageInfo.StartCursor = &c.Edges[0].Cursor
		c.PageInfo.EndCursor = &c.Edges[len(c.Edges)-1].Cursor
	}
	return c
}
