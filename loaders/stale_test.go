package loaders_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/birlik/birlik/cache"
	"github.com/birlik/birlik/domain"
)

const citizenQuery = `query($iin: String!) { person(iin: $iin) {
  iin lastName
  family { id members { iin role } }
  enrollments { grade school { name designCapacity } }
  payments(first: 12) { totalCount edges { node { amount period } } }
  liveCoverage { insured periods { category from to } }
  registerStatus { alive }
} }`

// TestHealthDownServesStale: with the health simulator down, the citizen query (including live
// coverage) still answers, the coverage from the cache, and the response says it is stale; a
// person never looked up gets SOURCE_UNAVAILABLE on liveCoverage and the rest of the answer.
func TestHealthDownServesStale(t *testing.T) {
	g := newGateway(t, 1000)
	c, err := cache.Open(nil, cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	c.Now = func() time.Time { return now }
	h := g.handler(t, c)

	// Two people the health register covers.
	var covered []domain.IIN
	seen := map[domain.IIN]bool{}
	for _, cv := range g.country.Coverages {
		if !seen[cv.IIN] {
			seen[cv.IIN] = true
			covered = append(covered, cv.IIN)
		}
		if len(covered) == 2 {
			break
		}
	}
	if len(covered) < 2 {
		t.Fatal("the generated country has fewer than two insured people")
	}
	warm, cold := covered[0], covered[1]

	type answer struct {
		Person struct {
			IIN          string          `json:"iin"`
			LiveCoverage json.RawMessage `json:"liveCoverage"`
			Family       json.RawMessage `json:"family"`
		} `json:"person"`
	}
	first := post(t, h, citizenQuery, map[string]any{"iin": string(warm)})
	if len(first.Errors) > 0 || len(first.Extensions.Stale) > 0 {
		t.Fatalf("healthy source: errors %v, stale %v", first.Errors, first.Extensions.Stale)
	}
	var a1 answer
	if err := json.Unmarshal(first.Data, &a1); err != nil || a1.Person.IIN != string(warm) || string(a1.Person.LiveCoverage) == "null" {
		t.Fatalf("healthy answer: %s (%v)", first.Data, err)
	}

	// Health goes down and the cached value is past its freshness: the source is asked, fails,
	// and the cached value is served, marked stale.
	g.sims.Health.Faults.SetDown(true)
	now = now.Add(time.Hour)
	second := post(t, h, citizenQuery, map[string]any{"iin": string(warm)})
	if len(second.Errors) > 0 {
		t.Fatalf("health down, value cached: errors %v", second.Errors)
	}
	var a2 answer
	if err := json.Unmarshal(second.Data, &a2); err != nil {
		t.Fatal(err)
	}
	if string(a2.Person.LiveCoverage) != string(a1.Person.LiveCoverage) {
		t.Errorf("stale coverage %s, want the cached %s", a2.Person.LiveCoverage, a1.Person.LiveCoverage)
	}
	if string(a2.Person.Family) != string(a1.Person.Family) {
		t.Errorf("the store's part changed: %s, want %s", a2.Person.Family, a1.Person.Family)
	}
	if len(second.Extensions.Stale) != 1 {
		t.Fatalf("extensions.stale = %+v, want one mark for liveCoverage", second.Extensions.Stale)
	}
	m := second.Extensions.Stale[0]
	if m.Source != "health" || !strings.HasSuffix(m.Path, "liveCoverage") || m.CachedAt.IsZero() || !m.CachedAt.Before(now) {
		t.Errorf("stale mark %+v: want source health, path …liveCoverage, cachedAt before %v", m, now)
	}

	// A person never looked up: nothing cached, so liveCoverage is null with SOURCE_UNAVAILABLE,
	// and the rest of the answer is there.
	third := post(t, h, citizenQuery, map[string]any{"iin": string(cold)})
	var a3 answer
	if err := json.Unmarshal(third.Data, &a3); err != nil || a3.Person.IIN != string(cold) {
		t.Fatalf("cold person: %s (%v)", third.Data, err)
	}
	if string(a3.Person.LiveCoverage) != "null" || len(third.Errors) != 1 || third.Errors[0].Extensions["code"] != "SOURCE_UNAVAILABLE" {
		t.Errorf("cold person: liveCoverage %s, errors %+v; want null and one SOURCE_UNAVAILABLE", a3.Person.LiveCoverage, third.Errors)
	}
}
