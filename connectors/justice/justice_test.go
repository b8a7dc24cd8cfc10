package justice_test

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
	"github.com/birlik/birlik/connectors/justice"
	"github.com/birlik/birlik/connectors/transport"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/gen"
	simjustice "github.com/birlik/birlik/sim/justice"
)

// country builds a small register by hand: n people registered on 2024-01-01, every fifth of
// whom moves and every seventh of whom dies later, and m buildings of every designation.
func country(n, m int) *gen.Country {
	c := &gen.Country{Seed: 1, People: n}
	names := []struct{ last, first, pat string }{
		{"Ахметов", "Нурлан", "Серикович"}, {"Ахметова", "Айгерим", "Серикқызы"},
		{"Иванов", "Сергей", ""}, {"Ким", "Алина", "Викторовна"},
	}
	designs := []domain.Designation{domain.DesignSchool, domain.DesignKindergarten, domain.DesignCollege, domain.DesignClinic,
		domain.DesignOffice, domain.DesignResidential, domain.DesignBanquetHall, domain.DesignShoppingMall, domain.DesignWarehouse}
	reg := domain.MustDate("2024-01-01")
	var later []domain.PersonVersion
	for i := 0; i < n; i++ {
		birth := domain.NewDate(1940, time.January, 1).AddDays(i * 37 % 30000)
		sex := domain.Male
		if i%2 == 1 {
			sex = domain.Female
		}
		var iin domain.IIN
		for serial := i; ; serial++ {
			if v, ok := domain.MakeIIN(birth, sex, serial); ok {
				iin = v
				break
			}
		}
		nm := names[i%len(names)]
		if sex == domain.Female {
			nm = names[1]
		}
		p := domain.Person{IIN: iin, LastName: nm.last, FirstName: nm.first, Patronymic: nm.pat, BirthDate: birth, Sex: sex,
			Region: domain.Regions[i%len(domain.Regions)].KATO}
		c.PersonVersions = append(c.PersonVersions, domain.PersonVersion{ChangedOn: reg, Person: p})
		if i%5 == 0 {
			p.Region = domain.Regions[(i+3)%len(domain.Regions)].KATO
			later = append(later, domain.PersonVersion{ChangedOn: domain.MustDate("2024-06-01"), Person: p})
		}
		if i%7 == 0 {
			p.DeathDate = domain.MustDate("2025-03-01")
			later = append(later, domain.PersonVersion{ChangedOn: p.DeathDate, Person: p})
		}
	}
	c.PersonVersions = append(c.PersonVersions, later...)
	for i := range c.PersonVersions {
		c.PersonVersions[i].Seq = int64(i) + 1
	}
	for i := 0; i < m; i++ {
		c.Buildings = append(c.Buildings, domain.Building{
			Cadastral: fmt.Sprintf("%02d:015:%03d:%d", 10+i%80, i%1000, i), Region: domain.Regions[i%len(domain.Regions)].KATO,
			Address: fmt.Sprintf("г. Астана, ул. Абая, %d", i+1), Designation: designs[i%len(designs)], DesignCapacity: 100 * (i % 9),
		})
	}
	return c
}

// fast is a transport config with short waits, for tests.
func fast() transport.Config {
	return transport.Config{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Timeout: 10 * time.Second}
}

// pullAll reads the whole feed from the start.
func pullAll(t *testing.T, cl *justice.Client) (pages []*connectors.Page, last string) {
	t.Helper()
	cur := ""
	for i := 0; ; i++ {
		if i > 10000 {
			t.Fatal("feed never finished")
		}
		p, err := cl.Next(context.Background(), cur)
		if err != nil {
			t.Fatalf("Next(%q): %v", cur, err)
		}
		if p.Source != connectors.Justice {
			t.Fatalf("page source %q", p.Source)
		}
		pages = append(pages, p)
		cur = p.Cursor
		if p.Done {
			return pages, cur
		}
	}
}

func TestFullPullEqualsTheCountry(t *testing.T) {
	t.Parallel()
	c := country(230, 41)
	srv := httptest.NewServer(simjustice.New(c))
	defer srv.Close()
	for _, size := range []int{7, 100, 5000} {
		t.Run(fmt.Sprintf("page%d", size), func(t *testing.T) {
			cl := justice.New(srv.URL, fast())
			cl.PageSize = size
			pages, last := pullAll(t, cl)
			var versions []domain.PersonVersion
			var buildings []domain.Building
			for _, p := range pages {
				versions = append(versions, p.PersonVersions...)
				buildings = append(buildings, p.Buildings...)
				if len(p.Quarantined) > 0 {
					t.Errorf("healthy source quarantined %d records, first: %+v", len(p.Quarantined), p.Quarantined[0])
				}
				if want := int64(len(c.PersonVersions) + len(c.Buildings)); p.Total != want {
					t.Errorf("page Total %d, want %d", p.Total, want)
				}
			}
			if !reflect.DeepEqual(versions, c.PersonVersions) {
				t.Errorf("pulled %d person versions, want the country's %d, identical", len(versions), len(c.PersonVersions))
			}
			if !reflect.DeepEqual(buildings, c.Buildings) {
				t.Errorf("pulled %d buildings, want the country's %d, identical", len(buildings), len(c.Buildings))
			}
			// Resuming from the end gives an empty, done page.
			p, err := cl.Next(context.Background(), last)
			if err != nil || !p.Done || p.Len() != 0 || p.Cursor != last {
				t.Errorf("Next(end) = %+v, %v; want done, empty, same cursor", p, err)
			}
		})
	}
}

func TestIncrementalPullSeesNewChanges(t *testing.T) {
	t.Parallel()
	c := country(20, 3)
	full := c.PersonVersions
	c.PersonVersions = full[:15]
	// Serve the first 15 changes, then all of them from a second simulator at the same cursor.
	srv1 := httptest.NewServer(simjustice.New(c))
	defer srv1.Close()
	cl := justice.New(srv1.URL, fast())
	_, last := pullAll(t, cl)
	c2 := *c
	c2.PersonVersions = full
	srv2 := httptest.NewServer(simjustice.New(&c2))
	defer srv2.Close()
	cl2 := justice.New(srv2.URL, fast())
	p, err := cl2.Next(context.Background(), last)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.PersonVersions, full[15:]) {
		t.Errorf("incremental page has %d versions, want the %d new ones", len(p.PersonVersions), len(full)-15)
	}
}

func TestMalformedRecordsAreQuarantined(t *testing.T) {
	t.Parallel()
	c := country(300, 60)
	sim := simjustice.New(c)
	sim.Faults.SetMalformedRate(0.1)
	srv := httptest.NewServer(sim)
	defer srv.Close()
	cl := justice.New(srv.URL, fast())
	cl.PageSize = 50
	pages, _ := pullAll(t, cl)
	var valid, quarantinedPersons, quarantinedBuildings int
	for _, p := range pages {
		valid += len(p.PersonVersions) + len(p.Buildings)
		for _, q := range p.Quarantined {
			if q.Source != connectors.Justice || q.Reason == "" || q.Raw == "" || q.Seen.IsZero() {
				t.Errorf("quarantine entry incomplete: %+v", q)
			}
			switch q.Entity {
			case "person":
				quarantinedPersons++
				if !strings.Contains(q.Raw, `"iin"`) {
					t.Errorf("raw person payload %q lacks its iin", q.Raw)
				}
			case "building":
				quarantinedBuildings++
			default:
				t.Errorf("entity %q", q.Entity)
			}
		}
	}
	wantBad := 0
	for i := range c.PersonVersions {
		if sim.Faults.Malformed(int64(i) + 1) { // a change's seq is its index in the feed
			wantBad++
		}
	}
	if wantBad == 0 {
		t.Fatal("fixture too small: the knob picked no person")
	}
	if quarantinedPersons != wantBad {
		t.Errorf("quarantined %d persons, the simulator corrupted %d", quarantinedPersons, wantBad)
	}
	if quarantinedBuildings == 0 {
		t.Error("no building quarantined at a 10% malformed rate")
	}
	if got, want := valid+quarantinedPersons+quarantinedBuildings, len(c.PersonVersions)+len(c.Buildings); got != want {
		t.Errorf("valid %d + quarantined %d = %d, want every record of the country (%d): none dropped",
			valid, quarantinedPersons+quarantinedBuildings, got, want)
	}
	if cl.Quarantined() != int64(quarantinedPersons+quarantinedBuildings) {
		t.Errorf("client counted %d quarantined, pages carried %d", cl.Quarantined(), quarantinedPersons+quarantinedBuildings)
	}
}

func TestBurstOf5xxIsRetried(t *testing.T) {
	t.Parallel()
	c := country(40, 5)
	sim := simjustice.New(c)
	var n atomic.Int32
	// The simulator's own outage answer for the first three requests, then healthy.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sim.Faults.SetDown(n.Add(1) <= 3)
		sim.ServeHTTP(w, r)
	}))
	defer srv.Close()
	cl := justice.New(srv.URL, fast())
	pages, _ := pullAll(t, cl)
	got := 0
	for _, p := range pages {
		got += len(p.PersonVersions)
	}
	if got != len(c.PersonVersions) {
		t.Errorf("pulled %d versions, want %d", got, len(c.PersonVersions))
	}
	if sim.Counter.Get("GET /v1/persons/changes") < 4 {
		t.Errorf("simulator served %v; want the first feed request tried 4 times", sim.Counter.Snapshot())
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	c := country(10, 2)
	sim := simjustice.New(c)
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"error":{"code":"UNAVAILABLE","message":"overloaded"}}`)
			return
		}
		sim.ServeHTTP(w, r)
	}))
	defer srv.Close()
	var mu sync.Mutex
	var waits []time.Duration
	cfg := fast()
	cfg.OnRetry = func(op string, attempt, status int, wait time.Duration) {
		mu.Lock()
		waits = append(waits, wait)
		mu.Unlock()
	}
	cl := justice.New(srv.URL, cfg)
	if _, err := cl.PersonsByIIN(context.Background(), []domain.IIN{c.PersonVersions[0].Person.IIN}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(waits) != 1 || waits[0] != time.Second {
		t.Errorf("waits %v, want one of 1s (Retry-After)", waits)
	}
}

func TestDownSourceOpensTheCircuit(t *testing.T) {
	t.Parallel()
	sim := simjustice.New(country(10, 2))
	sim.Faults.SetDown(true)
	srv := httptest.NewServer(sim)
	defer srv.Close()
	cfg := fast()
	cfg.MaxRetries = 20
	cfg.BreakerFailures = 4
	cfg.BreakerCooldown = time.Hour
	cl := justice.New(srv.URL, cfg)
	_, err := cl.Next(context.Background(), "")
	if !errors.Is(err, justice.ErrCircuitOpen) {
		t.Fatalf("error %v, want the circuit open", err)
	}
	if !strings.HasPrefix(err.Error(), "justice: GET /v1/persons/changes: circuit open") {
		t.Errorf("error %q does not name the source and what failed", err)
	}
	if got := sim.Counter.Total(); got != 4 {
		t.Errorf("simulator served %d requests, want 4 (then the breaker holds)", got)
	}
	if _, err := cl.PersonsByIIN(context.Background(), []domain.IIN{domain.MustIIN("900101300126")}); !errors.Is(err, justice.ErrCircuitOpen) {
		t.Errorf("look-up while open: %v, want circuit open", err)
	}
	if cl.Transport().State() != "open" {
		t.Errorf("breaker %s", cl.Transport().State())
	}
}

func TestPersonsByIIN(t *testing.T) {
	t.Parallel()
	c := country(1300, 1)
	sim := simjustice.New(c)
	srv := httptest.NewServer(sim)
	defer srv.Close()
	latest := map[domain.IIN]domain.Person{}
	var ask []domain.IIN
	for _, v := range c.PersonVersions {
		if _, ok := latest[v.Person.IIN]; !ok {
			ask = append(ask, v.Person.IIN)
		}
		latest[v.Person.IIN] = v.Person
	}
	unknown := domain.MustIIN("900101300126")
	ask = append(ask, unknown, ask[0]) // an unknown IIN and a duplicate
	cl := justice.New(srv.URL, fast())
	got, err := cl.PersonsByIIN(context.Background(), ask)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, latest) {
		t.Errorf("got %d persons, want the %d current records", len(got), len(latest))
	}
	if _, ok := got[unknown]; ok {
		t.Error("unknown IIN answered")
	}
	if n := sim.Counter.Get("POST /v1/persons:batchGet"); n != 3 {
		t.Errorf("%d batch requests for 1301 distinct IINs, want 3 (500 per request)", n)
	}
}

func TestLookupQuarantine(t *testing.T) {
	t.Parallel()
	c := country(200, 30)
	sim := simjustice.New(c)
	sim.Faults.SetMalformedRate(0.2)
	srv := httptest.NewServer(sim)
	defer srv.Close()
	var qs []connectors.Quarantined
	var mu sync.Mutex
	cl := justice.New(srv.URL, fast())
	cl.OnQuarantine = func(q connectors.Quarantined) { mu.Lock(); qs = append(qs, q); mu.Unlock() }
	var nums []string
	for _, b := range c.Buildings {
		nums = append(nums, b.Cadastral)
	}
	got, err := cl.BuildingsByCadastral(context.Background(), nums)
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) == 0 || len(got)+len(qs) != len(c.Buildings) {
		t.Errorf("%d buildings valid and %d quarantined, want %d in all with some quarantined", len(got), len(qs), len(c.Buildings))
	}
	for _, b := range c.Buildings {
		if g, ok := got[b.Cadastral]; ok && g != b {
			t.Errorf("building %s = %+v, want %+v", b.Cadastral, g, b)
		}
	}
}

func TestBadCursor(t *testing.T) {
	t.Parallel()
	cl := justice.New("http://127.0.0.1:1", fast())
	for _, cur := range []string{"garbage", "v1:p=-1;b=0", "v1:p=1", "v1:p=x;b=2"} {
		t.Run(cur, func(t *testing.T) {
			if _, err := cl.Next(context.Background(), cur); err == nil || !strings.Contains(err.Error(), "cursor") {
				t.Errorf("Next(%q) error %v, want a cursor error", cur, err)
			}
		})
	}
}

func TestFullPullOfGeneratedCountry(t *testing.T) {
	t.Parallel()
	c, err := gen.Generate(gen.Config{Seed: 7, People: 2000})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(simjustice.New(c))
	defer srv.Close()
	cl := justice.New(srv.URL, fast())
	pages, _ := pullAll(t, cl)
	var versions []domain.PersonVersion
	var buildings []domain.Building
	for _, p := range pages {
		versions = append(versions, p.PersonVersions...)
		buildings = append(buildings, p.Buildings...)
		for _, q := range p.Quarantined {
			t.Errorf("generated record quarantined: %s", q.Reason)
		}
	}
	if len(versions) != len(c.PersonVersions) || len(buildings) != len(c.Buildings) {
		t.Fatalf("pulled %d versions and %d buildings, the generator made %d and %d",
			len(versions), len(buildings), len(c.PersonVersions), len(c.Buildings))
	}
	if !reflect.DeepEqual(versions, c.PersonVersions) || !reflect.DeepEqual(buildings, c.Buildings) {
		t.Error("pulled records differ from the generator's")
	}
}
