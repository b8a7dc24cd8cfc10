package checks

import (
	"fmt"
	"strings"

	"github.com/birlik/birlik/domain"
)

// A check finds the cases of one kind. Its facts query returns one row per fact that makes a
// case (a payment, a staff line, a person…), with the columns of factCols: the case's identity
// (subject IIN, subject BIN, other BIN, cadastral number, position code, period), its region,
// the fact's share of the money at risk, the payment it names (or NULL) and the fact as a JSON
// object with its provenance. Run groups the facts by identity: a case's money at risk is the
// sum of its facts' shares, its region the smallest of its facts' regions, its evidence the list
// of its facts. Definitions: docs/findings.md, section by section.
type check struct {
	kind domain.FindingKind
	// money is the rule of the money at risk, written into the evidence and the docs.
	money string
	facts func(b sqlb) string
}

// factCols are the columns every facts query returns, in order.
var factCols = []string{"subject_iin", "subject_bin", "other_bin", "cadastral", "position_code", "period", "region", "money", "payment_id", "evidence"}

// sel writes a facts query's select list from expressions in factCols order (evidence is a JSON
// object expression, staged as text).
func sel(b sqlb, iin, bin, other, cad, code, period, region, money, payment, evidence string) string {
	ex := []string{iin, bin, other, cad, code, period, region, money, payment, b.text(evidence)}
	parts := make([]string, len(ex))
	for i, e := range ex {
		parts[i] = e + " AS " + factCols[i]
	}
	return "SELECT " + strings.Join(parts, ",\n  ")
}

const (
	none   = "''"
	noPay  = "CAST(NULL AS BIGINT)"
	noMony = "0"
)

// socialKinds are the kinds of the labour platform's social payments.
const socialKinds = "('targeted_social_assistance', 'child_benefit', 'disability_benefit', 'wallet_school_meals', 'wallet_medicines')"

// paidJoin joins alias a to the state_order payments of organisation bin that represent
// Paid(b, M): one payment per (organisation, month), the one with the smallest id, so a month
// paid twice still counts once. cond adds conditions on a.period.
func paidJoin(a, bin, cond string) string {
	return `JOIN payments ` + a + ` ON ` + a + `.school_bin = ` + bin + ` AND ` + a + `.kind = 'state_order' AND ` + cond + `
  AND NOT EXISTS (SELECT 1 FROM payments q WHERE q.school_bin = ` + a + `.school_bin AND q.period = ` + a + `.period AND q.kind = 'state_order' AND q.id < ` + a + `.id)`
}

// enrolledPaid is Enrolled(b, M) for every organisation b and month M it was paid a state
// order for: one row (school_bin, period, enrolled) per such pair, counted in one grouped join
// rather than once per payment (an organisation is paid many times a month). Enrolments are
// first counted by organisation and dates (most of a school's pupils share their school year's
// dates), so the join meets a few rows per organisation, not every pupil.
var enrolledPaid = `(SELECT m.school_bin, m.period, CAST(COALESCE(SUM(en.n), 0) AS BIGINT) AS enrolled
  FROM (SELECT DISTINCT school_bin, period FROM payments WHERE kind = 'state_order') m
  LEFT JOIN (SELECT school_bin, "from", "to", COUNT(*) AS n FROM enrollments GROUP BY school_bin, "from", "to") en
    ON en.school_bin = m.school_bin AND ` + activeIn("en", `"from"`, `"to"`, "m.period") + `
  GROUP BY m.school_bin, m.period)`

// payFact is the evidence of a finance or labour payment aliased a.
func payFact(b sqlb, a string, kv ...string) string {
	return b.rec(a, append([]string{"kind", a + ".kind", "month", a + ".period", "amount", a + ".amount"}, kv...)...)
}

// checks lists one check per kind of domain.FindingKinds, in that order.
var checks = []check{
	{
		kind:  domain.GhostPupil,
		money: "Norm(kind of the organisation) × each month after the death month in which the enrolment is active and the organisation was paid",
		facts: func(b sqlb) string {
			return sel(b, "e.child_iin", "e.school_bin", none, none, none, `substr(p.death_date, 1, 7)`, "s.region_kato",
				b.norm("s.kind", "pay.period"), "pay.id",
				b.obj("month", "pay.period",
					"justice", b.rec("p", "iin", "p.iin", "deathDate", "p.death_date"),
					"education", b.rec("e", "enrollmentId", "e.enrollment_id", "bin", "e.school_bin", "from", `e."from"`, "to", `e."to"`),
					"finance", payFact(b, "pay", "contingent", "pay.contingent"))) + `
FROM enrollments e
JOIN persons p ON p.iin = e.child_iin
JOIN schools s ON s.bin = e.school_bin
` + paidJoin("pay", "e.school_bin", `pay.period > substr(p.death_date, 1, 7) AND `+activeIn("e", `"from"`, `"to"`, "pay.period")) + `
WHERE p.death_date IS NOT NULL AND ` + activeOn("e", `"from"`, `"to"`, "p.death_date")
		},
	},
	{
		kind:  domain.DoubleFinancing,
		money: "min(Norm(kind b1), Norm(kind b2)) × each month in which the child is enrolled at both state-funded organisations and both were paid",
		facts: func(b sqlb) string {
			so := `(SELECT bin, kind, region_kato FROM schools WHERE state_order AND kind IN ('school', 'college'))`
			// First the children enrolled at two state-funded organisations with overlapping
			// enrolments (few), then their months paid at both: joined the other way round, every
			// pupil meets every month their organisation was paid first (millions of rows).
			pairs := `SELECT e1.child_iin, e1.school_bin AS b1, e2.school_bin AS b2, e1."from" AS f1, e1."to" AS t1, e2."from" AS f2, e2."to" AS t2,
    (CASE WHEN s1.region_kato < s2.region_kato THEN s1.region_kato ELSE s2.region_kato END) AS region,
    s1.kind AS k1, s2.kind AS k2
  FROM enrollments e1
  JOIN ` + so + ` s1 ON s1.bin = e1.school_bin
  JOIN enrollments e2 ON e2.child_iin = e1.child_iin AND e2.school_bin > e1.school_bin
    AND substr(e1."from", 1, 7) <= substr(COALESCE(e2."to", '9999-12-31'), 1, 7)
    AND substr(e2."from", 1, 7) <= substr(COALESCE(e1."to", '9999-12-31'), 1, 7)
  JOIN ` + so + ` s2 ON s2.bin = e2.school_bin`
			n1, n2 := b.norm("pr.k1", "p1.period"), b.norm("pr.k2", "p1.period")
			months := `SELECT DISTINCT pr.child_iin, pr.b1, pr.b2, p1.period, p1.id AS id1, p2.id AS id2, pr.region,
    (CASE WHEN ` + n1 + ` < ` + n2 + ` THEN ` + n1 + ` ELSE ` + n2 + ` END) AS money
  FROM pairs pr
  ` + paidJoin("p1", "pr.b1", activeIn("pr", "f1", "t1", "p1.period")) + `
  ` + paidJoin("p2", "pr.b2", `p2.period = p1.period AND `+activeIn("pr", "f2", "t2", "p1.period"))
			// Each month once (with the first organisation's payment), then the second
			// organisation's payment of the month as a fact without money.
			one := func(pid, money string) string {
				return sel(b, "m.child_iin", "m.b1", "m.b2", none, none, none, "m.region", money, "pay.id",
					b.obj("month", "m.period", "finance", payFact(b, "pay", "bin", "pay.school_bin", "contingent", "pay.contingent"))) + `
FROM months m
JOIN payments pay ON pay.id = m.` + pid
			}
			return "WITH pairs AS MATERIALIZED (" + pairs + "),\nmonths AS MATERIALIZED (" + months + ")\n" + one("id1", "m.money") + "\nUNION ALL\n" + one("id2", noMony)
		},
	},
	{
		kind:  domain.ContingentOverCapacity,
		money: "sum over the payments above capacity of (reported contingent − enrolled pupils that month) × Norm(kind)",
		facts: func(b sqlb) string { return contingentFacts(b, true) },
	},
	{
		kind:  domain.PaidForAbsentPupils,
		money: "sum over the payments (not above capacity) with a contingent above the enrolled pupils of (contingent − enrolled) × Norm(kind)",
		facts: func(b sqlb) string { return contingentFacts(b, false) },
	},
	{
		kind:  domain.BuildingNotASchool,
		money: "every state-order payment (both kinds) to the organisation over the history",
		facts: func(b sqlb) string {
			return sel(b, none, "s.bin", none, "s.cadastral", none, none, "s.region_kato", "COALESCE(pay.amount, 0)", "pay.id",
				b.obj("education", b.rec("s", "bin", "s.bin", "kind", "s.kind", "cadastral", "s.cadastral"),
					"cadastre", b.orNull("bl", b.rec("bl", "cadastral", "bl.cadastral", "designation", "bl.designation", "designCapacity", "bl.design_capacity", "address", "bl.address")),
					"finance", b.orNull("pay", payFact(b, "pay")))) + `
FROM schools s
LEFT JOIN buildings bl ON bl.cadastral = s.cadastral
LEFT JOIN payments pay ON pay.school_bin = s.bin AND pay.kind IN ('state_order', 'preschool_state_order')
WHERE bl.id IS NULL OR bl.designation <> s.kind`
		},
	},
	{
		kind:  domain.UnreportedIncome,
		money: "every state-order payment (both kinds) to the organisation for a month of the income-report year",
		facts: func(b sqlb) string {
			y := fmt.Sprintf("'%04d'", b.cfg.IncomeReportYear)
			return sel(b, none, "s.bin", none, none, none, y, "s.region_kato", "pay.amount", "pay.id",
				b.obj("education", b.rec("s", "bin", "s.bin", "ownership", "s.ownership", "stateOrder", "s.state_order"),
					"finance", payFact(b, "pay"), "incomeReport", "NULL")) + `
FROM schools s
JOIN payments pay ON pay.school_bin = s.bin AND pay.kind IN ('state_order', 'preschool_state_order') AND substr(pay.period, 1, 4) = ` + y + `
WHERE s.ownership = 'private' AND s.state_order
  AND NOT EXISTS (SELECT 1 FROM income_reports r WHERE r.school_bin = s.bin AND r.year = ` + fmt.Sprint(b.cfg.IncomeReportYear) + `)`
		},
	},
	{
		kind:  domain.FictitiousTeacher,
		money: "0 (the sources hold no salary of a staff line)",
		facts: func(b sqlb) string {
			return sel(b, "st.iin", "st.school_bin", none, none, none, none, "s.region_kato", noMony, noPay,
				b.obj("education", b.rec("st", "bin", "st.school_bin", "iin", "st.iin", "position", "st.position", "from", `st."from"`, "to", `st."to"`),
					"labour", b.obj("contractsWithOrganisation", "0", "contributionsFromOrganisation", "0"))) + `
FROM staff_positions st
JOIN schools s ON s.bin = st.school_bin
WHERE NOT EXISTS (SELECT 1 FROM labour_contracts k WHERE k.iin = st.iin AND k.employer_bin = st.school_bin)
  AND NOT EXISTS (SELECT 1 FROM payments c WHERE c.kind = 'pension_contribution' AND c.recipient_iin = st.iin AND c.payer_bin = st.school_bin)
  AND NOT EXISTS (SELECT 1 FROM labour_contracts k WHERE ` + elsewhere("k", "st", "s") + `)`
		},
	},
	{
		kind:  domain.StaffInAnotherRegion,
		money: "0",
		facts: func(b sqlb) string {
			return sel(b, "st.iin", "st.school_bin", none, none, none, none, "s.region_kato", noMony, noPay,
				b.obj("education", b.rec("st", "bin", "st.school_bin", "iin", "st.iin", "position", "st.position", "from", `st."from"`, "to", `st."to"`, "region", "s.region_kato"),
					"labour", b.rec("k", "contractId", "k.contract_id", "employerBin", "k.employer_bin", "region", "k.region_kato", "start", "k.start", "end", `k."end"`))) + `
FROM staff_positions st
JOIN schools s ON s.bin = st.school_bin
JOIN labour_contracts k ON ` + elsewhere("k", "st", "s") + `
WHERE NOT EXISTS (SELECT 1 FROM labour_contracts k2 WHERE k2.iin = st.iin AND k2.employer_bin = st.school_bin)`
		},
	},
	{
		kind:  domain.ContributionsWithoutContract,
		money: "the sum of the contributions paid in months without a labour contract with the payer",
		facts: func(b sqlb) string {
			return sel(b, "c.recipient_iin", "c.payer_bin", none, none, none, none, "COALESCE(em.region_kato, '')", "c.amount", "c.id",
				b.obj("labour", payFact(b, "c", "payerBin", "c.payer_bin", "iin", "c.recipient_iin"), "contractInMonth", "NULL")) + `
FROM payments c
LEFT JOIN employers em ON em.bin = c.payer_bin
WHERE c.kind = 'pension_contribution'
  AND NOT EXISTS (SELECT 1 FROM labour_contracts k WHERE k.iin = c.recipient_iin AND k.employer_bin = c.payer_bin AND ` + activeIn("k", "start", `"end"`, "c.period") + `)`
		},
	},
	{
		kind:  domain.UnregisteredPosition,
		money: "0",
		facts: func(b sqlb) string {
			return sel(b, none, "d.bin", none, none, "d.position_code", none, "COALESCE(em.region_kato, '')", noMony, noPay,
				b.obj("labour", b.rec("d", "bin", "d.bin", "positionCode", "d.position_code", "title", "d.title", "units", "d.units", "month", "d.month"),
					"register", "NULL")) + `
FROM staffing_declarations d
LEFT JOIN employers em ON em.bin = d.bin
WHERE NOT EXISTS (SELECT 1 FROM register_positions r WHERE r.code = d.position_code)`
		},
	},
	{
		kind:  domain.PaymentToTheDead,
		money: "the sum of the social payments paid after the recipient's death",
		facts: func(b sqlb) string {
			return sel(b, "sp.recipient_iin", none, none, none, none, none, "p.region_kato", "sp.amount", "sp.id",
				b.obj("justice", b.rec("p", "iin", "p.iin", "deathDate", "p.death_date"),
					"labour", payFact(b, "sp", "paidOn", "sp.paid_on"))) + `
FROM payments sp
JOIN persons p ON p.iin = sp.recipient_iin
WHERE sp.kind IN ` + socialKinds + ` AND p.death_date IS NOT NULL AND sp.paid_on > p.death_date`
		},
	},
	{
		kind:  domain.UnjustifiedAssistance,
		money: "the sum of the TSA payments for months in which the family's wages exceed the poverty line × its members",
		facts: func(b sqlb) string {
			inMonth := func(a, from, to string) string { return activeIn(a, from, to, "t.period") }
			members := `(SELECT t.id, COUNT(*) AS n FROM payments t
    JOIN family_memberships m ON m.family_platform_id = t.family_platform_id AND ` + inMonth("m", `"from"`, `"to"`) + `
    WHERE t.kind = 'targeted_social_assistance' GROUP BY t.id)`
			income := `(SELECT t.id, SUM(k.wage) AS w FROM payments t
    JOIN family_memberships m ON m.family_platform_id = t.family_platform_id AND ` + inMonth("m", `"from"`, `"to"`) + `
    JOIN labour_contracts k ON k.iin = m.iin AND ` + inMonth("k", "start", `"end"`) + `
    WHERE t.kind = 'targeted_social_assistance' GROUP BY t.id)`
			n, w, line := "COALESCE(mem.n, 0)", "COALESCE(inc.w, 0)", b.povertyLine("x.period")
			return sel(b, "x.recipient_iin", none, none, none, none, none, "f.region_kato", "x.amount", "x.id",
				b.obj("labour", payFact(b, "x", "familyId", "x.family_platform_id"),
					"family", b.rec("f", "platformId", "f.platform_id", "membersInMonth", n, "wagesInMonth", w, "povertyLinePerMember", line))) + `
FROM payments x
JOIN families f ON f.platform_id = x.family_platform_id
LEFT JOIN ` + members + ` mem ON mem.id = x.id
LEFT JOIN ` + income + ` inc ON inc.id = x.id
WHERE x.kind = 'targeted_social_assistance' AND ` + w + ` > ` + line + ` * ` + n
		},
	},
	{
		kind:  domain.PreschoolWithoutVoucher,
		money: "the sum of the per-child preschool payments for months without a voucher for that kindergarten",
		facts: func(b sqlb) string {
			return sel(b, "pay.child_iin", "pay.school_bin", none, none, none, none, "COALESCE(s.region_kato, '')", "pay.amount", "pay.id",
				b.obj("finance", payFact(b, "pay", "childIin", "pay.child_iin", "bin", "pay.school_bin"), "voucherInMonth", "NULL")) + `
FROM payments pay
LEFT JOIN schools s ON s.bin = pay.school_bin
WHERE pay.kind = 'preschool_state_order'
  AND NOT EXISTS (SELECT 1 FROM vouchers v WHERE v.child_iin = pay.child_iin AND v.school_bin = pay.school_bin AND ` + activeIn("v", `"from"`, `"to"`, "pay.period") + `)`
		},
	},
	{
		kind:  domain.SignalUninsured,
		money: "0 (a signal)",
		facts: func(b sqlb) string {
			asOf := lit(b.cfg.AsOf)
			return signal(b, b.obj("health", b.obj("coverageOn", asOf, "covered", "0"))) + `
  AND NOT EXISTS (SELECT 1 FROM coverages c WHERE c.iin = p.iin AND ` + activeOn("c", `"from"`, `"to"`, asOf) + `)`
		},
	},
	{
		kind:  domain.SignalNoVisitTwoYears,
		money: "0 (a signal)",
		facts: func(b sqlb) string {
			asOf, from := lit(b.cfg.AsOf), lit(b.cfg.NoVisitFrom)
			return signal(b, b.obj("health", b.obj("attachedOn", asOf, "visitsFrom", from, "visitsTo", asOf, "visits", "0"))) + `
  AND EXISTS (SELECT 1 FROM attachments a WHERE a.iin = p.iin AND ` + activeOn("a", `"from"`, `"to"`, asOf) + `)
  AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.iin = p.iin AND v."date" >= ` + from + ` AND v."date" <= ` + asOf + `)`
		},
	},
	{
		kind:  domain.SignalChildNotEnrolled,
		money: "0 (a signal)",
		facts: func(b sqlb) string {
			asOf := lit(b.cfg.AsOf)
			lo, hi := b.cfg.schoolAgeBirths()
			return signal(b, b.obj("education", b.obj("enrolledOn", asOf, "schoolAgeOn", lit(b.cfg.SchoolAgeOn), "enrolments", "0"))) + `
  AND p.birth_date >= ` + lit(lo) + ` AND p.birth_date <= ` + lit(hi) + `
  AND NOT EXISTS (SELECT 1 FROM enrollments e LEFT JOIN schools s ON s.bin = e.school_bin
    WHERE e.child_iin = p.iin AND COALESCE(s.kind, '') <> 'kindergarten' AND ` + activeOn("e", `"from"`, `"to"`, asOf) + `)`
		},
	},
}

// contingentFacts are the state_order payments above capacity (over = true) or, not above
// capacity, above the enrolled pupils (over = false).
func contingentFacts(b sqlb, over bool) string {
	overCap := fmt.Sprintf(`(x.capacity > 0 AND x.contingent > %d * x.capacity)`, b.cfg.CapacityFactor)
	where := overCap
	if !over {
		where = "NOT " + overCap + " AND x.contingent > x.enrolled"
	}
	inner := `SELECT pay.*, s.region_kato AS region, s.kind AS org_kind, COALESCE(bl.design_capacity, 0) AS capacity,
    bl.id AS building_id_, bl.source AS b_source, bl.source_key AS b_source_key, bl.synced_at AS b_synced_at, bl.cadastral AS b_cadastral, bl.designation AS b_designation,
    ec.enrolled AS enrolled
  FROM payments pay
  JOIN schools s ON s.bin = pay.school_bin
  JOIN ` + enrolledPaid + ` ec ON ec.school_bin = pay.school_bin AND ec.period = pay.period
  LEFT JOIN buildings bl ON bl.cadastral = s.cadastral
  WHERE pay.kind = 'state_order'`
	return sel(b, none, "x.school_bin", none, none, none, none, "x.region", "(x.contingent - x.enrolled) * "+b.norm("x.org_kind", "x.period"), "x.id",
		b.obj("month", "x.period",
			"finance", payFact(b, "x", "contingent", "x.contingent"),
			"education", b.obj("enrolled", "x.enrolled"),
			"cadastre", b.obj("source", "x.b_source", "sourceKey", "x.b_source_key", "syncedAt", "x.b_synced_at",
				"cadastral", "x.b_cadastral", "designation", "x.b_designation", "designCapacity", "x.capacity"))) + `
FROM (` + inner + `) x
WHERE ` + where
}

// elsewhere: contract k of the staff line st's person is in another region than the
// organisation s and overlaps the line.
func elsewhere(k, st, s string) string {
	return fmt.Sprintf(`%[1]s.iin = %[2]s.iin AND %[1]s.region_kato <> %[3]s.region_kato AND %[1]s.start <= COALESCE(%[2]s."to", '9999-12-31') AND COALESCE(%[1]s."end", '9999-12-31') >= %[2]s."from"`, k, st, s)
}

// signal selects the people alive on AsOf (the current register record), with ev as the
// signal's evidence; the caller appends its AND conditions.
func signal(b sqlb, ev string) string {
	period := quote(b.cfg.AsOf.MonthOf().String())
	return sel(b, "p.iin", none, none, none, none, period, "p.region_kato", noMony, noPay,
		b.obj("justice", b.rec("p", "iin", "p.iin", "birthDate", "p.birth_date", "deathDate", "p.death_date"), "signal", ev)) + `
FROM persons p
WHERE (p.death_date IS NULL OR p.death_date > ` + lit(b.cfg.AsOf) + `)`
}

// schoolAgeBirths is the range of birth dates whose age on SchoolAgeOn is SchoolAgeMin..Max.
func (c *Config) schoolAgeBirths() (lo, hi domain.Date) {
	on := c.SchoolAgeOn.Time()
	hi = domain.NewDate(on.Year()-c.SchoolAgeMin, on.Month(), on.Day())
	lo = domain.NewDate(on.Year()-c.SchoolAgeMax-1, on.Month(), on.Day()).AddDays(1)
	return lo, hi
}

var checkByKind = func() map[domain.FindingKind]*check {
	m := map[domain.FindingKind]*check{}
	for i := range checks {
		m[checks[i].kind] = &checks[i]
	}
	return m
}()
