// Package schema holds the Ent schemas of Birlik's integrated graph: the records of the five
// ministry sources (each with its provenance), the sync bookkeeping (cursors, quarantine, the
// change sequence) and the integrity findings.
//
// Conventions other packages rely on:
//   - a region is stored as its KATO code in a field named region_kato, hidden from the GraphQL
//     type (the graph adds `region: Region!`) but kept in the where-filters (regionKato);
//   - dates are domain.Date stored as text YYYY-MM-DD, months domain.Month as text YYYY-MM,
//     money domain.Tenge (int64), identifiers domain.IIN / domain.BIN;
//   - every integrated record carries the Provenance mixin, and its source_key is the natural
//     key sync upserts on;
//   - IDs are global (feature sql/globalid): each type owns its own range, so node(id:) knows
//     the type from the ID alone.
//
// Schemas describe data only: no business rules, no I/O.
package schema

import (
	"strings"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/domain"
)

// Provenance is the mixin every integrated record carries: where it came from, under which key,
// at which version of the source, and when sync last wrote it.
//
// Personal is set on records about people: their source key holds the person's IIN (IIN|from,
// pension|IIN|BIN|month, …) or a source's own id of the person's record, and their version is a
// digest of the record's content, IIN included (short enough to be recovered from a masked IIN
// by trying its six hidden digits), so both are personal data of that category.
type Provenance struct {
	mixin.Schema
	Personal auth.Category
}

// Fields of the Provenance mixin.
func (p Provenance) Fields() []ent.Field {
	key := field.String("source_key").
		Comment("The record's natural key in its source (unique per type); sync upserts on it.")
	version := field.String("source_version").
		Comment("A digest of the record's content as last received: sync rewrites the row only when it changes.")
	if p.Personal != "" {
		key = key.Annotations(personal(p.Personal))
		version = version.Annotations(personal(p.Personal))
	}
	return []ent.Field{
		field.String("source").
			Comment("The ministry system the record comes from: justice, labour, education, finance or health.").
			Annotations(entgql.OrderField("SOURCE")),
		key,
		field.Int64("source_seq").
			Optional().
			Nillable().
			Comment("The source's sequence number of this version, when the source numbers its records (the register of individuals does)."),
		version,
		field.Time("synced_at").
			Default(time.Now).
			Comment("When sync last wrote the record.").
			Annotations(entgql.OrderField("SYNCED_AT")),
	}
}

// Indexes of the Provenance mixin.
func (Provenance) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("source_key").Unique(),
	}
}

// Field helpers shared by the schemas. Each returns a finished field; opt makes it optional
// (and nillable for dates, so "no date" is NULL and nil in Go and GraphQL).

func iinField(name, comment string, opt bool) ent.Field {
	f := field.String(name).GoType(domain.IIN("")).MaxLen(12).Comment(comment).
		Annotations(personal(auth.CatIdentity)) // every IIN is personal data (privacy.go)
	if opt {
		f = f.Optional()
	}
	return f
}

func binField(name, comment string, opt bool) ent.Field {
	f := field.String(name).GoType(domain.BIN("")).MaxLen(12).Comment(comment)
	if opt {
		f = f.Optional()
	}
	return f
}

func regionField(comment string) ent.Field {
	return field.String("region_kato").
		GoType(domain.KATO("")).
		MaxLen(9).
		Comment(comment + " (KATO code; GraphQL exposes it as `region: Region!`)").
		Annotations(entgql.Skip(entgql.SkipType))
}

func dateField(name, comment string, opt bool, order string) ent.Field {
	ants := []schema.Annotation{entgql.Type("Date")}
	if order != "" {
		ants = append(ants, entgql.OrderField(order))
	}
	f := field.String(name).GoType(domain.Date{}).MaxLen(10).Comment(comment + " (YYYY-MM-DD)").Annotations(ants...)
	if opt {
		f = f.Optional().Nillable()
	}
	return f
}

func monthField(name, comment string) ent.Field {
	return field.String(name).GoType(domain.Month(0)).MaxLen(7).
		Comment(comment+" (YYYY-MM)").
		Annotations(entgql.Type("Month"), entgql.OrderField(strings.ToUpper(name)))
}

func moneyField(name, comment string) ent.Field {
	return field.Int64(name).GoType(domain.Tenge(0)).
		Comment(comment+" (whole tenge)").
		Annotations(entgql.Type("Tenge"), entgql.OrderField(strings.ToUpper(name)))
}

// fk is the optional foreign-key field of an edge to another integrated record. Sync fills it
// when the referenced record is in the store and leaves it NULL otherwise (the natural key beside
// it always holds the source's reference).
func fk(name string) ent.Field {
	return field.Int(name).Optional().Nillable()
}

// Go types of identifier fields.
var (
	iinType = domain.IIN("")
	binType = domain.BIN("")
)
