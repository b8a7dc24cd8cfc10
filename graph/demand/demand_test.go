package demand_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/graph"
	"github.com/birlik/birlik/graph/demand"
)

var schema = graph.NewExecutableSchema(graph.Config{})

// TestEveryRootFieldAndFilterIsPriced walks the schema: every filterable type has a table to
// price its scans by, and every root field is an aggregate, a connection or a lookup, so that no
// way of reading the store escapes the price.
func TestEveryRootFieldAndFilterIsPriced(t *testing.T) {
	s := schema.Schema()
	rows := demand.FixedRows{}
	for name, def := range s.Types {
		if def.Kind == ast.InputObject && strings.HasSuffix(name, "WhereInput") {
			typ := strings.TrimSuffix(name, "WhereInput")
			if !demand.HasTable(typ) {
				t.Errorf("%s filters %s, which has no table to price its scans by (graph/demand/tables.go)", name, typ)
			}
			rows[typ] = 1000
		}
	}
	for _, f := range s.Query.Fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		if !demand.Classified(f) {
			t.Errorf("Query.%s is neither an aggregate, a connection nor a lookup (graph/demand/demand.go)", f.Name)
		}
	}
}

func price(t *testing.T, e *demand.Extension, role, query string, vars map[string]any) (*demand.Price, string, string) {
	t.Helper()
	doc, errs := gqlparser.LoadQueryWithRules(schema.Schema(), query, rules.NewDefaultRules())
	if errs != nil {
		t.Fatalf("query does not validate: %v", errs)
	}
	opCtx := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0], Variables: vars}
	ctx := auth.NewContext(context.Background(), auth.Identity{Role: role, Subject: "s", Client: "c"})
	ctx = graphql.WithOperationContext(ctx, opCtx)
	gerr := e.MutateOperationContext(ctx, opCtx)
	p := demand.PriceOf(ctx)
	if gerr != nil {
		code, _ := gerr.Extensions["code"].(string)
		return p, code, gerr.Message
	}
	return p, "", ""
}

func extension(t *testing.T, rows demand.Rows, budgets map[string]demand.Budget) *demand.Extension {
	e := demand.New(rows, budgets)
	if err := e.Validate(schema); err != nil {
		t.Fatal(err)
	}
	return e
}

var country = demand.FixedRows{"Payment": 320_000, "Person": 20_000, "Finding": 11_000, "FamilyAssessment": 90_000, "Family": 6_000}

func TestPrices(t *testing.T) {
	e := extension(t, country, demand.DefaultBudgets())
	for _, tc := range []struct {
		name, query string
		vars        map[string]any
		scanned     int64
	}{
		{"a lookup scans nothing", `{ person(iin: "900101300123") { iin } }`, nil, 0},
		{"an exact filter scans nothing", `{ persons(first: 10, where: {regionKato: "710000000"}) { totalCount } }`, nil, 0},
		{"an In filter scans nothing", `{ persons(first: 10, where: {regionKatoIn: ["710000000"]}) { totalCount } }`, nil, 0},
		{"a pattern scans the table", `{ persons(first: 10, where: {lastNameContains: "ov"}) { totalCount } }`, nil, 20_000},
		{"a long pattern costs more", `query($p: String!) { persons(first: 10, where: {lastNameContains: $p}) { totalCount } }`, map[string]any{"p": strings.Repeat("x", 250)}, 60_000},
		{"a negation scans", `{ persons(first: 10, where: {not: {regionKato: "710000000"}}) { totalCount } }`, nil, 20_000},
		{"a nested filter scans its own table", `{ families(first: 10, where: {hasPaymentsWith: {amountGT: 1000}}) { totalCount } }`, nil, 320_000},
		{"an aggregate reads its table", `{ paymentAggregate(groupBy: [REGION]) { count } }`, nil, 320_000},
		{"an aggregate with a pattern reads it once", `{ paymentAggregate(where: {sourceKeyContains: "0"}, groupBy: [REGION]) { count } }`, nil, 320_000},
		{"a nested connection's filter reads only its parent's rows", `{ person(iin: "900101300123") { payments(first: 12, where: {periodGTE: "2025-01"}) { totalCount } } }`, nil, 0},
		{"aliases add up", `{ a: findingSummary { count } b: findingSummary { count } }`, nil, 22_000},
		{"fragments count", `{ ...F } fragment F on Query { akimKPI(from: "2025-01", to: "2025-03") { region { kato } } }`, nil, 90_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, code, msg := price(t, e, auth.RoleAnalyst, tc.query, tc.vars)
			if code != "" {
				t.Fatalf("refused: %s %s", code, msg)
			}
			if p == nil || p.Scanned != tc.scanned {
				t.Fatalf("scanned %+v, want %d", p, tc.scanned)
			}
			if p.Rows < p.Scanned || p.Budget != 5_000_000 {
				t.Errorf("price %+v: rows below the scans, or not the analyst's budget", p)
			}
		})
	}
}

// hostile is the request that stalled every reader: 30 aggregates of payments with a pattern.
func hostile() string {
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < 30; i++ {
		b.WriteString(" a" + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + string(rune('a'+i/26)) + `: paymentAggregate(where: {sourceKeyContains: "0"}, groupBy: [REGION, KIND, MONTH]) { count sum }`)
	}
	b.WriteString(" }")
	return b.String()
}

func TestOverBudgetIsRefusedBeforeItRuns(t *testing.T) {
	e := extension(t, country, demand.DefaultBudgets())
	p, code, msg := price(t, e, auth.RoleAnalyst, hostile(), nil)
	if code != "QUERY_TOO_EXPENSIVE" {
		t.Fatalf("30 pattern aggregates over 320,000 payments: code %q (%s), want QUERY_TOO_EXPENSIVE", code, msg)
	}
	for _, want := range []string{"about 9,6", "320,000", "and 27 more", "the analyst budget of 5,000,000 rows per request"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not state %q", msg, want)
		}
	}
	if p == nil || p.Scanned != 30*320_000 {
		t.Errorf("price %+v", p)
	}
	// A citizen's budget is smaller: one aggregate is already over it.
	if _, code, _ := price(t, e, auth.RoleCitizen, `{ paymentAggregate(groupBy: [REGION]) { count } }`, nil); code != "QUERY_TOO_EXPENSIVE" {
		t.Errorf("a citizen's aggregate: code %q, want QUERY_TOO_EXPENSIVE", code)
	}
}

func TestTheMinuteBudgetRunsOut(t *testing.T) {
	e := extension(t, country, map[string]demand.Budget{auth.RoleAnalyst: {Request: 1_000_000, PerMinute: 1_000_000}})
	q := `{ paymentAggregate(groupBy: [REGION]) { count } }`
	for i := 0; i < 3; i++ {
		if _, code, msg := price(t, e, auth.RoleAnalyst, q, nil); code != "" {
			t.Fatalf("request %d of 3 within the minute's budget: %s %s", i+1, code, msg)
		}
	}
	_, code, msg := price(t, e, auth.RoleAnalyst, q, nil)
	if code != "BUDGET_EXHAUSTED" || !strings.Contains(msg, "retry in") {
		t.Fatalf("the fourth request: %q %q, want BUDGET_EXHAUSTED saying when to retry", code, msg)
	}
	// Another analyst has their own budget.
	doc, _ := gqlparser.LoadQueryWithRules(schema.Schema(), q, rules.NewDefaultRules())
	opCtx := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0]}
	ctx := graphql.WithOperationContext(auth.NewContext(context.Background(), auth.Identity{Role: auth.RoleAnalyst, Subject: "other", Client: "c"}), opCtx)
	if err := e.MutateOperationContext(ctx, opCtx); err != nil {
		t.Errorf("another analyst was refused: %v", err)
	}
}

// TestBulkheads: with every place of the analysis class taken, an analyst waits and is refused
// OVERLOADED, while citizens are served at once; a place is freed when its answer is written.
func TestBulkheads(t *testing.T) {
	b := demand.NewBulkheads([]demand.Class{
		{Name: "citizen", Roles: []string{auth.RoleCitizen}, Concurrency: 4, Wait: time.Second, Timeout: time.Second},
		{Name: "analysis", Roles: []string{auth.RoleAnalyst}, Concurrency: 1, Wait: 50 * time.Millisecond, Timeout: 10 * time.Second},
	}, slog.New(slog.DiscardHandler))
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	next := func(ctx context.Context) graphql.ResponseHandler {
		return func(ctx context.Context) *graphql.Response {
			if _, ok := ctx.Deadline(); !ok {
				t.Error("an admitted operation runs without a deadline")
			}
			if id, _ := auth.FromContext(ctx); id.Role == auth.RoleAnalyst {
				started <- struct{}{}
				<-release
			}
			return &graphql.Response{Data: []byte(`{}`)}
		}
	}
	serve := func(role string) *graphql.Response {
		ctx := auth.NewContext(context.Background(), auth.Identity{Role: role, Subject: "s"})
		return b.InterceptOperation(ctx, next)(ctx)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); serve(auth.RoleAnalyst) }()
	<-started
	if r := serve(auth.RoleAnalyst); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "OVERLOADED" || r.Errors[0].Extensions["retryAfterSeconds"] == nil {
		t.Errorf("a second analyst: %+v, want OVERLOADED with retryAfterSeconds", r)
	}
	for i := 0; i < 8; i++ {
		if r := serve(auth.RoleCitizen); len(r.Errors) != 0 {
			t.Errorf("a citizen beside a busy analyst: %+v", r.Errors)
		}
	}
	close(release)
	wg.Wait()
	if r := serve(auth.RoleAnalyst); len(r.Errors) != 0 {
		t.Errorf("an analyst after the place was freed: %+v", r.Errors)
	}
}

func TestParseClassesAndBudgets(t *testing.T) {
	cs, err := demand.ParseClasses("analysis:analyst=2/5s/2m; reports:admin=1")
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]demand.Class{}
	for _, c := range cs {
		found[c.Name] = c
	}
	if a := found["analysis"]; a.Concurrency != 2 || a.Timeout != 2*time.Minute || len(a.Roles) != 1 {
		t.Errorf("analysis %+v", a)
	}
	if r := found["reports"]; r.Concurrency != 1 || len(r.Roles) != 1 || r.Roles[0] != auth.RoleAdmin {
		t.Errorf("reports %+v", r)
	}
	for _, bad := range []string{"analysis=2", "analysis:root=2", "analysis:analyst=0", "analysis:analyst=2/soon"} {
		if _, err := demand.ParseClasses(bad); err == nil {
			t.Errorf("ParseClasses(%q) accepted", bad)
		}
	}
	b, err := demand.ParseBudgets("analyst=1_000/2,000", demand.DefaultBudgets())
	if err != nil || b[auth.RoleAnalyst] != (demand.Budget{Request: 1000, PerMinute: 2000}) || b[auth.RoleCitizen].Request != 100_000 {
		t.Errorf("budgets %v, %v", b, err)
	}
	if _, err := demand.ParseBudgets("analyst=lots/1", nil); err == nil {
		t.Error("a budget of lots accepted")
	}
}

// TestAdmittedRootFieldsOneAtATime: an admitted operation's root fields resolve one after the
// other (a place stands for one core); outside a bulkhead they resolve at once, as gqlgen does.
func TestAdmittedRootFieldsOneAtATime(t *testing.T) {
	b := demand.NewBulkheads([]demand.Class{
		{Name: "analysis", Roles: []string{auth.RoleAnalyst}, Concurrency: 1, Wait: time.Second, Timeout: 10 * time.Second},
	}, slog.New(slog.DiscardHandler))
	rootFields := func(ctx context.Context) (most int) {
		var mu sync.Mutex
		now := 0
		var wg sync.WaitGroup
		for range 5 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b.InterceptRootField(ctx, func(context.Context) graphql.Marshaler {
					mu.Lock()
					now++
					most = max(most, now)
					mu.Unlock()
					time.Sleep(20 * time.Millisecond)
					mu.Lock()
					now--
					mu.Unlock()
					return graphql.Null
				})
			}()
		}
		wg.Wait()
		return most
	}
	var admitted int
	ctx := auth.NewContext(context.Background(), auth.Identity{Role: auth.RoleAnalyst, Subject: "s"})
	b.InterceptOperation(ctx, func(context.Context) graphql.ResponseHandler {
		return func(ctx context.Context) *graphql.Response {
			admitted = rootFields(ctx)
			return &graphql.Response{Data: []byte(`{}`)}
		}
	})(ctx)
	if admitted != 1 {
		t.Errorf("an admitted operation resolved %d root fields at once, want 1", admitted)
	}
	if outside := rootFields(context.Background()); outside < 2 {
		t.Errorf("outside a bulkhead %d root fields resolved at once, want them together", outside)
	}
}
