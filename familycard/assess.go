// Package familycard is the Digital Family Card over the store: it computes every family's
// indicators for a month with set-based SQL (one GROUP BY over the integrated records), places
// each family in its welfare category under a versioned rule set (package welfare), keeps the
// assessments, and derives from them the transitions between consecutive months, the akim KPI
// per region, the family financing plan (support measures month by month) and the regions'
// social obligations forecast. docs/familycard.md describes the rules and methods.
//
// It writes only the family_assessments table and reads the integrated records; it must not
// change a source record, nor import the generator or the simulators.
package familycard

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"entgo.io/ent/dialect"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/familycard/welfare"
	"github.com/birlik/birlik/rules"
	"github.com/birlik/birlik/store"
)

// Assessor computes and keeps assessments in one store.
type Assessor struct {
	db      *sql.DB
	dialect string
	rules   welfare.Rules
	// BatchSize is the number of assessments written per INSERT statement (default 1000).
	BatchSize int
	// AsOf is the day the family card is evaluated on: AssessAll assesses the months of data up
	// to AsOf's month. Zero (the default): the last day of the store's latest complete month
	// (rules.LatestCompleteMonth). The gateway passes a configured day here.
	AsOf domain.Date
}

// NewAssessor returns an Assessor writing to the store st under rules (welfare.Default when
// rules.Version is empty).
func NewAssessor(st *store.Store, rules welfare.Rules) (*Assessor, error) {
	db, d := st.DB, st.Dialect
	if rules.Version == "" {
		rules = welfare.Default
	}
	if err := rules.Validate(); err != nil {
		return nil, err
	}
	if d != dialect.SQLite && d != dialect.Postgres {
		return nil, fmt.Errorf("familycard: unknown dialect %q: want %q or %q", d, dialect.SQLite, dialect.Postgres)
	}
	return &Assessor{db: db, dialect: d, rules: rules, BatchSize: 1000}, nil
}

// Rules returns the rules the assessor applies.
func (a *Assessor) Rules() welfare.Rules { return a.rules }

// Assessment is one family's assessment for a month.
type Assessment struct {
	FamilyID         int
	FamilyPlatformID string
	Region           domain.KATO
	Month            domain.Month
	Category         domain.WelfareCategory
	Indicators       domain.FamilyIndicators
	RuleVersion      string
	Reason           string
}

// MonthStats is what assessing one month did.
type MonthStats struct {
	Month      domain.Month
	Families   int // families assessed (families with at least one member in the month)
	Removed    int // stale assessments removed (families no longer assessable for the month)
	ByCategory map[domain.WelfareCategory]int
	Took       time.Duration
}

// DataMonths returns the first and last month the store holds payments for (the months there is
// data to assess); ok is false when the store holds none.
func (a *Assessor) DataMonths(ctx context.Context) (first, last domain.Month, ok bool, err error) {
	var lo, hi sql.NullString
	if err := a.db.QueryRowContext(ctx, `SELECT MIN(period), MAX(period) FROM payments`).Scan(&lo, &hi); err != nil {
		return 0, 0, false, fmt.Errorf("familycard: find the months of data: %w", err)
	}
	if !lo.Valid || !hi.Valid {
		return 0, 0, false, nil
	}
	if first, err = domain.ParseMonth(lo.String); err != nil {
		return 0, 0, false, err
	}
	if last, err = domain.ParseMonth(hi.String); err != nil {
		return 0, 0, false, err
	}
	return first, last, true, nil
}

// Months returns the months AssessAll assesses: those of DataMonths up to the month of the
// as-of day (AsOf, or the end of the store's latest complete month by default); ok is false
// when there is none.
func (a *Assessor) Months(ctx context.Context) (first, last domain.Month, ok bool, err error) {
	first, last, ok, err = a.DataMonths(ctx)
	if err != nil || !ok {
		return first, last, ok, err
	}
	asOf, err := rules.AsOf(ctx, a.db, a.AsOf, time.Now)
	if err != nil {
		return 0, 0, false, fmt.Errorf("familycard: %w", err)
	}
	last = min(last, asOf.MonthOf())
	return first, last, first <= last, nil
}

// AssessAll assesses every month of the data up to the as-of day (see Months), in order.
func (a *Assessor) AssessAll(ctx context.Context) ([]MonthStats, error) {
	first, last, ok, err := a.Months(ctx)
	if err != nil || !ok {
		return nil, err
	}
	return a.AssessRange(ctx, first, last)
}

// AssessRange assesses the months from..to inclusive, in order.
func (a *Assessor) AssessRange(ctx context.Context, from, to domain.Month) ([]MonthStats, error) {
	var out []MonthStats
	for m := from; m <= to; m++ {
		st, err := a.AssessMonth(ctx, m)
		if err != nil {
			return out, err
		}
		out = append(out, st)
	}
	return out, nil
}

// AssessMonth computes every family's indicators for month m with one set-based query, classifies
// them and writes the assessments (upsert on family, month and rule version) in one transaction,
// removing the month's assessments of families that no longer have a member in it.
func (a *Assessor) AssessMonth(ctx context.Context, m domain.Month) (MonthStats, error) {
	start := time.Now()
	st := MonthStats{Month: m, ByCategory: map[domain.WelfareCategory]int{}}
	list, err := a.Compute(ctx, m)
	if err != nil {
		return st, err
	}
	runAt := time.Now().UTC().Truncate(time.Microsecond) // marks this run's rows (PostgreSQL keeps microseconds)
	tx, err := a.db.BeginTx(ctx, nil)
	if err != nil {
		return st, fmt.Errorf("familycard: assess %s: begin: %w", m, err)
	}
	defer tx.Rollback()
	if err := a.write(ctx, tx, list, runAt); err != nil {
		return st, fmt.Errorf("familycard: assess %s: write: %w", m, err)
	}
	res, err := tx.ExecContext(ctx, a.q(`DELETE FROM family_assessments WHERE month = ? AND rule_version = ? AND assessed_at <> ?`),
		m.String(), a.rules.Version, runAt)
	if err != nil {
		return st, fmt.Errorf("familycard: assess %s: remove stale assessments: %w", m, err)
	}
	if n, err := res.RowsAffected(); err == nil {
		st.Removed = int(n)
	}
	if err := tx.Commit(); err != nil {
		return st, fmt.Errorf("familycard: assess %s: commit: %w", m, err)
	}
	st.Families = len(list)
	for _, x := range list {
		st.ByCategory[x.Category]++
	}
	st.Took = time.Since(start)
	return st, nil
}

// Compute computes and classifies every family's assessment for month m without writing it.
func (a *Assessor) Compute(ctx context.Context, m domain.Month) ([]Assessment, error) {
	r := a.rules
	fig, err := r.YearOf(m)
	if err != nil {
		return nil, fmt.Errorf("familycard: %w", err)
	}
	first, last := m.First(), m.Last()
	years := func(d domain.Date, n int) string { return domain.NewDate(d.Year()-n, d.Month(), d.Day()).String() }
	sy := m.Year()
	if m.Of() < 9 {
		sy--
	}
	sep1 := domain.NewDate(sy, 9, 1)
	args := map[string]any{
		"F":   first.String(),
		"L":   last.String(),
		"P":   m.String(),
		"WA1": years(first, r.WorkingAgeMin),   // born on or before: at least WorkingAgeMin on the 1st
		"WA2": years(first, r.WorkingAgeMax+1), // born after: at most WorkingAgeMax
		"SA1": years(sep1, r.SchoolAgeMin),
		"SA2": years(sep1, r.SchoolAgeMax+1),
	}
	query, params, err := a.named(indicatorsSQL, args)
	if err != nil {
		return nil, err
	}
	rows, err := a.db.QueryContext(ctx, query, params...)
	if err != nil {
		return nil, fmt.Errorf("familycard: indicators for %s: %w", m, err)
	}
	defer rows.Close()
	var out []Assessment
	for rows.Next() {
		var x Assessment
		var in domain.FamilyIndicators
		var wages, cw, ben, wal int64
		if err := rows.Scan(&x.FamilyID, &x.FamilyPlatformID, &x.Region, &in.Members, &wages, &cw, &ben, &wal,
			&in.WorkingAge, &in.WorkingAgeWithoutWork, &in.Disabled, &in.SchoolAge, &in.SchoolAgeNotEnrolled, &in.Uninsured); err != nil {
			return nil, fmt.Errorf("familycard: indicators for %s: %w", m, err)
		}
		in.Wages, in.Benefits, in.WalletSpending = domain.Tenge(wages), domain.Tenge(ben), domain.Tenge(wal)
		in.ContributionWages = domain.Tenge(cw * 100 / fig.PensionContributionPct)
		if err := r.Finish(&in, m); err != nil {
			return nil, err
		}
		x.Month, x.Indicators, x.RuleVersion = m, in, r.Version
		x.Category, x.Reason = r.Classify(in)
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("familycard: indicators for %s: %w", m, err)
	}
	return out, nil
}

// indicatorsSQL computes the indicators of every family with a member in the month, one row per
// family. Named parameters (:F first day, :L last day, :P the month, :WA1/:WA2 and :SA1/:SA2
// birth-date bounds of working and school age) are bound by Assessor.named. Dates and months are
// text, so ranges are string comparisons (docs/findings.md, Conventions).
const indicatorsSQL = `
WITH mem AS (
  SELECT DISTINCT f.id AS fid, fm.iin AS iin, p.birth_date AS birth
  FROM family_memberships fm
  JOIN families f ON f.platform_id = fm.family_platform_id
  LEFT JOIN persons p ON p.iin = fm.iin
  WHERE fm."from" <= :L AND (fm."to" IS NULL OR fm."to" >= :F)
),
wage AS (
  SELECT lc.iin AS iin, SUM(lc.wage) AS w
  FROM labour_contracts lc
  WHERE lc.start <= :L AND (lc."end" IS NULL OR lc."end" >= :F)
  GROUP BY lc.iin
),
contrib AS (
  SELECT pc.recipient_iin AS iin,
    SUM(CASE WHEN NOT EXISTS (
          SELECT 1 FROM labour_contracts lc
          WHERE lc.iin = pc.recipient_iin AND lc.employer_bin = pc.payer_bin
            AND lc.start <= :L AND (lc."end" IS NULL OR lc."end" >= :F))
        THEN pc.amount ELSE 0 END) AS nc
  FROM payments pc
  WHERE pc.kind = 'pension_contribution' AND pc.period = :P
  GROUP BY pc.recipient_iin
),
dis AS (
  SELECT DISTINCT iin FROM disabilities WHERE "from" <= :L AND ("to" IS NULL OR "to" >= :F)
),
enr AS (
  SELECT DISTINCT e.child_iin AS iin
  FROM enrollments e JOIN schools s ON s.bin = e.school_bin
  WHERE s.kind IN ('school', 'college') AND e."from" <= :L AND (e."to" IS NULL OR e."to" >= :F)
),
cov AS (
  SELECT DISTINCT iin FROM coverages WHERE "from" <= :L AND ("to" IS NULL OR "to" >= :F)
),
per AS (
  SELECT mem.fid AS fid,
    COALESCE(wage.w, 0) AS w,
    COALESCE(contrib.nc, 0) AS nc,
    CASE WHEN mem.birth <= :WA1 AND mem.birth > :WA2 THEN 1 ELSE 0 END AS wa,
    CASE WHEN mem.birth <= :WA1 AND mem.birth > :WA2 AND wage.iin IS NULL AND contrib.iin IS NULL THEN 1 ELSE 0 END AS waw,
    CASE WHEN dis.iin IS NOT NULL THEN 1 ELSE 0 END AS d,
    CASE WHEN mem.birth <= :SA1 AND mem.birth > :SA2 THEN 1 ELSE 0 END AS sa,
    CASE WHEN mem.birth <= :SA1 AND mem.birth > :SA2 AND enr.iin IS NULL THEN 1 ELSE 0 END AS sane,
    CASE WHEN cov.iin IS NULL THEN 1 ELSE 0 END AS un
  FROM mem
  LEFT JOIN wage ON wage.iin = mem.iin
  LEFT JOIN contrib ON contrib.iin = mem.iin
  LEFT JOIN dis ON dis.iin = mem.iin
  LEFT JOIN enr ON enr.iin = mem.iin
  LEFT JOIN cov ON cov.iin = mem.iin
),
fam AS (
  SELECT fid, COUNT(*) AS members,
    SUM(w) AS w, SUM(nc) AS nc, SUM(wa) AS wa, SUM(waw) AS waw, SUM(d) AS d,
    SUM(sa) AS sa, SUM(sane) AS sane, SUM(un) AS un
  FROM per GROUP BY fid
),
ben AS (
  SELECT family_platform_id AS pid,
    SUM(CASE WHEN kind IN ('targeted_social_assistance', 'child_benefit', 'disability_benefit') THEN amount ELSE 0 END) AS b,
    SUM(CASE WHEN kind IN ('wallet_school_meals', 'wallet_medicines') THEN amount ELSE 0 END) AS wal
  FROM payments
  WHERE period = :P AND kind IN ('targeted_social_assistance', 'child_benefit', 'disability_benefit', 'wallet_school_meals', 'wallet_medicines')
  GROUP BY family_platform_id
)
SELECT f.id, f.platform_id, f.region_kato, CAST(fam.members AS BIGINT),
  CAST(fam.w AS BIGINT), CAST(fam.nc AS BIGINT),
  CAST(COALESCE(ben.b, 0) AS BIGINT), CAST(COALESCE(ben.wal, 0) AS BIGINT),
  CAST(fam.wa AS BIGINT), CAST(fam.waw AS BIGINT), CAST(fam.d AS BIGINT),
  CAST(fam.sa AS BIGINT), CAST(fam.sane AS BIGINT), CAST(fam.un AS BIGINT)
FROM fam
JOIN families f ON f.id = fam.fid
LEFT JOIN ben ON ben.pid = f.platform_id
ORDER BY f.id`

// write upserts the assessments in batches.
func (a *Assessor) write(ctx context.Context, tx *sql.Tx, list []Assessment, runAt time.Time) error {
	const cols = 10
	n := a.BatchSize
	if n <= 0 {
		n = 1000
	}
	for i := 0; i < len(list); i += n {
		part := list[i:min(i+n, len(list))]
		var b strings.Builder
		b.WriteString(`INSERT INTO family_assessments (family_id, family_platform_id, region_kato, month, month_seq, category, indicators, rule_version, reason, assessed_at) VALUES `)
		args := make([]any, 0, len(part)*cols)
		for k, x := range part {
			if k > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('(')
			for c := 0; c < cols; c++ {
				if c > 0 {
					b.WriteByte(',')
				}
				b.WriteString(a.ph(len(args) + c + 1))
			}
			b.WriteByte(')')
			ind, err := json.Marshal(x.Indicators)
			if err != nil {
				return err
			}
			args = append(args, x.FamilyID, x.FamilyPlatformID, string(x.Region), x.Month.String(), int(x.Month),
				string(x.Category), string(ind), x.RuleVersion, x.Reason, runAt)
		}
		b.WriteString(` ON CONFLICT (family_id, month, rule_version) DO UPDATE SET family_platform_id = excluded.family_platform_id,
 region_kato = excluded.region_kato, month_seq = excluded.month_seq, category = excluded.category,
 indicators = excluded.indicators, reason = excluded.reason, assessed_at = excluded.assessed_at`)
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// ph is the n-th (1-based) placeholder of the dialect.
func (a *Assessor) ph(n int) string { return store.Placeholder(a.dialect, n) }

// q rewrites ? placeholders for the dialect.
func (a *Assessor) q(s string) string { return store.Rebind(a.dialect, s) }

// named replaces :NAME parameters by positional placeholders of the dialect and returns the
// arguments in order (each use of a name is its own argument).
func (a *Assessor) named(s string, args map[string]any) (string, []any, error) {
	var b strings.Builder
	var out []any
	for i := 0; i < len(s); i++ {
		if s[i] == ':' && i+1 < len(s) && s[i+1] >= 'A' && s[i+1] <= 'Z' {
			j := i + 1
			for j < len(s) && (s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			v, ok := args[s[i+1:j]]
			if !ok {
				return "", nil, fmt.Errorf("familycard: SQL parameter %s has no value", s[i:j])
			}
			out = append(out, v)
			b.WriteString(a.ph(len(out)))
			i = j - 1
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String(), out, nil
}
