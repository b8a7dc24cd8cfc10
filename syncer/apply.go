package syncer

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/change"
	"github.com/birlik/birlik/ent/familymembership"
	"github.com/birlik/birlik/ent/privacy"
	"github.com/birlik/birlik/ent/quarantine"
	"github.com/birlik/birlik/ent/synccursor"
	"github.com/birlik/birlik/store"
)

// Provenance columns every integrated table has, written before the spec's data columns.
var provCols = []string{"source", "source_key", "source_seq", "source_version", "synced_at"}

// maxParams bounds the parameters of one statement: under PostgreSQL's limit (65535), and
// small enough on SQLite, whose pure-Go driver binds parameters in time quadratic in their
// number (measured: ~1,000 is the sweet spot).
func (t *tx) maxParams() int {
	if t.d == dialect.Postgres {
		return 30000
	}
	return sqliteMaxParams
}

var sqliteMaxParams = 1000

// lockKey is the PostgreSQL advisory lock that serialises sync's writers, with the store's
// schema as its second key: stores in different schemas of one database (tests, kept benchmark
// stores) do not wait for each other.
const lockKey = 7235002

// pageResult counts what applying one page did.
type pageResult struct {
	written     int            // rows inserted or updated
	changes     int            // entries appended to the change sequence
	quarantined int            // quarantined records newly stored
	tables      map[string]int // rows written per table
}

// tx wraps one write transaction of sync.
type tx struct {
	*sql.Tx
	d       string
	now     time.Time
	nextSeq int64 // next change sequence number, read lazily
	stmts   map[stmtKey]*sql.Stmt
	types   *pgTypes // PostgreSQL: the column types and statements, kept by the Syncer
}

func (t *tx) exec(ctx context.Context, b interface{ Query() (string, []any) }) (sql.Result, error) {
	query, args := b.Query()
	return t.ExecContext(ctx, query, args...)
}

// prepared returns the transaction's prepared upsert of rows rows into table, preparing it
// (from build) on first use. Pages reuse a handful of statement shapes, so SQL is parsed once
// per shape and transaction rather than once per batch.
func (t *tx) prepared(ctx context.Context, table string, rows int, build func() string) (*sql.Stmt, error) {
	k := stmtKey{t.d, table, rows}
	if st, ok := t.stmts[k]; ok {
		return st, nil
	}
	sqlMu.Lock()
	q, ok := sqlCache[k]
	if !ok {
		q = build()
		sqlCache[k] = q
	}
	sqlMu.Unlock()
	st, err := t.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if t.stmts == nil {
		t.stmts = map[stmtKey]*sql.Stmt{}
	}
	t.stmts[k] = st
	return st, nil
}

type stmtKey struct {
	dialect string
	table   string
	rows    int
}

var (
	sqlMu    sync.Mutex
	sqlCache = map[stmtKey]string{}
)

// begin opens a write transaction holding the writer lock.
func begin(ctx context.Context, db *sql.DB, d string) (*tx, error) {
	sqlTx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	if d == dialect.Postgres {
		if _, err := sqlTx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))`, lockKey); err != nil {
			sqlTx.Rollback()
			return nil, fmt.Errorf("take the sync writer lock: %w", err)
		}
	}
	return &tx{Tx: sqlTx, d: d, now: time.Now().UTC()}, nil
}

// applyPage writes a page's records, its quarantined records and the cursor after it in tx.
func applyPage(ctx context.Context, t *tx, p *connectors.Page, records int64) (pageResult, error) {
	var res pageResult
	b := collect(p)
	src := string(p.Source)
	for _, s := range specs {
		rs := b[s]
		if len(rs) == 0 {
			continue
		}
		upsert, prune := t.upsert, t.pruneMemberships
		if t.d == dialect.Postgres {
			upsert, prune = t.upsertPG, t.pruneMembershipsPG
		}
		n, c, err := upsert(ctx, s, src, rs)
		if err != nil {
			return res, fmt.Errorf("write %s: %w", s.name, err)
		}
		res.written += n
		res.changes += c
		if n > 0 {
			if res.tables == nil {
				res.tables = map[string]int{}
			}
			res.tables[s.table] += n
			if c > 0 {
				res.tables[change.Table] += c
			}
		}
		if s == specFamily {
			// Members the new version of a family no longer lists are removed.
			if err := prune(ctx, b[specMembership], rs); err != nil {
				return res, fmt.Errorf("prune family memberships: %w", err)
			}
		}
	}
	q, err := t.quarantine(ctx, p.Quarantined)
	if err != nil {
		return res, fmt.Errorf("store quarantined records: %w", err)
	}
	res.quarantined = q
	if err := t.saveCursor(ctx, p, records); err != nil {
		return res, fmt.Errorf("save the cursor: %w", err)
	}
	return res, nil
}

// digest is the version of a record's content: rows are rewritten only when it changes.
func digest(r rec) string {
	h := sha256.New()
	h.Write([]byte(r.key))
	for _, v := range r.vals {
		h.Write([]byte{0x1f})
		if v == nil {
			h.Write([]byte{0})
			continue
		}
		fmt.Fprint(h, v)
	}
	h.Write([]byte{0x1e})
	h.Write([]byte(r.extra))
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// dedupe keeps one record per key: the one with the highest sequence, else the last.
func dedupe(rs []rec) []rec {
	idx := make(map[string]int, len(rs))
	out := rs[:0:0]
	for _, r := range rs {
		if i, ok := idx[r.key]; ok {
			if r.seq >= out[i].seq {
				out[i] = r
			}
			continue
		}
		idx[r.key] = len(out)
		out = append(out, r)
	}
	return out
}

type existing struct {
	version string
	seq     int64
}

// upsert writes the records of one spec that are new or changed, with their foreign keys and
// change entries, and returns how many rows it wrote and how many changes it appended.
func (t *tx) upsert(ctx context.Context, s *spec, src string, rs []rec) (int, int, error) {
	rs = dedupe(rs)
	keys := make([]any, len(rs))
	for i, r := range rs {
		keys[i] = r.key
	}
	have := make(map[string]existing, len(rs))
	err := t.selectIn(ctx, s.table, []string{"source_key", "source_version", "source_seq"}, "source_key", keys, func(rows *sql.Rows) error {
		var k, v string
		var seq sql.NullInt64
		if err := rows.Scan(&k, &v, &seq); err != nil {
			return err
		}
		have[k] = existing{v, seq.Int64}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	type row struct {
		r       rec
		version string
		created bool
	}
	var todo []row
	for _, r := range rs {
		v := digest(r)
		old, ok := have[r.key]
		switch {
		case !ok:
			todo = append(todo, row{r, v, true})
		case s.seq && r.seq < old.seq:
			// An older version than the one stored: the newer one stays.
		case old.version != v || (s.seq && r.seq > old.seq):
			todo = append(todo, row{r, v, false})
		}
	}
	if len(todo) == 0 {
		return 0, 0, nil
	}
	// Resolve the foreign keys of the rows to write.
	fks := make([]map[string]int64, len(s.refs))
	colIdx := make(map[string]int, len(s.cols))
	for i, c := range s.cols {
		colIdx[c] = i
	}
	for i, rf := range s.refs {
		ci := colIdx[rf.col]
		seen := map[string]bool{}
		var want []any
		for _, w := range todo {
			if k, ok := w.r.vals[ci].(string); ok && k != "" && !seen[k] {
				seen[k] = true
				want = append(want, k)
			}
		}
		m := make(map[string]int64, len(want))
		err := t.selectIn(ctx, rf.target, []string{"id", rf.key}, rf.key, want, func(rows *sql.Rows) error {
			var id int64
			var k string
			if err := rows.Scan(&id, &k); err != nil {
				return err
			}
			m[k] = id
			return nil
		})
		if err != nil {
			return 0, 0, fmt.Errorf("resolve %s: %w", rf.fk, err)
		}
		fks[i] = m
	}
	cols := append(append(append([]string{}, provCols...), s.cols...), refCols(s)...)
	per := t.maxParams() / len(cols)
	args := make([]any, 0, min(per, len(todo))*len(cols))
	for lo := 0; lo < len(todo); lo += per {
		hi := min(lo+per, len(todo))
		args = args[:0]
		for _, w := range todo[lo:hi] {
			var seq any
			if s.seq {
				seq = w.r.seq
			}
			args = append(args, src, w.r.key, seq, w.version, t.now)
			args = append(args, w.r.vals...)
			for i, rf := range s.refs {
				var id any
				if k, ok := w.r.vals[colIdx[rf.col]].(string); ok {
					if v, ok := fks[i][k]; ok {
						id = v
					}
				}
				args = append(args, id)
			}
		}
		stmt, err := t.prepared(ctx, s.table, hi-lo, func() string {
			ins := entsql.Dialect(t.d).Insert(s.table).Columns(cols...)
			for range hi - lo {
				ins.Values(placeholders(len(cols))...)
			}
			ins.OnConflict(entsql.ConflictColumns("source_key"), entsql.ResolveWithNewValues())
			q, _ := ins.Query()
			return q
		})
		if err != nil {
			return 0, 0, err
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return 0, 0, err
		}
	}
	changes := 0
	if s.change != "" {
		var entries []changeEntry
		for _, w := range todo {
			op := change.OpUpdate
			if w.created {
				op = change.OpCreate
			}
			entries = append(entries, changeEntry{s.change, w.r.key, w.r.iin, op})
		}
		if err := t.appendChanges(ctx, entries); err != nil {
			return 0, 0, err
		}
		changes = len(entries)
	}
	return len(todo), changes, nil
}

func refCols(s *spec) []string {
	out := make([]string, len(s.refs))
	for i, r := range s.refs {
		out[i] = r.fk
	}
	return out
}

// selectIn runs SELECT cols FROM table WHERE col IN (values) in chunks, calling scan per row.
func (t *tx) selectIn(ctx context.Context, table string, cols []string, col string, values []any, scan func(*sql.Rows) error) error {
	const chunk = 10000
	for lo := 0; lo < len(values); lo += chunk {
		hi := min(lo+chunk, len(values))
		sel := entsql.Dialect(t.d).Select(cols...).From(entsql.Table(table)).Where(entsql.In(col, values[lo:hi]...))
		query, args := sel.Query()
		rows, err := t.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := scan(rows); err != nil {
				rows.Close()
				return err
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

type changeEntry struct {
	entity change.Entity
	key    string
	iin    string
	op     change.Op
}

// appendChanges appends entries to the change sequence, numbered after the last committed one.
// Writers are serialised, so numbers commit in order and without gaps.
func (t *tx) appendChanges(ctx context.Context, entries []changeEntry) error {
	if t.nextSeq == 0 {
		var last sql.NullInt64
		q, args := entsql.Dialect(t.d).Select(entsql.Max(change.FieldSeq)).From(entsql.Table(change.Table)).Query()
		if err := t.QueryRowContext(ctx, q, args...).Scan(&last); err != nil {
			return fmt.Errorf("read the change sequence: %w", err)
		}
		t.nextSeq = last.Int64 + 1
	}
	cols := []string{change.FieldSeq, change.FieldEntity, change.FieldKey, change.FieldIin, change.FieldOp, change.FieldAt}
	per := t.maxParams() / len(cols)
	for lo := 0; lo < len(entries); lo += per {
		hi := min(lo+per, len(entries))
		ins := entsql.Dialect(t.d).Insert(change.Table).Columns(cols...)
		for _, e := range entries[lo:hi] {
			ins.Values(t.nextSeq, string(e.entity), e.key, e.iin, string(e.op), t.now)
			t.nextSeq++
		}
		if _, err := t.exec(ctx, ins); err != nil {
			return fmt.Errorf("append changes: %w", err)
		}
	}
	return nil
}

// pruneMemberships deletes the memberships of the written families that their new version
// no longer lists.
func (t *tx) pruneMemberships(ctx context.Context, members []rec, families []rec) error {
	keep := map[string][]any{}
	for _, m := range members {
		fid := m.vals[0].(string)
		keep[fid] = append(keep[fid], m.key)
	}
	for _, f := range families {
		del := entsql.Dialect(t.d).Delete(familymembership.Table).Where(entsql.EQ(familymembership.FieldFamilyPlatformID, f.key))
		if ks := keep[f.key]; len(ks) > 0 {
			del = del.Where(entsql.NotIn("source_key", ks...))
		}
		if _, err := t.exec(ctx, del); err != nil {
			return err
		}
	}
	return nil
}

// quarantine stores quarantined records once each (by fingerprint) and returns how many were new.
func (t *tx) quarantine(ctx context.Context, qs []connectors.Quarantined) (int, error) {
	if len(qs) == 0 {
		return 0, nil
	}
	seen := map[string]bool{}
	cols := []string{quarantine.FieldFingerprint, quarantine.FieldSource, quarantine.FieldEntity, quarantine.FieldKey,
		quarantine.FieldReason, quarantine.FieldRaw, quarantine.FieldSeenAt}
	ins := entsql.Dialect(t.d).Insert(quarantine.Table).Columns(cols...)
	n := 0
	for _, q := range qs {
		h := sha256.Sum256([]byte(strings.Join([]string{string(q.Source), q.Entity, q.Key, q.Reason, q.Raw}, "\x1f")))
		fp := hex.EncodeToString(h[:16])
		if seen[fp] {
			continue
		}
		seen[fp] = true
		seenAt := q.Seen
		if seenAt.IsZero() {
			seenAt = t.now
		}
		ins.Values(fp, string(q.Source), q.Entity, q.Key, q.Reason, q.Raw, seenAt.UTC())
		n++
		if n%(t.maxParams()/len(cols)) == 0 {
			ins.OnConflict(entsql.ConflictColumns(quarantine.FieldFingerprint), entsql.DoNothing())
			if _, err := t.exec(ctx, ins); err != nil {
				return 0, err
			}
			ins = entsql.Dialect(t.d).Insert(quarantine.Table).Columns(cols...)
		}
	}
	if n%(t.maxParams()/len(cols)) != 0 {
		ins.OnConflict(entsql.ConflictColumns(quarantine.FieldFingerprint), entsql.DoNothing())
		if _, err := t.exec(ctx, ins); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// saveCursor upserts the source's cursor after p.
func (t *tx) saveCursor(ctx context.Context, p *connectors.Page, records int64) error {
	ins := entsql.Dialect(t.d).Insert(synccursor.Table).
		Columns(synccursor.FieldSource, synccursor.FieldCursor, synccursor.FieldRecords, synccursor.FieldTotal,
			synccursor.FieldDone, synccursor.FieldUpdatedAt).
		Values(string(p.Source), p.Cursor, records, p.Total, p.Done, t.now).
		OnConflict(entsql.ConflictColumns(synccursor.FieldSource), entsql.ResolveWithNewValues())
	_, err := t.exec(ctx, ins)
	return err
}

// cursorState is a source's stored cursor.
type cursorState struct {
	cursor  string
	records int64
	done    bool
	found   bool
}

func readCursor(ctx context.Context, db *sql.DB, d string, src connectors.Source) (cursorState, error) {
	q, args := entsql.Dialect(d).Select(synccursor.FieldCursor, synccursor.FieldRecords, synccursor.FieldDone).
		From(entsql.Table(synccursor.Table)).Where(entsql.EQ(synccursor.FieldSource, string(src))).Query()
	var c cursorState
	err := db.QueryRowContext(ctx, q, args...).Scan(&c.cursor, &c.records, &c.done)
	if err == sql.ErrNoRows {
		return cursorState{}, nil
	}
	if err != nil {
		return cursorState{}, fmt.Errorf("read the %s cursor: %w", src, err)
	}
	c.found = true
	return c, nil
}

// Mark returns the store st's sync mark: a SHA-256, in hex, of every source's sync cursor
// (source, cursor, records, done, last update), so it has a fixed length and may be stored with
// what was computed at it (the payment rollup, graph/aggregate).
// A page of records is applied in the same transaction as its source's cursor, and a page that
// changes nothing is not written, so the mark moves whenever the synced data may have changed,
// whoever applied it (this process, another replica, `birlik sync`), and only then. What is
// derived from the data (links, findings, assessments, the rollup) needs no new pass while it
// stays the same.
func Mark(ctx context.Context, st *store.Store) (string, error) { return mark(ctx, st.DB, st.Dialect) }

// ClientMark is Mark read through client, for code that reads the store through an ent client
// (a read replica's client reads the replica's cursors). The cursors are the gateway's own
// bookkeeping: they are read whoever the caller in ctx is.
func ClientMark(ctx context.Context, client *ent.Client) (string, error) {
	cursors, err := client.SyncCursor.Query().Order(ent.Asc(synccursor.FieldSource)).All(privacy.DecisionContext(ctx, privacy.Allow))
	if err != nil {
		return "", fmt.Errorf("read the sync cursors: %w", err)
	}
	h := newMarkHash()
	for _, c := range cursors {
		h.add(c.Source, c.Cursor, c.Records, c.Done, c.UpdatedAt)
	}
	return h.String(), nil
}

func mark(ctx context.Context, db *sql.DB, d string) (string, error) {
	q, args := entsql.Dialect(d).Select(synccursor.FieldSource, synccursor.FieldCursor, synccursor.FieldRecords,
		synccursor.FieldDone, synccursor.FieldUpdatedAt).
		From(entsql.Table(synccursor.Table)).OrderBy(synccursor.FieldSource).Query()
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return "", fmt.Errorf("read the sync cursors: %w", err)
	}
	defer rows.Close()
	h := newMarkHash()
	for rows.Next() {
		var (
			src, cursor string
			records     int64
			done        bool
			at          time.Time
		)
		if err := rows.Scan(&src, &cursor, &records, &done, &at); err != nil {
			return "", fmt.Errorf("read the sync cursors: %w", err)
		}
		h.add(src, cursor, records, done, at)
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("read the sync cursors: %w", err)
	}
	return h.String(), nil
}

// markHash is a Mark being computed: the cursors are added in the order of their sources.
type markHash struct{ h hash.Hash }

func newMarkHash() markHash { return markHash{sha256.New()} }

func (m markHash) add(source, cursor string, records int64, done bool, at time.Time) {
	fmt.Fprintf(m.h, "%s\x00%s\x00%d\x00%t\x00%s\x00", source, cursor, records, done, at.UTC().Format(time.RFC3339Nano))
}

func (m markHash) String() string { return hex.EncodeToString(m.h.Sum(nil)) }

// placeholders returns n non-nil arguments, so the builder emits a parameter for each.
func placeholders(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = 0
	}
	return out
}
