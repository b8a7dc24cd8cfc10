package education_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/connectors/education"
	"github.com/birlik/birlik/connectors/transport"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/gen"
	simedu "github.com/birlik/birlik/sim/education"
)

func fast() transport.Config {
	return transport.Config{Timeout: 5 * time.Second, MaxRetries: 8, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
		BreakerFailures: 50, BreakerCooldown: time.Minute}
}

func serve(t testing.TB, c *gen.Country) (*simedu.Server, string) {
	t.Helper()
	s := simedu.New(c)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts.URL
}

// pull reads the feed from cursor until a Done page and gathers every page's records.
func pull(t testing.TB, cl *education.Client, cursor string) (all connectors.Page, pages int) {
	t.Helper()
	ctx := context.Background()
	for range 100000 {
		p, err := cl.Next(ctx, cursor)
		if err != nil {
			t.Fatalf("Next(%q): %v", cursor, err)
		}
		pages++
		all.Schools = append(all.Schools, p.Schools...)
		all.Staff = append(all.Staff, p.Staff...)
		all.Enrolments = append(all.Enrolments, p.Enrolments...)
		all.Vouchers = append(all.Vouchers, p.Vouchers...)
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
	check := func(name string, got, want any, n, m int) {
		if n != m {
			t.Errorf("%s: pulled %d, the country has %d", name, n, m)
		} else if n > 0 && !reflect.DeepEqual(got, want) {
			t.Errorf("%s: pulled records differ from the country's", name)
		}
	}
	check("organisations", got.Schools, c.Schools, len(got.Schools), len(c.Schools))
	check("staff", got.Staff, c.Staff, len(got.Staff), len(c.Staff))
	check("enrolments", got.Enrolments, c.Enrolments, len(got.Enrolments), len(c.Enrolments))
	check("vouchers", got.Vouchers, c.Vouchers, len(got.Vouchers), len(c.Vouchers))
}

func TestFullPullEqualsCountry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		orgs     int
		pageSize int
	}{
		{"empty", 0, 10},
		{"one page per export", 9, 1000},
		{"many pages", 23, 7},
		{"page size divides exactly", 10, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := country(tc.orgs)
			srv, url := serve(t, c)
			cl := education.New(url, fast())
			cl.PageSize = tc.pageSize
			got, _ := pull(t, cl, "")
			sameRecords(t, got, c)
			if len(got.Quarantined) != 0 {
				t.Errorf("healthy source: %d records quarantined, first: %+v", len(got.Quarantined), got.Quarantined[0])
			}
			want := int64(len(c.Schools) + len(c.Staff) + len(c.Enrolments) + len(c.Vouchers))
			if got.Total != want {
				t.Errorf("Total = %d, want %d", got.Total, want)
			}
			// Polling again from the final cursor asks each export once and finds nothing.
			before := srv.Counter.Total()
			p, err := cl.Next(context.Background(), got.Cursor)
			if err != nil || !p.Done || p.Len() != 0 {
				t.Fatalf("Next(final cursor) = %+v, %v; want an empty Done page", p, err)
			}
			if n := srv.Counter.Total() - before; n != 4 {
				t.Errorf("polling an exhausted feed made %d requests, want 4 (one per export)", n)
			}
		})
	}
}

func TestFeedResumesWithNewRows(t *testing.T) {
	t.Parallel()
	small, big := country(6), country(15) // big's first rows are small's: same ids in the same order
	_, url1 := serve(t, small)
	first, _ := pull(t, education.New(url1, fast()), "")
	sameRecords(t, first, small)

	_, url2 := serve(t, big)
	cl := education.New(url2, fast())
	cl.PageSize = 4
	rest, _ := pull(t, cl, first.Cursor)
	if len(rest.Schools) != len(big.Schools)-len(small.Schools) || len(rest.Enrolments) != len(big.Enrolments)-len(small.Enrolments) ||
		len(rest.Staff) != len(big.Staff)-len(small.Staff) || len(rest.Vouchers) != len(big.Vouchers)-len(small.Vouchers) {
		t.Fatalf("resumed pull got %d/%d/%d/%d records, want only the new rows", len(rest.Schools), len(rest.Staff), len(rest.Enrolments), len(rest.Vouchers))
	}
	if !reflect.DeepEqual(rest.Schools, big.Schools[len(small.Schools):]) || !reflect.DeepEqual(rest.Vouchers, big.Vouchers[len(small.Vouchers):]) {
		t.Error("resumed pull did not start right after the stored cursor")
	}
}

func TestMalformedRowsAreQuarantined(t *testing.T) {
	t.Parallel()
	c := country(40)
	srv, url := serve(t, c)
	srv.Faults.SetMalformedRate(0.25)
	cl := education.New(url, fast())
	cl.PageSize = 50
	got, _ := pull(t, cl, "")
	if len(got.Quarantined) == 0 {
		t.Fatal("no record quarantined at a 25% malformed rate")
	}
	byEntity := map[string]int{}
	for _, q := range got.Quarantined {
		byEntity[q.Entity]++
		if q.Source != connectors.Education || q.Reason == "" || q.Raw == "" || q.Key == "" || q.Seen.IsZero() {
			t.Errorf("quarantined record lacks source, reason, key, raw or time: %+v", q)
		}
		if !strings.Contains(q.Raw, ";") {
			t.Errorf("raw payload %q is not the CSV row", q.Raw)
		}
	}
	for _, tc := range []struct {
		entity     string
		valid, all int
	}{
		{"organisation", len(got.Schools), len(c.Schools)},
		{"staff", len(got.Staff), len(c.Staff)},
		{"enrolment", len(got.Enrolments), len(c.Enrolments)},
		{"voucher", len(got.Vouchers), len(c.Vouchers)},
	} {
		t.Run(tc.entity, func(t *testing.T) {
			if tc.valid+byEntity[tc.entity] != tc.all {
				t.Errorf("%d valid + %d quarantined != %d served: a record was dropped", tc.valid, byEntity[tc.entity], tc.all)
			}
			if byEntity[tc.entity] == 0 {
				t.Errorf("no %s quarantined", tc.entity)
			}
		})
	}
	if cl.Quarantined() != int64(len(got.Quarantined)) {
		t.Errorf("Quarantined() = %d, want %d", cl.Quarantined(), len(got.Quarantined))
	}
	// Every valid record is one the country holds, unchanged.
	known := map[domain.BIN]domain.School{}
	for _, s := range c.Schools {
		known[s.BIN] = s
	}
	for _, s := range got.Schools {
		if known[s.BIN] != s {
			t.Errorf("valid organisation %+v is not the country's", s)
		}
	}
}

func TestBurstOf5xxIsRetried(t *testing.T) {
	t.Parallel()
	c := country(12)
	srv, url := serve(t, c)
	srv.Faults.SetErrorRate(0.3)
	var retries int
	cfg := fast()
	cfg.OnRetry = func(op string, attempt, status int, wait time.Duration) { retries++ }
	cl := education.New(url, cfg)
	cl.PageSize = 10
	got, pages := pull(t, cl, "")
	sameRecords(t, got, c)
	if retries == 0 || srv.Counter.Total() <= int64(pages) {
		t.Errorf("%d retries, %d requests for %d pages: the 503s were not retried", retries, srv.Counter.Total(), pages)
	}
}

func TestDownSourceOpensTheCircuit(t *testing.T) {
	t.Parallel()
	srv, url := serve(t, country(3))
	srv.Faults.SetDown(true)
	cfg := fast()
	cfg.MaxRetries, cfg.BreakerFailures = 2, 3
	cl := education.New(url, cfg)
	_, err := cl.Next(context.Background(), "")
	var te *transport.Error
	if !errors.As(err, &te) || te.Source != "education" || te.Status != 503 || !strings.Contains(err.Error(), "SERVICE_UNAVAILABLE") {
		t.Fatalf("first error = %v; want a 503 naming education and the source's code", err)
	}
	served := srv.Counter.Total()
	_, err = cl.Next(context.Background(), "")
	if !errors.Is(err, transport.ErrCircuitOpen) || !strings.HasPrefix(err.Error(), "education: ") {
		t.Fatalf("second error = %v; want the open circuit, naming education", err)
	}
	if srv.Counter.Total() != served {
		t.Errorf("the open circuit still let %d requests through", srv.Counter.Total()-served)
	}
}

func TestLookups(t *testing.T) {
	t.Parallel()
	c := country(8)
	srv, url := serve(t, c)
	cl := education.New(url, fast())
	ctx := context.Background()
	t.Run("organisation found", func(t *testing.T) {
		for _, want := range c.Schools {
			got, found, err := cl.Organisation(ctx, want.BIN)
			if err != nil || !found || got != want {
				t.Fatalf("Organisation(%s) = %+v, %v, %v; want %+v", want.BIN, got, found, err, want)
			}
		}
	})
	t.Run("organisation not found", func(t *testing.T) {
		_, found, err := cl.Organisation(ctx, domain.MustBIN("000000000000"))
		if err != nil || found {
			t.Fatalf("unknown BIN: found=%v err=%v; want not found and no error", found, err)
		}
	})
	t.Run("enrolments by child", func(t *testing.T) {
		want := map[domain.IIN][]domain.Enrolment{}
		var iins []domain.IIN
		for _, e := range c.Enrolments {
			want[e.ChildIIN] = append(want[e.ChildIIN], e)
			iins = append(iins, e.ChildIIN)
		}
		stranger, _ := domain.MakeIIN(domain.MustDate("1999-01-01"), domain.Male, 7)
		iins = append(iins, stranger)
		before := srv.Counter.Get("POST /api/enrolments:byChild")
		got, err := cl.EnrolmentsByChild(ctx, iins)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("EnrolmentsByChild: err=%v, %d children, want %d", err, len(got), len(want))
		}
		if n := srv.Counter.Get("POST /api/enrolments:byChild") - before; n != 1 {
			t.Errorf("%d requests for %d IINs, want 1", n, len(iins))
		}
	})
	t.Run("malformed enrolment quarantined", func(t *testing.T) {
		srv2, url2 := serve(t, c)
		srv2.Faults.SetMalformedRate(1)
		cl2 := education.New(url2, fast())
		var seen []connectors.Quarantined
		cl2.OnQuarantine = func(q connectors.Quarantined) { seen = append(seen, q) }
		got, err := cl2.EnrolmentsByChild(ctx, []domain.IIN{c.Enrolments[1].ChildIIN, c.Enrolments[3].ChildIIN})
		if err != nil || len(got) != 0 || len(seen) != 2 || seen[0].Reason == "" {
			t.Fatalf("all-malformed look-up: got %v, err %v, quarantined %+v", got, err, seen)
		}
	})
}
