package familycard_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/birlik/birlik/cache"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/gen"
	"github.com/birlik/birlik/graph"
	"github.com/birlik/birlik/graph/cursor"
	"github.com/birlik/birlik/loaders"
	"github.com/birlik/birlik/resolvers"
)

// gql runs a GraphQL query against the unified schema over the store and decodes the data into
// out; GraphQL errors fail the test.
func gql(t *testing.T, c *ent.Client, query string, vars map[string]any, out any) {
	t.Helper()
	kv, err := cache.Open(nil, cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer kv.Close()
	lf, err := loaders.NewFactory(loaders.Config{Client: c, Cache: kv})
	if err != nil {
		t.Fatal(err)
	}
	gh := handler.New(graph.NewExecutableSchema(graph.Config{Resolvers: &resolvers.Resolver{Client: c}}))
	gh.AddTransport(transport.POST{})
	srv := lf.Middleware(gh) // as the gateway: resolvers read through the request's loaders
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	cursors, err := cursor.NewRandomSealer()
	if err != nil {
		t.Fatal(err)
	}
	cursor.Middleware(cursors)(srv).ServeHTTP(w, req)
	var resp struct {
		Data   json.RawMessage
		Errors []struct{ Message string }
	}
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatalf("decode %s: %v", w.Body.String(), err)
	}
	if len(resp.Errors) > 0 {
		t.Fatalf("GraphQL errors: %+v", resp.Errors)
	}
	if err := json.Unmarshal(resp.Data, out); err != nil {
		t.Fatalf("decode data %s: %v", resp.Data, err)
	}
}

// testGraphQL checks the family card's GraphQL fields against the generator's records.
func testGraphQL(t *testing.T, c *gen.Country, cl *ent.Client, exp map[fmKey]gen.FamilyMonth) {
	// the family with the most support: its plan is the richest to check
	paid := map[string]domain.Tenge{}
	for _, p := range c.SocialPayments {
		paid[p.FamilyID] += p.Amount
	}
	var fam domain.Family
	for _, f := range c.Families {
		if paid[f.ID] > paid[fam.ID] {
			fam = f
		}
	}
	// preschool per-child payments for its children while members
	want := paid[fam.ID]
	for _, p := range c.StateOrderPayments {
		if p.Kind != domain.PayPreschoolOrder {
			continue
		}
		for _, mb := range fam.Members {
			if mb.IIN == p.ChildIIN && !mb.From.After(p.Month.Last()) && (mb.To.IsZero() || !mb.To.Before(p.Month.First())) {
				want += p.Amount
				break
			}
		}
	}
	var latest gen.FamilyMonth
	months := 0
	for k, x := range exp {
		if k.family == fam.ID {
			months++
			if x.Month > latest.Month {
				latest = x
			}
		}
	}

	t.Run("family", func(t *testing.T) {
		var d struct {
			Family struct {
				Category   string
				Assessment struct {
					Category, Reason, RuleVersion, Month string
					Indicators                           struct{ Members, Income, IncomePerMember int64 }
				}
				Assessments struct {
					TotalCount int
					Edges      []struct {
						Node struct{ Month, Category string }
					}
				}
				SupportMeasures struct {
					Total  int64
					Months []struct {
						Month    string
						Total    int64
						Measures []struct {
							Kind   string
							Amount int64
						}
					}
				}
			}
		}
		gql(t, cl, `query($id: String!) { family(platformID: $id) {
			category
			assessment { category reason ruleVersion month indicators { members income incomePerMember } }
			assessments(first: 100) { totalCount edges { node { month category } } }
			supportMeasures(from: "2024-01", to: "2025-12") { total months { month total measures { kind amount } } }
		} }`, map[string]any{"id": fam.ID}, &d)
		f := d.Family
		if f.Category != latest.Category || f.Assessment.Category != latest.Category || f.Assessment.Month != latest.Month.String() {
			t.Errorf("family %s: category %s (assessment %s of %s), truth %s of %s", fam.ID, f.Category, f.Assessment.Category, f.Assessment.Month, latest.Category, latest.Month)
		}
		if f.Assessment.RuleVersion != "v1" || f.Assessment.Reason == "" || f.Assessment.Indicators.Members != int64(latest.Members) || f.Assessment.Indicators.Income != int64(latest.Income) {
			t.Errorf("assessment %+v: want rule v1, a reason, %d members, income %d", f.Assessment, latest.Members, latest.Income)
		}
		if f.Assessments.TotalCount != months || len(f.Assessments.Edges) != months {
			t.Errorf("assessments: %d (%d edges), truth %d months", f.Assessments.TotalCount, len(f.Assessments.Edges), months)
		}
		for i, e := range f.Assessments.Edges {
			m, _ := domain.ParseMonth(e.Node.Month)
			if i > 0 && e.Node.Month <= f.Assessments.Edges[i-1].Node.Month {
				t.Errorf("assessments not in month order at %d", i)
			}
			if x := exp[fmKey{fam.ID, m}]; x.Category != e.Node.Category {
				t.Errorf("assessment %s: %s, truth %s", e.Node.Month, e.Node.Category, x.Category)
			}
		}
		var sum int64
		for _, m := range f.SupportMeasures.Months {
			var ms int64
			for _, x := range m.Measures {
				ms += x.Amount
			}
			if ms != m.Total {
				t.Errorf("%s: measures add up to %d, total says %d", m.Month, ms, m.Total)
			}
			sum += m.Total
		}
		if want == 0 || f.SupportMeasures.Total != int64(want) || sum != int64(want) {
			t.Errorf("supportMeasures total %d (months add up to %d), the generator paid %d", f.SupportMeasures.Total, sum, want)
		}
	})

	t.Run("familiesByCategory", func(t *testing.T) {
		last := map[string]gen.FamilyMonth{}
		for k, x := range exp {
			if x.Month > last[k.family].Month {
				last[k.family] = x
			}
		}
		for _, cat := range []string{"crisis", "prosperous"} {
			n := 0
			for _, x := range last {
				if x.Category == cat {
					n++
				}
			}
			var d struct{ Families struct{ TotalCount int } }
			gql(t, cl, `query($c: WelfareCategory) { families(where: {category: $c}) { totalCount } }`, map[string]any{"c": cat}, &d)
			if d.Families.TotalCount != n || n == 0 {
				t.Errorf("families in %s: %d, truth %d", cat, d.Families.TotalCount, n)
			}
		}
	})

	t.Run("akimKPIAndTransitions", func(t *testing.T) {
		var d struct {
			AkimKPI []struct {
				Region                          struct{ Kato, Name string }
				MovedUp, MovedDown, Net, Rank   int
				LeftCrisis, LeftEmergency       int
				EnteredCrisis, EnteredEmergency int
			}
			WelfareTransitions struct {
				TotalCount  int
				HasNextPage bool
				EndCursor   *string
				Nodes       []struct{ FamilyPlatformID, Direction, FromCategory, ToCategory string }
			}
			SocialObligationsForecast struct {
				Basis  string
				Total  int64
				Method string
				Months []struct {
					Month string
					Total int64
				}
			}
		}
		gql(t, cl, `query($r: String!) {
			akimKPI(from: "2024-01", to: "2025-12") { region { kato name } movedUp movedDown leftCrisis leftEmergency enteredCrisis enteredEmergency net rank }
			welfareTransitions(region: $r, from: "2024-01", to: "2025-12", first: 3) { totalCount hasNextPage endCursor nodes { familyPlatformID direction fromCategory toCategory } }
			socialObligationsForecast(region: $r) { basis total method months { month total } }
		}`, map[string]any{"r": string(fam.Region)}, &d)
		if len(d.AkimKPI) != 20 || d.AkimKPI[0].Rank != 1 || d.AkimKPI[0].Region.Name == "" {
			t.Errorf("akimKPI: %d regions, first %+v", len(d.AkimKPI), d.AkimKPI)
		}
		wt := d.WelfareTransitions
		if wt.TotalCount == 0 || len(wt.Nodes) != min(3, wt.TotalCount) || wt.HasNextPage != (wt.TotalCount > 3) || wt.EndCursor == nil {
			t.Errorf("welfareTransitions page: %+v", wt)
		}
		for _, n := range wt.Nodes {
			up := gen.CardRank(n.ToCategory) > gen.CardRank(n.FromCategory)
			if (n.Direction == "UP") != up || n.FromCategory == n.ToCategory {
				t.Errorf("transition %+v: direction wrong", n)
			}
		}
		fc := d.SocialObligationsForecast
		if fc.Basis != "2025-12" || len(fc.Months) != 12 || fc.Months[0].Month != "2026-01" || fc.Total <= 0 || fc.Method == "" {
			t.Errorf("forecast: basis %s, %d months, total %d", fc.Basis, len(fc.Months), fc.Total)
		}
	})
}
