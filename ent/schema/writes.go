package schema

// Write rules: what a caller may change, as Ent privacy mutation policies over the identity in
// the context, the same identity the row rules of privacy.go read. Every type carries one, so
// every create, update and delete of the store passes through them:
//
//   - no identity: the gateway's own work (sync, the checks, CLI commands) writes as before;
//     the audit writer writes under an explicit privacy.Allow decision;
//   - a caller (an identity from a request) writes nothing, with one exception: a role of
//     auth.FindingEditors updates the status of findings (status, who, when, the note) within
//     its region scope. The scope is a predicate of the UPDATE statement itself, so a finding
//     out of scope is not matched and nothing is written;
//   - a refused write is FORBIDDEN (apperr), wrapping privacy.Deny, before any statement runs.

import (
	"context"
	"slices"
	"strings"

	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"

	"github.com/birlik/birlik/apperr"
	"github.com/birlik/birlik/auth"
	gen "github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/finding"
	"github.com/birlik/birlik/ent/privacy"
)

// refuse is a refused write: FORBIDDEN for the client, privacy.Deny for the store.
func refuse(format string, args ...any) error {
	return apperr.Wrap(apperr.Forbidden, privacy.Deny, format, args...)
}

// callersWriteNothing refuses every write made for a caller; the gateway's own work (no
// identity) goes on to the type's other rules.
var callersWriteNothing = privacy.MutationRuleFunc(func(ctx context.Context, m gen.Mutation) error {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return privacy.Skip
	}
	return refuse("role %q may not change %s records: they are written only by sync and the checks", id.Role, m.Type())
})

// readOnly is the mutation policy of the types no caller ever writes.
var readOnly = privacy.MutationPolicy{callersWriteNothing}

// findingStatusFields are the columns a caller's update of a finding may set.
var findingStatusFields = []string{finding.FieldStatus, finding.FieldStatusChangedBy, finding.FieldStatusChangedAt, finding.FieldStatusNote}

// findingWrites lets a role of auth.FindingEditors confirm or dismiss the findings of its region
// scope, and refuses every other write by a caller.
var findingWrites = privacy.MutationRuleFunc(func(ctx context.Context, m gen.Mutation) error {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return privacy.Skip
	}
	if !slices.Contains(auth.FindingEditors, id.Role) {
		return refuse("role %q may not confirm or dismiss findings (roles: %s)", id.Role, strings.Join(auth.FindingEditors, ", "))
	}
	fm, ok := m.(*gen.FindingMutation)
	if !ok || !m.Op().Is(ent.OpUpdate|ent.OpUpdateOne) {
		return refuse("findings are written by the checks: a caller may only confirm or dismiss one")
	}
	for _, f := range m.Fields() {
		if !slices.Contains(findingStatusFields, f) {
			return refuse("a caller may change a finding's status and note only, not %s", f)
		}
	}
	if n := len(m.ClearedFields()) + len(m.AddedFields()) + len(m.AddedEdges()) + len(m.RemovedEdges()) + len(m.ClearedEdges()); n > 0 {
		return refuse("a caller may change a finding's status and note only")
	}
	if s, ok := fm.Status(); ok && s != finding.StatusConfirmed && s != finding.StatusDismissed {
		return refuse("a caller may set a finding confirmed or dismissed, not %s", s)
	}
	switch sc := scopeOf(ctx); {
	case sc.all:
	case len(sc.regions) > 0:
		fm.WhereP(func(s *sql.Selector) { s.Where(sql.In(s.C(colRegion), anys(sc.regions)...)) })
	default:
		return refuse("role %q has no region scope to change findings in", id.Role)
	}
	return privacy.Allow
})

// The organisations, buildings, reports, register positions and sync cursors: read by
// everyone (row rules none), written by sync only.

// Policy of School.
func (School) Policy() ent.Policy { return privacy.Policy{Mutation: readOnly} }

// Policy of Building.
func (Building) Policy() ent.Policy { return privacy.Policy{Mutation: readOnly} }

// Policy of Employer.
func (Employer) Policy() ent.Policy { return privacy.Policy{Mutation: readOnly} }

// Policy of MedicalInstitution.
func (MedicalInstitution) Policy() ent.Policy { return privacy.Policy{Mutation: readOnly} }

// Policy of IncomeReport.
func (IncomeReport) Policy() ent.Policy { return privacy.Policy{Mutation: readOnly} }

// Policy of RegisterPosition.
func (RegisterPosition) Policy() ent.Policy { return privacy.Policy{Mutation: readOnly} }

// Policy of StaffingDeclaration.
func (StaffingDeclaration) Policy() ent.Policy { return privacy.Policy{Mutation: readOnly} }

// Policy of SyncCursor.
func (SyncCursor) Policy() ent.Policy { return privacy.Policy{Mutation: readOnly} }
