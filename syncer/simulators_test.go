package syncer_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/connectors/education"
	"github.com/birlik/birlik/connectors/finance"
	"github.com/birlik/birlik/connectors/health"
	"github.com/birlik/birlik/connectors/justice"
	"github.com/birlik/birlik/connectors/labour"
	"github.com/birlik/birlik/connectors/transport"
	"github.com/birlik/birlik/sim/all"
	"github.com/birlik/birlik/store/storetest"
	"github.com/birlik/birlik/syncer"
)

// TestSyncFromSimulators pulls a generated country through the real connectors from the five
// simulators over HTTP: every valid record lands, what the simulators garble is quarantined,
// and a second run writes nothing.
func TestSyncFromSimulators(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the five simulators")
	}
	c := country(t, 4, 1000)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sims, err := all.Start(ctx, c, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	defer sims.Close()
	tc := func(src connectors.Source) transport.Config {
		return transport.Config{Source: string(src), MinBackoff: time.Millisecond, MaxBackoff: 50 * time.Millisecond}
	}
	feeds := []connectors.Feed{
		justice.New(sims.URL("justice"), tc(connectors.Justice)),
		labour.New(sims.URL("labour"), tc(connectors.Labour)),
		education.New(sims.URL("education"), tc(connectors.Education)),
		finance.New(sims.URL("finance"), tc(connectors.Finance)),
		health.New(sims.URL("health"), tc(connectors.Health)),
	}
	s := storetest.Open(t)
	sy := syncer.New(s.Store, syncer.Options{Logger: quiet})
	st, err := sy.Run(ctx, feeds...)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	counts := c.RecordCounts()
	bg := context.Background()
	cl := s.Client
	cases := []struct {
		name string
		got  func(context.Context) (int, error)
		want int
	}{
		{"persons", cl.Person.Query().Count, counts["justice"]["persons"]},
		{"buildings", cl.Building.Query().Count, counts["justice"]["buildings"]},
		{"families", cl.Family.Query().Count, counts["labour"]["families"]},
		{"contracts", cl.LabourContract.Query().Count, counts["labour"]["contracts"]},
		{"schools", cl.School.Query().Count, counts["education"]["schools"]},
		{"enrolments", cl.Enrollment.Query().Count, counts["education"]["enrolments"]},
		{"incomeReports", cl.IncomeReport.Query().Count, counts["finance"]["incomeReports"]},
		{"payments", cl.Payment.Query().Count, counts["labour"]["contributions"] + counts["labour"]["socialPayments"] + counts["finance"]["stateOrderPayments"]},
		{"attachments", cl.Attachment.Query().Count, counts["health"]["attachments"]},
		{"visits", cl.Visit.Query().Count, counts["health"]["visits"]},
		{"coverages", cl.Coverage.Query().Count, counts["health"]["coverages"]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.got(bg)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("store has %d %s, generator made %d", got, tc.name, tc.want)
			}
		})
	}
	var quarantined int64
	for _, f := range st.Feeds {
		quarantined += f.Quarantined
	}
	if n := cl.Quarantine.Query().CountX(bg); int64(n) != quarantined {
		t.Errorf("%d quarantined rows, sync reported %d", n, quarantined)
	}
	t.Logf("quarantined %d records", quarantined)

	st2, err := sy.Run(ctx, feeds...)
	if err != nil {
		t.Fatalf("second sync: %v", err)
	}
	if st2.Written() != 0 {
		t.Errorf("second sync from the simulators wrote %d rows, want 0", st2.Written())
	}
}

// A sync stopped mid-feed and resumed by a new process (new connectors, the cursor from the
// store) reports the source's whole count as its total: never fewer records than it has
// already applied, and the same total as a sync that was never stopped.
func TestResumedSyncReportsTheSourcesTotal(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the five simulators")
	}
	c := country(t, 4, 1000)
	srcs := startSims(t, c)
	// Small pages, so that a feed stopped halfway stops inside one of its later lists.
	feeds := func() []connectors.Feed {
		fs := srcs.feeds(true)
		fs[0].(*justice.Client).PageSize = 150
		fs[1].(*labour.Client).PageSize = 150
		fs[2].(*education.Client).PageSize = 150
		fs[3].(*finance.Client).PageSize = 150
		fs[4].(*health.Client).PageSize = 150
		return fs
	}
	ctx := context.Background()
	ref := storetest.Open(t)
	st, err := syncer.New(ref.Store, syncer.Options{Logger: quiet}).Run(ctx, feeds()...)
	if err != nil {
		t.Fatal(err)
	}
	cursor := func(s *storetest.Store, src connectors.Source) (records, total int64) {
		t.Helper()
		if err := s.DB.QueryRowContext(ctx, `SELECT records, total FROM sync_cursors WHERE source = '`+string(src)+`'`).Scan(&records, &total); err != nil {
			t.Fatal(err)
		}
		return records, total
	}
	for i, f := range feeds() {
		src := f.Source()
		t.Run(string(src), func(t *testing.T) {
			wantRecords, wantTotal := cursor(ref, src)
			s := storetest.Open(t)
			stopAt := st.Feeds[i].Pages / 2
			stop, cancel := context.WithCancel(ctx)
			defer cancel()
			first := syncer.New(s.Store, syncer.Options{Logger: quiet, AfterCommit: func(_ connectors.Source, pages int) {
				if pages == stopAt {
					cancel()
				}
			}})
			if _, err := first.SyncFeed(stop, f); err == nil {
				t.Fatalf("the first sync was not stopped after %d of %d pages", stopAt, st.Feeds[i].Pages)
			}
			var bad []string
			resumed := syncer.New(s.Store, syncer.Options{Logger: quiet, AfterCommit: func(_ connectors.Source, pages int) {
				if r, tot := cursor(s, src); r > tot {
					bad = append(bad, fmt.Sprintf("page %d: records %d, total %d", pages, r, tot))
				}
			}})
			if _, err := resumed.SyncFeed(ctx, feeds()[i]); err != nil {
				t.Fatal(err)
			}
			if len(bad) > 0 {
				t.Errorf("the resumed sync reported more records than the source's total: %v", bad)
			}
			if r, tot := cursor(s, src); r != wantRecords || tot != wantTotal {
				t.Errorf("after the resumed sync: records %d, total %d; a sync never stopped has records %d, total %d", r, tot, wantRecords, wantTotal)
			}
		})
	}
}
