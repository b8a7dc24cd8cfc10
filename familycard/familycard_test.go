package familycard_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/connectors/education"
	"github.com/birlik/birlik/connectors/finance"
	"github.com/birlik/birlik/connectors/health"
	"github.com/birlik/birlik/connectors/justice"
	"github.com/birlik/birlik/connectors/labour"
	"github.com/birlik/birlik/connectors/transport"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent/familyassessment"
	"github.com/birlik/birlik/familycard"
	"github.com/birlik/birlik/familycard/welfare"
	"github.com/birlik/birlik/gen"
	"github.com/birlik/birlik/sim/all"
	"github.com/birlik/birlik/store/storetest"
	"github.com/birlik/birlik/syncer"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// people is the size of the test countries (BIRLIK_FAMILYCARD_PEOPLE overrides it).
func people() int {
	if n, err := strconv.Atoi(os.Getenv("BIRLIK_FAMILYCARD_PEOPLE")); err == nil && n > 0 {
		return n
	}
	return 1000
}

// pipeline generates the country of cfg, serves it with the five simulators, pulls every feed
// through the connectors into a fresh store with the syncer, and assesses every month (up to the
// store's latest complete month, the default as-of day).
func pipeline(t *testing.T, cfg gen.Config) (*gen.Country, *storetest.Store, []familycard.MonthStats) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	c, err := gen.Generate(cfg)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	set, err := all.Start(ctx, c, "")
	if err != nil {
		t.Fatalf("simulators: %v", err)
	}
	t.Cleanup(func() { set.Close() })
	tc := func(s connectors.Source) transport.Config { return transport.Config{Source: string(s)} }
	feeds := []connectors.Feed{
		justice.New(set.URL("justice"), tc(connectors.Justice)),
		labour.New(set.URL("labour"), tc(connectors.Labour)),
		education.New(set.URL("education"), tc(connectors.Education)),
		finance.New(set.URL("finance"), tc(connectors.Finance)),
		health.New(set.URL("health"), tc(connectors.Health)),
	}
	s := storetest.Open(t)
	t0 := time.Now()
	if _, err := syncer.New(s.Store, syncer.Options{Logger: quiet}).Run(ctx, feeds...); err != nil {
		t.Fatalf("sync: %v", err)
	}
	t.Logf("sync: %v", time.Since(t0))
	t0 = time.Now()
	defer func() { t.Logf("assess: %v", time.Since(t0)) }()
	a, err := familycard.NewAssessor(s.Store, welfare.Default)
	if err != nil {
		t.Fatal(err)
	}
	st, err := a.AssessAll(ctx)
	if err != nil {
		t.Fatalf("assess: %v", err)
	}
	return c, s, st
}

type fmKey struct {
	family string
	month  domain.Month
}

// truthKPI computes the akim KPI from the generator's expected categories, independently of
// familycard's SQL: families with a category in both months, in their region.
func truthKPI(exp map[fmKey]gen.FamilyMonth, from, to domain.Month) map[domain.KATO]familycard.KPI {
	out := map[domain.KATO]familycard.KPI{}
	for k, b := range exp {
		if k.month != to {
			continue
		}
		a, ok := exp[fmKey{k.family, from}]
		if !ok {
			continue
		}
		ra, rb := gen.CardRank(a.Category), gen.CardRank(b.Category)
		x := out[b.Region]
		x.Region = b.Region
		x.Families++
		if rb > ra {
			x.MovedUp++
		}
		if rb < ra {
			x.MovedDown++
		}
		if a.Category == "crisis" && rb > ra {
			x.LeftCrisis++
		}
		if a.Category == "emergency" && rb > ra {
			x.LeftEmergency++
		}
		if b.Category == "crisis" && ra > rb {
			x.EnteredCrisis++
		}
		if b.Category == "emergency" && a.Category != "emergency" {
			x.EnteredEmergency++
		}
		x.Net = x.MovedUp - x.MovedDown
		out[b.Region] = x
	}
	return out
}

func TestAssessmentsEqualGeneratorTruth(t *testing.T) {
	for _, seed := range []int64{1, 2, 3} {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			assessmentsEqualTruth(t, gen.Config{Seed: seed, People: people()})
		})
	}
}

// TestAssessmentsEqualGeneratorTruth2026 is the same over a country whose history ends in
// December 2026 (2026's subsistence minimum; evaluated as of 2026-12-31 by default).
func TestAssessmentsEqualGeneratorTruth2026(t *testing.T) {
	assessmentsEqualTruth(t, gen.Config{Seed: 5, People: max(people(), 2000), From: domain.MustMonth("2025-01"), Months: 24})
}

// assessmentsEqualTruth checks the assessments of the country of cfg, after the whole pipeline,
// against the generator's expected categories: categories, akim KPI of four ranges,
// transitions of every region, and (seed 1 of the default history) the GraphQL fields.
func assessmentsEqualTruth(t *testing.T, cfg gen.Config) {
	ctx := context.Background()
	c, s, stats := pipeline(t, cfg)
	if len(stats) != c.Months || stats[0].Month != c.From || stats[len(stats)-1].Month != c.Last() {
		t.Fatalf("assessed %d months, want the %d of the history %s..%s", len(stats), c.Months, c.From, c.Last())
	}
	fms, err := gen.ExpectedCategories(c)
	if err != nil {
		t.Fatal(err)
	}
	exp := map[fmKey]gen.FamilyMonth{}
	for _, x := range fms {
		exp[fmKey{x.FamilyID, x.Month}] = x
	}
	got, err := s.Client.FamilyAssessment.Query().Where(familyassessment.RuleVersion(welfare.Default.Version)).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("categories", func(t *testing.T) {
		if len(got) != len(exp) {
			t.Errorf("store holds %d assessments, the generator expects %d family-months", len(got), len(exp))
		}
		seen := map[domain.WelfareCategory]int{}
		bad := 0
		for _, a := range got {
			seen[a.Category]++
			e, ok := exp[fmKey{a.FamilyPlatformID, a.Month}]
			switch {
			case !ok:
				bad++
				if bad <= 10 {
					t.Errorf("%s %s: assessed %s, but the generator has no member in that month", a.FamilyPlatformID, a.Month, a.Category)
				}
			case string(a.Category) != e.Category || a.RegionKato != e.Region:
				bad++
				if bad <= 10 {
					t.Errorf("%s %s: assessed %s in %s (%+v: %s), generator expects %s in %s (members %d income %d without work %d disabled %d not enrolled %d uninsured %d)",
						a.FamilyPlatformID, a.Month, a.Category, a.RegionKato, a.Indicators, a.Reason, e.Category, e.Region,
						e.Members, e.Income, e.WorkingAgeWithoutWork, e.Disabled, e.SchoolAgeNotEnrolled, e.Uninsured)
				}
			}
		}
		if bad > 0 {
			t.Errorf("%d of %d assessments differ from the generator's truth", bad, len(got))
		}
		// the rules must actually discriminate on this data: every category occurs
		for _, cat := range domain.WelfareCategories {
			if seen[cat] == 0 {
				t.Errorf("no family-month is %s: the data or the rules do not exercise it", cat)
			}
		}
	})
	t.Run("akimKPI", func(t *testing.T) {
		r := familycard.NewReader(s.Client)
		// the whole history, a summer, two spring months and the last month (for the default
		// history: 2024-01..2025-12, 2024-06..2024-09, 2025-03..2025-04, 2025-12)
		for _, rg := range [][2]domain.Month{{c.From, c.Last()}, {c.From + 5, c.From + 8}, {c.From + 14, c.From + 15}, {c.Last(), c.Last()}} {
			from, to := rg[0], rg[1]
			ks, err := r.AkimKPI(ctx, from, to)
			if err != nil {
				t.Fatal(err)
			}
			want := truthKPI(exp, from, to)
			moved := 0
			for i, k := range ks {
				w := want[k.Region]
				w.Region, w.Rank = k.Region, k.Rank
				if k != w {
					t.Errorf("%s..%s region %s: got %+v, truth %+v", from, to, k.Region, k, w)
				}
				if k.Rank != i+1 {
					t.Errorf("%s..%s: rank %d at position %d", from, to, k.Rank, i)
				}
				if i > 0 && ks[i-1].Net < k.Net {
					t.Errorf("%s..%s: region %s (net %d) ranked after %s (net %d)", from, to, k.Region, k.Net, ks[i-1].Region, ks[i-1].Net)
				}
				moved += k.MovedUp + k.MovedDown
			}
			if len(ks) != len(domain.Regions) {
				t.Errorf("%d regions ranked, want %d", len(ks), len(domain.Regions))
			}
			if from == to && moved != 0 {
				t.Errorf("a one-month range moved %d families", moved)
			}
			if from == c.From && to == c.Last() && moved == 0 {
				t.Errorf("no family moved over the history: the KPI is not exercised")
			}
		}
	})
	if cfg.Seed == 1 && cfg.From == 0 && cfg.Months == 0 {
		t.Run("graphql", func(t *testing.T) { testGraphQL(t, c, s.Client, exp) })
	}
	t.Run("transitions", func(t *testing.T) {
		r := familycard.NewReader(s.Client)
		from, to := c.From+2, c.From+10
		want := map[domain.KATO][]string{}
		for k, b := range exp {
			if k.month <= from || k.month > to {
				continue
			}
			if a, ok := exp[fmKey{k.family, k.month - 1}]; ok && a.Category != b.Category {
				want[b.Region] = append(want[b.Region], fmt.Sprintf("%s %s %s>%s", k.month, k.family, a.Category, b.Category))
			}
		}
		for _, reg := range domain.Regions {
			var got []string
			var after *familycard.TransitionCursor
			total := -1
			for page := 0; page < 1000; page++ {
				ts, n, err := r.Transitions(ctx, reg.KATO, from, to, after, 7)
				if err != nil {
					t.Fatal(err)
				}
				total = n
				for _, x := range ts {
					got = append(got, fmt.Sprintf("%s %s %s>%s", x.ToMonth, x.FamilyPlatformID, x.FromCategory, x.ToCategory))
				}
				if len(ts) < 7 {
					break
				}
				last := ts[len(ts)-1]
				after = &familycard.TransitionCursor{MonthSeq: last.MonthSeq, FamilyID: last.FamilyID}
			}
			w := want[reg.KATO]
			sort.Strings(got)
			sort.Strings(w)
			if fmt.Sprint(got) != fmt.Sprint(w) || total != len(w) {
				t.Errorf("region %s: %d transitions (total %d), truth %d", reg.KATO, len(got), total, len(w))
			}
		}
	})
}
