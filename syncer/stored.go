package syncer

import (
	"context"
	"fmt"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/ent/synccursor"
	"github.com/birlik/birlik/store"
)

// StoredStatus is each source's status as the store shows it, for a gateway replica that does
// not run the syncs itself (another replica holds the lease): Completed when the source's feed
// was read to its end, LastSuccess when its cursor last moved (an idle pass moves nothing, so
// this is a lower bound), Behind while no pass has reached the feed's end. The sources are those
// given, in their order; one without a cursor has not been synced at all.
func StoredStatus(ctx context.Context, st *store.Store, sources []connectors.Source) ([]SourceStatus, error) {
	q, args := entsql.Dialect(st.Dialect).Select(synccursor.FieldSource, synccursor.FieldDone, synccursor.FieldUpdatedAt).
		From(entsql.Table(synccursor.Table)).Query()
	rows, err := st.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read the sync cursors: %w", err)
	}
	defer rows.Close()
	type cursor struct {
		done bool
		at   time.Time
	}
	seen := map[connectors.Source]cursor{}
	for rows.Next() {
		var (
			src string
			c   cursor
		)
		if err := rows.Scan(&src, &c.done, &c.at); err != nil {
			return nil, fmt.Errorf("read the sync cursors: %w", err)
		}
		seen[connectors.Source(src)] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the sync cursors: %w", err)
	}
	out := make([]SourceStatus, 0, len(sources))
	for _, src := range sources {
		s := SourceStatus{Source: src}
		c, ok := seen[src]
		switch {
		case !ok:
			s.Behind, s.BehindReason = true, "the leading replica has not synced it yet"
		case !c.done:
			s.Behind, s.BehindReason, s.LastSuccess = true, "the leading replica's first pass has not reached the end of its feed", c.at
		default:
			s.Completed, s.LastSuccess = true, c.at
		}
		out = append(out, s)
	}
	return out, nil
}
