package resolvers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/cache"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/familymembership"
	"github.com/birlik/birlik/ent/payment"
	"github.com/birlik/birlik/ent/person"
	"github.com/birlik/birlik/ent/school"
	"github.com/birlik/birlik/graph"
	"github.com/birlik/birlik/graph/access"
	"github.com/birlik/birlik/graph/limits"
	"github.com/birlik/birlik/graph/model"
	"github.com/birlik/birlik/httpapi"
	"github.com/birlik/birlik/loaders"
	"github.com/birlik/birlik/resolvers"
	"github.com/birlik/birlik/store/storetest"
)

const key = "0123456789abcdef-test"

// world is what the test seeds: two families in two regions, a school per region with its
// building, enrolments and payments. Expected answers are computed from it, not copied.
type world struct {
	child, parent, other domain.IIN
	schoolBIN            domain.BIN
	capacity             int
	payments             []seedPayment
}

type seedPayment struct {
	iin    domain.IIN
	kind   payment.Kind
	month  string
	amount domain.Tenge
	school domain.BIN // for state-order payments
}

func iin(t *testing.T, birth string, sex domain.Sex, serial int) domain.IIN {
	for s := serial; ; s++ {
		if v, ok := domain.MakeIIN(domain.MustDate(birth), sex, s); ok {
			return v
		}
	}
}

func bin(first11 string) domain.BIN {
	for i := 0; ; i++ {
		s := first11[:10] + fmt.Sprint(i%10)
		if v, ok := domain.MakeBIN(s); ok {
			return v
		}
	}
}

func seed(t *testing.T, c *ent.Client) world {
	t.Helper()
	ctx := context.Background()
	w := world{
		child:     iin(t, "2015-03-04", domain.Female, 100),
		parent:    iin(t, "1985-07-01", domain.Male, 200),
		other:     iin(t, "1990-01-20", domain.Female, 300),
		schoolBIN: bin("15030012340"),
		capacity:  60,
	}
	otherSchool := bin("16050055550")
	prov := func(kind, k string) (string, string, string) { return kind, k, "v1" }
	mkPerson := func(v domain.IIN, last, first string, region domain.KATO) *ent.Person {
		src, sk, ver := prov("justice", string(v))
		return c.Person.Create().SetIin(v).SetLastName(last).SetFirstName(first).
			SetBirthDate(v.BirthDate()).SetSex(person.Sex(v.Sex())).SetRegionKato(region).
			SetSource(src).SetSourceKey(sk).SetSourceVersion(ver).SaveX(ctx)
	}
	child := mkPerson(w.child, "Сейтова", "Аружан", "710000000")
	parent := mkPerson(w.parent, "Сейтов", "Нурлан", "710000000")
	other := mkPerson(w.other, "Ахметова", "Дана", "610000000")

	fam := c.Family.Create().SetPlatformID("F00000001").SetRegionKato("710000000").
		SetSource("labour").SetSourceKey("F00000001").SetSourceVersion("v1").SaveX(ctx)
	fam2 := c.Family.Create().SetPlatformID("F00000002").SetRegionKato("610000000").
		SetSource("labour").SetSourceKey("F00000002").SetSourceVersion("v1").SaveX(ctx)
	for i, m := range []struct {
		p    *ent.Person
		f    *ent.Family
		role familymembership.Role
	}{{child, fam, familymembership.RoleChild}, {parent, fam, familymembership.RoleHead}, {other, fam2, familymembership.RoleHead}} {
		c.FamilyMembership.Create().SetFamilyPlatformID(m.f.PlatformID).SetIin(m.p.Iin).SetRole(m.role).
			SetFrom(domain.MustDate("2020-01-01")).SetFamily(m.f).SetPerson(m.p).
			SetSource("labour").SetSourceKey(fmt.Sprintf("m%d", i)).SetSourceVersion("v1").SaveX(ctx)
	}
	b := c.Building.Create().SetCadastral("21:001:001:001").SetRegionKato("710000000").
		SetDesignation("school").SetDesignCapacity(w.capacity).
		SetSource("justice").SetSourceKey("21:001:001:001").SetSourceVersion("v1").SaveX(ctx)
	s := c.School.Create().SetBin(w.schoolBIN).SetName("School No. 7").SetKind(school.KindSchool).
		SetOwnership(school.OwnershipPrivate).SetRegionKato("710000000").SetCadastral(b.Cadastral).SetBuilding(b).
		SetStateOrder(true).SetSource("education").SetSourceKey(string(w.schoolBIN)).SetSourceVersion("v1").SaveX(ctx)
	s2 := c.School.Create().SetBin(otherSchool).SetName("School No. 9").SetKind(school.KindSchool).
		SetOwnership(school.OwnershipPublic).SetRegionKato("610000000").
		SetSource("education").SetSourceKey(string(otherSchool)).SetSourceVersion("v1").SaveX(ctx)
	c.Enrollment.Create().SetEnrollmentID("E1").SetChildIin(w.child).SetSchoolBin(w.schoolBIN).SetGrade(3).SetYear(2024).
		SetFrom(domain.MustDate("2024-09-01")).SetChild(child).SetSchool(s).
		SetSource("education").SetSourceKey("E1").SetSourceVersion("v1").SaveX(ctx)

	w.payments = []seedPayment{
		{iin: w.parent, kind: payment.KindChildBenefit, month: "2025-01", amount: 21_000},
		{iin: w.parent, kind: payment.KindChildBenefit, month: "2025-02", amount: 21_000},
		{iin: w.parent, kind: payment.KindTargetedSocialAssistance, month: "2025-02", amount: 35_500},
		{iin: w.other, kind: payment.KindChildBenefit, month: "2025-01", amount: 18_000},
		{kind: payment.KindStateOrder, month: "2025-01", amount: 3_000_000_000, school: w.schoolBIN},
		{kind: payment.KindStateOrder, month: "2025-01", amount: 1_250_000_000, school: otherSchool},
	}
	people := map[domain.IIN]*ent.Person{w.parent: parent, w.other: other}
	families := map[domain.IIN]*ent.Family{w.parent: fam, w.other: fam2}
	schools := map[domain.BIN]*ent.School{w.schoolBIN: s, otherSchool: s2}
	for i, p := range w.payments {
		pc := c.Payment.Create().SetKind(p.kind).SetAmount(p.amount).SetPeriod(domain.MustMonth(p.month)).
			SetSource("labour").SetSourceKey(fmt.Sprintf("P%d", i)).SetSourceVersion("v1")
		if p.iin != "" {
			pc.SetRecipientIin(p.iin).SetRecipient(people[p.iin]).SetFamily(families[p.iin]).SetFamilyPlatformID(families[p.iin].PlatformID)
		}
		if p.school != "" {
			pc.SetSchoolBin(p.school).SetSchool(schools[p.school])
		}
		pc.SaveX(ctx)
	}
	return w
}

func server(t *testing.T, c *ent.Client, pageSize ...int) *httptest.Server {
	t.Helper()
	page := 50
	if len(pageSize) > 0 {
		page = pageSize[0]
	}
	// The same per-request dataloaders as production (server_perf.go), on an in-process cache.
	c2, err := cache.Open(nil, cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c2.Close() })
	lf, err := loaders.NewFactory(loaders.Config{Client: c, Cache: c2})
	if err != nil {
		t.Fatal(err)
	}
	h, err := httpapi.New(httpapi.Options{
		QueryMiddleware: []func(http.Handler) http.Handler{lf.Middleware},
		Extensions:      []graphql.HandlerExtension{loaders.Extension{}},
		Schema: graph.NewExecutableSchema(graph.Config{Resolvers: &resolvers.Resolver{Client: c},
			Directives: graph.DirectiveRoot{Personal: access.Personal[model.PersonalData]}}),
		Authenticator: auth.NewAPIKeys([]auth.APIKey{{Key: key, Role: "admin", Client: "test"}}),
		Limits: func(context.Context) limits.Limits {
			return limits.Limits{Depth: 8, Aliases: 5, Complexity: 20000, PageSize: page}
		},
		Logger:   slog.New(slog.DiscardHandler),
		Registry: prometheus.NewRegistry(),
		Ready:    httpapi.NewReadiness("test"),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

type response struct {
	Data   json.RawMessage
	Errors []struct {
		Message    string
		Path       []any
		Extensions map[string]any
	}
}

func query(t *testing.T, url, q string, vars map[string]any) (int, response) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req, _ := http.NewRequest("POST", url+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r response
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, r
}

const citizenQuery = `query Citizen($iin: String!) {
  person(iin: $iin) {
    iin lastName firstName birthDate sex region { kato name }
    family { platformID region { kato } members { role person { iin } } }
    enrollments { grade year school { name kind ownership region { kato name } designCapacity } }
    payments(first: 12, orderBy: [{field: PERIOD, direction: ASC}]) { totalCount edges { node { amount kind period } } }
  }
}`

func TestCitizenQueryReturnsWhatTheStoreHolds(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	w := seed(t, st.Client)
	srv := server(t, st.Client)

	_, r := query(t, srv.URL, citizenQuery, map[string]any{"iin": string(w.child)})
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	var got struct {
		Person struct {
			IIN, LastName, FirstName, BirthDate, Sex string
			Region                                   struct{ Kato, Name string }
			Family                                   struct {
				PlatformID string
				Region     struct{ Kato string }
				Members    []struct {
					Role   string
					Person struct{ IIN string }
				}
			}
			Enrollments []struct {
				Grade, Year int
				School      struct {
					Name, Kind, Ownership string
					Region                struct{ Kato, Name string }
					DesignCapacity        *int
				}
			}
			Payments struct {
				TotalCount int
				Edges      []struct{ Node struct{ Amount json.Number } }
			}
		}
	}
	if err := json.Unmarshal(r.Data, &got); err != nil {
		t.Fatal(err)
	}
	p := got.Person
	ctx := context.Background()
	want := st.Client.Person.Query().Where(person.Iin(w.child)).OnlyX(ctx)
	if p.IIN != string(want.Iin) || p.LastName != want.LastName || p.BirthDate != want.BirthDate.String() || p.Sex != string(want.Sex) {
		t.Errorf("person = %+v, store holds %+v", p, want)
	}
	if p.Region.Kato != string(want.RegionKato) || p.Region.Name != want.RegionKato.Name() {
		t.Errorf("region = %+v, want %s %s", p.Region, want.RegionKato, want.RegionKato.Name())
	}
	var members []string
	for _, m := range p.Family.Members {
		members = append(members, m.Person.IIN)
	}
	sort.Strings(members)
	wantMembers := []string{string(w.child), string(w.parent)}
	sort.Strings(wantMembers)
	if p.Family.PlatformID != "F00000001" || strings.Join(members, ",") != strings.Join(wantMembers, ",") {
		t.Errorf("family = %+v, want F00000001 with %v", p.Family, wantMembers)
	}
	if len(p.Enrollments) != 1 {
		t.Fatalf("enrollments = %+v, want 1", p.Enrollments)
	}
	e := p.Enrollments[0]
	if e.Grade != 3 || e.School.Name != "School No. 7" || e.School.Region.Kato != "710000000" || e.School.Region.Name != "Astana" ||
		e.School.DesignCapacity == nil || *e.School.DesignCapacity != w.capacity || e.School.Ownership != "private" {
		t.Errorf("enrollment = %+v, want grade 3 at School No. 7 (Astana, capacity %d)", e, w.capacity)
	}
	// The child receives no payment itself: payments are the recipient's.
	if p.Payments.TotalCount != 0 {
		t.Errorf("child's payments = %d, want 0", p.Payments.TotalCount)
	}

	// The parent's payments, amounts as exact JSON numbers.
	_, r = query(t, srv.URL, citizenQuery, map[string]any{"iin": string(w.parent)})
	if err := json.Unmarshal(r.Data, &got); err != nil || len(r.Errors) > 0 {
		t.Fatalf("parent: %v %+v", err, r.Errors)
	}
	var wantSum, gotSum int64
	wantN := 0
	for _, sp := range w.payments {
		if sp.iin == w.parent {
			wantSum += int64(sp.amount)
			wantN++
		}
	}
	for _, e := range got.Person.Payments.Edges {
		n, err := e.Node.Amount.Int64()
		if err != nil {
			t.Fatalf("amount %q is not an integer", e.Node.Amount)
		}
		gotSum += n
	}
	if got.Person.Payments.TotalCount != wantN || gotSum != wantSum {
		t.Errorf("parent's payments: %d summing %d, want %d summing %d", got.Person.Payments.TotalCount, gotSum, wantN, wantSum)
	}
}

func TestLookupErrors(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	w := seed(t, st.Client)
	srv := server(t, st.Client)
	unknown := iin(t, "1970-05-05", domain.Male, 4242)
	badCheck := string(unknown[:11]) + fmt.Sprint((int(unknown[11]-'0')+1)%10)
	tests := []struct {
		name     string
		query    string
		wantCode string
		wantMsg  string
		wantData string
	}{
		{name: "invalid IIN check digit", query: fmt.Sprintf(`{ person(iin: %q) { iin } }`, badCheck), wantCode: "INVALID_IIN", wantMsg: fmt.Sprintf(`IIN %q: check digit should be %c`, badCheck, unknown[11])},
		{name: "IIN too short", query: `{ person(iin: "123") { iin } }`, wantCode: "INVALID_IIN", wantMsg: "must be 12 digits"},
		{name: "unknown IIN is null", query: fmt.Sprintf(`{ person(iin: %q) { iin } }`, unknown), wantData: `{"person":null}`},
		{name: "invalid BIN", query: `{ school(bin: "000000000001") { name } }`, wantCode: "INVALID_BIN", wantMsg: `BIN "000000000001"`},
		{name: "school by BIN", query: fmt.Sprintf(`{ school(bin: %q) { name designCapacity } }`, w.schoolBIN), wantData: `{"school":{"name":"School No. 7","designCapacity":60}}`},
		{name: "family needs one key", query: `{ family { id } }`, wantCode: "BAD_INPUT", wantMsg: "exactly one of id"},
		{name: "family by platform id", query: `{ family(platformID: "F00000002") { region { name } } }`, wantData: `{"family":{"region":{"name":"Turkestan Region"}}}`},
		{name: "page too large", query: `{ persons(first: 51) { totalCount } }`, wantCode: "QUERY_TOO_COMPLEX", wantMsg: "more than the largest page of 50"},
		{name: "too deep", query: `{ persons(first: 1) { edges { node { family { members { person { family { members { iin } } } } } } } } }`, wantCode: "QUERY_TOO_COMPLEX", wantMsg: "deeper than the limit of 8"},
		{name: "bad Month", query: `{ payments(first: 1, where: {period: "2025-13"}) { totalCount } }`, wantCode: "BAD_INPUT", wantMsg: "YYYY-MM"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, r := query(t, srv.URL, tc.query, nil)
			if tc.wantCode == "" {
				if len(r.Errors) > 0 || string(r.Data) != tc.wantData {
					t.Fatalf("got %s %+v, want %s", r.Data, r.Errors, tc.wantData)
				}
				return
			}
			if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != tc.wantCode || !strings.Contains(r.Errors[0].Message, tc.wantMsg) {
				t.Fatalf("errors = %+v, want code %s with %q", r.Errors, tc.wantCode, tc.wantMsg)
			}
		})
	}
}

func TestPaymentAggregate(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	w := seed(t, st.Client)
	srv := server(t, st.Client)

	// Expected: group the seeded payments in Go (the test's own arithmetic, not the store's).
	regionOf := map[domain.IIN]string{w.parent: "710000000", w.other: "610000000"}
	schoolRegion := map[domain.BIN]string{w.schoolBIN: "710000000"}
	type k struct{ region, kind string }
	want := map[k][2]int64{}
	for _, p := range w.payments {
		r := regionOf[p.iin]
		if p.school != "" {
			r = schoolRegion[p.school]
			if r == "" {
				r = "610000000"
			}
		}
		g := want[k{r, string(p.kind)}]
		want[k{r, string(p.kind)}] = [2]int64{g[0] + 1, g[1] + int64(p.amount)}
	}
	_, r := query(t, srv.URL, `{ paymentAggregate(groupBy: [REGION, KIND]) { region { kato } kind month count sum } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	var got struct {
		PaymentAggregate []struct {
			Region *struct{ Kato string }
			Kind   string
			Month  *string
			Count  int64
			Sum    json.Number
		}
	}
	if err := json.Unmarshal(r.Data, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.PaymentAggregate) != len(want) {
		t.Fatalf("got %d groups %+v, want %d", len(got.PaymentAggregate), got.PaymentAggregate, len(want))
	}
	for _, row := range got.PaymentAggregate {
		if row.Region == nil || row.Month != nil {
			t.Fatalf("row %+v: want a region and no month", row)
		}
		sum, _ := row.Sum.Int64()
		if w := want[k{row.Region.Kato, row.Kind}]; w[0] != row.Count || w[1] != sum {
			t.Errorf("%s/%s: count %d sum %d, want %d and %d", row.Region.Kato, row.Kind, row.Count, sum, w[0], w[1])
		}
	}

	// Filtered, grouped by month: the totals past 2^31 stay exact.
	_, r = query(t, srv.URL, `{ paymentAggregate(where: {kind: state_order}, groupBy: [MONTH]) { month count sum } }`, nil)
	if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `{"month":"2025-01","count":2,"sum":4250000000}`) {
		t.Fatalf("state order by month: %s %+v", r.Data, r.Errors)
	}
}

func TestConnectionWithoutFirstGetsTheDefaultPage(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	seed(t, st.Client) // three people
	srv := server(t, st.Client, 2)
	_, r := query(t, srv.URL, `{ persons { totalCount edges { node { iin } } pageInfo { hasNextPage } } }`, nil)
	var got struct {
		Persons struct {
			TotalCount int
			Edges      []any
			PageInfo   struct{ HasNextPage bool }
		}
	}
	if err := json.Unmarshal(r.Data, &got); err != nil || len(r.Errors) > 0 {
		t.Fatalf("%v %+v", err, r.Errors)
	}
	if got.Persons.TotalCount != 3 || len(got.Persons.Edges) != 2 || !got.Persons.PageInfo.HasNextPage {
		t.Fatalf("persons without first: %+v, want 2 of 3 with a next page", got.Persons)
	}
}
