package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// TestClassify: answers, stale and source-less answers (degraded), the gateway's refusals and
// failures are told apart as the phase tables count them.
func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		body    string
		err     error
		outcome outcome
		code    string
		rows    int64
	}{
		{"answer", 200, `{"data":{"person":{"iin":"1"}},"extensions":{"cost":{"rows":27406}}}`, nil, answered, "", 27406},
		{"stale answer", 200, `{"data":{},"extensions":{"stale":[{"path":"person.liveCoverage","source":"health"}]}}`, nil, degraded, "stale", 0},
		{"source unavailable", 200, `{"data":{"person":null},"errors":[{"message":"health did not answer","extensions":{"code":"SOURCE_UNAVAILABLE"}}]}`, nil, degraded, "SOURCE_UNAVAILABLE", 0},
		{"too expensive", 400, `{"errors":[{"message":"this request may read about 9,000,000 rows","extensions":{"code":"QUERY_TOO_EXPENSIVE"}}]}`, nil, refused, "QUERY_TOO_EXPENSIVE", 0},
		{"overloaded", 503, `{"errors":[{"message":"every place is taken","extensions":{"code":"OVERLOADED"}}]}`, nil, refused, "OVERLOADED", 0},
		{"budget", 429, `{"errors":[{"message":"retry in 3 s","extensions":{"code":"BUDGET_EXHAUSTED"}}]}`, nil, refused, "BUDGET_EXHAUSTED", 0},
		{"internal among refusals", 200, `{"errors":[{"message":"x","extensions":{"code":"TIMEOUT"}},{"message":"request abc","extensions":{"code":"INTERNAL"}}]}`, nil, failed, "INTERNAL", 0},
		{"forbidden", 403, `{"errors":[{"message":"no","extensions":{"code":"FORBIDDEN"}}]}`, nil, failed, "FORBIDDEN", 0},
		{"a 502 from a proxy", 502, `<html>bad gateway</html>`, nil, failed, "HTTP 502", 0},
		{"a 500 without errors", 500, `{}`, nil, failed, "HTTP 500", 0},
		{"transport", 0, ``, errors.New("connection refused"), failed, "transport", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := classify(tc.status, []byte(tc.body), tc.err)
			if r.outcome != tc.outcome || r.code != tc.code || r.rows != tc.rows {
				t.Errorf("classify = outcome %d code %q rows %d, want %d %q %d", r.outcome, r.code, r.rows, tc.outcome, tc.code, tc.rows)
			}
		})
	}
	// For citizens and the medical information system a refusal is a failure.
	if r := citizenOutcome(classify(503, []byte(`{"errors":[{"message":"x","extensions":{"code":"OVERLOADED"}}]}`), nil)); r.outcome != failed {
		t.Errorf("a citizen's OVERLOADED is outcome %d, want failed", r.outcome)
	}
}

func TestTallyCounts(t *testing.T) {
	var tl tally
	tl.add(result{outcome: answered}, 10)
	tl.add(result{outcome: degraded, code: "stale"}, 30)
	tl.add(result{outcome: refused, code: "OVERLOADED", detail: "full"}, 5)
	tl.add(result{outcome: failed, code: "INTERNAL", detail: "request x"}, 5)
	if p50, p99, _ := tl.quantiles(); p50 != 10 || p99 != 30 {
		t.Errorf("quantiles of the answered and degraded = %v, %v; want 10, 30", p50, p99)
	}
	tl.cut(90) // a stalled request: its time so far enters the quantiles
	if tl.requests() != 5 || tl.answered != 1 || tl.degraded != 1 || tl.refused != 1 || tl.failed != 1 || tl.unfinished != 1 {
		t.Errorf("tally: %d requests, %d answered, %d degraded, %d refused, %d failed, %d unfinished; want 5, one each",
			tl.requests(), tl.answered, tl.degraded, tl.refused, tl.failed, tl.unfinished)
	}
	if _, p99, _ := tl.quantiles(); p99 != 90 {
		t.Errorf("p99 with a stalled request = %v, want its 90", p99)
	}
	if got := msAtLeast(2500000, &tl); got != "≥2.5" {
		t.Errorf("msAtLeast with an unfinished request = %q, want ≥2.5", got)
	}
	if got := tl.codeList(nil); got != "INTERNAL 1, OVERLOADED 1, stale 1" {
		t.Errorf("codeList = %q", got)
	}
	if tl.firstFail != "INTERNAL: request x" || tl.firstByCode["OVERLOADED"] != "full" {
		t.Errorf("first failure %q, first refusals %v", tl.firstFail, tl.firstByCode)
	}
}

func TestReadyzSummary(t *testing.T) {
	for _, tc := range []struct {
		code         int
		body         string
		key, because string
	}{
		{200, `{"status":"ready"}`, "200 ready", ""},
		{503, `{"status":"not ready","reason":"first sync running"}`, "503 not ready", `{"status":"not ready","reason":"first sync running"}`},
		{200, `{"status":"degraded","components":{"redis":{"state":"degraded","detail":"dial tcp: refused"},"store":{"state":"ok"}}}`, "200 degraded", "redis degraded dial tcp: refused"},
		{503, `{"status":"not ready","components":{"store":{"state":"down","detail":"no answer"},"sources":{"state":"degraded"}}}`, "503 not ready", "sources degraded; store down no answer"},
		{0, ``, "unreachable", ""},
	} {
		key, because := readyzSummary(tc.code, []byte(tc.body))
		if key != tc.key || because != tc.because {
			t.Errorf("readyzSummary(%d, %s) = %q, %q; want %q, %q", tc.code, tc.body, key, because, tc.key, tc.because)
		}
	}
}

func TestSyncedSince(t *testing.T) {
	since := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	body := `{"data":{"freshness":{"sources":[
		{"source":"justice","lastSyncedAt":"2026-12-05T10:00:05Z","behind":false},
		{"source":"labour","lastSyncedAt":"2026-12-05T09:59:55Z","behind":false},
		{"source":"education","lastSyncedAt":null,"behind":true},
		{"source":"health","lastSyncedAt":"2026-12-05T10:00:09Z","behind":true}]}}}`
	got := syncedSince([]byte(body), since)
	want := map[string]string{"justice": "", "labour": "last synced 2026-12-05T09:59:55Z", "education": "never synced", "health": "behind"}
	if len(got) != len(want) {
		t.Fatalf("syncedSince = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
}

func TestCompareTables(t *testing.T) {
	got := map[string][]string{"persons": {"persons\ta=1", "persons\ta=2"}, "changes": {"changes\tkey=x"}}
	want := map[string][]string{"persons": {"persons\ta=1", "persons\ta=3"}, "changes": {"changes\tkey=x"}, "schools": {"schools\tb=1"}}
	c := compareTables(got, want)
	if len(c) != 3 || c[0].table != "changes" || c[1].table != "persons" || c[2].table != "schools" {
		t.Fatalf("tables %+v, want changes, persons, schools", c)
	}
	if c[0].firstDiff != "" {
		t.Errorf("changes differ: %s", c[0].firstDiff)
	}
	if !strings.Contains(c[1].firstDiff, "row 2") || !strings.Contains(c[1].firstDiff, "a=2") || !strings.Contains(c[1].firstDiff, "a=3") {
		t.Errorf("persons' difference: %q, want row 2 with both versions", c[1].firstDiff)
	}
	if c[2].got != 0 || c[2].want != 1 || c[2].firstDiff == "" {
		t.Errorf("schools: %+v, want missing from the gateway's store", c[2])
	}
}

// TestQueriesMatchSchema validates the analysts', the hostile analysts' and the freshness query against the
// gateway's schema, so that a schema change fails here and not in a run.
func TestQueriesMatchSchema(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "graph", "*.graphql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no schema files under graph/: %v", err)
	}
	var sources []*ast.Source
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, &ast.Source{Name: f, Input: string(b)})
	}
	schema, err := gqlparser.LoadSchema(sources...)
	if err != nil {
		t.Fatalf("loading the schema: %v", err)
	}
	queries := map[string]string{"analyst README": analystReadmeQuery, "analyst findings": analystFindingsQuery, "freshness": freshnessQuery}
	for _, q := range hostileQueries {
		queries[q.name] = q.query
	}
	for name, q := range queries {
		if _, errs := gqlparser.LoadQueryWithRules(schema, q, rules.NewDefaultRules()); len(errs) > 0 {
			t.Errorf("%s: the query does not validate against graph/*.graphql: %v", name, errs)
		}
	}
	if n := strings.Count(aggregates(30), "paymentAggregate("); n != 30 {
		t.Errorf("the heavy request has %d aggregates, want 30", n)
	}
}
