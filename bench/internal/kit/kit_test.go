package kit

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

func TestQuantile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		q      float64
		want   time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"one", ms(7), 0.99, 7 * time.Millisecond},
		{"median of 1..100 is the 50th", ms(hundred...), 0.5, 50 * time.Millisecond},
		{"p99 of 1..100 is the 99th", ms(hundred...), 0.99, 99 * time.Millisecond},
		{"p99 of 3 is the largest", ms(1, 2, 3), 0.99, 3 * time.Millisecond},
		{"the maximum of 1..100 is the 100th", ms(hundred...), 1, 100 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Quantile(tc.sorted, tc.q); got != tc.want {
				t.Errorf("quantile(%v) = %v, want %v", tc.q, got, tc.want)
			}
		})
	}
}

func TestMonthsBefore(t *testing.T) {
	for _, tc := range []struct {
		m    string
		n    int
		want string
	}{
		{"2025-12", 11, "2025-01"},
		{"2025-03", 11, "2024-04"},
		{"2024-01", 0, "2024-01"},
	} {
		t.Run(tc.m, func(t *testing.T) {
			got, err := MonthsBefore(tc.m, tc.n)
			if err != nil || got != tc.want {
				t.Errorf("MonthsBefore(%s, %d) = %q, %v; want %q", tc.m, tc.n, got, err, tc.want)
			}
		})
	}
	if _, err := MonthsBefore("12.2025", 1); err == nil {
		t.Error("monthsBefore accepted 12.2025")
	}
}

// TestQueriesMatchSchema validates every workload's query against the gateway's schema files,
// so a schema change that breaks a workload fails here and not only in a measured cell.
func TestQueriesMatchSchema(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "graph", "*.graphql"))
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
	for name, q := range map[string]string{"citizen": CitizenQuery, "citizen-live": CitizenLiveQuery, "analyst": AnalystQuery, "umis": UMISQuery} {
		if _, errs := gqlparser.LoadQueryWithRules(schema, q, rules.NewDefaultRules()); len(errs) > 0 {
			t.Errorf("%s: the query does not validate against graph/*.graphql: %v", name, errs)
		}
	}
}

func TestGroup(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 4800000: "4,800,000", -1234: "-1,234", -123: "-123"} {
		if got := Group(n); got != want {
			t.Errorf("Group(%d) = %q, want %q", n, got, want)
		}
	}
}
