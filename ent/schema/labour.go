package schema

// Records of the Ministry of Labour and Social Protection (Unified Digital Platform): families,
// disabilities, employers, labour contracts, the Register of positions and staffing
// declarations. Its payments (social payments, pension contributions) are Payments.

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/birlik/birlik/auth"
)

// Family is a household as the Unified Digital Platform records it.
type Family struct {
	ent.Schema
}

// Mixin of Family.
func (Family) Mixin() []ent.Mixin {
	return []ent.Mixin{Provenance{Personal: auth.CatIdentity}}
}

// Fields of Family.
func (Family) Fields() []ent.Field {
	return []ent.Field{
		field.String("platform_id").
			Unique().
			Comment(`The platform's family id, e.g. "F00001234".`).
			Annotations(entgql.OrderField("PLATFORM_ID")),
		regionField("Region of the family"),
	}
}

// Edges of Family.
func (Family) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("members", FamilyMembership.Type).Comment("Memberships of the family, current and past.").Annotations(personal(auth.CatFamily)),
		edge.To("payments", Payment.Type).
			Comment("Social payments made on behalf of the family.").
			Annotations(entgql.RelayConnection(), personal(auth.CatIncome)),
		edge.From("findings", Finding.Type).Ref("families").Comment("Integrity findings naming the family.").Annotations(personal(auth.CatFindings)),
	}
}

// Indexes of Family.
func (Family) Indexes() []ent.Index {
	return []ent.Index{index.Fields("region_kato")}
}

// Annotations of Family.
func (Family) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField()}
}

// FamilyMembership is a person's membership of a family over a period.
type FamilyMembership struct {
	ent.Schema
}

// Mixin of FamilyMembership.
func (FamilyMembership) Mixin() []ent.Mixin {
	return []ent.Mixin{Provenance{Personal: auth.CatIdentity}}
}

// Fields of FamilyMembership.
func (FamilyMembership) Fields() []ent.Field {
	return []ent.Field{
		field.String("family_platform_id").Comment("The platform's family id.").Annotations(personal(auth.CatFamily)),
		iinField("iin", "The member's IIN.", false),
		field.Enum("role").Values("head", "spouse", "child", "other").Comment("The member's place in the family.").Annotations(personal(auth.CatFamily)),
		withPersonal(dateField("from", "Member since", false, "FROM"), auth.CatFamily),
		withPersonal(dateField("to", "Member until; null while still a member", true, "TO"), auth.CatFamily),
		fk("family_id"),
		fk("person_id"),
	}
}

// Edges of FamilyMembership.
func (FamilyMembership) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("family", Family.Type).Ref("members").Field("family_id").Unique().Annotations(personal(auth.CatFamily)),
		edge.From("person", Person.Type).Ref("memberships").Field("person_id").Unique(),
	}
}

// Indexes of FamilyMembership.
func (FamilyMembership) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("family_platform_id"),
		index.Fields("iin"),
		index.Fields("family_id"),
		index.Fields("person_id"),
	}
}

// Disability is an established disability (group 1 to 3) over a period.
type Disability struct {
	ent.Schema
}

// Mixin of Disability.
func (Disability) Mixin() []ent.Mixin {
	return []ent.Mixin{Provenance{Personal: auth.CatIdentity}}
}

// Fields of Disability.
func (Disability) Fields() []ent.Field {
	return []ent.Field{
		iinField("iin", "The person's IIN.", false),
		field.Int("group").Range(1, 3).Comment("Disability group, 1 to 3.").Annotations(personal(auth.CatDisability)),
		withPersonal(dateField("from", "In force from", false, "FROM"), auth.CatDisability),
		withPersonal(dateField("to", "In force until; null while in force", true, "TO"), auth.CatDisability),
		fk("person_id"),
	}
}

// Edges of Disability.
func (Disability) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("person", Person.Type).Ref("disabilities").Field("person_id").Unique(),
	}
}

// Indexes of Disability.
func (Disability) Indexes() []ent.Index {
	return []ent.Index{index.Fields("iin"), index.Fields("person_id")}
}

// Employer is an organisation that employs people, as the labour platform knows it.
type Employer struct {
	ent.Schema
}

// Mixin of Employer.
func (Employer) Mixin() []ent.Mixin { return []ent.Mixin{Provenance{}} }

// Fields of Employer.
func (Employer) Fields() []ent.Field {
	return []ent.Field{
		field.String("bin").GoType(binType).MaxLen(12).Unique().
			Comment("Business identification number.").
			Annotations(entgql.OrderField("BIN")),
		field.String("name").Comment("Name of the organisation.").Annotations(entgql.OrderField("NAME")),
		regionField("Region of the employer"),
		field.Enum("sector").Values("education", "health", "business", "public").Comment("Field of activity."),
	}
}

// Edges of Employer.
func (Employer) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("contracts", LabourContract.Type).Comment("Labour contracts with the employer.").
			Annotations(entgql.RelayConnection(), personal(auth.CatEmployment)),
		edge.To("contributions", Payment.Type).Comment("Pension contributions the employer paid.").
			Annotations(entgql.RelayConnection()),
		edge.To("staffing_declarations", StaffingDeclaration.Type).Comment("The employer's declared staffing schedule."),
		edge.From("findings", Finding.Type).Ref("employers").Comment("Integrity findings naming the employer."),
	}
}

// Indexes of Employer.
func (Employer) Indexes() []ent.Index {
	return []ent.Index{index.Fields("region_kato")}
}

// Annotations of Employer.
func (Employer) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField()}
}

// LabourContract is an electronic labour contract.
type LabourContract struct {
	ent.Schema
}

// Mixin of LabourContract.
func (LabourContract) Mixin() []ent.Mixin {
	return []ent.Mixin{Provenance{Personal: auth.CatIdentity}}
}

// Fields of LabourContract.
func (LabourContract) Fields() []ent.Field {
	return []ent.Field{
		field.String("contract_id").Unique().Comment("The platform's contract id.").Annotations(personal(auth.CatEmployment)),
		iinField("iin", "The employee's IIN.", false),
		withPersonal(binField("employer_bin", "The employer's BIN.", false), auth.CatEmployment),
		withPersonal(regionField("Region of the workplace"), auth.CatEmployment),
		field.String("position").Comment("Position held.").Annotations(personal(auth.CatEmployment)),
		withPersonal(dateField("start", "Start of the contract", false, "START"), auth.CatEmployment),
		withPersonal(dateField("end", "End of the contract; null while in force", true, "END"), auth.CatEmployment),
		withPersonal(moneyField("wage", "Monthly wage"), auth.CatEmployment),
		fk("person_id"),
		fk("employer_id"),
	}
}

// Edges of LabourContract.
func (LabourContract) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("person", Person.Type).Ref("employment").Field("person_id").Unique(),
		edge.From("employer", Employer.Type).Ref("contracts").Field("employer_id").Unique().Annotations(personal(auth.CatEmployment)),
	}
}

// Indexes of LabourContract.
func (LabourContract) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("iin", "employer_bin"),
		index.Fields("employer_bin"),
		index.Fields("person_id"),
		index.Fields("employer_id"),
	}
}

// RegisterPosition is a position of the national Register of positions.
type RegisterPosition struct {
	ent.Schema
}

// Mixin of RegisterPosition.
func (RegisterPosition) Mixin() []ent.Mixin { return []ent.Mixin{Provenance{}} }

// Fields of RegisterPosition.
func (RegisterPosition) Fields() []ent.Field {
	return []ent.Field{
		field.String("code").Unique().Comment("The Register's code.").Annotations(entgql.OrderField("CODE")),
		field.String("title").Comment("Title of the position."),
	}
}

// Edges of RegisterPosition.
func (RegisterPosition) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("declarations", StaffingDeclaration.Type).Comment("Staffing declarations using the position."),
	}
}

// StaffingDeclaration is one line of an organisation's declared staffing schedule for a month.
type StaffingDeclaration struct {
	ent.Schema
}

// Mixin of StaffingDeclaration.
func (StaffingDeclaration) Mixin() []ent.Mixin { return []ent.Mixin{Provenance{}} }

// Fields of StaffingDeclaration.
func (StaffingDeclaration) Fields() []ent.Field {
	return []ent.Field{
		binField("bin", "The declaring organisation's BIN.", false),
		field.String("position_code").Comment("The Register's code, or the organisation's own code when not in it."),
		field.String("title").Comment("Title of the position as declared."),
		field.Int("units").Comment("Staff units."),
		monthField("month", "Month of the schedule"),
		fk("employer_id"),
		fk("register_position_id"),
	}
}

// Edges of StaffingDeclaration.
func (StaffingDeclaration) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("employer", Employer.Type).Ref("staffing_declarations").Field("employer_id").Unique(),
		edge.From("register_position", RegisterPosition.Type).Ref("declarations").Field("register_position_id").Unique().
			Comment("The Register's position; null when the code is not in the Register."),
	}
}

// Indexes of StaffingDeclaration.
func (StaffingDeclaration) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("bin", "month"),
		index.Fields("position_code"),
		index.Fields("employer_id"),
		index.Fields("register_position_id"),
	}
}

// Annotations of LabourContract.
func (LabourContract) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}
