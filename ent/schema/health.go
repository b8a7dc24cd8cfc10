package schema

// Records of the Ministry of Healthcare: medical institutions (UMIS), attachments to clinics
// (register of attached population), visits, and CSHI coverage (social health insurance fund).

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/birlik/birlik/auth"
)

// MedicalInstitution is a clinic or hospital.
type MedicalInstitution struct {
	ent.Schema
}

// Mixin of MedicalInstitution.
func (MedicalInstitution) Mixin() []ent.Mixin { return []ent.Mixin{Provenance{}} }

// Fields of MedicalInstitution.
func (MedicalInstitution) Fields() []ent.Field {
	return []ent.Field{
		field.String("bin").GoType(binType).MaxLen(12).Unique().
			Comment("Business identification number.").
			Annotations(entgql.OrderField("BIN")),
		field.String("name").Comment("Name of the institution.").Annotations(entgql.OrderField("NAME")),
		regionField("Region of the institution"),
		field.String("cadastral").Default("").Comment("Cadastral number of its building."),
		field.Bool("primary").Default(false).Comment("Primary health care: people attach to it."),
		fk("building_id"),
	}
}

// Edges of MedicalInstitution.
func (MedicalInstitution) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("building", Building.Type).Ref("medical_institutions").Field("building_id").Unique(),
		edge.To("attachments", Attachment.Type).
			Comment("Attachments of people to the institution (the attached population).").
			Annotations(entgql.RelayConnection(), personal(auth.CatHealthInsurance)),
		edge.To("visits", Visit.Type).
			Comment("Encounters at the institution.").
			Annotations(entgql.RelayConnection(), personal(auth.CatMedical)),
		edge.From("findings", Finding.Type).Ref("medical_institutions").Comment("Integrity findings naming the institution."),
	}
}

// Indexes of MedicalInstitution.
func (MedicalInstitution) Indexes() []ent.Index {
	return []ent.Index{index.Fields("region_kato"), index.Fields("building_id")}
}

// Annotations of MedicalInstitution.
func (MedicalInstitution) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField()}
}

// Attachment is a person's attachment to a primary-care clinic over a period.
type Attachment struct {
	ent.Schema
}

// Mixin of Attachment.
func (Attachment) Mixin() []ent.Mixin {
	return []ent.Mixin{Provenance{Personal: auth.CatIdentity}}
}

// Fields of Attachment.
func (Attachment) Fields() []ent.Field {
	return []ent.Field{
		iinField("iin", "The person's IIN.", false),
		withPersonal(binField("institution_bin", "The clinic's BIN.", false), auth.CatHealthInsurance),
		withPersonal(dateField("from", "Attached from", false, "FROM"), auth.CatHealthInsurance),
		withPersonal(dateField("to", "Attached until; null while current", true, "TO"), auth.CatHealthInsurance),
		fk("person_id"),
		fk("institution_id"),
	}
}

// Edges of Attachment.
func (Attachment) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("person", Person.Type).Ref("attachment").Field("person_id").Unique(),
		edge.From("institution", MedicalInstitution.Type).Ref("attachments").Field("institution_id").Unique().Annotations(personal(auth.CatHealthInsurance)),
	}
}

// Indexes of Attachment.
func (Attachment) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("iin"),
		index.Fields("institution_bin"),
		index.Fields("person_id"),
		index.Fields("institution_id"),
	}
}

// Visit is an encounter at a medical institution.
type Visit struct {
	ent.Schema
}

// Mixin of Visit.
func (Visit) Mixin() []ent.Mixin {
	return []ent.Mixin{Provenance{Personal: auth.CatIdentity}}
}

// Fields of Visit.
func (Visit) Fields() []ent.Field {
	return []ent.Field{
		field.String("visit_id").Unique().Comment("UMIS encounter id.").Annotations(personal(auth.CatMedical)),
		iinField("iin", "The patient's IIN.", false),
		withPersonal(binField("institution_bin", "The institution's BIN.", false), auth.CatMedical),
		withPersonal(dateField("date", "Date of the encounter", false, "DATE"), auth.CatMedical),
		field.Enum("kind").Values("outpatient", "inpatient", "emergency").Comment("Kind of encounter.").Annotations(personal(auth.CatMedical)),
		fk("person_id"),
		fk("institution_id"),
	}
}

// Edges of Visit.
func (Visit) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("person", Person.Type).Ref("visits").Field("person_id").Unique(),
		edge.From("institution", MedicalInstitution.Type).Ref("visits").Field("institution_id").Unique().Annotations(personal(auth.CatMedical)),
	}
}

// Indexes of Visit.
func (Visit) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("iin", "date"),
		index.Fields("institution_bin"),
		index.Fields("person_id"),
		index.Fields("institution_id"),
	}
}

// Coverage is a period of compulsory social health insurance (CSHI).
type Coverage struct {
	ent.Schema
}

// Mixin of Coverage.
func (Coverage) Mixin() []ent.Mixin {
	return []ent.Mixin{Provenance{Personal: auth.CatIdentity}}
}

// Fields of Coverage.
func (Coverage) Fields() []ent.Field {
	return []ent.Field{
		iinField("iin", "The insured person's IIN.", false),
		field.Enum("category").Values("employee", "self_employed", "state_funded").Comment("Insurance category.").Annotations(personal(auth.CatHealthInsurance)),
		withPersonal(dateField("from", "Covered from", false, "FROM"), auth.CatHealthInsurance),
		withPersonal(dateField("to", "Covered until; null while still covered", true, "TO"), auth.CatHealthInsurance),
		fk("person_id"),
	}
}

// Edges of Coverage.
func (Coverage) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("person", Person.Type).Ref("coverage").Field("person_id").Unique(),
	}
}

// Indexes of Coverage.
func (Coverage) Indexes() []ent.Index {
	return []ent.Index{index.Fields("iin"), index.Fields("person_id")}
}

// Annotations of Visit.
func (Visit) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// Annotations of Attachment.
func (Attachment) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}
