package syncer

import (
	"slices"
	"sort"
	"testing"

	"github.com/birlik/birlik/ent/migrate"
)

// TestSpecsMatchTheEntSchema checks each table sync writes against the Ent schema, the one
// place a record type's columns are declared: every column of the table is written by sync (a
// data column, a foreign key it resolves, a provenance column) or is the table's own (its id,
// columns sync never sets, listed here), and every column sync writes exists. A field added to
// an Ent schema without its place in the spec, or a spec column left after the field was
// removed, fails here instead of at the first sync.
func TestSpecsMatchTheEntSchema(t *testing.T) {
	// Columns of synced tables that sync does not write: the surrogate id, and what the
	// gateway derives after a sync.
	notSynced := map[string]bool{"id": true}
	tables := map[string][]string{}
	for _, tb := range migrate.Tables {
		for _, c := range tb.Columns {
			tables[tb.Name] = append(tables[tb.Name], c.Name)
		}
	}
	for _, sp := range specs {
		cols, ok := tables[sp.table]
		if !ok {
			t.Errorf("%s: table %s is not in the Ent schema", sp.name, sp.table)
			continue
		}
		written := slices.Clone(sp.cols)
		written = append(written, provCols...)
		for _, r := range sp.refs {
			written = append(written, r.fk)
		}
		for _, c := range written {
			if !slices.Contains(cols, c) {
				t.Errorf("%s: sync writes column %s, which table %s does not have", sp.name, c, sp.table)
			}
		}
		var missing []string
		for _, c := range cols {
			if !notSynced[c] && !slices.Contains(written, c) {
				missing = append(missing, c)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("%s: table %s has columns sync never writes: %v (add them to the spec in syncer/tables.go, or here if the gateway derives them)", sp.name, sp.table, missing)
		}
	}
}
