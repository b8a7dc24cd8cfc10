package rules

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/birlik/birlik/domain"
)

// Dates are the days the checks are evaluated on; all follow from AsOf (DatesOn).
type Dates struct {
	// AsOf is the day the signals are evaluated on; their period is its month.
	AsOf domain.Date
	// NoVisitFrom starts the two years that end on AsOf (both days inclusive): AsOf two years
	// back, plus one day (AsOf 2025-12-31: 2024-01-01).
	NoVisitFrom domain.Date
	// SchoolAgeOn is 1 September of the school year AsOf falls in (a school year runs from
	// 1 September to 31 August): school age is the age on that day.
	SchoolAgeOn domain.Date
	// IncomeReportYear is the latest year whose income report is due on or before AsOf: the
	// report for year Y is due by 30 April of Y+1 (AsOf 2025-12-31: 2024).
	IncomeReportYear int
}

// The income report for a year is due by this day of the next year.
const (
	IncomeReportDueMonth = time.April
	IncomeReportDueDay   = 30
)

// DatesOn returns the evaluation days that follow from asOf.
func DatesOn(asOf domain.Date) Dates {
	// two years back (29 February falls back to the 28th), then the next day
	back := domain.MonthOfYear(asOf.Year()-2, asOf.Month())
	from := domain.NewDate(back.Year(), back.Of(), min(asOf.Day(), back.Last().Day())).AddDays(1)
	sy := asOf.Year()
	if asOf.Month() < time.September {
		sy--
	}
	ry := asOf.Year() - 1
	if asOf.Before(IncomeReportDue(ry)) {
		ry--
	}
	return Dates{
		AsOf:             asOf,
		NoVisitFrom:      from,
		SchoolAgeOn:      domain.NewDate(sy, time.September, 1),
		IncomeReportYear: ry,
	}
}

// IncomeReportDue is the day the income report for year y is due.
func IncomeReportDue(y int) domain.Date {
	return domain.NewDate(y+1, IncomeReportDueMonth, IncomeReportDueDay)
}

// The monthly payment streams of the store, by the kinds of payments that make them: the
// finance ministry's state order, the labour platform's pension contributions, and its social
// payments. Each source pays every month; a month is complete when every stream has reached it.
var streams = [][]string{
	{"state_order", "preschool_state_order"},
	{"pension_contribution"},
	{"targeted_social_assistance", "child_benefit", "disability_benefit", "wallet_school_meals", "wallet_medicines"},
}

// LatestCompleteMonth is the latest month of the store's data that is complete: the earliest of
// the latest months of the monthly payment streams (state-order payments; pension
// contributions; social payments), so a month one source has paid for and another not yet is
// left for the next run. A stream without any payment is left out (a store fed by some of the
// sources only); ok is false when the store holds no payment at all. The clock plays no part:
// a store holding a past or a simulated period is evaluated at that period's end.
//
// One MAX per payment kind, each answered from the (kind, period) index; the statement runs
// unchanged on SQLite and PostgreSQL.
func LatestCompleteMonth(ctx context.Context, db *sql.DB) (m domain.Month, ok bool, err error) {
	q := "SELECT "
	var n int
	for _, kinds := range streams {
		for _, k := range kinds {
			if n > 0 {
				q += ", "
			}
			q += "(SELECT MAX(period) FROM payments WHERE kind = '" + k + "')"
			n++
		}
	}
	vals := make([]sql.NullString, n)
	dest := make([]any, n)
	for i := range vals {
		dest[i] = &vals[i]
	}
	if err := db.QueryRowContext(ctx, q).Scan(dest...); err != nil {
		return 0, false, fmt.Errorf("find the latest complete month of the store: %w", err)
	}
	i := 0
	for _, kinds := range streams {
		var latest domain.Month
		seen := false
		for range kinds {
			v := vals[i]
			i++
			if !v.Valid || v.String == "" {
				continue
			}
			pm, err := domain.ParseMonth(v.String)
			if err != nil {
				return 0, false, fmt.Errorf("find the latest complete month of the store: a payment's period: %w", err)
			}
			if !seen || pm > latest {
				latest, seen = pm, true
			}
		}
		if seen && (!ok || latest < m) {
			m, ok = latest, true
		}
	}
	return m, ok, nil
}

// AsOf is the day to evaluate on: configured when it is set; otherwise the last day of the
// store's latest complete month (LatestCompleteMonth); with no payment in the store, the last
// day of the month before the current one by now (there is nothing to judge yet).
func AsOf(ctx context.Context, db *sql.DB, configured domain.Date, now func() time.Time) (domain.Date, error) {
	if !configured.IsZero() {
		return configured, nil
	}
	m, ok, err := LatestCompleteMonth(ctx, db)
	if err != nil {
		return domain.Date{}, err
	}
	if ok {
		return m.Last(), nil
	}
	t := now()
	return domain.MonthOfYear(t.Year(), t.Month()).Add(-1).Last(), nil
}

// ParseAsOf parses a configured as-of day: YYYY-MM-DD, or YYYY-MM for the month's last day; ""
// is the zero Date (the latest complete month of the store).
func ParseAsOf(s string) (domain.Date, error) {
	if s == "" {
		return domain.Date{}, nil
	}
	if d, err := domain.ParseDate(s); err == nil {
		return d, nil
	}
	if m, err := domain.ParseMonth(s); err == nil {
		return m.Last(), nil
	}
	return domain.Date{}, fmt.Errorf("as-of date %q: want YYYY-MM-DD (e.g. 2026-06-30) or YYYY-MM for the month's last day; leave it empty to evaluate as of the latest complete month in the store", s)
}
