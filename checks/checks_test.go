package checks_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/checks"
	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/connectors/education"
	"github.com/birlik/birlik/connectors/finance"
	"github.com/birlik/birlik/connectors/health"
	"github.com/birlik/birlik/connectors/justice"
	"github.com/birlik/birlik/connectors/labour"
	"github.com/birlik/birlik/connectors/transport"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/finding"
	"github.com/birlik/birlik/gen"
	"github.com/birlik/birlik/sim/all"
	"github.com/birlik/birlik/store"
	"github.com/birlik/birlik/store/storetest"
	"github.com/birlik/birlik/syncer"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// syncCountry generates a country over the default history, serves it through the five
// simulators and syncs it into a fresh store through the real connectors and syncer: the path
// production data takes.
func syncCountry(t testing.TB, seed int64, people int) (*gen.Country, *storetest.Store) {
	t.Helper()
	return syncConfig(t, gen.Config{Seed: seed, People: people})
}

// syncConfig is syncCountry for the country of cfg.
func syncConfig(t testing.TB, cfg gen.Config) (*gen.Country, *storetest.Store) {
	t.Helper()
	ctx := context.Background()
	seed, people := cfg.Seed, cfg.People
	c, err := gen.Generate(cfg)
	if err != nil {
		t.Fatalf("generate seed %d, %d people: %v", seed, people, err)
	}
	sims, err := all.Start(ctx, c, "127.0.0.1")
	if err != nil {
		t.Fatalf("start the simulators: %v", err)
	}
	defer sims.Close()
	tc := transport.Config{MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond, Timeout: 30 * time.Second}
	feeds := []connectors.Feed{
		justice.New(sims.URL("justice"), tc),
		labour.New(sims.URL("labour"), tc),
		education.New(sims.URL("education"), tc),
		finance.New(sims.URL("finance"), tc),
		health.New(sims.URL("health"), tc),
	}
	s := storetest.Open(t)
	if _, err := syncer.New(s.Store, syncer.Options{Logger: quiet}).Run(ctx, feeds...); err != nil {
		t.Fatalf("sync seed %d, %d people: %v", seed, people, err)
	}
	return c, s
}

// truthKey is the finding key of a ground-truth case.
func truthKey(a domain.Anomaly) string {
	var iin domain.IIN
	var bin, other domain.BIN
	if len(a.IINs) > 0 {
		iin = a.IINs[0]
	}
	if len(a.BINs) > 0 {
		bin = a.BINs[0]
	}
	if len(a.BINs) > 1 {
		other = a.BINs[1]
	}
	return checks.Key(a.Kind, iin, bin, other, a.Cadastral, a.Code, a.Period)
}

// compare reports, per kind, the cases missed, found by accident, or with another region or
// money than the truth; it returns the number of problems.
func compare(t *testing.T, truth []domain.Anomaly, found []*ent.Finding) int {
	t.Helper()
	want := map[string]domain.Anomaly{}
	for _, a := range truth {
		if len(a.IINs) > 1 || len(a.BINs) > 2 {
			t.Errorf("truth case %s names more subjects than a finding holds", truthKey(a))
		}
		want[truthKey(a)] = a
	}
	got := map[string]*ent.Finding{}
	for _, f := range found {
		got[f.Key] = f
	}
	type tally struct{ tp, fn, fp, wrong int }
	per := map[domain.FindingKind]*tally{}
	for _, k := range domain.FindingKinds {
		per[k] = &tally{}
	}
	var problems []string
	for k, a := range want {
		f, ok := got[k]
		switch {
		case !ok:
			per[a.Kind].fn++
			problems = append(problems, fmt.Sprintf("%s: missed %s (region %s, money %d)", a.Kind, k, a.Region, a.MoneyAtRisk))
		case f.RegionKato != a.Region || f.MoneyAtRisk != a.MoneyAtRisk:
			per[a.Kind].wrong++
			problems = append(problems, fmt.Sprintf("%s: %s: region %s money %d, truth region %s money %d", a.Kind, k, f.RegionKato, f.MoneyAtRisk, a.Region, a.MoneyAtRisk))
		default:
			per[a.Kind].tp++
		}
	}
	for k, f := range got {
		if _, ok := want[k]; !ok {
			per[domain.FindingKind(f.Kind)].fp++
			problems = append(problems, fmt.Sprintf("%s: accidental %s (region %s, money %d)", f.Kind, k, f.RegionKato, f.MoneyAtRisk))
		}
	}
	sort.Strings(problems)
	for i, p := range problems {
		if i == 40 {
			t.Errorf("… and %d more", len(problems)-40)
			break
		}
		t.Error(p)
	}
	for _, k := range domain.FindingKinds {
		c := per[k]
		if c.fn+c.fp+c.wrong == 0 {
			continue
		}
		prec, rec := 1.0, 1.0
		if c.tp+c.fp > 0 {
			prec = float64(c.tp) / float64(c.tp+c.fp)
		}
		if c.tp+c.fn > 0 {
			rec = float64(c.tp) / float64(c.tp+c.fn)
		}
		t.Errorf("%-31s precision %.3f recall %.3f (found %d, missed %d, accidental %d, wrong region or money %d)", k, prec, rec, c.tp, c.fn, c.fp, c.wrong)
	}
	return len(problems)
}

func openFindings(t testing.TB, cl *ent.Client) []*ent.Finding {
	t.Helper()
	fs, err := cl.Finding.Query().Where(finding.StatusNEQ(finding.StatusResolved)).All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// TestChecksFindExactlyTheTruth checks that the findings equal the generator's truth exactly (run it with -timeout 30m on a
// busy machine): for three seeds and two sizes,
// the findings after a sync through the simulators and connectors are exactly the generator's
// ground truth (precision and recall 1 for every kind), with the same region and money at risk
// to the tenge.
func TestChecksFindExactlyTheTruth(t *testing.T) {
	if testing.Short() {
		t.Skip("syncs six countries")
	}
	sizes := []int{3000, 8000}
	if raceEnabled {
		// Under the race detector (CI's go test -race ./...) the three seeds run at the small
		// size only; 'go test ./checks' runs the whole matrix.
		sizes = sizes[:1]
	}
	for _, people := range sizes {
		for _, seed := range []int64{1, 2, 3} {
			t.Run(fmt.Sprintf("seed%d_%dpeople", seed, people), func(t *testing.T) {
				findExactlyTheTruth(t, gen.Config{Seed: seed, People: people})
			})
		}
	}
}

// TestChecksFindExactlyTheTruth2026 is the same over countries whose history ends in 2026, with
// the default configuration: the checks are evaluated as of the store's latest complete month
// (the end of the history) with the rules file's figures of each year.
func TestChecksFindExactlyTheTruth2026(t *testing.T) {
	for _, cfg := range []gen.Config{
		{Seed: 6, People: 2000, From: domain.MustMonth("2025-01"), Months: 24}, // ends 2026-12
		{Seed: 7, People: 2000, From: domain.MustMonth("2024-07"), Months: 24}, // ends 2026-06
	} {
		t.Run(fmt.Sprintf("seed%d_%s_%dm", cfg.Seed, cfg.From, cfg.Months), func(t *testing.T) {
			findExactlyTheTruth(t, cfg)
		})
	}
}

// findExactlyTheTruth syncs the country of cfg, runs every check with the defaults and demands
// the generator's truth exactly, with every kind present in it.
func findExactlyTheTruth(t *testing.T, cfg gen.Config) {
	c, s := syncConfig(t, cfg)
	sum, err := checks.Run(context.Background(), s.Store, checks.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[domain.FindingKind]int{}
	for _, a := range c.Truth {
		kinds[a.Kind]++
	}
	for _, k := range domain.FindingKinds {
		if kinds[k] == 0 {
			t.Errorf("the truth has no case of %s: the test proves nothing for it", k)
		}
	}
	if n := compare(t, c.Truth, openFindings(t, s.Client)); n == 0 {
		var total int
		for _, r := range sum.Kinds {
			total += r.Cases
		}
		if total != len(c.Truth) {
			t.Errorf("summary counts %d cases, truth has %d", total, len(c.Truth))
		}
	}
}

// TestRerunKeepsIdentityAndStatus: a second run changes nothing and keeps the analysts'
// decisions; a case that disappears from the data is resolved, not deleted, and reopened
// when it comes back.
func TestRerunKeepsIdentityAndStatus(t *testing.T) {
	ctx := context.Background()
	c, s := syncCountry(t, 5, 2500)
	cfg := checks.Defaults()
	first, err := checks.Run(ctx, s.Store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	before := map[string]int{}
	for _, f := range openFindings(t, s.Client) {
		before[f.Key] = f.ID
	}
	if len(before) != len(c.Truth) {
		t.Fatalf("first run: %d findings, truth %d", len(before), len(c.Truth))
	}
	for _, r := range first.Kinds {
		if r.New != r.Cases {
			t.Errorf("first run %s: %d new of %d cases", r.Kind, r.New, r.Cases)
		}
	}
	// An analyst confirms one case and dismisses another.
	var confirmID, dismissID int
	for _, a := range c.Truth {
		switch {
		case confirmID == 0 && a.Kind == domain.ContingentOverCapacity:
			confirmID = before[truthKey(a)]
		case dismissID == 0 && a.Kind == domain.FictitiousTeacher:
			dismissID = before[truthKey(a)]
		}
	}
	// As callers, through the store's write rule: an analyst of the case's region, an
	// inspector of every region.
	region := s.Client.Finding.GetX(ctx, confirmID).RegionKato
	analyst := auth.NewContext(ctx, auth.Identity{Role: auth.RoleAnalyst, Subject: "analyst-1", Regions: []domain.KATO{region}})
	inspector := auth.NewContext(ctx, auth.Identity{Role: auth.RoleInspector, Subject: "analyst-2"})
	if _, err := checks.Confirm(analyst, s.Client, confirmID, "analyst-1", "capacity checked on site"); err != nil {
		t.Fatal(err)
	}
	if _, err := checks.Dismiss(inspector, s.Client, dismissID, "analyst-2", "contract on paper"); err != nil {
		t.Fatal(err)
	}

	t.Run("rerun", func(t *testing.T) {
		second, err := checks.Run(ctx, s.Store, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range second.Kinds {
			if r.New != 0 || r.Resolved != 0 || r.Reopened != 0 {
				t.Errorf("rerun %s: new %d resolved %d reopened %d, want none", r.Kind, r.New, r.Resolved, r.Reopened)
			}
		}
		after := openFindings(t, s.Client)
		if len(after) != len(before) {
			t.Fatalf("rerun: %d findings, want %d", len(after), len(before))
		}
		for _, f := range after {
			if before[f.Key] != f.ID {
				t.Errorf("%s changed id from %d to %d", f.Key, before[f.Key], f.ID)
			}
		}
		conf := s.Client.Finding.GetX(ctx, confirmID)
		if conf.Status != finding.StatusConfirmed || conf.StatusChangedBy != "analyst-1" || conf.StatusNote != "capacity checked on site" || conf.StatusChangedAt == nil {
			t.Errorf("confirmed finding after rerun: status %s by %q note %q", conf.Status, conf.StatusChangedBy, conf.StatusNote)
		}
		if dis := s.Client.Finding.GetX(ctx, dismissID); dis.Status != finding.StatusDismissed || dis.StatusChangedBy != "analyst-2" {
			t.Errorf("dismissed finding after rerun: status %s by %q", dis.Status, dis.StatusChangedBy)
		}
	})

	t.Run("resolvedByData", func(t *testing.T) {
		// The school files its missing income report: the case disappears from the data.
		var a domain.Anomaly
		for _, x := range c.Truth {
			if x.Kind == domain.UnreportedIncome {
				a = x
				break
			}
		}
		id := before[truthKey(a)]
		if _, err := s.DB.ExecContext(ctx, rebind(s.Dialect, `INSERT INTO income_reports (source, source_key, source_version, synced_at, school_bin, year, income, filed_on)
VALUES ('finance', ?, 'test', ?, ?, 2024, 1000, '2025-03-01')`), "test|"+string(a.BINs[0]), time.Now(), string(a.BINs[0])); err != nil {
			t.Fatal(err)
		}
		r, err := checks.Run(ctx, s.Store, checks.Config{Kinds: []domain.FindingKind{domain.UnreportedIncome}})
		if err != nil {
			t.Fatal(err)
		}
		if r.Kinds[0].Resolved != 1 {
			t.Errorf("resolved %d cases, want 1", r.Kinds[0].Resolved)
		}
		f := s.Client.Finding.GetX(ctx, id)
		if f.Status != finding.StatusResolved || f.ResolvedAt == nil {
			t.Fatalf("finding %s: status %s resolvedAt %v, want resolved", f.Key, f.Status, f.ResolvedAt)
		}
		if _, err := checks.Confirm(ctx, s.Client, id, "analyst-1", "late"); err == nil || !strings.Contains(err.Error(), "resolved") {
			t.Errorf("confirming a resolved finding: err %v, want a refusal naming the resolution", err)
		}
		// The report is withdrawn: the case comes back with the same identity.
		if _, err := s.DB.ExecContext(ctx, rebind(s.Dialect, `DELETE FROM income_reports WHERE source_key = ?`), "test|"+string(a.BINs[0])); err != nil {
			t.Fatal(err)
		}
		r, err = checks.Run(ctx, s.Store, checks.Config{Kinds: []domain.FindingKind{domain.UnreportedIncome}})
		if err != nil {
			t.Fatal(err)
		}
		if r.Kinds[0].Reopened != 1 || r.Kinds[0].New != 0 {
			t.Errorf("reopened %d new %d, want 1 and 0", r.Kinds[0].Reopened, r.Kinds[0].New)
		}
		if f := s.Client.Finding.GetX(ctx, id); f.Status != finding.StatusOpen || f.ResolvedAt != nil || f.MoneyAtRisk != a.MoneyAtRisk {
			t.Errorf("reopened finding: status %s resolvedAt %v money %d, want open, nil, %d", f.Status, f.ResolvedAt, f.MoneyAtRisk, a.MoneyAtRisk)
		}
	})
}

func rebind(d, q string) string { return store.Rebind(d, q) }

// TestWorkersFindTheSame: kinds run at once on several connections (PostgreSQL; SQLite runs
// them one at a time) find exactly the truth, report every kind in the configured order, and
// call Progress once per kind and once at the end, one call at a time.
func TestWorkersFindTheSame(t *testing.T) {
	c, s := syncCountry(t, 2, 2500)
	cfg := checks.Defaults()
	cfg.Workers = 4
	var (
		mu    sync.Mutex
		calls []int
		inCb  atomic.Int32
	)
	cfg.Progress = func(_ domain.FindingKind, done, total int) {
		if inCb.Add(1) != 1 {
			t.Error("Progress called while another call ran")
		}
		defer inCb.Add(-1)
		mu.Lock()
		calls = append(calls, done)
		mu.Unlock()
	}
	sum, err := checks.Run(context.Background(), s.Store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Kinds) != len(domain.FindingKinds) {
		t.Fatalf("%d kinds reported, want %d", len(sum.Kinds), len(domain.FindingKinds))
	}
	for i, r := range sum.Kinds {
		if r.Kind != domain.FindingKinds[i] {
			t.Errorf("kind %d reported is %s, want %s", i, r.Kind, domain.FindingKinds[i])
		}
	}
	slices.Sort(calls)
	for i, d := range calls {
		if d != i {
			t.Fatalf("Progress's done values %v: want 0 to %d once each", calls, len(domain.FindingKinds))
		}
	}
	if len(calls) != len(domain.FindingKinds)+1 {
		t.Errorf("Progress called %d times, want %d", len(calls), len(domain.FindingKinds)+1)
	}
	compare(t, c.Truth, openFindings(t, s.Client))

	cfg.Workers = -1
	if _, err := checks.Run(context.Background(), s.Store, cfg); err == nil || !strings.Contains(err.Error(), "Workers") {
		t.Errorf("Workers -1: %v, want an error naming Workers", err)
	}
}
