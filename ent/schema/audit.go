package schema

// The audit log: every read of a person's data, append-only and tamper-evident (each entry's
// hash covers the previous entry's hash and its own content, the IINs it names included, so
// its subject rows are checked against it). Entries are only ever created:
// the privacy policy refuses updates and deletes, and on PostgreSQL a trigger refuses them too
// (migration audit_append_only). The audit package writes and verifies the chain.

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// AuditEntry is one read of personal data (or an aggregate over it) by one request.
type AuditEntry struct {
	ent.Schema
}

// Fields of AuditEntry.
func (AuditEntry) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("seq").Unique().Immutable().
			Comment("Position in the chain: 1, 2, 3… without gaps."),
		field.Time("at").Immutable().Comment("When the data was read (UTC, microseconds)."),
		field.String("subject").Immutable().Comment("Who read: the token's subject or the API key's client."),
		field.String("role").Immutable().Comment("The reader's role."),
		field.String("client").Immutable().Comment("The organisation or system the reader acted for."),
		field.String("purpose").Default("").Immutable().Comment("The purpose stated in X-Purpose."),
		field.String("operation").Default("").Immutable().Comment("The GraphQL operation's name, if it has one."),
		field.String("query_hash").Immutable().Comment("SHA-256 of the query text, hex."),
		field.Bool("aggregate").Default(false).Immutable().Comment("The request read aggregates (counts, sums): no IIN is listed."),
		field.Text("iins").Default("").Immutable().Comment("The IINs whose data was returned, sorted, comma-separated."),
		field.String("request_id").Default("").Immutable().Comment("The request id of the gateway's logs."),
		field.String("prev_hash").Immutable().Comment("The previous entry's hash (64 zeros for the first)."),
		field.String("hash").Unique().Immutable().Comment("SHA-256 over prev_hash and this entry's canonical content, hex."),
	}
}

// Edges of AuditEntry.
func (AuditEntry) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("subjects", AuditSubject.Type).Comment("One row per IIN read, for a citizen's myDataAccess."),
	}
}

// Annotations of AuditEntry.
func (AuditEntry) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// AuditSubject indexes an audit entry by an IIN it names, so myDataAccess finds a citizen's
// entries without scanning the log.
type AuditSubject struct {
	ent.Schema
}

// Fields of AuditSubject.
func (AuditSubject) Fields() []ent.Field {
	return []ent.Field{
		field.String("iin").GoType(iinType).MaxLen(12).Immutable().Comment("The IIN whose data was read."),
		field.Int("entry_id").Immutable(),
	}
}

// Edges of AuditSubject.
func (AuditSubject) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("entry", AuditEntry.Type).Ref("subjects").Field("entry_id").Unique().Required().Immutable(),
	}
}

// Indexes of AuditSubject: (iin, entry_id) finds a citizen's entries (myDataAccess);
// entry_id finds an entry's rows (audit verify checks them against the entry's hash, page by
// page).
func (AuditSubject) Indexes() []ent.Index {
	return []ent.Index{index.Fields("iin", "entry_id"), index.Fields("entry_id")}
}

// Annotations of AuditSubject.
func (AuditSubject) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
