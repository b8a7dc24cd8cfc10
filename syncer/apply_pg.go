package syncer

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/birlik/birlik/ent/change"
	"github.com/birlik/birlik/ent/familymembership"
)

// The PostgreSQL write path. A page's records of one entity travel as one array per column
// (pgx encodes Go slices as PostgreSQL arrays), and one statement per entity and page does
// what the portable path does in several round trips:
//
//   - unnest the arrays into rows, numbered in the page's order;
//   - keep the rows that are new or changed, comparing with the stored version (and, for
//     entities with a source sequence, never replacing a newer record with an older one);
//   - resolve their foreign keys by joining the target tables on their natural keys;
//   - upsert them by natural key, in the page's order (ids are allocated in that order);
//   - append one change entry per row written, numbered after the last committed one in the
//     page's order, for the entities in the change sequence.
//
// The statement's text depends only on the entity, so PostgreSQL parses it once per
// connection (pgx caches prepared statements), whatever the page's size. Its result is the
// same as the portable path's, row for row: tests run both on the same data.

// pgTypes caches the SQL types of the integrated tables' columns (the arrays arrive as text
// and are cast to them).
type pgTypes struct {
	mu     sync.Mutex
	tables map[string]map[string]string // table -> column -> format_type
	sql    map[*spec]string
}

func (c *pgTypes) columns(ctx context.Context, t *tx, table string) (map[string]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m, ok := c.tables[table]; ok {
		return m, nil
	}
	rows, err := t.QueryContext(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
		WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped`, qi(table))
	if err != nil {
		return nil, fmt.Errorf("read the columns of %s: %w", table, err)
	}
	defer rows.Close()
	m := map[string]string{}
	for rows.Next() {
		var n, ty string
		if err := rows.Scan(&n, &ty); err != nil {
			return nil, err
		}
		m[n] = ty
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if c.tables == nil {
		c.tables = map[string]map[string]string{}
	}
	c.tables[table] = m
	return m, nil
}

// qi quotes an identifier.
func qi(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// upsertSQL builds the statement writing s's records (see the top of this file). Parameters:
// $1 source, $2 synced_at, $3 keys, $4 versions, $5 sequences, $6… one text array per data
// column; then, for entities in the change sequence, the IINs, the change entity and the
// first change number.
func upsertSQL(s *spec, types map[string]string) (string, error) {
	var b strings.Builder
	n := 5
	arrays := []string{"$3::text[]", "$4::text[]", "$5::bigint[]"}
	names := []string{"k", "v", "seq"}
	for i := range s.cols {
		n++
		arrays = append(arrays, fmt.Sprintf("$%d::text[]", n))
		names = append(names, fmt.Sprintf("c%d", i))
	}
	var iinP, entityP, baseP string
	if s.change != "" {
		iinP, entityP, baseP = fmt.Sprintf("$%d::text[]", n+1), fmt.Sprintf("$%d::text", n+2), fmt.Sprintf("$%d::bigint", n+3)
		arrays = append(arrays, iinP)
		names = append(names, "iin")
	}
	fmt.Fprintf(&b, "WITH i AS MATERIALIZED (SELECT * FROM unnest(%s) WITH ORDINALITY AS u(%s, ord)),\n",
		strings.Join(arrays, ", "), strings.Join(names, ", "))
	// Written: new rows, and stored rows whose version differs (an older source sequence never
	// replaces a newer one; a newer one always does).
	cond := "e.source_key IS NULL OR e.source_version <> i.v"
	if s.seq {
		cond = "e.source_key IS NULL OR (i.seq >= COALESCE(e.source_seq, 0) AND (e.source_version <> i.v OR i.seq > COALESCE(e.source_seq, 0)))"
	}
	fmt.Fprintf(&b, "w AS MATERIALIZED (SELECT i.*, e.source_key IS NULL AS created FROM i LEFT JOIN %s e ON e.source_key = i.k WHERE %s),\n",
		qi(s.table), cond)
	cols := append(append([]string{}, provCols...), s.cols...)
	sel := []string{"$1::text", "w.k", "w.seq", "w.v", "$2::timestamptz"}
	for i, c := range s.cols {
		ty, ok := types[c]
		if !ok {
			return "", fmt.Errorf("table %s has no column %s", s.table, c)
		}
		sel = append(sel, fmt.Sprintf("w.c%d::%s", i, ty))
	}
	colIdx := map[string]int{}
	for i, c := range s.cols {
		colIdx[c] = i
	}
	var joins strings.Builder
	for j, rf := range s.refs {
		cols = append(cols, rf.fk)
		sel = append(sel, fmt.Sprintf("r%d.id", j))
		fmt.Fprintf(&joins, " LEFT JOIN %s r%d ON r%d.%s = w.c%d AND w.c%d <> ''", qi(rf.target), j, j, qi(rf.key), colIdx[rf.col], colIdx[rf.col])
	}
	set := make([]string, len(cols))
	for i, c := range cols {
		set[i] = fmt.Sprintf("%s = EXCLUDED.%s", qi(c), qi(c))
	}
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = qi(c)
	}
	fmt.Fprintf(&b, "ins AS (INSERT INTO %s (%s) SELECT %s FROM w%s ORDER BY w.ord ON CONFLICT (source_key) DO UPDATE SET %s RETURNING 1)",
		qi(s.table), strings.Join(quoted, ", "), strings.Join(sel, ", "), joins.String(), strings.Join(set, ", "))
	if s.change == "" {
		b.WriteString("\nSELECT (SELECT count(*) FROM ins), 0")
		return b.String(), nil
	}
	fmt.Fprintf(&b, ",\nchg AS (INSERT INTO %s (%s, %s, %s, %s, %s, %s) SELECT %s + row_number() OVER (ORDER BY w.ord) - 1, %s, w.k, w.iin, "+
		"CASE WHEN w.created THEN '%s' ELSE '%s' END, $2::timestamptz FROM w RETURNING 1)\n",
		qi(change.Table), qi(change.FieldSeq), qi(change.FieldEntity), qi(change.FieldKey), qi(change.FieldIin), qi(change.FieldOp), qi(change.FieldAt),
		baseP, entityP, change.OpCreate, change.OpUpdate)
	b.WriteString("SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM chg)")
	return b.String(), nil
}

// textOf is a record value as the text PostgreSQL casts to the column's type (nil for NULL).
func textOf(v any) *string {
	var s string
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		s = x
	case int64:
		s = strconv.FormatInt(x, 10)
	case int:
		s = strconv.Itoa(x)
	case bool:
		s = strconv.FormatBool(x)
	default:
		s = fmt.Sprint(x)
	}
	return &s
}

// upsertPG is upsert on PostgreSQL: one statement per entity and page.
func (t *tx) upsertPG(ctx context.Context, s *spec, src string, rs []rec) (int, int, error) {
	rs = dedupe(rs)
	t.types.mu.Lock()
	q, ok := t.types.sql[s]
	t.types.mu.Unlock()
	if !ok {
		types, err := t.types.columns(ctx, t, s.table)
		if err != nil {
			return 0, 0, err
		}
		if q, err = upsertSQL(s, types); err != nil {
			return 0, 0, err
		}
		t.types.mu.Lock()
		if t.types.sql == nil {
			t.types.sql = map[*spec]string{}
		}
		t.types.sql[s] = q
		t.types.mu.Unlock()
	}
	keys := make([]string, len(rs))
	versions := make([]string, len(rs))
	seqs := make([]*int64, len(rs))
	cols := make([][]*string, len(s.cols))
	for i := range cols {
		cols[i] = make([]*string, len(rs))
	}
	for j, r := range rs {
		keys[j] = r.key
		versions[j] = digest(r)
		if s.seq {
			seqs[j] = &rs[j].seq
		}
		for i, v := range r.vals {
			cols[i][j] = textOf(v)
		}
	}
	args := []any{src, t.now, keys, versions, seqs}
	for _, c := range cols {
		args = append(args, c)
	}
	if s.change != "" {
		if err := t.readNextSeq(ctx); err != nil {
			return 0, 0, err
		}
		iins := make([]string, len(rs))
		for j, r := range rs {
			iins[j] = r.iin
		}
		args = append(args, iins, string(s.change), t.nextSeq)
	}
	var written, changes int64
	if err := t.QueryRowContext(ctx, q, args...).Scan(&written, &changes); err != nil {
		return 0, 0, err
	}
	t.nextSeq += changes
	return int(written), int(changes), nil
}

// pruneMembershipsPG is pruneMemberships in one statement: the memberships of the page's
// families whose (family, key) the page does not list are deleted.
func (t *tx) pruneMembershipsPG(ctx context.Context, members []rec, families []rec) error {
	fams := make([]string, len(families))
	for i, f := range families {
		fams[i] = f.key
	}
	keepFam := make([]string, len(members))
	keepKey := make([]string, len(members))
	for i, m := range members {
		keepFam[i] = m.vals[0].(string)
		keepKey[i] = m.key
	}
	fm, fid := qi(familymembership.Table), qi(familymembership.FieldFamilyPlatformID)
	q := fmt.Sprintf(`DELETE FROM %[1]s d WHERE d.id IN (SELECT m.id FROM %[1]s m
		JOIN (SELECT DISTINCT f FROM unnest($1::text[]) f) f ON m.%[2]s = f.f
		LEFT JOIN unnest($2::text[], $3::text[]) AS k(fam, key) ON k.key = m.source_key AND k.fam = m.%[2]s
		WHERE k.key IS NULL)`, fm, fid)
	_, err := t.ExecContext(ctx, q, fams, keepFam, keepKey)
	return err
}

// readNextSeq reads the next change number once per transaction.
func (t *tx) readNextSeq(ctx context.Context) error {
	if t.nextSeq != 0 {
		return nil
	}
	var last sql.NullInt64
	if err := t.QueryRowContext(ctx, fmt.Sprintf(`SELECT MAX(%s) FROM %s`, qi(change.FieldSeq), qi(change.Table))).Scan(&last); err != nil {
		return fmt.Errorf("read the change sequence: %w", err)
	}
	t.nextSeq = last.Int64 + 1
	return nil
}
