package syncer

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"entgo.io/ent/dialect"
)

// Link fills the foreign keys that were unknown when their rows were written (a source naming a
// record another source sent later), in one transaction. Rows whose natural key matches no
// record stay unlinked; a second Link with nothing new writes nothing.
func (s *Syncer) Link(ctx context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := begin(ctx, s.db, s.d)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, sp := range specs {
		for _, r := range sp.refs {
			q := linkSQL(s.d, sp.table, r)
			res, err := t.ExecContext(ctx, q)
			if err != nil {
				return 0, errors.Join(fmt.Errorf("link %s.%s: %w", sp.table, r.fk, err), rollback(t))
			}
			n, _ := res.RowsAffected()
			total += n
		}
	}
	if err := t.Commit(); err != nil {
		return 0, fmt.Errorf("link: commit: %w", err)
	}
	if total > 0 {
		s.opts.Logger.Info("sync: linked rows to records sent later", "links", total)
	}
	return total, nil
}

func linkSQL(d string, table string, r ref) string {
	qi := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	if d == dialect.Postgres {
		return fmt.Sprintf(`UPDATE %[1]s SET %[2]s = tg.id FROM %[4]s tg WHERE %[1]s.%[2]s IS NULL AND tg.%[5]s = %[1]s.%[3]s`,
			qi(table), qi(r.fk), qi(r.col), qi(r.target), qi(r.key))
	}
	return fmt.Sprintf(`UPDATE %[1]s SET %[2]s = (SELECT tg.id FROM %[4]s tg WHERE tg.%[5]s = %[1]s.%[3]s) `+
		`WHERE %[2]s IS NULL AND %[3]s IS NOT NULL AND EXISTS (SELECT 1 FROM %[4]s tg WHERE tg.%[5]s = %[1]s.%[3]s)`,
		qi(table), qi(r.fk), qi(r.col), qi(r.target), qi(r.key))
}
