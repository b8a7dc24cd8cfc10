package limits_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/birlik/birlik/graph/limits"
)

var schema = gqlparser.MustLoadSchema(&ast.Source{Name: "test.graphql", Input: `
type Query {
  person(iin: String!): Person
  persons(first: Int, last: Int, after: String): PersonConnection!
}
type PersonConnection { edges: [PersonEdge!]! totalCount: Int! }
type PersonEdge { node: Person! cursor: String! }
type Person {
  iin: String!
  family: Family
  enrollments: [Enrollment!]!
  payments(first: Int, last: Int): PaymentConnection!
}
type Family { id: String! members: [Person!]! }
type Enrollment { grade: Int! }
type PaymentConnection { edges: [PaymentEdge!]! }
type PaymentEdge { node: Payment! }
type Payment { amount: Int! }
`})

func run(t *testing.T, l limits.Limits, query string, vars string) (*limits.Stats, string, string) {
	t.Helper()
	doc, errs := gqlparser.LoadQueryWithRules(schema, query, rules.NewDefaultRules())
	if len(errs) > 0 {
		t.Fatalf("test query does not validate: %v", errs)
	}
	var v map[string]any
	if vars != "" {
		d := json.NewDecoder(strings.NewReader(vars))
		d.UseNumber() // as gqlgen's transports decode variables
		if err := d.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	opCtx := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0], Variables: v}
	ext := limits.Extension{Limits: func(context.Context) limits.Limits { return l }}
	ctx := graphql.WithOperationContext(context.Background(), opCtx)
	err := ext.MutateOperationContext(ctx, opCtx)
	stats := limits.StatsOf(ctx)
	if err == nil {
		return stats, "", ""
	}
	code, _ := err.Extensions["code"].(string)
	return stats, code, err.Message
}

func TestLimits(t *testing.T) {
	t.Parallel()
	def := limits.Limits{Depth: 6, Aliases: 2, Complexity: 5000, PageSize: 100}
	tests := []struct {
		name     string
		limits   limits.Limits
		query    string
		vars     string
		wantCode string
		wantMsg  string
		check    func(t *testing.T, s *limits.Stats)
	}{
		{name: "citizen query passes", query: `{ person(iin: "1") { iin family { members { iin } } enrollments { grade } payments(first: 12) { edges { node { amount } } } } }`,
			check: func(t *testing.T, s *limits.Stats) {
				if s.Depth != 5 {
					t.Errorf("depth = %d, want 5 (person.payments.edges.node.amount)", s.Depth)
				}
			}},
		{name: "too deep", query: `{ person(iin: "1") { family { members { family { members { family { id } } } } } } }`,
			wantCode: "QUERY_TOO_COMPLEX", wantMsg: "nests 7 fields deep at person.family.members.family.members.family.id, deeper than the limit of 6"},
		{name: "too deep through a fragment", query: `{ person(iin: "1") { ...F } } fragment F on Person { family { members { family { members { family { id } } } } } }`,
			wantCode: "QUERY_TOO_COMPLEX", wantMsg: "deeper than the limit of 6"},
		{name: "too many aliases", query: `{ a: person(iin: "1") { iin } b: person(iin: "2") { iin } c: person(iin: "3") { iin } }`,
			wantCode: "QUERY_TOO_COMPLEX", wantMsg: "more than 2 aliases (at c)"},
		{name: "alias equal to the name is no alias", query: `{ person: person(iin: "1") { iin: iin } }`},
		{name: "page too large", query: `{ persons(first: 101) { totalCount } }`,
			wantCode: "QUERY_TOO_COMPLEX", wantMsg: "persons: first is 101, more than the largest page of 100"},
		{name: "page too large in a variable", query: `query($n: Int) { persons(last: $n) { totalCount } }`, vars: `{"n": 5000}`,
			wantCode: "QUERY_TOO_COMPLEX", wantMsg: "persons: last is 5000"},
		{name: "nested page too large", query: `{ person(iin: "1") { p: payments(first: 1000) { edges { node { amount } } } } }`,
			wantCode: "QUERY_TOO_COMPLEX", wantMsg: "person.p: first is 1000"},
		{name: "negative page", query: `{ persons(first: -1) { totalCount } }`, wantCode: "BAD_INPUT", wantMsg: "cannot be negative"},
		{name: "complexity multiplies pages", limits: limits.Limits{Depth: 10, Aliases: 10, Complexity: 1000, PageSize: 100},
			query:    `{ persons(first: 100) { edges { node { payments(first: 100) { edges { node { amount } } } } } } }`,
			wantCode: "QUERY_TOO_COMPLEX", wantMsg: "more than the limit of 1000"},
		{name: "a connection without first counts the default page", limits: limits.Limits{Depth: 10, Aliases: 10, Complexity: 300, PageSize: 100},
			query: `{ persons { edges { node { iin family { id } } } } }`, wantCode: "QUERY_TOO_COMPLEX", wantMsg: "complexity is"},
		{name: "introspection may nest deeper", query: `{ __schema { types { fields { type { ofType { ofType { ofType { ofType { name } } } } } } } } }`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := tc.limits
			if l == (limits.Limits{}) {
				l = def
			}
			stats, code, msg := run(t, l, tc.query, tc.vars)
			if code != tc.wantCode || !strings.Contains(msg, tc.wantMsg) {
				t.Fatalf("got code %q message %q, want code %q message containing %q", code, msg, tc.wantCode, tc.wantMsg)
			}
			if tc.check != nil {
				tc.check(t, stats)
			}
		})
	}
}

func TestComplexityCounts(t *testing.T) {
	t.Parallel()
	l := limits.Limits{Depth: 10, Aliases: 10, Complexity: 1 << 30, PageSize: 1000}
	tests := []struct {
		name  string
		query string
		want  int
	}{
		{"one field", `{ person(iin: "1") { iin } }`, 2},
		// persons: 1 + 10 × (edges: 1 + node: (1 + iin 1)) = 1 + 10×3 = 31
		{"connection counts its page once", `{ persons(first: 10) { edges { node { iin } } } }`, 31},
		// person 1 + family (1 + members (1 + 10 × iin 1)) = 1 + 1 + 11 = 13
		{"plain list counts ListEstimate", `{ person(iin: "1") { family { members { iin } } } }`, 13},
		// no first: the default page (100) × (totalCount 1)
		{"missing first counts the default page", `{ persons { totalCount } }`, 101},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stats, code, msg := run(t, l, tc.query, "")
			if code != "" {
				t.Fatalf("refused: %s %s", code, msg)
			}
			if stats.Complexity != tc.want {
				t.Errorf("complexity = %d, want %d", stats.Complexity, tc.want)
			}
		})
	}
}

func TestFragmentBombIsRefused(t *testing.T) {
	t.Parallel()
	// Each fragment spreads the next twice: 2^16 selections once expanded.
	var b strings.Builder
	b.WriteString(`{ person(iin: "1") { ...F0 } }`)
	for i := 0; i < 16; i++ {
		b.WriteString("\nfragment F" + strconv.Itoa(i) + " on Person { ...F" + strconv.Itoa(i+1) + " family { id } ...F" + strconv.Itoa(i+1) + " }")
	}
	b.WriteString("\nfragment F16 on Person { iin }")
	_, code, msg := run(t, limits.Limits{Depth: 10, Aliases: 10, Complexity: 1 << 30, PageSize: 100}, b.String(), "")
	if code != "QUERY_TOO_COMPLEX" || !strings.Contains(msg, "once its fragments are expanded") {
		t.Fatalf("got %q %q, want the selection bound to refuse it", code, msg)
	}
}
