package syncer

import (
	"context"
	"fmt"
	"io"
	"sort"
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
