package checks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"golang.org/x/sync/errgroup"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/store"
)

// KindResult is what one check found in a run.
type KindResult struct {
	Kind        domain.FindingKind
	Cases       int          // cases the data shows now
	MoneyAtRisk domain.Tenge // their money at risk
	New         int          // cases not in the store before this run
	Reopened    int          // cases resolved before that the data shows again
	Resolved    int          // cases the data no longer shows, marked resolved by this run
	Took        time.Duration
}

// Row is one line of the summary: the open (not resolved) findings of a kind in a region.
type Row struct {
	Kind        domain.FindingKind
	Region      domain.KATO
	Count       int
	MoneyAtRisk domain.Tenge
}

// Summary is what a Run did and what the store holds after it.
type Summary struct {
	Kinds []KindResult
	Rows  []Row // findings not resolved, by kind and region (kinds of the run only)
	Took  time.Duration
}

// Run runs the checks of cfg.Kinds (every kind by default) over the store st, writes their findings, and
// returns a summary. Each kind's findings are written in one transaction; facts are staged in a
// temporary table on one connection. Run after a sync: the server calls it after each sync
// that changed the store.
func Run(ctx context.Context, st *store.Store, cfg Config) (Summary, error) {
	start := time.Now()
	db, d := st.DB, st.Dialect
	if d != dialect.SQLite && d != dialect.Postgres {
		return Summary{}, fmt.Errorf("checks: unknown dialect %q: want %q or %q", d, dialect.SQLite, dialect.Postgres)
	}
	if err := cfg.validate(); err != nil {
		return Summary{}, err
	}
	if err := cfg.resolve(ctx, db); err != nil {
		return Summary{}, err
	}
	b := sqlb{d: d, cfg: &cfg}
	conn, release, err := b.checkConn(ctx, db)
	if err != nil {
		return Summary{}, err
	}
	defer release()
	if err := b.analyze(ctx, conn); err != nil {
		return Summary{}, err
	}

	workers := cfg.Workers
	if !b.pg() {
		workers = 1
	}
	workers = min(workers, len(cfg.Kinds))
	var (
		sum      = Summary{Kinds: make([]KindResult, len(cfg.Kinds))}
		mu       sync.Mutex // Progress's calls and the count of kinds begun
		begun    int
		next     = make(chan int)
		g, gctx  = errgroup.WithContext(ctx)
		progress = func(k domain.FindingKind) {
			mu.Lock()
			defer mu.Unlock()
			if cfg.Progress != nil {
				cfg.Progress(k, begun, len(cfg.Kinds))
			}
			begun++
		}
	)
	for w := 0; w < workers; w++ {
		g.Go(func() error {
			c, done := conn, func() {}
			if w > 0 { // the first worker runs on the run's connection, the others on their own
				var err error
				if c, done, err = b.checkConn(gctx, db); err != nil {
					return err
				}
			}
			defer done()
			if err := b.createStage(gctx, c); err != nil {
				return err
			}
			defer func() { _, _ = c.ExecContext(context.WithoutCancel(gctx), "DROP TABLE IF EXISTS "+b.stage()) }()
			for i := range next {
				k := cfg.Kinds[i]
				progress(k)
				r, err := b.runOne(gctx, c, checkByKind[k])
				if err != nil {
					return fmt.Errorf("checks: %s: %w", k, err)
				}
				sum.Kinds[i] = r
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(next)
		for i := range cfg.Kinds {
			select {
			case next <- i:
			case <-gctx.Done():
				return nil
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return Summary{}, err
	}
	if cfg.Progress != nil {
		cfg.Progress("", len(cfg.Kinds), len(cfg.Kinds))
	}
	sum.Rows, err = summaryRows(ctx, conn, b, cfg.Kinds)
	sum.Took = time.Since(start)
	return sum, err
}

// checkConn takes a connection from db for the checks, with their PostgreSQL settings
// (pgSession); release resets them and gives the connection back to the pool as it came.
func (b sqlb) checkConn(ctx context.Context, db *sql.DB) (*sql.Conn, func(), error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("checks: connect to the store: %w", err)
	}
	release := func() {
		if b.pg() {
			for _, set := range pgSession {
				_, _ = conn.ExecContext(context.WithoutCancel(ctx), "RESET "+set[0])
			}
		}
		conn.Close()
	}
	if b.pg() {
		for _, set := range pgSession {
			if _, err := conn.ExecContext(ctx, "SET "+set[0]+" = "+set[1]); err != nil {
				release()
				return nil, nil, fmt.Errorf("checks: SET %s: %w", set[0], err)
			}
		}
	}
	return conn, release, nil
}

// pgSession are the PostgreSQL settings of the checks' connection, for their few big
// set-based queries (measured at 1,000,000 people, bench/README.md):
//   - work_mem: the hash joins over payments and enrolments fit in memory instead of spilling in
//     batches (the server's default is 4 MB);
//   - jit off: compiling each query costs more than it saves on queries this short;
//   - no merge joins: the planner cannot estimate how few organisations some filters keep (a
//     handful of the schools) and walked every state-order payment in index order to meet them
//     (seconds); a hash join reads them once.
var pgSession = [][2]string{{"work_mem", "'256MB'"}, {"jit", "off"}, {"enable_mergejoin", "off"}}

// readTables are the tables the checks read.
var readTables = []string{"persons", "buildings", "families", "family_memberships", "employers", "labour_contracts",
	"register_positions", "staffing_declarations", "schools", "enrollments", "staff_positions", "vouchers", "payments",
	"income_reports", "medical_institutions", "attachments", "visits", "coverages", "findings"}

// analyze gathers PostgreSQL's statistics for the tables that have none yet (a store just
// loaded, before autovacuum came by): without them the planner takes big tables for small ones.
func (b sqlb) analyze(ctx context.Context, conn *sql.Conn) error {
	if !b.pg() {
		return nil
	}
	rows, err := conn.QueryContext(ctx, `SELECT relname FROM pg_stat_user_tables
WHERE schemaname = current_schema() AND last_analyze IS NULL AND last_autoanalyze IS NULL AND relname IN ('`+strings.Join(readTables, "', '")+`')`)
	if err != nil {
		return fmt.Errorf("checks: read the table statistics: %w", err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return fmt.Errorf("checks: read the table statistics: %w", err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	for _, t := range tables {
		if _, err := conn.ExecContext(ctx, `ANALYZE "`+t+`"`); err != nil {
			return fmt.Errorf("checks: analyze %s: %w", t, err)
		}
	}
	return nil
}

// stage is the temporary table of one kind's facts.
func (b sqlb) stage() string {
	if b.pg() {
		return "pg_temp.check_facts"
	}
	return "temp.check_facts"
}

func (b sqlb) createStage(ctx context.Context, conn *sql.Conn) error {
	stmts := []string{
		"DROP TABLE IF EXISTS " + b.stage(),
		`CREATE TEMPORARY TABLE check_facts ("key" TEXT NOT NULL, subject_iin TEXT NOT NULL, subject_bin TEXT NOT NULL,
  other_bin TEXT NOT NULL, cadastral TEXT NOT NULL, position_code TEXT NOT NULL, period TEXT NOT NULL,
  region TEXT NOT NULL, money BIGINT NOT NULL, payment_id BIGINT, evidence TEXT NOT NULL)`,
		`CREATE INDEX check_facts_key ON check_facts ("key", payment_id)`,
	}
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("checks: create the staging table: %w", err)
		}
	}
	return nil
}

// identity columns of a finding, in key order.
var identity = []string{"subject_iin", "subject_bin", "other_bin", "cadastral", "position_code", "period"}

// keyExpr is a finding's key: its kind and its identity columns, joined by '|'.
func keyExpr(kind domain.FindingKind, a string) string {
	parts := []string{quote(string(kind))}
	for _, c := range identity {
		parts = append(parts, a+"."+c)
	}
	return strings.Join(parts, " || '|' || ")
}

// Key is the identity of a finding as the checks write it (the key column): the kind and the
// subjects' keys, '|'-separated. Tests and callers can compute it from a case's keys.
func Key(kind domain.FindingKind, iin domain.IIN, bin, otherBIN domain.BIN, cadastral, code, period string) string {
	return strings.Join([]string{string(kind), string(iin), string(bin), string(otherBIN), cadastral, code, period}, "|")
}

func (b sqlb) runOne(ctx context.Context, conn *sql.Conn, c *check) (r KindResult, err error) {
	r.Kind = c.kind
	start := time.Now()
	defer func() { r.Took = time.Since(start) }()
	st := b.stage()
	if _, err := conn.ExecContext(ctx, "DELETE FROM "+st); err != nil {
		return r, fmt.Errorf("clear the staging table: %w", err)
	}
	coalesced := make([]string, len(factCols))
	for i, col := range factCols {
		switch col {
		case "money", "payment_id", "evidence":
			coalesced[i] = "f." + col
		default:
			coalesced[i] = "COALESCE(f." + col + ", '')"
		}
	}
	ins := `INSERT INTO ` + st + ` ("key", ` + strings.Join(factCols, ", ") + `)
SELECT ` + keyExpr(c.kind, "g") + `, g.* FROM (SELECT ` + strings.Join(coalescedAs(coalesced), ", ") + ` FROM (
` + c.facts(b) + `
) f) g`
	if _, err := conn.ExecContext(ctx, ins); err != nil {
		return r, fmt.Errorf("find the facts: %w\n%s", err, ins)
	}
	if b.pg() {
		if _, err := conn.ExecContext(ctx, "ANALYZE "+st); err != nil {
			return r, fmt.Errorf("analyze the staging table: %w", err)
		}
	}
	var money int64
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(DISTINCT "key"), CAST(COALESCE(SUM(money), 0) AS BIGINT) FROM `+st).Scan(&r.Cases, &money); err != nil {
		return r, fmt.Errorf("count the cases: %w", err)
	}
	r.MoneyAtRisk = domain.Tenge(money)

	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return r, fmt.Errorf("begin: %w", err)
	}
	if err := b.write(ctx, tx, c, &r); err != nil {
		return r, errors.Join(err, tx.Rollback())
	}
	if err := tx.Commit(); err != nil {
		return r, fmt.Errorf("commit: %w", err)
	}
	return r, nil
}

func coalescedAs(ex []string) []string {
	out := make([]string, len(ex))
	for i, e := range ex {
		out[i] = e + " AS " + factCols[i]
	}
	return out
}

// write upserts the staged cases of c as findings, resolves the findings of c the data no
// longer shows, and links findings to their subjects and payments.
func (b sqlb) write(ctx context.Context, tx *sql.Tx, c *check, r *KindResult) error {
	st := b.stage()
	now := b.cfg.Now().UTC().Truncate(time.Microsecond)
	kind := quote(string(c.kind))
	exec := func(what, q string, args ...any) (int64, error) {
		res, err := tx.ExecContext(ctx, b.rebind(q), args...)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", what, err)
		}
		n, _ := res.RowsAffected()
		return n, nil
	}
	count := func(what, q string) (int, error) {
		var n int
		if err := tx.QueryRowContext(ctx, q).Scan(&n); err != nil {
			return 0, fmt.Errorf("%s: %w", what, err)
		}
		return n, nil
	}
	var err error
	if r.New, err = count("count new cases", `SELECT COUNT(DISTINCT t."key") FROM `+st+` t WHERE NOT EXISTS (SELECT 1 FROM findings f WHERE f."key" = t."key")`); err != nil {
		return err
	}
	if r.Reopened, err = count("count reopened cases", `SELECT COUNT(DISTINCT t."key") FROM `+st+` t JOIN findings f ON f."key" = t."key" WHERE f.status = 'resolved'`); err != nil {
		return err
	}
	evidence := b.obj("kind", kind, "moneyRule", quote(c.money), "facts", b.agg("t.evidence"))
	cols := strings.Join(identity, ", ")
	// New findings are inserted in key order, so that a store built from the same data gives
	// each finding the same id (the documentation's examples name ids of the demo country).
	upsert := `INSERT INTO findings ("key", kind, severity, region_kato, ` + cols + `, status, money_at_risk, evidence, first_seen, last_seen)
SELECT t."key", ` + kind + `, ` + quote(b.cfg.severity(c.kind)) + `, MIN(t.region), ` + prefixed("t.", identity) + `, 'open', SUM(t.money), ` + evidence + `, ?, ?
FROM ` + st + ` t WHERE 1 = 1
GROUP BY t."key", ` + prefixed("t.", identity) + `
ORDER BY t."key"
ON CONFLICT ("key") DO UPDATE SET
  region_kato = excluded.region_kato, severity = excluded.severity, money_at_risk = excluded.money_at_risk,
  evidence = excluded.evidence, last_seen = excluded.last_seen,
  status = CASE WHEN findings.status = 'resolved' THEN 'open' ELSE findings.status END,
  resolved_at = CASE WHEN findings.status = 'resolved' THEN NULL ELSE findings.resolved_at END`
	if _, err := exec("write the findings", upsert, now, now); err != nil {
		return err
	}
	// A table that grew by many rows is analyzed before the statements that join it: with the
	// statistics of a smaller (or empty) table the planner joins it row by row, and a first
	// run over a large country took minutes instead of seconds (the server may run no
	// autovacuum).
	grew := func(table string, n int64) error {
		if !b.pg() || n < analyzeAfter {
			return nil
		}
		if _, err := tx.ExecContext(ctx, "ANALYZE "+table); err != nil {
			return fmt.Errorf("analyze %s: %w", table, err)
		}
		return nil
	}
	if err := grew("findings", int64(r.New)); err != nil {
		return err
	}
	n, err := exec("resolve the cases the data no longer shows",
		`UPDATE findings SET status = 'resolved', resolved_at = ? WHERE kind = `+kind+` AND status <> 'resolved'
  AND NOT EXISTS (SELECT 1 FROM `+st+` t WHERE t."key" = findings."key")`, now)
	if err != nil {
		return err
	}
	r.Resolved = int(n)

	// Which subjects the cases name: a link statement scans the kind's findings, so those that
	// cannot link anything (no case names such a subject) are skipped.
	var iins, bins, others, cads, pays int
	if err := tx.QueryRowContext(ctx, `SELECT
  COALESCE(SUM(CASE WHEN subject_iin <> '' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN subject_bin <> '' THEN 1 ELSE 0 END), 0),
  COALESCE(SUM(CASE WHEN other_bin <> '' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN cadastral <> '' THEN 1 ELSE 0 END), 0),
  COALESCE(SUM(CASE WHEN payment_id IS NOT NULL THEN 1 ELSE 0 END), 0) FROM `+st).Scan(&iins, &bins, &others, &cads, &pays); err != nil {
		return fmt.Errorf("read the subjects of the cases: %w", err)
	}
	linked := pays
	if linked == 0 { // payments linked by an earlier run are unlinked below
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM finding_payments fp JOIN findings f ON f.id = fp.finding_id WHERE f.kind = `+kind).Scan(&linked); err != nil {
			return fmt.Errorf("read the linked payments: %w", err)
		}
	}
	capacityKind := c.kind == domain.ContingentOverCapacity || c.kind == domain.PaidForAbsentPupils

	// Links to the subjects, by natural key (subjects never change for a key).
	links := []link{
		{"link persons", "finding_persons", `INSERT INTO finding_persons (finding_id, person_id)
SELECT f.id, p.id FROM findings f JOIN persons p ON p.iin = f.subject_iin
WHERE f.kind = ` + kind + ` AND f.subject_iin <> '' AND NOT EXISTS (SELECT 1 FROM finding_persons x WHERE x.finding_id = f.id AND x.person_id = p.id)`, iins > 0},
		{"link schools", "finding_schools", `INSERT INTO finding_schools (finding_id, school_id)
SELECT f.id, s.id FROM findings f JOIN schools s ON s.bin = f.subject_bin
WHERE f.kind = ` + kind + ` AND f.subject_bin <> '' AND NOT EXISTS (SELECT 1 FROM finding_schools x WHERE x.finding_id = f.id AND x.school_id = s.id)`, bins > 0},
		{"link second schools", "finding_schools", `INSERT INTO finding_schools (finding_id, school_id)
SELECT f.id, s.id FROM findings f JOIN schools s ON s.bin = f.other_bin
WHERE f.kind = ` + kind + ` AND f.other_bin <> '' AND NOT EXISTS (SELECT 1 FROM finding_schools x WHERE x.finding_id = f.id AND x.school_id = s.id)`, others > 0},
		{"link employers", "finding_employers", `INSERT INTO finding_employers (finding_id, employer_id)
SELECT f.id, e.id FROM findings f JOIN employers e ON e.bin = f.subject_bin
WHERE f.kind = ` + kind + ` AND f.subject_bin <> '' AND NOT EXISTS (SELECT 1 FROM finding_employers x WHERE x.finding_id = f.id AND x.employer_id = e.id)`, bins > 0},
		{"link medical institutions", "finding_medical_institutions", `INSERT INTO finding_medical_institutions (finding_id, medical_institution_id)
SELECT f.id, m.id FROM findings f JOIN medical_institutions m ON m.bin = f.subject_bin
WHERE f.kind = ` + kind + ` AND f.subject_bin <> '' AND NOT EXISTS (SELECT 1 FROM finding_medical_institutions x WHERE x.finding_id = f.id AND x.medical_institution_id = m.id)`, bins > 0},
		{"link buildings", "finding_buildings", `INSERT INTO finding_buildings (finding_id, building_id)
SELECT f.id, bl.id FROM findings f JOIN buildings bl ON bl.cadastral = f.cadastral
WHERE f.kind = ` + kind + ` AND f.cadastral <> '' AND NOT EXISTS (SELECT 1 FROM finding_buildings x WHERE x.finding_id = f.id AND x.building_id = bl.id)`, cads > 0},
		// The building of the organisation whose capacity or contingent the case is about.
		{"link capacity buildings", "finding_buildings", `INSERT INTO finding_buildings (finding_id, building_id)
SELECT f.id, bl.id FROM findings f JOIN schools s ON s.bin = f.subject_bin JOIN buildings bl ON bl.cadastral = s.cadastral
WHERE f.kind = ` + kind + ` AND f.kind IN ('contingent_over_capacity', 'paid_for_absent_pupils')
  AND NOT EXISTS (SELECT 1 FROM finding_buildings x WHERE x.finding_id = f.id AND x.building_id = bl.id)`, capacityKind},
		// Payments: the cases the data shows now name exactly the payments of their facts.
		{"unlink payments", "finding_payments", `DELETE FROM finding_payments WHERE finding_id IN (
  SELECT f.id FROM findings f WHERE f.kind = ` + kind + ` AND EXISTS (SELECT 1 FROM ` + st + ` t WHERE t."key" = f."key"))
AND NOT EXISTS (SELECT 1 FROM findings f JOIN ` + st + ` t ON t."key" = f."key"
  WHERE f.id = finding_payments.finding_id AND t.payment_id = finding_payments.payment_id)`, linked > 0},
		{"link payments", "finding_payments", `INSERT INTO finding_payments (finding_id, payment_id)
SELECT DISTINCT f.id, p.id FROM ` + st + ` t JOIN findings f ON f."key" = t."key" JOIN payments p ON p.id = t.payment_id
WHERE NOT EXISTS (SELECT 1 FROM finding_payments x WHERE x.finding_id = f.id AND x.payment_id = p.id)`, pays > 0},
		{"link families", "finding_families", `INSERT INTO finding_families (finding_id, family_id)
SELECT DISTINCT f.id, p.family_id FROM findings f JOIN finding_payments fp ON fp.finding_id = f.id JOIN payments p ON p.id = fp.payment_id
WHERE f.kind = ` + kind + ` AND p.family_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM finding_families x WHERE x.finding_id = f.id AND x.family_id = p.family_id)`, pays > 0},
	}
	for _, l := range links {
		if !l.need {
			continue
		}
		n, err := exec(l.what, l.q)
		if err != nil {
			return err
		}
		if err := grew(l.table, n); err != nil {
			return err
		}
	}
	return nil
}

// analyzeAfter is how many rows a run adds to a table before it analyzes it (PostgreSQL).
const analyzeAfter = 1000

// link is one statement linking findings to their subjects: what it does, the table it
// writes, the statement, and whether this run needs it.
type link struct {
	what, table, q string
	need           bool
}

func prefixed(p string, cols []string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = p + c
	}
	return strings.Join(out, ", ")
}

// summaryRows are the findings not resolved of kinds, by kind and region.
func summaryRows(ctx context.Context, conn *sql.Conn, b sqlb, kinds []domain.FindingKind) ([]Row, error) {
	ks := make([]string, len(kinds))
	for i, k := range kinds {
		ks[i] = quote(string(k))
	}
	rows, err := conn.QueryContext(ctx, `SELECT kind, region_kato, COUNT(*), CAST(SUM(money_at_risk) AS BIGINT) FROM findings
WHERE status <> 'resolved' AND kind IN (`+strings.Join(ks, ", ")+`)
GROUP BY kind, region_kato ORDER BY kind, region_kato`)
	if err != nil {
		return nil, fmt.Errorf("checks: summary: %w", err)
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		var r Row
		var money int64
		if err := rows.Scan(&r.Kind, &r.Region, &r.Count, &money); err != nil {
			return nil, fmt.Errorf("checks: summary: %w", err)
		}
		r.MoneyAtRisk = domain.Tenge(money)
		out = append(out, r)
	}
	return out, rows.Err()
}
