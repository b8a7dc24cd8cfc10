package synctest

import (
	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/gen"
)

// HoldBack takes the events of month m out of c and returns them as a country of their own, for
// a benchmark that loads c first and syncs the month afterwards as its sources would send it: the
// register's changes made in m, the pension contributions, staffing declarations, social and
// state-order payments for m, the visits in m and the income reports filed in m. Records that
// describe a state rather than an event (persons' family memberships, contracts, enrolments,
// attachments, coverages) stay in c. Each of c's slices keeps its order; the events are removed
// in place, so c's slices are shortened, not copied.
func HoldBack(c *gen.Country, m domain.Month) *gen.Country {
	late := &gen.Country{Seed: c.Seed, People: c.People, From: c.From, Months: c.Months}
	c.PersonVersions, late.PersonVersions = split(c.PersonVersions, func(v domain.PersonVersion) bool { return v.ChangedOn.MonthOf() == m })
	c.Contributions, late.Contributions = split(c.Contributions, func(v domain.PensionContribution) bool { return v.Month == m })
	c.StaffingDeclarations, late.StaffingDeclarations = split(c.StaffingDeclarations, func(v domain.StaffingDeclaration) bool { return v.Month == m })
	c.SocialPayments, late.SocialPayments = split(c.SocialPayments, func(v domain.SocialPayment) bool { return v.Month == m })
	c.StateOrderPayments, late.StateOrderPayments = split(c.StateOrderPayments, func(v domain.StateOrderPayment) bool { return v.Month == m })
	c.IncomeReports, late.IncomeReports = split(c.IncomeReports, func(v domain.IncomeReport) bool { return v.FiledOn.MonthOf() == m })
	c.Visits, late.Visits = split(c.Visits, func(v domain.Visit) bool { return v.Date.MonthOf() == m })
	return late
}

// split moves the elements of s for which held is true into a new slice, keeping both in order,
// and returns the rest (s's own array) and the moved ones.
func split[T any](s []T, held func(T) bool) (rest, moved []T) {
	w := 0
	for _, v := range s {
		if held(v) {
			moved = append(moved, v)
			continue
		}
		s[w] = v
		w++
	}
	clear(s[w:]) // let what moved out be collected
	return s[:w], moved
}

// Then returns feeds that serve each of first's pages and then the same source's pages of
// later: a store synced from first resumes at its cursor and receives later's records only.
// first and later come from CountryFeeds, so their sources are in the same order.
func Then(first, later []*Feed) []*Feed {
	out := make([]*Feed, len(first))
	for i, f := range first {
		pages := append(append([]*connectors.Page(nil), f.Pages...), later[i].Pages...)
		out[i] = &Feed{Src: f.Src, Pages: pages}
	}
	return out
}
