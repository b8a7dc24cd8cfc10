package syncer

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/birlik/birlik/ent/change"
	"github.com/birlik/birlik/ent/quarantine"
	"github.com/birlik/birlik/ent/synccursor"
	"github.com/birlik/birlik/store"
)

// DumpOptions select what Dump leaves out.
type DumpOptions struct {
	// Times keeps the time columns (synced_at, seen_at, at, updated_at), which differ between
	// two runs over the same data; leave it false to compare the content of two stores.
	Times bool
}

var timeCols = map[string]bool{"synced_at": true, "seen_at": true, "at": true, "updated_at": true}

// Dump writes every table sync writes, deterministically: one line per row, rows sorted,
// without surrogate ids, and with each foreign key shown as the natural key of the record it
// points to. Two stores holding the same data dump identically whatever their ids.
func Dump(ctx context.Context, st *store.Store, w io.Writer, opts DumpOptions) error {
	db, d := st.DB, st.Dialect
	keyOf := map[string]map[int64]string{} // target table -> id -> natural key
	for _, s := range specs {
		for _, r := range s.refs {
			if keyOf[r.target] != nil {
				continue
			}
			m := map[int64]string{}
			q, args := entsql.Dialect(d).Select("id", r.key).From(entsql.Table(r.target)).Query()
			rows, err := db.QueryContext(ctx, q, args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id int64
				var k string
				if err := rows.Scan(&id, &k); err != nil {
					rows.Close()
					return err
				}
				m[id] = k
			}
			rows.Close()
			keyOf[r.target] = m
		}
	}
	type tableRefs struct {
		table string
		refs  map[string]string // fk column -> target table
	}
	var tables []tableRefs
	for _, s := range specs {
		t := tableRefs{s.table, map[string]string{}}
		for _, r := range s.refs {
			t.refs[r.fk] = r.target
		}
		tables = append(tables, t)
	}
	tables = append(tables, tableRefs{change.Table, nil}, tableRefs{quarantine.Table, nil}, tableRefs{synccursor.Table, nil})
	for _, t := range tables {
		q, args := entsql.Dialect(d).Select("*").From(entsql.Table(t.table)).Query()
		rows, err := db.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("dump %s: %w", t.table, err)
		}
		cols, err := rows.Columns()
		if err != nil {
			rows.Close()
			return err
		}
		var lines []string
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return err
			}
			var b strings.Builder
			b.WriteString(t.table)
			for i, c := range cols {
				if c == "id" || (!opts.Times && timeCols[c]) {
					continue
				}
				v := vals[i]
				if target, ok := t.refs[c]; ok && v != nil {
					id, _ := toInt64(v)
					if k, ok := keyOf[target][id]; ok {
						v = "->" + k
					} else {
						v = fmt.Sprintf("->missing(%d)", id)
					}
				}
				fmt.Fprintf(&b, "\t%s=%s", c, format(v))
			}
			lines = append(lines, b.String())
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		sort.Strings(lines)
		for _, l := range lines {
			if _, err := io.WriteString(w, l+"\n"); err != nil {
				return err
			}
		}
	}
	return nil
}

func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case int:
		return int64(x), true
	}
	return 0, false
}

func format(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		return fmt.Sprintf("%q", x)
	case string:
		return fmt.Sprintf("%q", x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}

// DumpTables is Dump grouped by table, each table's rows sorted, for comparing two stores that
// were synced from the same sources. The change sequence's numbers are left out of its rows and
// checked apart (1..n without a gap): sources that sync independently commit their pages in an
// order of their own, so the numbers differ between two stores holding the same changes; seqGap
// names the first gap ("" when none).
func DumpTables(ctx context.Context, st *store.Store) (tables map[string][]string, seqGap string, err error) {
	var buf bytes.Buffer
	if err := Dump(ctx, st, &buf, DumpOptions{}); err != nil {
		return nil, "", err
	}
	tables = map[string][]string{}
	var seqs []int64
	for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		if line == "" {
			continue
		}
		table, _, _ := strings.Cut(line, "\t")
		if table == change.Table {
			var keep []string
			for _, f := range strings.Split(line, "\t") {
				if v, ok := strings.CutPrefix(f, "seq="); ok {
					n, err := strconv.ParseInt(v, 10, 64)
					if err != nil {
						return nil, "", fmt.Errorf("change sequence number %q: %w", v, err)
					}
					seqs = append(seqs, n)
					continue
				}
				keep = append(keep, f)
			}
			line = strings.Join(keep, "\t")
		}
		tables[table] = append(tables[table], line)
	}
	for _, lines := range tables {
		sort.Strings(lines)
	}
	slices.Sort(seqs)
	for i, n := range seqs {
		if n != int64(i+1) {
			seqGap = fmt.Sprintf("change number %d where %d was due", n, i+1)
			break
		}
	}
	return tables, seqGap, nil
}

// TableDiff compares one table of two DumpTables results.
type TableDiff struct {
	Table     string
	Got, Want int    // rows
	Row       int    // the first row that differs (1-based; 0 when the tables are equal)
	GotRow    string // that row in each ("" past the end)
	WantRow   string
}

// Equal reports whether the table is the same in both.
func (d TableDiff) Equal() bool { return d.Row == 0 }

// CompareTables compares two DumpTables results table by table, in the order of the tables'
// names.
func CompareTables(got, want map[string][]string) []TableDiff {
	names := map[string]bool{}
	for t := range got {
		names[t] = true
	}
	for t := range want {
		names[t] = true
	}
	var out []TableDiff
	for _, t := range slices.Sorted(maps.Keys(names)) {
		g, w := got[t], want[t]
		d := TableDiff{Table: t, Got: len(g), Want: len(w)}
		for i := 0; i < max(len(g), len(w)); i++ {
			var a, b string
			if i < len(g) {
				a = g[i]
			}
			if i < len(w) {
				b = w[i]
			}
			if a != b {
				d.Row, d.GotRow, d.WantRow = i+1, a, b
				break
			}
		}
		out = append(out, d)
	}
	return out
}
