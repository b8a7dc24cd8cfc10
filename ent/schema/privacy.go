package schema

// Row rules: which rows a caller sees at all, as Ent privacy policies over the identity the
// gateway puts in the context (auth.FromContext). A row outside the caller's scope is filtered
// out in SQL, so it is absent from lists, from totalCount and from aggregates alike, and no
// resolver can forget the rule. Field rules (what a role sees of a row) are the @personal
// directive's, declared here with personal() on the fields and applied by graph/access.
//
// The scopes (docs/access.md has the full table):
//   - no identity: the gateway's own work (sync, checks, the audit writer, CLI commands) sees
//     everything; the HTTP layer never lets a request through without an identity;
//   - citizen: themselves and the members of their current family (by IIN), their family, the
//     payments to or for them or their family; no findings;
//   - a role with a region scope (always a caseworker; any role whose token names regions):
//     people, families, payments and findings of those regions; a caseworker without one sees
//     nothing;
//   - health: no payments and no findings;
//   - quarantined records (raw, unvalidated, personal data included): the admin only;
//   - the audit log: a citizen sees the entries naming them, admin all, nobody else any; and
//     nobody may update or delete an entry.
//
// What a caller may write (nothing, except the status of findings in scope) is writes.go's.

import (
	"context"
	"strings"

	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/domain"
	gen "github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/auditsubject"
	"github.com/birlik/birlik/ent/intercept"
	"github.com/birlik/birlik/ent/predicate"
	"github.com/birlik/birlik/ent/privacy"
)

// Table and column names the rules use (the generated constants cannot be imported here for
// every type without cycles through ent/runtime, and these are the schema's own names).
const (
	personsTable      = "persons"
	membershipsTable  = "family_memberships"
	familiesTable     = "families"
	schoolsTable      = "schools"
	buildingsTable    = "buildings"
	colCadastral      = "cadastral"
	colDesignCapacity = "design_capacity"
	colID             = "id"
	colIIN            = "iin"
	colRegion         = "region_kato"
	colPlatformID     = "platform_id"
	colFamilyPlatform = "family_platform_id"
	colTo             = "to"
	colBIN            = "bin"
	colEntryID        = "entry_id"

	auditSubjectsTable = "audit_subjects"
)

// scope is what the caller in ctx may see of rows.
type scope struct {
	all     bool          // no row filter
	none    bool          // no rows
	citizen auth.Identity // when set (Role citizen): themselves and their family
	regions []string      // when set: these regions
}

func scopeOf(ctx context.Context) scope {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return scope{all: true}
	}
	switch {
	case id.Role == auth.RoleCitizen:
		return scope{citizen: id}
	case id.Role == auth.RoleCaseworker && id.AllRegions():
		return scope{none: true}
	case !id.AllRegions():
		s := scope{}
		for _, r := range id.Regions {
			s.regions = append(s.regions, string(r))
		}
		return s
	}
	return scope{all: true}
}

func role(ctx context.Context) string {
	id, _ := auth.FromContext(ctx)
	return id.Role
}

// nothing matches no row.
func nothing(s *sql.Selector) { s.Where(sql.ExprP("1 = 0")) }

// familyIINs selects the IINs of sub and of the members of sub's current families.
func familyIINs(sub string) *sql.Selector {
	m1 := sql.Table(membershipsTable).As("pm1")
	m2 := sql.Table(membershipsTable).As("pm2")
	return sql.Select(m2.C(colIIN)).From(m1).
		Join(m2).On(m1.C(colFamilyPlatform), m2.C(colFamilyPlatform)).
		Where(sql.And(sql.EQ(m1.C(colIIN), sub), sql.IsNull(m1.C(colTo)), sql.IsNull(m2.C(colTo))))
}

// familiesOf selects the platform ids of sub's current families.
func familiesOf(sub string) *sql.Selector {
	m := sql.Table(membershipsTable).As("pm3")
	return sql.Select(m.C(colFamilyPlatform)).From(m).Where(sql.And(sql.EQ(m.C(colIIN), sub), sql.IsNull(m.C(colTo))))
}

// inRegions is true when the row of table whose key column equals the outer column outer lies in
// regions. It is a correlated EXISTS rather than "outer IN (SELECT key … WHERE region IN …)": an
// IN under an OR makes PostgreSQL and SQLite hash every row of the region for each query (a
// region holds tens of thousands of people), while EXISTS lets the planner look up the few
// rows an edge or a page holds by the key's index, or hash when a scan is cheaper.
func inRegions(table, alias, key, outer string, regions []string) *sql.Predicate {
	t := sql.Table(table).As(alias)
	return sql.Exists(sql.Select(t.C(key)).From(t).Where(sql.And(
		sql.ColumnsEQ(t.C(key), outer),
		sql.In(t.C(colRegion), anys(regions)...),
	)))
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// byIIN filters rows whose IIN columns name someone in scope; regionCol, when not empty, is the
// row's own region column (used instead of the people's region for a regional scope).
func byIIN(sc scope, regionCol string, iinCols ...string) func(*sql.Selector) {
	return func(s *sql.Selector) {
		var ors []*sql.Predicate
		switch {
		case sc.citizen.Role != "":
			sub := sc.citizen.Subject
			for _, c := range iinCols {
				ors = append(ors, sql.EQ(s.C(c), sub), sql.In(s.C(c), familyIINs(sub)))
			}
		case regionCol != "":
			ors = append(ors, sql.In(s.C(regionCol), anys(sc.regions)...))
		default:
			for _, c := range iinCols {
				ors = append(ors, inRegions(personsTable, "rp", colIIN, s.C(c), sc.regions))
			}
		}
		s.Where(sql.Or(ors...))
	}
}

// rowRule is the query rule of a type: filter applies the scope to the type's query.
func rowRule(filter func(ctx context.Context, sc scope) (func(*sql.Selector), bool)) privacy.QueryRule {
	return privacy.QueryRuleFunc(func(ctx context.Context, q gen.Query) error {
		sc := scopeOf(ctx)
		if sc.all && role(ctx) != auth.RoleHealth {
			return privacy.Allow
		}
		p, ok := filter(ctx, sc)
		if !ok {
			return privacy.Allow
		}
		if sc.none {
			p = nothing
		}
		iq, err := intercept.NewQuery(q)
		if err != nil {
			return privacy.Denyf("privacy: %v", err)
		}
		iq.WhereP(p)
		return privacy.Allow
	})
}

// personScoped is the rule of a record about people, found by its IIN columns.
func personScoped(regionCol string, iinCols ...string) ent.Policy {
	return privacy.Policy{Mutation: readOnly, Query: privacy.QueryPolicy{iinsSelected(iinCols...), rowRule(func(_ context.Context, sc scope) (func(*sql.Selector), bool) {
		if sc.all {
			return nil, false
		}
		return byIIN(sc, regionCol, iinCols...), true
	})}}
}

// iinsSelected is the first query rule of a record about people: a query loading such records
// with only some columns (entgql field collection) selects their IIN columns too, so the audit
// log names the people of every row an answer returns, whichever of its fields are shown
// (graph/access names the IINs of the records an audited operation resolves). Like selectIIN it
// acts on the statement, and leaves counts, existence checks and lists of IDs alone.
func iinsSelected(cols ...string) privacy.QueryRule {
	add := func(s *sql.Selector) {
		if !readsRecords(s) || limitedPerRow(s) {
			return
		}
		for _, c := range cols {
			if !selects(s, c) {
				s.AppendSelect(s.C(c))
			}
		}
	}
	return privacy.QueryRuleFunc(func(_ context.Context, q gen.Query) error {
		switch x := q.(type) {
		case *gen.PaymentQuery:
			x.Modify(add)
		case *gen.FamilyMembershipQuery:
			x.Modify(add)
		case *gen.EnrollmentQuery:
			x.Modify(add)
		case *gen.LabourContractQuery:
			x.Modify(add)
		case *gen.DisabilityQuery:
			x.Modify(add)
		case *gen.CoverageQuery:
			x.Modify(add)
		case *gen.AttachmentQuery:
			x.Modify(add)
		case *gen.VisitQuery:
			x.Modify(add)
		case *gen.VoucherQuery:
			x.Modify(add)
		case *gen.StaffPositionQuery:
			x.Modify(add)
		case *gen.ChangeQuery:
			x.Modify(add)
		}
		return privacy.Skip
	})
}

// Policy of Person: themselves and family for a citizen, their regions for a regional scope.
// A query loading persons with only some columns (entgql field collection) always selects the
// IIN too: the audit log records whose data an answer holds by it, and a person read without
// it costs the audit a statement of its own to name them (graph/access.PersonIINsFrom).
func (Person) Policy() ent.Policy {
	p := personScoped(colRegion, colIIN).(privacy.Policy)
	p.Query = append(privacy.QueryPolicy{privacy.QueryRuleFunc(func(_ context.Context, q gen.Query) error {
		if pq, ok := q.(*gen.PersonQuery); ok {
			pq.Modify(selectIIN)
		}
		return privacy.Skip
	})}, p.Query...)
	return p
}

// selectIIN adds the IIN column to a selection of persons that names their ID and other columns
// but not the IIN. It acts on the statement, not on the query context: an eager-loaded edge
// (a membership's person) runs under its parent's context, which names the parent's columns.
// A count, an existence check or a list of IDs selects no other column and is left alone, as is
// a selection of all columns (which holds the IIN).
func selectIIN(s *sql.Selector) {
	if readsRecords(s) && !selects(s, colIIN) {
		s.AppendSelect(s.C(colIIN))
	}
}

// limitedPerRow reports whether s has been wrapped by entgql.LimitPerRow (a page of an edge
// loaded for many parents at once: the rows numbered in a WITH query, s selecting from it the
// columns that query selected): a column the inner query did not select cannot be added to s.
func limitedPerRow(s *sql.Selector) bool {
	p := s.P()
	if p == nil {
		return false
	}
	q, _ := p.Query()
	return strings.Contains(q, "row_number")
}

// readsRecords reports whether s reads records (their ID and other columns), not a count, an
// existence check or a list of IDs: the selections a column may be added to.
func readsRecords(s *sql.Selector) bool {
	return len(s.SelectedColumns()) > 1 && selects(s, colID)
}

// selects reports whether s selects the column (or alias) name.
func selects(s *sql.Selector, name string) bool { return len(s.FindSelection(name)) > 0 }

// Policy of FamilyMembership: memberships of people in scope.
func (FamilyMembership) Policy() ent.Policy { return personScoped("", colIIN) }

// Policy of Enrollment.
func (Enrollment) Policy() ent.Policy { return personScoped("", "child_iin") }

// Policy of LabourContract.
func (LabourContract) Policy() ent.Policy { return personScoped("", colIIN) }

// Policy of Disability.
func (Disability) Policy() ent.Policy { return personScoped("", colIIN) }

// Policy of Coverage.
func (Coverage) Policy() ent.Policy { return personScoped("", colIIN) }

// Policy of Attachment.
func (Attachment) Policy() ent.Policy { return personScoped("", colIIN) }

// Policy of Visit.
func (Visit) Policy() ent.Policy { return personScoped("", colIIN) }

// Policy of Voucher.
func (Voucher) Policy() ent.Policy { return personScoped("", "child_iin", "parent_iin") }

// Policy of StaffPosition: the staff-list lines naming people in scope.
func (StaffPosition) Policy() ent.Policy { return personScoped("", colIIN) }

// Policy of Quarantine: quarantined records are what a source sent, personal data included and
// unvalidated, so only the admin (and the gateway's own work) reads them.
func (Quarantine) Policy() ent.Policy {
	return privacy.Policy{Mutation: readOnly, Query: privacy.QueryPolicy{privacy.QueryRuleFunc(func(ctx context.Context, q gen.Query) error {
		if id, ok := auth.FromContext(ctx); !ok || id.Role == auth.RoleAdmin {
			return privacy.Allow
		}
		iq, err := intercept.NewQuery(q)
		if err != nil {
			return privacy.Denyf("privacy: %v", err)
		}
		iq.WhereP(nothing)
		return privacy.Allow
	})}}
}

// Policy of Change: the change feed of people in scope.
func (Change) Policy() ent.Policy { return personScoped("", colIIN) }

// Policy of Family: a citizen's current family, a regional scope's families.
func (Family) Policy() ent.Policy {
	return privacy.Policy{Mutation: readOnly, Query: privacy.QueryPolicy{rowRule(func(_ context.Context, sc scope) (func(*sql.Selector), bool) {
		switch {
		case sc.all:
			return nil, false
		case sc.citizen.Role != "":
			return func(s *sql.Selector) { s.Where(sql.In(s.C(colPlatformID), familiesOf(sc.citizen.Subject))) }, true
		}
		return func(s *sql.Selector) { s.Where(sql.In(s.C(colRegion), anys(sc.regions)...)) }, true
	})}}
}

// Policy of Payment: none for health; for a citizen the payments to or for them and their
// family; for a regional scope those to people, families or organisations of the regions.
func (Payment) Policy() ent.Policy {
	return privacy.Policy{Mutation: readOnly, Query: privacy.QueryPolicy{iinsSelected("recipient_iin", "child_iin"), rowRule(func(ctx context.Context, sc scope) (func(*sql.Selector), bool) {
		switch {
		case role(ctx) == auth.RoleHealth:
			return nothing, true
		case sc.all:
			return nil, false
		case sc.citizen.Role != "":
			sub := sc.citizen.Subject
			return func(s *sql.Selector) {
				s.Where(sql.Or(
					sql.In(s.C("recipient_iin"), familyIINs(sub)),
					sql.In(s.C("child_iin"), familyIINs(sub)),
					sql.In(s.C(colFamilyPlatform), familiesOf(sub)),
				))
			}, true
		}
		return func(s *sql.Selector) {
			s.Where(sql.Or(
				inRegions(personsTable, "rp", colIIN, s.C("recipient_iin"), sc.regions),
				inRegions(personsTable, "rp", colIIN, s.C("child_iin"), sc.regions),
				inRegions(familiesTable, "rf", colPlatformID, s.C(colFamilyPlatform), sc.regions),
				inRegions(schoolsTable, "rs", colBIN, s.C("school_bin"), sc.regions),
			))
		}, true
	})}}
}

// Policy of Finding: none for citizens and health; a regional scope's regions. Writes: the
// status workflow of writes.go (findingWrites).
func (Finding) Policy() ent.Policy {
	return privacy.Policy{Mutation: privacy.MutationPolicy{findingWrites}, Query: privacy.QueryPolicy{rowRule(func(ctx context.Context, sc scope) (func(*sql.Selector), bool) {
		switch {
		case role(ctx) == auth.RoleHealth, sc.citizen.Role != "":
			return nothing, true
		case sc.all:
			return nil, false
		}
		return func(s *sql.Selector) { s.Where(sql.In(s.C(colRegion), anys(sc.regions)...)) }, true
	})}}
}

// appendOnly refuses every update and delete, and every write by a caller (the audit writer
// appends under its own privacy decision).
var appendOnly = privacy.MutationPolicy{
	callersWriteNothing,
	privacy.OnMutationOperation(
		privacy.MutationRuleFunc(func(context.Context, gen.Mutation) error {
			return privacy.Denyf("the audit log is append-only: entries are never updated or deleted")
		}),
		ent.OpUpdate|ent.OpUpdateOne|ent.OpDelete|ent.OpDeleteOne,
	),
}

// Policy of AuditEntry: append-only; read by the gateway itself, by admin, and by a citizen for
// the entries naming them.
func (AuditEntry) Policy() ent.Policy {
	return privacy.Policy{
		Mutation: appendOnly,
		Query: privacy.QueryPolicy{privacy.AuditEntryQueryRuleFunc(func(ctx context.Context, q *gen.AuditEntryQuery) error {
			id, ok := auth.FromContext(ctx)
			switch {
			case !ok, id.Role == auth.RoleAdmin:
				return privacy.Allow
			case id.Role == auth.RoleCitizen:
				q.Where(predicate.AuditEntry(namingSubject(id.Subject)))
				return privacy.Allow
			}
			q.Where(predicate.AuditEntry(nothing))
			return privacy.Allow
		})},
	}
}

// namingSubject selects the audit entries naming iin as "id IN (SELECT entry_id FROM
// audit_subjects WHERE iin = …)", not Ent's HasSubjectsWith: SQLite runs that correlated EXISTS
// on every entry of the log, where the IN list starts from the subjects' (iin, entry_id) index
// (audit.naming says the same for the admin's reads).
func namingSubject(iin string) func(*sql.Selector) {
	return func(s *sql.Selector) {
		d := sql.Dialect(s.Dialect())
		t := d.Table(auditSubjectsTable)
		s.Where(sql.In(s.C(colID), d.Select(t.C(colEntryID)).From(t).Where(sql.EQ(t.C(colIIN), iin))))
	}
}

// Policy of AuditSubject: like AuditEntry.
func (AuditSubject) Policy() ent.Policy {
	return privacy.Policy{
		Mutation: appendOnly,
		Query: privacy.QueryPolicy{privacy.AuditSubjectQueryRuleFunc(func(ctx context.Context, q *gen.AuditSubjectQuery) error {
			id, ok := auth.FromContext(ctx)
			switch {
			case !ok, id.Role == auth.RoleAdmin:
				return privacy.Allow
			case id.Role == auth.RoleCitizen:
				q.Where(auditsubject.Iin(domain.IIN(id.Subject)))
				return privacy.Allow
			}
			q.Where(predicate.AuditSubject(nothing))
			return privacy.Allow
		})},
	}
}
