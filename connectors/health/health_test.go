package health_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/connectors/health"
	"github.com/birlik/birlik/connectors/transport"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/gen"
	simhealth "github.com/birlik/birlik/sim/health"
)

func fast() transport.Config {
	return transport.Config{Timeout: 5 * time.Second, MaxRetries: 8, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
		BreakerFailures: 50, BreakerCooldown: time.Minute}
}

func serve(t testing.TB, c *gen.Country) (*simhealth.Server, string) {
	t.Helper()
	s := simhealth.New(c)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts.URL
}

func pull(t testing.TB, cl *health.Client, cursor string) (all connectors.Page, pages int) {
	t.Helper()
	for range 100000 {
		p, err := cl.Next(context.Background(), cursor)
		if err != nil {
			t.Fatalf("Next(%q): %v", cursor, err)
		}
		pages++
		all.MedicalInstitutions = append(all.MedicalInstitutions, p.MedicalInstitutions...)
		all.Attachments = append(all.Attachments, p.Attachments...)
		all.Visits = append(all.Visits, p.Visits...)
		all.Coverages = append(all.Coverages, p.Coverages...)
		all.Quarantined = append(all.Quarantined, p.Quarantined...)
		all.Total = p.Total
		cursor = p.Cursor
		if p.Done {
			all.Cursor = cursor
			return all, pages
		}
	}
	t.Fatal("feed never reported Done")
	return
}

func sameRecords(t *testing.T, got connectors.Page, c *gen.Country) {
	t.Helper()
	for _, tc := range []struct {
		name      string
		got, want any
		n, m      int
	}{
		{"medical institutions", got.MedicalInstitutions, c.MedicalInstitutions, len(got.MedicalInstitutions), len(c.MedicalInstitutions)},
		{"attachments", got.Attachments, c.Attachments, len(got.Attachments), len(c.Attachments)},
		{"visits", got.Visits, c.Visits, len(got.Visits), len(c.Visits)},
		{"coverages", got.Coverages, c.Coverages, len(got.Coverages), len(c.Coverages)},
	} {
		if tc.n != tc.m || (tc.n > 0 && !reflect.DeepEqual(tc.got, tc.want)) {
			t.Errorf("%s: pulled %d, the country has %d (or they differ)", tc.name, tc.n, tc.m)
		}
	}
}

func TestFullPullEqualsCountry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		people   int
		pageSize int
	}{
		{"tiny", 3, 10},
		{"one page per type", 40, 5000},
		{"many pages", 57, 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := country(tc.people)
			srv, url := serve(t, c)
			cl := health.New(url, fast())
			cl.PageSize = tc.pageSize
			got, _ := pull(t, cl, "")
			sameRecords(t, got, c)
			if len(got.Quarantined) != 0 {
				t.Errorf("healthy source: %d quarantined, first %+v", len(got.Quarantined), got.Quarantined[0])
			}
			if want := int64(len(c.MedicalInstitutions) + len(c.Attachments) + len(c.Visits) + len(c.Coverages)); got.Total != want {
				t.Errorf("Total = %d, want %d", got.Total, want)
			}
			before := srv.Counter.Total()
			p, err := cl.Next(context.Background(), got.Cursor)
			if err != nil || !p.Done || p.Len() != 0 {
				t.Fatalf("Next(final cursor) = %+v, %v; want an empty Done page", p, err)
			}
			if n := srv.Counter.Total() - before; n != 4 {
				t.Errorf("polling an exhausted feed made %d requests, want 4", n)
			}
		})
	}
}

func TestFeedResumesWithNewResources(t *testing.T) {
	t.Parallel()
	small, big := country(20), country(45)
	_, url1 := serve(t, small)
	first, _ := pull(t, health.New(url1, fast()), "")
	_, url2 := serve(t, big)
	cl := health.New(url2+"/fhir", fast()) // the FHIR base works as well as the server root
	cl.PageSize = 7
	rest, _ := pull(t, cl, first.Cursor)
	if !reflect.DeepEqual(rest.Visits, big.Visits[len(small.Visits):]) || !reflect.DeepEqual(rest.Coverages, big.Coverages[len(small.Coverages):]) ||
		!reflect.DeepEqual(rest.Attachments, big.Attachments[len(small.Attachments):]) {
		t.Errorf("resumed pull got %d visits, %d coverages; want only the %d and %d new ones", len(rest.Visits), len(rest.Coverages),
			len(big.Visits)-len(small.Visits), len(big.Coverages)-len(small.Coverages))
	}
}

func TestMalformedResourcesAreQuarantined(t *testing.T) {
	t.Parallel()
	c := country(200)
	srv, url := serve(t, c)
	srv.Faults.SetMalformedRate(0.2)
	cl := health.New(url, fast())
	cl.PageSize = 100
	got, _ := pull(t, cl, "")
	by := map[string]int{}
	var reasons []string
	for _, q := range got.Quarantined {
		by[q.Entity]++
		if q.Source != connectors.Health || q.Reason == "" || q.Key == "" || !strings.HasPrefix(q.Raw, `{"resourceType":`) {
			t.Errorf("quarantined entry lacks source, reason, key or the raw resource: %+v", q)
		}
		reasons = append(reasons, q.Reason)
	}
	for _, tc := range []struct {
		entity     string
		valid, all int
	}{
		{"medical_institution", len(got.MedicalInstitutions), len(c.MedicalInstitutions)},
		{"attachment", len(got.Attachments), len(c.Attachments)},
		{"visit", len(got.Visits), len(c.Visits)},
		{"coverage", len(got.Coverages), len(c.Coverages)},
	} {
		t.Run(tc.entity, func(t *testing.T) {
			if by[tc.entity] == 0 || tc.valid+by[tc.entity] != tc.all {
				t.Errorf("%d valid + %d quarantined, %d served", tc.valid, by[tc.entity], tc.all)
			}
		})
	}
	for _, r := range []string{"identifier urn:kz:iin: IIN", "identifier urn:kz:bin: BIN", "subject: IIN", "beneficiary: IIN", "class: code \"XYZ\"",
		"type: code \"VOLUNTARY\"", "type: code \"sanatorium\"", "period.start", "period.end", "generalPractitioner: BIN"} {
		if !slices.ContainsFunc(reasons, func(s string) bool { return strings.Contains(s, r) }) {
			t.Errorf("nothing quarantined for %q among %d reasons", r, len(reasons))
		}
	}
}

func TestBurstOf5xxIsRetried(t *testing.T) {
	t.Parallel()
	c := country(30)
	srv, url := serve(t, c)
	srv.Faults.SetErrorRate(0.3)
	retries := 0
	cfg := fast()
	cfg.OnRetry = func(string, int, int, time.Duration) { retries++ }
	cl := health.New(url, cfg)
	cl.PageSize = 10
	got, pages := pull(t, cl, "")
	sameRecords(t, got, c)
	if retries == 0 || srv.Counter.Total() <= int64(pages) {
		t.Errorf("%d retries, %d requests for %d pages", retries, srv.Counter.Total(), pages)
	}
}

func TestThrottlingHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	c := country(5)
	srv, url := serve(t, c)
	srv.Throttle(1, 1)
	var waits []time.Duration
	var statuses []int
	cfg := fast()
	cfg.OnRetry = func(_ string, _ int, status int, wait time.Duration) {
		waits, statuses = append(waits, wait), append(statuses, status)
	}
	got, _ := pull(t, health.New(url, cfg), "")
	sameRecords(t, got, c)
	if !slices.Equal(statuses, []int{http.StatusTooManyRequests}) || waits[0] != time.Second {
		t.Errorf("retries after %v with waits %v; want one 429 waited for its Retry-After of 1s", statuses, waits)
	}
}

func TestDownSourceOpensTheCircuit(t *testing.T) {
	t.Parallel()
	srv, url := serve(t, country(3))
	srv.Faults.SetDown(true)
	cfg := fast()
	cfg.MaxRetries, cfg.BreakerFailures = 2, 3
	cl := health.New(url, cfg)
	_, err := cl.CoverageByIIN(context.Background(), []domain.IIN{domain.MustIIN("150101500001")})
	var te *transport.Error
	var o *health.Outcome
	if !errors.As(err, &te) || te.Source != "health" || te.Status != 503 || !errors.As(err, &o) || o.Code != "transient" {
		t.Fatalf("first error = %v; want a 503 OperationOutcome naming health", err)
	}
	served := srv.Counter.Total()
	_, err = cl.Next(context.Background(), "")
	if !errors.Is(err, transport.ErrCircuitOpen) || !strings.HasPrefix(err.Error(), "health: ") {
		t.Fatalf("second error = %v; want the open circuit naming health", err)
	}
	if srv.Counter.Total() != served {
		t.Errorf("the open circuit let %d requests through", srv.Counter.Total()-served)
	}
}

func TestBatchLookups(t *testing.T) {
	t.Parallel()
	c := country(260)
	srv, url := serve(t, c)
	cl := health.New(url, fast())
	ctx := context.Background()
	var iins []domain.IIN
	seen := map[domain.IIN]bool{}
	for _, a := range c.Attachments {
		if !seen[a.IIN] {
			seen[a.IIN] = true
			iins = append(iins, a.IIN)
		}
	}
	t.Run("coverage", func(t *testing.T) {
		want := map[domain.IIN][]domain.Coverage{}
		for _, v := range c.Coverages {
			want[v.IIN] = append(want[v.IIN], v)
		}
		before := srv.Counter.Get("GET /fhir/Coverage")
		got, err := cl.CoverageByIIN(ctx, iins)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("CoverageByIIN: err %v, %d people, want %d", err, len(got), len(want))
		}
		if n := srv.Counter.Get("GET /fhir/Coverage") - before; n != 3 {
			t.Errorf("%d requests for %d IINs, want 3 (100 per request)", n, len(iins))
		}
	})
	for _, limit := range []int{0, 1, 2} {
		t.Run("visits limit "+string(rune('0'+limit)), func(t *testing.T) {
			want := map[domain.IIN][]domain.Visit{}
			for _, v := range c.Visits {
				want[v.IIN] = append(want[v.IIN], v)
			}
			for k, vs := range want {
				slices.SortStableFunc(vs, func(a, b domain.Visit) int { return b.Date.Time().Compare(a.Date.Time()) })
				if limit > 0 && len(vs) > limit {
					want[k] = vs[:limit]
				}
			}
			got, err := cl.VisitsByIIN(ctx, iins, limit)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("VisitsByIIN(limit %d): err %v, %d people, want %d", limit, err, len(got), len(want))
			}
		})
	}
	t.Run("attachments", func(t *testing.T) {
		want := map[domain.IIN][]domain.Attachment{}
		for _, a := range c.Attachments {
			want[a.IIN] = append(want[a.IIN], a)
		}
		got, err := cl.AttachmentsByIIN(ctx, iins)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("AttachmentsByIIN: err %v, %d people, want %d", err, len(got), len(want))
		}
	})
	t.Run("next links are followed", func(t *testing.T) {
		big := country(3)
		for i := range 1200 { // one person with more coverage periods than one page holds
			big.Coverages = append(big.Coverages, domain.Coverage{IIN: big.Coverages[0].IIN, Category: "employee",
				From: domain.MustDate("2024-01-01").AddDays(i), To: domain.MustDate("2024-01-01").AddDays(i)})
		}
		_, url := serve(t, big)
		got, err := health.New(url, fast()).CoverageByIIN(ctx, []domain.IIN{big.Coverages[0].IIN})
		if err != nil || len(got[big.Coverages[0].IIN]) != 1201 {
			t.Fatalf("got %d periods, err %v; want 1201 over two pages", len(got[big.Coverages[0].IIN]), err)
		}
	})
	t.Run("malformed quarantined, not returned", func(t *testing.T) {
		srv2, url2 := serve(t, c)
		srv2.Faults.SetMalformedRate(1)
		cl2 := health.New(url2, fast())
		var q []connectors.Quarantined
		cl2.OnQuarantine = func(x connectors.Quarantined) { q = append(q, x) }
		got, err := cl2.CoverageByIIN(ctx, iins[:50])
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, v := range got {
			n += len(v)
		}
		if n != 0 || len(q) == 0 || int64(len(q)) != cl2.Quarantined() {
			t.Errorf("%d coverages returned, %d quarantined (counter %d); want none returned, all quarantined", n, len(q), cl2.Quarantined())
		}
	})
	t.Run("bad request is not retried", func(t *testing.T) {
		before := srv.Counter.Total()
		_, err := cl.CoverageByIIN(ctx, []domain.IIN{"12345"})
		var o *health.Outcome
		if !errors.As(err, &o) || o.Code != "invalid" || srv.Counter.Total()-before != 1 {
			t.Errorf("err = %v after %d requests; want one 400 OperationOutcome invalid", err, srv.Counter.Total()-before)
		}
	})
}
