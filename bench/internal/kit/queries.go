package kit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/birlik/birlik/domain"
)

// The purposes the workloads state (X-Purpose).
const (
	PurposeCase  = "case-management"
	PurposeStats = "statistics"
	PurposeUMIS  = "medical-care"
)

// CitizenQuery is the citizen app's read: a person by IIN with family members, enrolments with
// the school's name, region and design capacity, and the payments of the last 12 months.
const CitizenQuery = `query Citizen($iin: String!, $from: Month!) {
  person(iin: $iin) {
    iin lastName firstName patronymic birthDate sex deathDate
    region { kato name }
    family { platformID region { kato } members { iin role from to person { lastName firstName birthDate } } }
    enrollments { grade year from to school { bin name kind region { kato name } designCapacity } }
    payments(first: 100, where: {periodGTE: $from}) { totalCount edges { node { kind amount period paidOn } } }
  }
}`

// CitizenLiveQuery is the citizen query plus the live fields a caseworker may read: CSHI
// coverage from health and the register status from justice, through the loaders and the
// shared cache (Redis or in-process), onto the sources.
const CitizenLiveQuery = `query CitizenLive($iin: String!, $from: Month!) {
  person(iin: $iin) {
    iin lastName firstName patronymic birthDate sex deathDate
    region { kato name }
    liveCoverage { insured current { category from to } }
    registerStatus { alive deathDate region { kato } lastName firstName }
    family { platformID region { kato } members { iin role from to person { lastName firstName birthDate } } }
    enrollments { grade year from to school { bin name kind region { kato name } designCapacity } }
    payments(first: 100, where: {periodGTE: $from}) { totalCount edges { node { kind amount period paidOn } } }
  }
}`

// AnalystQuery is schools of one region with their count and payments of the last 12 months by
// region and kind.
const AnalystQuery = `query Analyst($region: String!, $from: Month!) {
  schools(first: 50, where: {regionKato: $region}) { totalCount edges { node { bin name kind ownership stateOrder designCapacity } } }
  paymentAggregate(where: {periodGTE: $from}, groupBy: [REGION, KIND]) { region { kato } kind count sum }
}`

// UMISQuery is one page of 500 of the change feed after a cursor (the medical information
// system following the feed).
const UMISQuery = `query Feed($after: Cursor) {
  changes(first: 500, after: $after) { edges { node { seq entity key iin op at } } pageInfo { hasNextPage endCursor } }
}`

// Samples are the inputs the workloads draw from, read from the gateway once.
type Samples struct {
	IINs       []string
	IINRegion  []string // the region KATO of IINs[i]
	Regions    []string
	PeriodFrom string   // first month of the last 12 with payments
	Cursors    []string // change feed cursors, one per page of 500
}

// Person picks a random sampled person: their IIN and the key of a caseworker of their region.
func (s *Samples) Person(rnd *rand.Rand, k Keys) (iin, key string) {
	i := rnd.IntN(len(s.IINs))
	return s.IINs[i], k.Caseworker[s.IINRegion[i]]
}

// Sample reads, with the admin key: every person's IIN and region (pages of 1,000, at most
// 50,000), the latest payment month (PeriodFrom is 11 months before it) and a cursor per page of
// 500 of the change feed.
func Sample(ctx context.Context, c *Client, k Keys) (*Samples, error) {
	s := &Samples{}
	for _, r := range domain.Regions {
		s.Regions = append(s.Regions, string(r.KATO))
	}
	var after any
	for len(s.IINs) < 50000 {
		body, err := c.GQL(ctx, k.Admin, PurposeCase,
			`query Sample($after: Cursor) { persons(first: 1000, after: $after) { edges { node { iin region { kato } } } pageInfo { hasNextPage endCursor } } }`,
			map[string]any{"after": after})
		if err != nil {
			return nil, fmt.Errorf("sampling persons: %w", err)
		}
		var r struct {
			Data struct {
				Persons struct {
					Edges []struct {
						Node struct {
							IIN    string
							Region struct{ KATO string }
						}
					}
					PageInfo struct {
						HasNextPage bool
						EndCursor   string
					}
				}
			}
		}
		if err := json.Unmarshal(body, &r); err != nil {
			return nil, fmt.Errorf("sampling persons: %w", err)
		}
		for _, e := range r.Data.Persons.Edges {
			if _, ok := k.Caseworker[e.Node.Region.KATO]; !ok {
				return nil, fmt.Errorf("person %s is in region %q, not one of domain.Regions", e.Node.IIN, e.Node.Region.KATO)
			}
			s.IINs = append(s.IINs, e.Node.IIN)
			s.IINRegion = append(s.IINRegion, e.Node.Region.KATO)
		}
		if !r.Data.Persons.PageInfo.HasNextPage {
			break
		}
		after = r.Data.Persons.PageInfo.EndCursor
	}
	if len(s.IINs) == 0 {
		return nil, errors.New("the store holds no persons: did the first sync run?")
	}
	body, err := c.GQL(ctx, k.Admin, PurposeCase,
		`{ payments(first: 1, orderBy: [{field: PERIOD, direction: DESC}]) { edges { node { period } } } }`, nil)
	if err != nil {
		return nil, fmt.Errorf("finding the latest payment month: %w", err)
	}
	var p struct {
		Data struct {
			Payments struct {
				Edges []struct{ Node struct{ Period string } }
			}
		}
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, err
	}
	if len(p.Data.Payments.Edges) == 0 {
		return nil, errors.New("the store holds no payments")
	}
	if s.PeriodFrom, err = MonthsBefore(p.Data.Payments.Edges[0].Node.Period, 11); err != nil {
		return nil, err
	}
	after = nil
	for {
		body, err := c.GQL(ctx, k.Health, PurposeUMIS,
			`query Feed($after: Cursor) { changes(first: 500, after: $after) { edges { cursor } pageInfo { hasNextPage endCursor } } }`,
			map[string]any{"after": after})
		if err != nil {
			return nil, fmt.Errorf("walking the change feed: %w", err)
		}
		var r struct {
			Data struct {
				Changes struct {
					PageInfo struct {
						HasNextPage bool
						EndCursor   *string
					}
				}
			}
		}
		if err := json.Unmarshal(body, &r); err != nil {
			return nil, err
		}
		if r.Data.Changes.PageInfo.EndCursor == nil {
			break
		}
		s.Cursors = append(s.Cursors, *r.Data.Changes.PageInfo.EndCursor)
		if !r.Data.Changes.PageInfo.HasNextPage {
			break
		}
		after = *r.Data.Changes.PageInfo.EndCursor
	}
	return s, nil
}

// MonthsBefore returns the month n months before m (both YYYY-MM).
func MonthsBefore(m string, n int) (string, error) {
	t, err := time.Parse("2006-01", m)
	if err != nil {
		return "", fmt.Errorf("month %q: %w", m, err)
	}
	return t.AddDate(0, -n, 0).Format("2006-01"), nil
}
