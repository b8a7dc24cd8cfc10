package schema

// Records of the Ministry of Justice: the state register of individuals and the real-estate
// cadastre.

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/birlik/birlik/auth"
)

// Person is a person of the state register of individuals, at the latest version sync has seen
// (source_seq is the register's sequence number of that version).
type Person struct {
	ent.Schema
}

// Mixin of Person.
func (Person) Mixin() []ent.Mixin {
	return []ent.Mixin{Provenance{Personal: auth.CatIdentity}}
}

// Fields of Person.
func (Person) Fields() []ent.Field {
	return []ent.Field{
		field.String("iin").
			GoType(iinType).
			MaxLen(12).
			Unique().
			Comment("Individual identification number: 12 digits, the first six the birth date.").
			Annotations(entgql.OrderField("IIN"), personal(auth.CatIdentity)),
		field.String("last_name").Comment("Last name (Cyrillic).").Annotations(entgql.OrderField("LAST_NAME"), personal(auth.CatIdentity)),
		field.String("first_name").Comment("First name (Cyrillic).").Annotations(entgql.OrderField("FIRST_NAME"), personal(auth.CatIdentity)),
		field.String("patronymic").Default("").Comment("Patronymic; empty when the person has none.").Annotations(personal(auth.CatIdentity)),
		withPersonal(dateField("birth_date", "Date of birth", false, "BIRTH_DATE"), auth.CatDemographic),
		field.Enum("sex").Values("M", "F").Comment("Sex as the register records it: M or F.").Annotations(personal(auth.CatDemographic)),
		regionField("Region of registered residence"),
		withPersonal(dateField("death_date", "Date of death; null while alive", true, "DEATH_DATE"), auth.CatDemographic),
	}
}

// Edges of Person.
func (Person) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("memberships", FamilyMembership.Type).
			Comment("The person's memberships of families over time (labour).").Annotations(personal(auth.CatFamily)),
		edge.To("enrollments", Enrollment.Type).
			Comment("The person's enrolments in schools, kindergartens and colleges (education).").Annotations(personal(auth.CatEducation)),
		edge.To("employment", LabourContract.Type).
			Comment("The person's electronic labour contracts (labour).").Annotations(personal(auth.CatEmployment)),
		edge.To("payments", Payment.Type).
			Comment("Payments received by the person: social payments, and pension contributions paid for them.").
			Annotations(entgql.RelayConnection(), personal(auth.CatIncome)),
		edge.To("child_payments", Payment.Type).
			Comment("Per-child payments made for the person as a child (preschool state order).").
			Annotations(entgql.RelayConnection(), personal(auth.CatIncome)),
		edge.To("coverage", Coverage.Type).
			Comment("Periods of compulsory social health insurance (health).").Annotations(personal(auth.CatHealthInsurance)),
		edge.To("attachment", Attachment.Type).
			Comment("Attachments to primary-care clinics over time (health).").Annotations(personal(auth.CatHealthInsurance)),
		edge.To("visits", Visit.Type).
			Comment("Encounters at medical institutions (health).").
			Annotations(entgql.RelayConnection(), personal(auth.CatMedical)),
		edge.To("disabilities", Disability.Type).
			Comment("Established disabilities (labour).").Annotations(personal(auth.CatDisability)),
		edge.To("staff_positions", StaffPosition.Type).
			Comment("Lines of education organisations' staff lists naming the person (education).").Annotations(personal(auth.CatEmployment)),
		edge.To("vouchers", Voucher.Type).
			Comment("Preschool vouchers issued for the person as a child (education).").Annotations(personal(auth.CatEducation)),
		edge.To("parent_vouchers", Voucher.Type).
			Comment("Preschool vouchers the person chose as a parent (education).").Annotations(personal(auth.CatEducation)),
		edge.From("findings", Finding.Type).
			Ref("persons").
			Comment("Integrity findings naming the person.").Annotations(personal(auth.CatFindings)),
	}
}

// Indexes of Person.
func (Person) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("region_kato"),
		index.Fields("last_name", "first_name"),
		index.Fields("birth_date"),
	}
}

// Annotations of Person.
func (Person) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.MultiOrder(),
	}
}

// Building is an entry of the real-estate cadastre.
type Building struct {
	ent.Schema
}

// Mixin of Building.
func (Building) Mixin() []ent.Mixin { return []ent.Mixin{Provenance{}} }

// Fields of Building.
func (Building) Fields() []ent.Field {
	return []ent.Field{
		field.String("cadastral").
			Unique().
			Comment(`Cadastral number, e.g. "19:015:042:123".`).
			Annotations(entgql.OrderField("CADASTRAL")),
		regionField("Region of the building"),
		field.String("address").Default("").Comment("Postal address."),
		field.Enum("designation").
			Values("school", "kindergarten", "college", "clinic", "office", "residential",
				"banquet_hall", "shopping_mall", "warehouse").
			Comment("Target designation in the cadastre.").
			Annotations(entgql.OrderField("DESIGNATION")),
		field.Int("design_capacity").
			Default(0).
			Comment("Design capacity in places (pupils, children, patients per shift); 0 when not an institution.").
			Annotations(entgql.OrderField("DESIGN_CAPACITY")),
	}
}

// Edges of Building.
func (Building) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("schools", School.Type).Comment("Education organisations working in the building."),
		edge.To("medical_institutions", MedicalInstitution.Type).Comment("Medical institutions in the building."),
		edge.From("findings", Finding.Type).Ref("buildings").Comment("Integrity findings naming the building."),
	}
}

// Indexes of Building.
func (Building) Indexes() []ent.Index {
	return []ent.Index{index.Fields("region_kato")}
}

// Annotations of Building.
func (Building) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField()}
}
