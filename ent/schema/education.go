package schema

// Records of the Ministry of Education (national education database): schools, kindergartens
// and colleges, enrolments, staff lists and preschool vouchers.

import (
	"context"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/birlik/birlik/auth"
	gen "github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/intercept"
)

// School is an education organisation: a school, kindergarten or college.
type School struct {
	ent.Schema
}

// Mixin of School.
func (School) Mixin() []ent.Mixin { return []ent.Mixin{Provenance{}} }

// Fields of School.
func (School) Fields() []ent.Field {
	return []ent.Field{
		field.String("bin").GoType(binType).MaxLen(12).Unique().
			Comment("Business identification number.").
			Annotations(entgql.OrderField("BIN")),
		field.String("name").Comment("Name of the organisation.").Annotations(entgql.OrderField("NAME")),
		field.Enum("kind").Values("school", "kindergarten", "college").
			Comment("School, kindergarten or college.").
			Annotations(entgql.OrderField("KIND")),
		field.Enum("ownership").Values("public", "private").
			Comment("Public or private.").
			Annotations(entgql.OrderField("OWNERSHIP")),
		regionField("Region of the organisation"),
		field.String("cadastral").Default("").Comment("Cadastral number of the building it works in."),
		field.Bool("state_order").Default(false).Comment("Financed by the state order."),
		fk("building_id"),
	}
}

// Edges of School.
func (School) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("building", Building.Type).Ref("schools").Field("building_id").Unique().
			Comment("The building the organisation works in (cadastre)."),
		edge.To("pupils", Enrollment.Type).
			Comment("Enrolments in the organisation (education).").
			Annotations(entgql.RelayConnection(), personal(auth.CatEducation)),
		edge.To("staff", StaffPosition.Type).
			Comment("Lines of the organisation's staff list (education).").
			Annotations(entgql.RelayConnection(), personal(auth.CatEmployment)),
		edge.To("state_order_payments", Payment.Type).
			Comment("State-order payments to the organisation (finance).").
			Annotations(entgql.RelayConnection()),
		edge.To("income_reports", IncomeReport.Type).Comment("Income reports filed by the organisation (finance)."),
		edge.To("vouchers", Voucher.Type).Comment("Preschool vouchers naming the organisation (education).").Annotations(personal(auth.CatEducation)),
		edge.From("findings", Finding.Type).Ref("schools").Comment("Integrity findings naming the organisation."),
	}
}

// Indexes of School.
func (School) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("region_kato", "kind", "ownership"),
		index.Fields("cadastral"),
		index.Fields("building_id"),
	}
}

// SchoolDesignCapacity is the column every read of whole school records carries besides the
// school's own: the design capacity of its building from the cadastre (buildings by the school's
// cadastral number), read in the same statement by a correlated subquery, so that
// School.designCapacity costs no statement of its own. It is text, the number in decimal, empty
// when the cadastre has no such building: never NULL, whose column type Ent cannot tell on SQLite.
// Read it with (*ent.School).Value.
const SchoolDesignCapacity = "building_design_capacity"

// Interceptors of School: reads of whole records carry their building's design capacity.
func (School) Interceptors() []ent.Interceptor {
	return []ent.Interceptor{intercept.TraverseSchool(func(_ context.Context, q *gen.SchoolQuery) error {
		q.Modify(selectDesignCapacity)
		return nil
	})}
}

// selectDesignCapacity adds SchoolDesignCapacity to a selection of schools that names their ID,
// their cadastral number and other columns; a count, an existence check or a list of IDs is left
// alone.
func selectDesignCapacity(s *sql.Selector) {
	if !readsRecords(s) || !selects(s, colCadastral) || selects(s, SchoolDesignCapacity) {
		return
	}
	d := sql.Dialect(s.Dialect())
	b := d.Table(buildingsTable).As("capacity_b")
	sub := d.Select("CAST(" + b.C(colDesignCapacity) + " AS TEXT)").From(b).Where(sql.ColumnsEQ(b.C(colCadastral), s.C(colCadastral)))
	s.AppendSelectExprAs(sql.ExprFunc(func(bd *sql.Builder) {
		bd.WriteString("COALESCE(").Wrap(func(bd *sql.Builder) { bd.Join(sub) }).WriteString(", '')")
	}), SchoolDesignCapacity)
}

// Annotations of School.
func (School) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField(), entgql.MultiOrder()}
}

// Enrollment is a child's enrolment in an organisation for a school year.
type Enrollment struct {
	ent.Schema
}

// Mixin of Enrollment.
func (Enrollment) Mixin() []ent.Mixin {
	return []ent.Mixin{Provenance{Personal: auth.CatIdentity}}
}

// Fields of Enrollment.
func (Enrollment) Fields() []ent.Field {
	return []ent.Field{
		field.String("enrollment_id").Unique().Comment("The education database's enrolment id.").Annotations(personal(auth.CatEducation)),
		iinField("child_iin", "The child's IIN.", false),
		withPersonal(binField("school_bin", "The organisation's BIN.", false), auth.CatEducation),
		field.Int("grade").Comment("Grade; 0 for kindergarten groups.").Annotations(entgql.OrderField("GRADE"), personal(auth.CatEducation)),
		field.Int("year").Comment("School year: 2024 is the year 2024/25.").Annotations(entgql.OrderField("YEAR"), personal(auth.CatEducation)),
		withPersonal(dateField("from", "Enrolled from", false, "FROM"), auth.CatEducation),
		withPersonal(dateField("to", "Enrolled until; null while still enrolled", true, "TO"), auth.CatEducation),
		fk("child_id"),
		fk("school_id"),
	}
}

// Edges of Enrollment.
func (Enrollment) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("child", Person.Type).Ref("enrollments").Field("child_id").Unique(),
		edge.From("school", School.Type).Ref("pupils").Field("school_id").Unique().Annotations(personal(auth.CatEducation)),
	}
}

// Indexes of Enrollment.
func (Enrollment) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("child_iin", "school_bin"),
		index.Fields("school_bin", "year"),
		index.Fields("child_id"),
		index.Fields("school_id"),
	}
}

// StaffPosition is a line of an organisation's staff list.
type StaffPosition struct {
	ent.Schema
}

// Mixin of StaffPosition.
func (StaffPosition) Mixin() []ent.Mixin {
	return []ent.Mixin{Provenance{Personal: auth.CatIdentity}}
}

// Fields of StaffPosition.
func (StaffPosition) Fields() []ent.Field {
	return []ent.Field{
		withPersonal(binField("school_bin", "The organisation's BIN.", false), auth.CatEmployment),
		iinField("iin", "The staff member's IIN.", false),
		field.String("position").Comment("Position on the staff list.").Annotations(personal(auth.CatEmployment)),
		withPersonal(dateField("from", "On the list from", false, "FROM"), auth.CatEmployment),
		withPersonal(dateField("to", "On the list until; null while still on it", true, "TO"), auth.CatEmployment),
		fk("school_id"),
		fk("person_id"),
	}
}

// Edges of StaffPosition.
func (StaffPosition) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("school", School.Type).Ref("staff").Field("school_id").Unique().Annotations(personal(auth.CatEmployment)),
		edge.From("person", Person.Type).Ref("staff_positions").Field("person_id").Unique(),
	}
}

// Indexes of StaffPosition.
func (StaffPosition) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("school_bin"),
		index.Fields("iin", "school_bin"),
		index.Fields("school_id"),
		index.Fields("person_id"),
	}
}

// Voucher is a parent's choice of a kindergarten for a child ("money follows the child").
type Voucher struct {
	ent.Schema
}

// Mixin of Voucher.
func (Voucher) Mixin() []ent.Mixin {
	return []ent.Mixin{Provenance{Personal: auth.CatIdentity}}
}

// Fields of Voucher.
func (Voucher) Fields() []ent.Field {
	return []ent.Field{
		field.String("voucher_id").Unique().Comment("The education database's voucher id.").Annotations(personal(auth.CatEducation)),
		iinField("child_iin", "The child's IIN.", false),
		iinField("parent_iin", "The parent's IIN.", false),
		withPersonal(binField("school_bin", "The chosen kindergarten's BIN.", false), auth.CatEducation),
		withPersonal(dateField("from", "Valid from", false, "FROM"), auth.CatEducation),
		withPersonal(dateField("to", "Valid until; null while valid", true, "TO"), auth.CatEducation),
		fk("child_id"),
		fk("parent_id"),
		fk("school_id"),
	}
}

// Edges of Voucher.
func (Voucher) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("child", Person.Type).Ref("vouchers").Field("child_id").Unique(),
		edge.From("parent", Person.Type).Ref("parent_vouchers").Field("parent_id").Unique(),
		edge.From("school", School.Type).Ref("vouchers").Field("school_id").Unique().Annotations(personal(auth.CatEducation)),
	}
}

// Indexes of Voucher.
func (Voucher) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("child_iin", "school_bin"),
		index.Fields("school_bin"),
		index.Fields("child_id"),
		index.Fields("parent_id"),
		index.Fields("school_id"),
	}
}

// Annotations of Enrollment.
func (Enrollment) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// Annotations of StaffPosition.
func (StaffPosition) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}
