package checks

import (
	"fmt"
	"sort"
	"strings"

	"entgo.io/ent/dialect"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/rules"
	"github.com/birlik/birlik/store"
)

// sqlb writes the few expressions that differ between SQLite and PostgreSQL: JSON building and
// aggregation, and placeholders. Everything else in the checks is SQL both accept.
type sqlb struct {
	d   string
	cfg *Config
}

func (b sqlb) pg() bool { return b.d == dialect.Postgres }

// obj is a JSON object of key/expression pairs: json_object or jsonb_build_object.
func (b sqlb) obj(kv ...string) string {
	if len(kv)%2 != 0 {
		panic("checks: obj needs key/value pairs") // programming error in this package only
	}
	parts := make([]string, 0, len(kv))
	for i := 0; i < len(kv); i += 2 {
		parts = append(parts, quote(kv[i]), kv[i+1])
	}
	if b.pg() {
		return "jsonb_build_object(" + strings.Join(parts, ", ") + ")"
	}
	return "json_object(" + strings.Join(parts, ", ") + ")"
}

// text turns a JSON expression into text (how facts are staged).
func (b sqlb) text(jsonExpr string) string {
	if b.pg() {
		return "CAST(" + jsonExpr + " AS TEXT)"
	}
	return jsonExpr
}

// agg is a JSON array of the staged JSON texts of expr, ordered by expr.
func (b sqlb) agg(textExpr string) string {
	if b.pg() {
		return "jsonb_agg(CAST(" + textExpr + " AS jsonb) ORDER BY " + textExpr + ")"
	}
	return "json_group_array(json(" + textExpr + ") ORDER BY " + textExpr + ")"
}

// orNull is the JSON object expression obj, or JSON null when the row aliased a is missing
// (an outer join found nothing).
func (b sqlb) orNull(a, obj string) string {
	e := "CASE WHEN " + a + ".id IS NULL THEN NULL ELSE " + obj + " END"
	if b.pg() {
		return e
	}
	return "json(" + e + ")" // SQLite keeps a value's JSON subtype through functions only
}

// prov is the provenance of the row aliased a, as object pairs.
func (b sqlb) prov(a string) []string {
	return []string{"source", a + ".source", "sourceKey", a + ".source_key", "syncedAt", a + ".synced_at"}
}

// rec is an object of a's provenance plus the given pairs.
func (b sqlb) rec(a string, kv ...string) string {
	return b.obj(append(b.prov(a), kv...)...)
}

// norm is the per-pupil norm of the organisation kind in column kindCol for the month (YYYY-MM)
// in column periodCol: the norms of the month's year (Config.Rules). When every year of the
// store has the same norms, the year is not looked at.
func (b sqlb) norm(kindCol, periodCol string) string {
	years := sortedYears(b.cfg.norms)
	if len(years) == 0 {
		return "0" // no payment in the store
	}
	byKind := func(n rules.Norms) string {
		kinds := make([]string, len(rules.NormKinds))
		for i, k := range rules.NormKinds {
			kinds[i] = string(k)
		}
		sort.Strings(kinds)
		var s strings.Builder
		s.WriteString("(CASE " + kindCol)
		for _, k := range kinds {
			fmt.Fprintf(&s, " WHEN %s THEN %d", quote(k), int64(n.Of(domain.OrgKind(k))))
		}
		s.WriteString(" ELSE 0 END)")
		return s.String()
	}
	same := true
	for _, y := range years {
		same = same && b.cfg.norms[y] == b.cfg.norms[years[0]]
	}
	if same {
		return byKind(b.cfg.norms[years[0]])
	}
	var s strings.Builder
	s.WriteString("(CASE substr(" + periodCol + ", 1, 4)")
	for _, y := range years {
		fmt.Fprintf(&s, " WHEN '%04d' THEN %s", y, byKind(b.cfg.norms[y]))
	}
	s.WriteString(" END)")
	return s.String()
}

// povertyLine is the line per member for the month (YYYY-MM) in col: the line of the month's
// year (Config.Rules).
func (b sqlb) povertyLine(col string) string {
	years := sortedYears(b.cfg.povertyLine)
	if len(years) == 0 {
		return "CAST(NULL AS BIGINT)" // no payment in the store
	}
	var s strings.Builder
	s.WriteString("(CASE substr(" + col + ", 1, 4)")
	for _, y := range years {
		fmt.Fprintf(&s, " WHEN '%04d' THEN %d", y, int64(b.cfg.povertyLine[y]))
	}
	s.WriteString(" END)")
	return s.String()
}

func sortedYears[V any](m map[int]V) []int {
	ys := make([]int, 0, len(m))
	for y := range m {
		ys = append(ys, y)
	}
	sort.Ints(ys)
	return ys
}

// activeIn is the period rule of docs/findings.md: the row aliased a (columns from/to, or the
// given names) is active in the month (YYYY-MM) expression m.
func activeIn(a, from, to, m string) string {
	return fmt.Sprintf(`(%[1]s.%[2]s <= %[4]s || '-31' AND (%[1]s.%[3]s IS NULL OR %[1]s.%[3]s >= %[4]s || '-01'))`, a, from, to, m)
}

// activeOn: the row aliased a is active on day d (an SQL expression).
func activeOn(a, from, to, d string) string {
	return fmt.Sprintf(`(%[1]s.%[2]s <= %[4]s AND (%[1]s.%[3]s IS NULL OR %[1]s.%[3]s >= %[4]s))`, a, from, to, d)
}

// quote is an SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// lit is the SQL literal of a date.
func lit(d domain.Date) string { return quote(d.String()) }

// rebind turns ? placeholders into $1, $2… on PostgreSQL. The checks' SQL holds no other '?'.
func (b sqlb) rebind(q string) string { return store.Rebind(b.d, q) }
