package main

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/store"
)

// TestHeavyAnalystIsPricedAndRefused runs the gateway as `go run .` does. When /readyz first
// answers 200 the data is complete (every source synced, findings and assessments computed over
// them: Query.freshness says so). Then it sends the request that stalled every reader (30
// aggregates of payments filtered by a pattern, within the depth, alias and complexity limits):
// it is refused before it runs with its price and the budget, while an aggregate within the
// budget answers with its price in extensions.cost.
func TestHeavyAnalystIsPricedAndRefused(t *testing.T) {
	// A store of its own (on PostgreSQL a new schema): readiness on a first start is the subject.
	dbURL := ""
	if base := os.Getenv("DATABASE_URL"); base != "" {
		u, drop, err := store.TempSchema(context.Background(), base, "birlik_test")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = drop() })
		dbURL = u
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg, err := loadOptions(fs, []string{"--data=" + t.TempDir(), "--demo-people=1000", "--sync-interval=0"}, func(k string) string {
		switch k {
		case "DATABASE_URL":
			return dbURL
		case "BIRLIK_BUDGETS":
			// The demo country is small: scale the analyst's budget to it.
			return "analyst=200000/2000000"
		}
		return ""
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	g, err := newGateway(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	g.Start(ctx)
	t.Cleanup(func() { cancel(); g.Close() })
	srv := httptest.NewServer(g.Handler)
	t.Cleanup(srv.Close)
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		res, err := http.Get(srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == 200 {
			break
		}
		if time.Since(start) > 3*time.Minute {
			t.Fatal("not ready after 3 minutes")
		}
	}
	tok, err := g.Tokens.Issue(auth.Identity{Role: auth.RoleAnalyst, Subject: "analyst-1", Client: "ministry"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ask := func(query string) (int, map[string]any) {
		body, _ := json.Marshal(map[string]any{"query": query})
		req, _ := http.NewRequest("POST", srv.URL+"/query", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("X-Purpose", "integrity-inspection")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, out
	}

	// Ready means complete: the findings and assessments are computed over every source's data.
	_, fresh := ask(`{ freshness { derivedCurrent findingsComputedAt assessmentsComputedAt sources { source lastSyncedAt behind } } findingSummary { count } }`)
	var fr struct {
		Data struct {
			Freshness struct {
				DerivedCurrent                            bool
				FindingsComputedAt, AssessmentsComputedAt *string
				Sources                                   []struct {
					Source       string
					LastSyncedAt *string
					Behind       bool
				}
			}
			FindingSummary []struct{ Count int }
		}
	}
	b, _ := json.Marshal(fresh)
	if err := json.Unmarshal(b, &fr); err != nil || fresh["errors"] != nil {
		t.Fatalf("freshness: %s", b)
	}
	f := fr.Data.Freshness
	if !f.DerivedCurrent || f.FindingsComputedAt == nil || f.AssessmentsComputedAt == nil || len(f.Sources) != 5 || len(fr.Data.FindingSummary) == 0 {
		t.Fatalf("at /readyz 200 the data is not complete: %s", b)
	}
	for _, s := range f.Sources {
		if s.Behind || s.LastSyncedAt == nil {
			t.Errorf("at /readyz 200, source %s is behind or never synced: %s", s.Source, b)
		}
	}

	_, one := ask(`{ paymentAggregate(groupBy: [REGION]) { count } }`)
	if one["errors"] != nil {
		t.Fatalf("one aggregate: %v", one["errors"])
	}
	cost, _ := one["extensions"].(map[string]any)["cost"].(map[string]any)
	scanned, _ := cost["scanned"].(float64)
	if scanned < 1000 || cost["budget"].(float64) != 200000 {
		t.Fatalf("one aggregate's extensions.cost = %v, want the payments it reads and the analyst's budget", cost)
	}

	var hb strings.Builder
	hb.WriteString("{")
	for i := 0; i < 30; i++ {
		hb.WriteString(" a" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + `: paymentAggregate(where: {sourceKeyContains: "0"}, groupBy: [REGION, KIND, MONTH]) { count sum }`)
	}
	hb.WriteString(" }")
	_, heavy := ask(hb.String())
	errs, _ := heavy["errors"].([]any)
	if len(errs) != 1 || heavy["data"] != nil {
		t.Fatalf("the heavy request: %v, want one error and no data", heavy)
	}
	e := errs[0].(map[string]any)
	msg, _ := e["message"].(string)
	if code := e["extensions"].(map[string]any)["code"]; code != "QUERY_TOO_EXPENSIVE" || !strings.Contains(msg, "200,000 rows per request") {
		t.Errorf("the heavy request: %v %q, want QUERY_TOO_EXPENSIVE stating the budget", code, msg)
	}
}
