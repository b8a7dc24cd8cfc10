package finance_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/connectors/finance"
	"github.com/birlik/birlik/connectors/transport"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/gen"
	simfin "github.com/birlik/birlik/sim/finance"
)

func fast() transport.Config {
	return transport.Config{Timeout: 5 * time.Second, MaxRetries: 8, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
		BreakerFailures: 50, BreakerCooldown: time.Minute}
}

func serve(t testing.TB, c *gen.Country) (*simfin.Server, string) {
	t.Helper()
	s := simfin.New(c)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts.URL
}

func pull(t testing.TB, cl *finance.Client, cursor string) (all connectors.Page, pages int) {
	t.Helper()
	for range 100000 {
		p, err := cl.Next(context.Background(), cursor)
		if err != nil {
			t.Fatalf("Next(%q): %v", cursor, err)
		}
		pages++
		all.StateOrderPayments = append(all.StateOrderPayments, p.StateOrderPayments...)
		all.IncomeReports = append(all.IncomeReports, p.IncomeReports...)
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
	if len(got.StateOrderPayments) != len(c.StateOrderPayments) || (len(c.StateOrderPayments) > 0 && !reflect.DeepEqual(got.StateOrderPayments, c.StateOrderPayments)) {
		t.Errorf("payments: pulled %d, the country has %d (or they differ)", len(got.StateOrderPayments), len(c.StateOrderPayments))
	}
	if len(got.IncomeReports) != len(c.IncomeReports) || (len(c.IncomeReports) > 0 && !reflect.DeepEqual(got.IncomeReports, c.IncomeReports)) {
		t.Errorf("income reports: pulled %d, the country has %d (or they differ)", len(got.IncomeReports), len(c.IncomeReports))
	}
}

func TestFullPullEqualsCountry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		orgs     int
		pageSize int
	}{
		{"empty", 0, 10},
		{"one page per list", 6, 5000},
		{"many pages", 11, 13},
		{"page size divides exactly", 3, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := country(tc.orgs)
			srv, url := serve(t, c)
			cl := finance.New(url, fast())
			cl.PageSize = tc.pageSize
			got, _ := pull(t, cl, "")
			sameRecords(t, got, c)
			if len(got.Quarantined) != 0 {
				t.Errorf("healthy source: %d quarantined, first %+v", len(got.Quarantined), got.Quarantined[0])
			}
			if want := int64(len(c.StateOrderPayments) + len(c.IncomeReports)); got.Total != want {
				t.Errorf("Total = %d, want %d", got.Total, want)
			}
			before := srv.Operations.Total()
			p, err := cl.Next(context.Background(), got.Cursor)
			if err != nil || !p.Done || p.Len() != 0 {
				t.Fatalf("Next(final cursor) = %+v, %v; want an empty Done page", p, err)
			}
			if n := srv.Operations.Total() - before; n != 2 {
				t.Errorf("polling an exhausted feed made %d calls, want 2", n)
			}
		})
	}
}

func TestFeedResumesWithNewRecords(t *testing.T) {
	t.Parallel()
	small, big := country(4), country(9)
	_, url1 := serve(t, small)
	first, _ := pull(t, finance.New(url1, fast()), "")
	_, url2 := serve(t, big)
	rest, _ := pull(t, finance.New(url2, fast()), first.Cursor)
	if !reflect.DeepEqual(rest.StateOrderPayments, big.StateOrderPayments[len(small.StateOrderPayments):]) ||
		!reflect.DeepEqual(rest.IncomeReports, big.IncomeReports[len(small.IncomeReports):]) {
		t.Errorf("resumed pull got %d payments and %d reports, want only the %d and %d new ones", len(rest.StateOrderPayments), len(rest.IncomeReports),
			len(big.StateOrderPayments)-len(small.StateOrderPayments), len(big.IncomeReports)-len(small.IncomeReports))
	}
}

func TestMalformedRecordsAreQuarantined(t *testing.T) {
	t.Parallel()
	c := country(60)
	srv, url := serve(t, c)
	srv.Faults.SetMalformedRate(0.2)
	cl := finance.New(url, fast())
	cl.PageSize = 100
	got, _ := pull(t, cl, "")
	by := map[string]int{}
	reasons := map[string]bool{}
	for _, q := range got.Quarantined {
		by[q.Entity]++
		if q.Source != connectors.Finance || q.Reason == "" || q.Key == "" || !strings.HasPrefix(q.Raw, "<ob:") {
			t.Errorf("quarantined entry lacks source, reason, key or the raw element: %+v", q)
		}
		reasons[strings.SplitN(q.Reason, ":", 2)[0]] = true
	}
	for _, tc := range []struct {
		entity     string
		valid, all int
	}{
		{"state_order_payment", len(got.StateOrderPayments), len(c.StateOrderPayments)},
		{"income_report", len(got.IncomeReports), len(c.IncomeReports)},
	} {
		t.Run(tc.entity, func(t *testing.T) {
			if by[tc.entity] == 0 || tc.valid+by[tc.entity] != tc.all {
				t.Errorf("%d valid + %d quarantined, %d served", tc.valid, by[tc.entity], tc.all)
			}
		})
	}
	for _, r := range []string{"recipientBin", "amountKzt", "financingType", "paymentDate", "childIin", "incomeKzt"} {
		if !reasons[r] {
			t.Errorf("no record quarantined for %s; reasons seen: %v", r, reasons)
		}
	}
}

func TestBurstOf5xxIsRetried(t *testing.T) {
	t.Parallel()
	c := country(8)
	srv, url := serve(t, c)
	srv.Faults.SetErrorRate(0.3)
	retries := 0
	cfg := fast()
	cfg.OnRetry = func(string, int, int, time.Duration) { retries++ }
	cl := finance.New(url, cfg)
	cl.PageSize = 10
	got, pages := pull(t, cl, "")
	sameRecords(t, got, c)
	if retries == 0 || srv.Counter.Total() <= int64(pages) {
		t.Errorf("%d retries, %d requests for %d pages", retries, srv.Counter.Total(), pages)
	}
}

func TestDownSourceOpensTheCircuit(t *testing.T) {
	t.Parallel()
	srv, url := serve(t, country(2))
	srv.Faults.SetDown(true)
	cfg := fast()
	cfg.MaxRetries, cfg.BreakerFailures = 2, 3
	cl := finance.New(url, cfg)
	_, err := cl.Next(context.Background(), "")
	var te *transport.Error
	var f *finance.Fault
	if !errors.As(err, &te) || te.Source != "finance" || te.Status != 503 || !errors.As(err, &f) || f.Service != "SERVICE_UNAVAILABLE" || f.Client() {
		t.Fatalf("first error = %v; want a 503 soap:Server fault naming finance", err)
	}
	served := srv.Counter.Total()
	_, err = cl.Next(context.Background(), "")
	if !errors.Is(err, transport.ErrCircuitOpen) || !strings.HasPrefix(err.Error(), "finance: ") {
		t.Fatalf("second error = %v; want the open circuit naming finance", err)
	}
	if srv.Counter.Total() != served {
		t.Errorf("the open circuit let %d requests through", srv.Counter.Total()-served)
	}
}

func TestClientFaultIsNotRetried(t *testing.T) {
	t.Parallel()
	srv, url := serve(t, country(2))
	cl := finance.New(url, fast())
	cl.PageSize = 20000 // the service allows 1..10000
	_, err := cl.Next(context.Background(), "")
	var te *transport.Error
	var f *finance.Fault
	if !errors.As(err, &te) || te.Status != http.StatusInternalServerError || !errors.As(err, &f) || !f.Client() || f.Service != "INVALID_ARGUMENT" ||
		!strings.Contains(err.Error(), "pageSize") {
		t.Fatalf("error = %v; want the soap:Client fault INVALID_ARGUMENT about pageSize", err)
	}
	if n := srv.Counter.Total(); n != 1 {
		t.Errorf("a client fault was sent %d times, want once", n)
	}
}

func TestPaymentsByOrganisation(t *testing.T) {
	t.Parallel()
	c := country(250)
	srv, url := serve(t, c)
	cl := finance.New(url, fast())
	from, to := domain.MustMonth("2024-03"), domain.MustMonth("2024-05")
	want := map[domain.BIN][]domain.StateOrderPayment{}
	var bins []domain.BIN
	seen := map[domain.BIN]bool{}
	for _, p := range c.StateOrderPayments {
		if !seen[p.BIN] {
			seen[p.BIN] = true
			bins = append(bins, p.BIN)
		}
		if p.Month >= from && p.Month <= to {
			want[p.BIN] = append(want[p.BIN], p)
		}
	}
	got, err := cl.PaymentsByOrganisation(context.Background(), bins, from, to)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("PaymentsByOrganisation: err %v, %d organisations, want %d", err, len(got), len(want))
	}
	if n := srv.Operations.Get("GetPaymentsByOrganisation"); n != 3 {
		t.Errorf("%d calls for %d BINs, want 3 (100 per call)", n, len(bins))
	}
	if _, err := cl.PaymentsByOrganisation(context.Background(), bins[:1], to, from); err == nil {
		t.Error("from after to was accepted")
	}
}
