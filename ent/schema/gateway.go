package schema

// The gateway's own records: sync cursors, quarantined source records, the change sequence the
// medical information system pages, and the integrity findings.

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/domain"
)

// SyncCursor is how far sync has applied a source's change feed. It is written in the same
// transaction as the records of the page it covers.
type SyncCursor struct {
	ent.Schema
}

// Fields of SyncCursor.
func (SyncCursor) Fields() []ent.Field {
	return []ent.Field{
		field.String("source").Unique().Comment("The source: justice, labour, education, finance or health."),
		field.Text("cursor").Default("").Comment("The source's opaque cursor after the last applied page."),
		field.Int64("records").Default(0).Comment("Records (valid and quarantined) applied from the feed so far."),
		field.Int64("total").Default(0).Comment("The source's own count of records in its feed, when it tells (0 when unknown)."),
		field.Bool("done").Default(false).Comment("The last page applied was the end of the feed."),
		field.Time("updated_at").Default(time.Now).Comment("When the cursor last moved."),
	}
}

// Annotations of SyncCursor.
func (SyncCursor) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField()}
}

// Quarantine is a record a source sent that failed validation: kept with the reason and the raw
// payload, never silently dropped.
type Quarantine struct {
	ent.Schema
}

// Fields of Quarantine.
func (Quarantine) Fields() []ent.Field {
	return []ent.Field{
		field.String("fingerprint").Unique().
			Comment("Digest of source, entity, key, reason and raw: the same bad record is stored once.").
			Annotations(entgql.Skip(entgql.SkipWhereInput), personal(auth.CatIdentity)),
		field.String("source").Comment("The source that sent the record.").Annotations(entgql.OrderField("SOURCE")),
		field.String("entity").Comment(`The source's entity, e.g. "person", "contract".`).Annotations(entgql.OrderField("ENTITY")),
		field.String("key").Default("").Comment("The record's key in the source when it could be read, else empty.").
			Annotations(personal(auth.CatIdentity)),
		field.Text("reason").Comment("What is wrong with the record.").Annotations(personal(auth.CatIdentity)),
		field.Text("raw").Comment("The record as received.").Annotations(entgql.Skip(entgql.SkipWhereInput), personal(auth.CatIdentity)),
		field.Time("seen_at").Default(time.Now).Comment("When sync received it.").Annotations(entgql.OrderField("SEEN_AT")),
	}
}

// Indexes of Quarantine.
func (Quarantine) Indexes() []ent.Index {
	return []ent.Index{index.Fields("source", "entity"), index.Fields("key")}
}

// Annotations of Quarantine.
func (Quarantine) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField()}
}

// Change is one entry of the monotonic change sequence the medical information system pages:
// a person, a coverage period or an attachment was created or updated. Sync appends changes in
// commit order (one writer at a time), so paging by seq never skips or repeats one.
type Change struct {
	ent.Schema
}

// Fields of Change.
func (Change) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("seq").Unique().Immutable().
			Comment("Position in the change sequence: 1, 2, 3… without gaps, in commit order.").
			Annotations(entgql.OrderField("SEQ")),
		field.Enum("entity").Values("person", "coverage", "attachment").Immutable().
			Comment("The kind of record that changed."),
		field.String("key").Immutable().Comment("The changed record's source key (a person's IIN; IIN|… for coverage and attachments).").
			Annotations(personal(auth.CatIdentity)),
		iinField("iin", "The IIN of the person the change concerns.", false),
		field.Enum("op").Values("create", "update").Immutable().Comment("Whether the record was created or updated."),
		field.Time("at").Default(time.Now).Immutable().Comment("When sync committed the change."),
	}
}

// Indexes of Change.
func (Change) Indexes() []ent.Index {
	return []ent.Index{index.Fields("iin")}
}

// Annotations of Change.
func (Change) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField()}
}

// FindingKinds are the values of Finding.kind (domain.FindingKinds).
var FindingKinds = func() []string {
	ks := make([]string, len(domain.FindingKinds))
	for i, k := range domain.FindingKinds {
		ks[i] = string(k)
	}
	return ks
}()

// Finding is one case of an integrity finding or signal found by the checks. It keeps its
// identity (key) and status across reruns; a case that disappears from the data is resolved,
// not deleted.
type Finding struct {
	ent.Schema
}

// Fields of Finding.
func (Finding) Fields() []ent.Field {
	return []ent.Field{
		field.String("key").Unique().
			Comment("The finding's identity across reruns: its kind and its subjects' natural keys (and period).").
			Annotations(personal(auth.CatIdentity)),
		field.Enum("kind").Values(FindingKinds...).Comment("What was found.").Annotations(entgql.OrderField("KIND")),
		field.Enum("severity").Values("low", "medium", "high", "critical").
			Comment("How serious the case is.").Annotations(entgql.OrderField("SEVERITY")),
		regionField("Region of the case"),
		field.String("period").Default("").Comment("YYYY-MM, or YYYY for yearly cases; empty when not periodic."),
		field.String("subject_iin").Default("").MaxLen(12).
			Comment("The IIN of the person the case names (part of its identity); empty when none.").
			Annotations(personal(auth.CatIdentity)),
		field.String("subject_bin").Default("").MaxLen(12).
			Comment("The BIN of the organisation the case names (the smaller one when two); empty when none."),
		field.String("other_bin").Default("").MaxLen(12).
			Comment("The second organisation's BIN, for cases naming two (double financing); empty otherwise."),
		field.String("cadastral").Default("").
			Comment("The cadastral number of the building the case names (part of its identity); empty when none."),
		field.String("position_code").Default("").
			Comment("The organisation's own position code the case names (unregistered position); empty otherwise."),
		field.Enum("status").Values("open", "confirmed", "dismissed", "resolved").Default("open").
			Comment("open, then confirmed or dismissed by an analyst; resolved when the data no longer shows the case.").
			Annotations(entgql.OrderField("STATUS")),
		moneyField("money_at_risk", "Money at risk, by the check's documented rule"),
		field.JSON("evidence", map[string]any{}).Optional().
			Comment("The facts from each source that make the case, with their provenance.").
			Annotations(entgql.Type("Map"), personal(auth.CatIdentity)), // IINs, birth and death dates
		field.Time("first_seen").Default(time.Now).Comment("When a check first found the case.").Annotations(entgql.OrderField("FIRST_SEEN")),
		field.Time("last_seen").Default(time.Now).Comment("When a check last found the case.").Annotations(entgql.OrderField("LAST_SEEN")),
		field.Time("resolved_at").Optional().Nillable().Comment("When the data stopped showing the case."),
		field.String("status_changed_by").Optional().Comment("Who last changed the status."),
		field.Time("status_changed_at").Optional().Nillable().Comment("When the status last changed."),
		field.Text("status_note").Optional().Comment("The note given with the last status change.").
			Annotations(personal(auth.CatFindings)), // free text about the case and the people it names
	}
}

// Edges of Finding.
func (Finding) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("persons", Person.Type).Comment("People the finding names."),
		edge.To("families", Family.Type).Comment("Families the finding names."),
		edge.To("schools", School.Type).Comment("Education organisations the finding names."),
		edge.To("employers", Employer.Type).Comment("Employers the finding names."),
		edge.To("buildings", Building.Type).Comment("Buildings the finding names."),
		edge.To("medical_institutions", MedicalInstitution.Type).Comment("Medical institutions the finding names."),
		edge.To("payments", Payment.Type).Comment("Payments the finding names.").Annotations(entgql.RelayConnection()),
	}
}

// Indexes of Finding.
func (Finding) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("kind", "region_kato"),
		index.Fields("region_kato"),
		index.Fields("status"),
		index.Fields("subject_iin"),
		index.Fields("subject_bin"),
		index.Fields("money_at_risk"),
	}
}

// Annotations of Finding.
func (Finding) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField(), entgql.MultiOrder()}
}
