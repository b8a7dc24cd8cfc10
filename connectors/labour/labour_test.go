package labour_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/connectors/labour"
	"github.com/birlik/birlik/connectors/transport"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/gen"
	simlabour "github.com/birlik/birlik/sim/labour"
)

func iin(i int) domain.IIN {
	birth := domain.NewDate(1950, time.January, 1).AddDays(i * 53 % 25000)
	sex := domain.Male
	if i%2 == 1 {
		sex = domain.Female
	}
	for serial := i; ; serial++ {
		if v, ok := domain.MakeIIN(birth, sex, serial); ok {
			return v
		}
	}
}

func bin(i int) domain.BIN {
	for serial := i; ; serial++ {
		if v, ok := domain.MakeBIN(fmt.Sprintf("1504400%04d", serial%10000)); ok {
			return v
		}
	}
}

// country builds a small platform by hand: families of three, employers of every sector,
// contracts, contributions, positions, declarations and payments of every kind.
func country(families int) *gen.Country {
	c := &gen.Country{Seed: 1, People: families * 3}
	since := domain.MustDate("2024-01-01")
	first := since.MonthOf()
	sectors := []domain.Sector{domain.SectorEducation, domain.SectorHealth, domain.SectorBusiness, domain.SectorPublic}
	kinds := []domain.PaymentKind{domain.PayTSA, domain.PayChildBenefit, domain.PayDisabilityBenefit, domain.PayWalletMeals, domain.PayWalletMedicines}
	for e := 0; e < 12; e++ {
		c.Employers = append(c.Employers, domain.Employer{BIN: bin(e * 7), Name: fmt.Sprintf("ТОО «Работодатель %d»", e),
			Region: domain.Regions[e%20].KATO, Sector: sectors[e%4]})
	}
	for i := 0; i < 30; i++ {
		c.RegisterPositions = append(c.RegisterPositions, domain.RegisterPosition{Code: fmt.Sprintf("02.3.1.%d", i), Title: fmt.Sprintf("Должность %d", i)})
	}
	for f := 0; f < families; f++ {
		head, spouse, child := iin(3*f), iin(3*f+1), iin(3*f+2)
		fam := domain.Family{ID: fmt.Sprintf("F%08d", f), Region: domain.Regions[f%20].KATO, Members: []domain.FamilyMember{
			{IIN: head, Role: domain.RoleHead, From: since}, {IIN: spouse, Role: domain.RoleSpouse, From: since},
			{IIN: child, Role: domain.RoleChild, From: since.AddDays(f % 200)},
		}}
		if f%6 == 0 {
			fam.Members = append(fam.Members, domain.FamilyMember{IIN: iin(3*f + 3), Role: domain.RoleOther, From: since, To: domain.MustDate("2024-12-31")})
		}
		c.Families = append(c.Families, fam)
		if f%4 == 0 {
			d := domain.Disability{IIN: spouse, Group: 1 + f%3, From: domain.MustDate("2024-05-14")}
			if f%8 == 0 {
				d.To = domain.MustDate("2025-05-14")
			}
			c.Disabilities = append(c.Disabilities, d)
		}
		emp := c.Employers[f%len(c.Employers)]
		k := domain.LabourContract{ID: fmt.Sprintf("C%09d", f), IIN: head, EmployerBIN: emp.BIN, Region: emp.Region,
			Position: "учитель", Start: domain.MustDate("2023-09-01"), Wage: domain.Tenge(250000 + 1000*f)}
		if f%3 == 0 {
			k.End = domain.MustDate("2025-06-30")
		}
		c.Contracts = append(c.Contracts, k)
		for m := first; m < first+3; m++ {
			c.Contributions = append(c.Contributions, domain.PensionContribution{IIN: head, PayerBIN: emp.BIN, Month: m, Amount: k.Wage / 10})
		}
		c.StaffingDeclarations = append(c.StaffingDeclarations, domain.StaffingDeclaration{BIN: emp.BIN, PositionCode: fmt.Sprintf("02.3.1.%d", f%35),
			Title: "Учитель", Units: f % 30, Month: domain.MustMonth("2024-09")})
		p := domain.SocialPayment{ID: fmt.Sprintf("P%010d", f), IIN: spouse, Kind: kinds[f%5], Month: first.Add(f % 24),
			PaidOn: first.Add(f % 24).First().AddDays(24), Amount: domain.Tenge(42500 + f)}
		if p.Kind == domain.PayTSA {
			p.FamilyID = fam.ID
		}
		c.SocialPayments = append(c.SocialPayments, p)
	}
	return c
}

func fast() transport.Config {
	return transport.Config{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Timeout: 10 * time.Second}
}

type pulled struct {
	all   connectors.Page // every page's records appended
	pages int
	last  string
}

func pullAll(t *testing.T, cl *labour.Client, from string) pulled {
	t.Helper()
	var p pulled
	cur := from
	for i := 0; ; i++ {
		if i > 10000 {
			t.Fatal("feed never finished")
		}
		pg, err := cl.Next(context.Background(), cur)
		if err != nil {
			t.Fatalf("Next(%q): %v", cur, err)
		}
		a := &p.all
		a.Families = append(a.Families, pg.Families...)
		a.Disabilities = append(a.Disabilities, pg.Disabilities...)
		a.Employers = append(a.Employers, pg.Employers...)
		a.Contracts = append(a.Contracts, pg.Contracts...)
		a.Contributions = append(a.Contributions, pg.Contributions...)
		a.RegisterPositions = append(a.RegisterPositions, pg.RegisterPositions...)
		a.StaffingDeclarations = append(a.StaffingDeclarations, pg.StaffingDeclarations...)
		a.SocialPayments = append(a.SocialPayments, pg.SocialPayments...)
		a.Quarantined = append(a.Quarantined, pg.Quarantined...)
		p.pages++
		cur = pg.Cursor
		if pg.Done {
			p.last = cur
			return p
		}
	}
}

func total(c *gen.Country) int {
	return len(c.Families) + len(c.Disabilities) + len(c.Employers) + len(c.Contracts) + len(c.Contributions) +
		len(c.RegisterPositions) + len(c.StaffingDeclarations) + len(c.SocialPayments)
}

func checkEqual(t *testing.T, got *connectors.Page, c *gen.Country) {
	t.Helper()
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"families", got.Families, c.Families},
		{"disabilities", got.Disabilities, c.Disabilities},
		{"employers", got.Employers, c.Employers},
		{"contracts", got.Contracts, c.Contracts},
		{"contributions", got.Contributions, c.Contributions},
		{"register positions", got.RegisterPositions, c.RegisterPositions},
		{"staffing declarations", got.StaffingDeclarations, c.StaffingDeclarations},
		{"payments", got.SocialPayments, c.SocialPayments},
	} {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s: pulled %d, want the country's %d, identical", tc.name, reflect.ValueOf(tc.got).Len(), reflect.ValueOf(tc.want).Len())
		}
	}
}

func TestFullPullEqualsTheCountry(t *testing.T) {
	t.Parallel()
	c := country(150)
	srv := httptest.NewServer(simlabour.New(c))
	defer srv.Close()
	for _, size := range []int{13, 2000} {
		t.Run(fmt.Sprintf("page%d", size), func(t *testing.T) {
			cl := labour.New(srv.URL, fast())
			cl.PageSize = size
			p := pullAll(t, cl, "")
			checkEqual(t, &p.all, c)
			if len(p.all.Quarantined) != 0 {
				t.Errorf("healthy source quarantined %d records, first %+v", len(p.all.Quarantined), p.all.Quarantined[0])
			}
			// From the end: nothing new, done at once.
			pg, err := cl.Next(context.Background(), p.last)
			if err != nil || !pg.Done || pg.Len() != 0 {
				t.Errorf("Next(end) = %+v, %v; want done and empty", pg, err)
			}
			if pg.Total != int64(total(c)) {
				t.Errorf("Total %d, want %d", pg.Total, total(c))
			}
		})
	}
}

func TestIncrementalPullGetsOnlyNewRecords(t *testing.T) {
	t.Parallel()
	full := country(40)
	c := *full
	c.Contributions = full.Contributions[:50]
	c.SocialPayments = full.SocialPayments[:10]
	srv1 := httptest.NewServer(simlabour.New(&c))
	defer srv1.Close()
	p1 := pullAll(t, labour.New(srv1.URL, fast()), "")
	srv2 := httptest.NewServer(simlabour.New(full))
	defer srv2.Close()
	p2 := pullAll(t, labour.New(srv2.URL, fast()), p1.last)
	if !reflect.DeepEqual(p2.all.Contributions, full.Contributions[50:]) || !reflect.DeepEqual(p2.all.SocialPayments, full.SocialPayments[10:]) {
		t.Errorf("incremental pull got %d contributions and %d payments, want the %d and %d new ones",
			len(p2.all.Contributions), len(p2.all.SocialPayments), len(full.Contributions)-50, len(full.SocialPayments)-10)
	}
	if n := len(p2.all.Families) + len(p2.all.Contracts) + len(p2.all.Employers); n != 0 {
		t.Errorf("incremental pull repeated %d unchanged records", n)
	}
}

func TestMalformedRecordsAreQuarantined(t *testing.T) {
	t.Parallel()
	c := country(200)
	sim := simlabour.New(c)
	sim.Faults.SetMalformedRate(0.1)
	srv := httptest.NewServer(sim)
	defer srv.Close()
	cl := labour.New(srv.URL, fast())
	cl.PageSize = 64
	p := pullAll(t, cl, "")
	valid := p.all.Len() - len(p.all.Quarantined)
	if valid+len(p.all.Quarantined) != total(c) {
		t.Errorf("valid %d + quarantined %d != %d records served: some were dropped", valid, len(p.all.Quarantined), total(c))
	}
	entities := map[string]int{}
	for _, q := range p.all.Quarantined {
		entities[q.Entity]++
		if q.Source != connectors.Labour || q.Reason == "" || q.Raw == "" || (q.Key == "" && q.Entity != "register_position") {
			t.Errorf("incomplete quarantine entry %+v", q)
		}
	}
	for _, e := range []string{"family", "disability", "employer", "contract", "contribution", "register_position", "staffing_declaration", "payment"} {
		if entities[e] == 0 {
			t.Errorf("no %s quarantined at a 10%% malformed rate (got %v)", e, entities)
		}
	}
	if cl.Quarantined() != int64(len(p.all.Quarantined)) {
		t.Errorf("client counted %d, pages carried %d", cl.Quarantined(), len(p.all.Quarantined))
	}
}

func TestBurstOf5xxIsRetried(t *testing.T) {
	t.Parallel()
	c := country(20)
	sim := simlabour.New(c)
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sim.Faults.SetDown(n.Add(1) <= 3)
		sim.ServeHTTP(w, r)
	}))
	defer srv.Close()
	p := pullAll(t, labour.New(srv.URL, fast()), "")
	checkEqual(t, &p.all, c)
	if got := sim.Counter.Get("GET /api/v1/families"); got < 4 {
		t.Errorf("families list served %d times, want the first request tried 4 times", got)
	}
}

func TestRateLimitWaitsForRetryAfter(t *testing.T) {
	t.Parallel()
	c := country(60)
	sim := simlabour.New(c)
	sim.SetRateLimit(4)
	srv := httptest.NewServer(sim)
	defer srv.Close()
	var mu sync.Mutex
	var waits []time.Duration
	cfg := fast()
	cfg.OnRetry = func(op string, attempt, status int, wait time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		if status == http.StatusTooManyRequests {
			waits = append(waits, wait)
		}
	}
	cfg.MaxRetries = 10
	cl := labour.New(srv.URL, cfg)
	cl.PageSize = 40 // ~15 requests: well over 4 per second
	p := pullAll(t, cl, "")
	checkEqual(t, &p.all, c)
	mu.Lock()
	defer mu.Unlock()
	if len(waits) == 0 {
		t.Fatal("never rate limited: the test does not exercise 429")
	}
	for _, w := range waits {
		if w != time.Second {
			t.Errorf("waited %v after a 429, want the Retry-After of 1s", w)
		}
	}
	if cl.Transport().State() != "closed" {
		t.Errorf("429s opened the breaker (%s); throttling is not a failure", cl.Transport().State())
	}
}

func TestDownSourceOpensTheCircuit(t *testing.T) {
	t.Parallel()
	sim := simlabour.New(country(5))
	sim.Faults.SetDown(true)
	srv := httptest.NewServer(sim)
	defer srv.Close()
	cfg := fast()
	cfg.MaxRetries = 20
	cfg.BreakerFailures = 5
	cfg.BreakerCooldown = time.Hour
	cl := labour.New(srv.URL, cfg)
	_, err := cl.Next(context.Background(), "")
	if !errors.Is(err, labour.ErrCircuitOpen) {
		t.Fatalf("error %v, want circuit open", err)
	}
	if !strings.HasPrefix(err.Error(), "labour: GET /api/v1/families: circuit open") {
		t.Errorf("error %q does not name the source and what failed", err)
	}
	if got := sim.Counter.Total(); got != 5 {
		t.Errorf("simulator served %d requests, want 5", got)
	}
	_, err = cl.ContractsByIIN(context.Background(), []domain.IIN{iin(1)})
	if !errors.Is(err, labour.ErrCircuitOpen) || !strings.Contains(err.Error(), "labour: POST /api/v1/contracts:search") {
		t.Errorf("look-up while open: %v", err)
	}
}

func TestLookups(t *testing.T) {
	t.Parallel()
	c := country(250) // 750+ member IINs: two search requests each
	sim := simlabour.New(c)
	srv := httptest.NewServer(sim)
	defer srv.Close()
	cl := labour.New(srv.URL, fast())
	var ask []domain.IIN
	wantFam := map[domain.IIN][]domain.Family{}
	for _, f := range c.Families {
		for _, m := range f.Members {
			if _, ok := wantFam[m.IIN]; !ok {
				ask = append(ask, m.IIN)
			}
			wantFam[m.IIN] = append(wantFam[m.IIN], f)
		}
	}
	ctx := context.Background()
	t.Run("families", func(t *testing.T) {
		got, err := cl.FamiliesByMemberIIN(ctx, ask)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, wantFam) {
			t.Errorf("families of %d IINs, want %d", len(got), len(wantFam))
		}
		if n := sim.Counter.Get("POST /api/v1/families:search"); n != int64((len(ask)+499)/500) {
			t.Errorf("%d search requests for %d IINs, want chunks of 500", n, len(ask))
		}
	})
	t.Run("contracts", func(t *testing.T) {
		want := map[domain.IIN][]domain.LabourContract{}
		for _, k := range c.Contracts {
			want[k.IIN] = append(want[k.IIN], k)
		}
		got, err := cl.ContractsByIIN(ctx, ask)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("contracts of %d IINs, want %d", len(got), len(want))
		}
	})
	t.Run("payments", func(t *testing.T) {
		want := map[domain.IIN][]domain.SocialPayment{}
		for _, p := range c.SocialPayments {
			want[p.IIN] = append(want[p.IIN], p)
		}
		got, err := cl.PaymentsByIIN(ctx, ask)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("payments of %d IINs, want %d", len(got), len(want))
		}
	})
}

func TestBadCursorAndToken(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(simlabour.New(country(3)))
	defer srv.Close()
	cl := labour.New(srv.URL, fast())
	for _, cur := range []string{"garbage", "v1|9||||||||", "v1|0|a|b"} {
		if _, err := cl.Next(context.Background(), cur); err == nil || !strings.Contains(err.Error(), "cursor") {
			t.Errorf("Next(%q) error %v, want a cursor error", cur, err)
		}
	}
	// A well-formed cursor holding a token the platform never issued: its 400 comes back, unretried.
	_, err := cl.Next(context.Background(), "v1|0|bm90LWEtdG9rZW4|||||||")
	var te *transport.Error
	if !errors.As(err, &te) || te.Status != http.StatusBadRequest || !strings.Contains(err.Error(), "INVALID_PAGE_TOKEN") {
		t.Errorf("tampered token: %v, want 400 INVALID_PAGE_TOKEN", err)
	}
}

func TestFullPullOfGeneratedCountry(t *testing.T) {
	t.Parallel()
	c, err := gen.Generate(gen.Config{Seed: 7, People: 2000})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(simlabour.New(c))
	defer srv.Close()
	p := pullAll(t, labour.New(srv.URL, fast()), "")
	for i, q := range p.all.Quarantined {
		if i < 10 {
			t.Errorf("generated %s quarantined: %s: %s", q.Entity, q.Reason, q.Raw)
		}
	}
	checkEqual(t, &p.all, c)
}
