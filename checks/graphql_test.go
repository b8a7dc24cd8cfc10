package checks_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/99designs/gqlgen/client"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/cache"
	"github.com/birlik/birlik/checks"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/graph"
	"github.com/birlik/birlik/graph/access"
	"github.com/birlik/birlik/graph/model"
	"github.com/birlik/birlik/loaders"
	"github.com/birlik/birlik/resolvers"
)

// overCapacityQuery is the analysts' over-capacity query (docs/findings-queries.md):
// private schools of one region whose reported contingent exceeds twice their design capacity,
// by money at risk, each with its capacity (cadastre), reported contingent (finance) and
// enrolled pupils (education) in the evidence.
const overCapacityQuery = `query($region: String!) {
  findings(first: 50, where: {kind: contingent_over_capacity, region: $region, statusNEQ: resolved,
           hasSchoolsWith: [{ownership: private}]}, orderBy: [{field: MONEY_AT_RISK, direction: DESC}]) {
    totalCount
    edges { node { id key moneyAtRisk region { kato name } evidence
      schools { bin ownership designCapacity building { cadastral designCapacity } } } }
  }
}`

// oneCaseQuery is docs/findings-queries.md's "Opening one" query, verbatim.
const oneCaseQuery = `query OneCase($id: ID!) {
  node(id: $id) {
    ... on Finding {
      key
      kind
      severity
      moneyAtRisk
      status
      statusChangedBy
      statusNote
      region { kato name }
      # evidence.facts: one fact per payment above capacity, e.g.
      # { "month": "2025-03",
      #   "cadastre":  { "designCapacity": 60,  "cadastral": "…", "source": "justice",   "sourceKey": "…", "syncedAt": "…" },
      #   "finance":   { "contingent": 702, "amount": 27027000, "kind": "state_order", "source": "finance", "sourceKey": "…", "syncedAt": "…" },
      #   "education": { "enrolled": 58 } }
      evidence
      schools {
        bin
        name
        designCapacity                       # from the cadastre
        building { cadastral designation designCapacity source syncedAt }
        pupils(where: { fromLTE: "2025-03-31", or: [{ toIsNil: true }, { toGTE: "2025-03-01" }] }) {
          totalCount                         # enrolled in March 2025 (education)
        }
      }
      payments(first: 24) {                  # the state-order payments over capacity (finance)
        edges { node { period contingent amount source sourceKey syncedAt } }
      }
    }
  }
}`

func TestAnalystFindsOverCapacitySchools(t *testing.T) {
	ctx := context.Background()
	c, s := syncCountry(t, 4, 3000)
	if _, err := checks.Run(ctx, s.Store, checks.Defaults()); err != nil {
		t.Fatal(err)
	}
	// The gateway's own field rules (@personal), so the scenario proves what an analyst sees.
	gh := handler.New(graph.NewExecutableSchema(graph.Config{Resolvers: &resolvers.Resolver{Client: s.Client},
		Directives: graph.DirectiveRoot{Personal: access.Personal[model.PersonalData]}}))
	gh.AddTransport(transport.POST{})
	kv, err := cache.Open(nil, cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer kv.Close()
	lf, err := loaders.NewFactory(loaders.Config{Client: s.Client, Cache: kv})
	if err != nil {
		t.Fatal(err)
	}
	srv := lf.Middleware(gh)
	as := func(role string) client.Option {
		return func(r *client.Request) {
			ctx := auth.NewContext(r.HTTP.Context(), auth.Identity{Subject: "analyst-7", Role: role, Client: "ministry"})
			r.HTTP = r.HTTP.WithContext(auth.WithPurpose(ctx, auth.PurposeIntegrityInspection))
		}
	}
	gql := client.New(srv, as(auth.RoleAnalyst))

	var want domain.Anomaly
	for _, a := range c.Truth {
		if a.Kind == domain.ContingentOverCapacity {
			want = a
			break
		}
	}
	var inRegion []domain.Anomaly
	for _, a := range c.Truth {
		if a.Kind == domain.ContingentOverCapacity && a.Region == want.Region {
			inRegion = append(inRegion, a)
		}
	}
	var resp struct {
		Findings struct {
			TotalCount int
			Edges      []struct {
				Node struct {
					ID          string
					Key         string
					MoneyAtRisk int64
					Region      struct{ Kato, Name string }
					Evidence    struct {
						Facts []struct {
							Month   string
							Finance struct {
								Contingent int
								Source     string
								SourceKey  string
							}
							Education struct{ Enrolled int }
							Cadastre  struct {
								DesignCapacity int
								Source         string
							}
						}
					}
					Schools []struct {
						Bin            string
						DesignCapacity *int
					}
				}
			}
		}
	}
	post(t, gql, overCapacityQuery, &resp, client.Var("region", string(want.Region)))
	if resp.Findings.TotalCount != len(inRegion) || len(resp.Findings.Edges) != len(inRegion) {
		t.Fatalf("region %s: %d findings (%d edges), truth has %d", want.Region, resp.Findings.TotalCount, len(resp.Findings.Edges), len(inRegion))
	}
	var prev int64 = 1 << 62
	for _, e := range resp.Findings.Edges {
		n := e.Node
		if n.MoneyAtRisk > prev {
			t.Errorf("not sorted by money at risk: %d after %d", n.MoneyAtRisk, prev)
		}
		prev = n.MoneyAtRisk
		if n.Region.Kato != string(want.Region) || n.Region.Name == "" {
			t.Errorf("%s: region %+v", n.Key, n.Region)
		}
		if len(n.Schools) != 1 || n.Schools[0].DesignCapacity == nil {
			t.Fatalf("%s: schools %+v, want the school with its design capacity", n.Key, n.Schools)
		}
		capacity := *n.Schools[0].DesignCapacity
		if len(n.Evidence.Facts) == 0 {
			t.Fatalf("%s: no evidence", n.Key)
		}
		for _, f := range n.Evidence.Facts {
			if f.Cadastre.DesignCapacity != capacity || f.Cadastre.Source != "justice" {
				t.Errorf("%s %s: cadastre capacity %d from %q, school's building has %d", n.Key, f.Month, f.Cadastre.DesignCapacity, f.Cadastre.Source, capacity)
			}
			if f.Finance.Contingent <= 2*capacity || f.Finance.Source != "finance" || f.Finance.SourceKey == "" {
				t.Errorf("%s %s: contingent %d (source %q key %q) is not over twice the capacity %d", n.Key, f.Month, f.Finance.Contingent, f.Finance.Source, f.Finance.SourceKey, capacity)
			}
			if f.Education.Enrolled >= f.Finance.Contingent {
				t.Errorf("%s %s: %d enrolled, contingent %d", n.Key, f.Month, f.Education.Enrolled, f.Finance.Contingent)
			}
		}
	}

	t.Run("openOneCase", func(t *testing.T) {
		var r struct {
			Node struct {
				Key      string
				Evidence struct{ Facts []json.RawMessage }
				Schools  []struct {
					DesignCapacity *int
					Building       struct{ DesignCapacity int }
					Pupils         struct{ TotalCount int }
				}
				Payments struct {
					Edges []struct{ Node struct{ Contingent int } }
				}
			}
		}
		post(t, gql, oneCaseQuery, &r, client.Var("id", resp.Findings.Edges[0].Node.ID))
		n := r.Node
		if n.Key != resp.Findings.Edges[0].Node.Key || len(n.Schools) != 1 || n.Schools[0].DesignCapacity == nil {
			t.Fatalf("node: %+v", n)
		}
		capacity := *n.Schools[0].DesignCapacity
		if n.Schools[0].Building.DesignCapacity != capacity || n.Schools[0].Pupils.TotalCount == 0 {
			t.Errorf("school: building capacity %d, capacity %d, pupils in March 2025 %d", n.Schools[0].Building.DesignCapacity, capacity, n.Schools[0].Pupils.TotalCount)
		}
		if len(n.Payments.Edges) != len(n.Evidence.Facts) || len(n.Payments.Edges) == 0 {
			t.Errorf("%d payments linked, %d facts", len(n.Payments.Edges), len(n.Evidence.Facts))
		}
		for _, e := range n.Payments.Edges {
			if e.Node.Contingent <= 2*capacity {
				t.Errorf("payment with contingent %d linked, capacity %d", e.Node.Contingent, capacity)
			}
		}
	})

	t.Run("summary", func(t *testing.T) {
		var sum struct {
			FindingSummary []struct {
				Kind        string
				Region      struct{ Kato string }
				Count       int
				MoneyAtRisk int64
			}
		}
		post(t, gql, `query($r: String!) { findingSummary(where: {region: $r, kind: contingent_over_capacity}) { kind region { kato name } count moneyAtRisk } }`,
			&sum, client.Var("r", string(want.Region)))
		var money domain.Tenge
		for _, a := range inRegion {
			money += a.MoneyAtRisk
		}
		if len(sum.FindingSummary) != 1 || sum.FindingSummary[0].Count != len(inRegion) || domain.Tenge(sum.FindingSummary[0].MoneyAtRisk) != money {
			t.Errorf("summary %+v, want one row: %d cases, %d ₸", sum.FindingSummary, len(inRegion), money)
		}
	})

	t.Run("subjectFilter", func(t *testing.T) {
		var r struct{ Findings struct{ TotalCount int } }
		post(t, gql, `query($b: String!) { findings(where: {subject: $b, kind: contingent_over_capacity}) { totalCount } }`, &r, client.Var("b", string(want.BINs[0])))
		if r.Findings.TotalCount != 1 {
			t.Errorf("subject %s: %d findings, want 1", want.BINs[0], r.Findings.TotalCount)
		}
		err := gql.Post(`{ findings(where: {subject: "12"}) { totalCount } }`, &r)
		if err == nil {
			t.Error("a malformed subject was accepted")
		}
	})

	t.Run("confirmAndDismiss", func(t *testing.T) {
		id := resp.Findings.Edges[0].Node.ID
		var m struct {
			ConfirmFinding struct{ Status, StatusChangedBy, StatusNote string }
		}
		post(t, gql, `mutation($id: ID!) { confirmFinding(id: $id, note: "702 pupils reported, 60 places") { status statusChangedBy statusNote } }`, &m, client.Var("id", id))
		if m.ConfirmFinding.Status != "confirmed" || m.ConfirmFinding.StatusChangedBy != "analyst:analyst-7@ministry" || m.ConfirmFinding.StatusNote == "" {
			t.Errorf("confirmFinding: %+v", m.ConfirmFinding)
		}
		err := client.New(srv, as(auth.RoleCitizen)).Post(`mutation($id: ID!) { dismissFinding(id: $id) { status } }`, &m, client.Var("id", id))
		if err == nil {
			t.Error("a citizen dismissed a finding")
		}
		err = gql.Post(`mutation { dismissFinding(id: 1) { status } }`, &m)
		if err == nil {
			t.Error("dismissing an unknown finding succeeded")
		}
	})
}

// post runs a query that must succeed and decodes its data into out.
func post(t *testing.T, c *client.Client, q string, out any, opts ...client.Option) {
	t.Helper()
	r, err := c.RawPost(q, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Errors) > 0 && string(r.Errors) != "null" {
		t.Fatalf("errors: %s", r.Errors)
	}
	b, err := json.Marshal(r.Data)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}
