package resolvers

// live.go maps the live records the loaders return (the connectors' domain records) to the
// GraphQL types of graph/live.graphql.

import (
	"sort"
	"time"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/graph/model"
)

// today is the date live coverage is judged on (UTC; a var so tests can fix it).
var today = func() domain.Date {
	t := time.Now().UTC()
	return domain.NewDate(t.Year(), t.Month(), t.Day())
}

// liveCoverage lists the periods oldest first and finds the one in force on day.
func liveCoverage(cs []domain.Coverage, day domain.Date) *model.LiveCoverage {
	cs = append([]domain.Coverage(nil), cs...)
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].From.Before(cs[j].From) })
	out := &model.LiveCoverage{Periods: make([]*model.CoveragePeriod, len(cs))}
	for i, c := range cs {
		p := &model.CoveragePeriod{Category: c.Category, From: c.From}
		if !c.To.IsZero() {
			to := c.To
			p.To = &to
		}
		out.Periods[i] = p
		if !c.From.After(day) && (c.To.IsZero() || !c.To.Before(day)) {
			out.Current, out.Insured = p, true
		}
	}
	return out
}

// liveVisits returns the first n visits (the connector answers newest first).
func liveVisits(vs []domain.Visit, n int) []*model.LiveVisit {
	vs = vs[:min(n, len(vs))]
	out := make([]*model.LiveVisit, len(vs))
	for i, v := range vs {
		out[i] = &model.LiveVisit{ID: v.ID, Date: v.Date, Kind: v.Kind, InstitutionBin: string(v.BIN)}
	}
	return out
}

func registerStatus(p domain.Person) *model.RegisterStatus {
	out := &model.RegisterStatus{Alive: p.DeathDate.IsZero(), Region: region(p.Region), LastName: p.LastName, FirstName: p.FirstName}
	if !p.DeathDate.IsZero() {
		d := p.DeathDate
		out.DeathDate = &d
	}
	return out
}
