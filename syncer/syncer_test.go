package syncer_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/enrollment"
	"github.com/birlik/birlik/ent/payment"
	"github.com/birlik/birlik/ent/person"
	"github.com/birlik/birlik/gen"
	"github.com/birlik/birlik/store/storetest"
	"github.com/birlik/birlik/syncer"
	"github.com/birlik/birlik/syncer/synctest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// country caches generated countries: generation is deterministic, so tests share them.
var (
	countryMu sync.Mutex
	countries = map[[2]int64]*gen.Country{}
)

func country(t testing.TB, seed int64, people int) *gen.Country {
	if t != nil {
		t.Helper()
	}
	countryMu.Lock()
	defer countryMu.Unlock()
	k := [2]int64{seed, int64(people)}
	if c, ok := countries[k]; ok {
		return c
	}
	c, err := gen.Generate(gen.Config{Seed: seed, People: people})
	if err != nil {
		if t == nil {
			panic(err)
		}
		t.Fatalf("generate: %v", err)
	}
	countries[k] = c
	return c
}

func dump(t testing.TB, s *storetest.Store, times bool) string {
	t.Helper()
	var b bytes.Buffer
	if err := syncer.Dump(context.Background(), s.Store, &b, syncer.DumpOptions{Times: times}); err != nil {
		t.Fatalf("dump: %v", err)
	}
	return b.String()
}

func TestSyncCountryCountsMatchGenerator(t *testing.T) {
	c := country(t, 1, 2000)
	s := storetest.Open(t)
	ctx := context.Background()
	sy := syncer.New(s.Store, syncer.Options{Logger: quiet})
	st, err := sy.Run(ctx, synctest.Feeds(synctest.CountryFeeds(c, 700))...)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	counts := c.RecordCounts()
	members := 0
	for _, f := range c.Families {
		members += len(f.Members)
	}
	cl := s.Client
	cases := []struct {
		name string
		got  func(context.Context) (int, error)
		want int
	}{
		{"persons", cl.Person.Query().Count, counts["justice"]["persons"]},
		{"buildings", cl.Building.Query().Count, counts["justice"]["buildings"]},
		{"families", cl.Family.Query().Count, counts["labour"]["families"]},
		{"familyMemberships", cl.FamilyMembership.Query().Count, members},
		{"disabilities", cl.Disability.Query().Count, counts["labour"]["disabilities"]},
		{"employers", cl.Employer.Query().Count, counts["labour"]["employers"]},
		{"contracts", cl.LabourContract.Query().Count, counts["labour"]["contracts"]},
		{"registerPositions", cl.RegisterPosition.Query().Count, counts["labour"]["registerPositions"]},
		{"staffingDeclarations", cl.StaffingDeclaration.Query().Count, counts["labour"]["staffingDeclarations"]},
		{"pensionContributions", cl.Payment.Query().Where(payment.KindEQ(payment.KindPensionContribution)).Count, counts["labour"]["contributions"]},
		{"socialPayments", cl.Payment.Query().Where(payment.KindNotIn(payment.KindPensionContribution, payment.KindStateOrder, payment.KindPreschoolStateOrder)).Count, counts["labour"]["socialPayments"]},
		{"stateOrderPayments", cl.Payment.Query().Where(payment.KindIn(payment.KindStateOrder, payment.KindPreschoolStateOrder)).Count, counts["finance"]["stateOrderPayments"]},
		{"incomeReports", cl.IncomeReport.Query().Count, counts["finance"]["incomeReports"]},
		{"schools", cl.School.Query().Count, counts["education"]["schools"]},
		{"enrolments", cl.Enrollment.Query().Count, counts["education"]["enrolments"]},
		{"staff", cl.StaffPosition.Query().Count, counts["education"]["staff"]},
		{"vouchers", cl.Voucher.Query().Count, counts["education"]["vouchers"]},
		{"medicalInstitutions", cl.MedicalInstitution.Query().Count, counts["health"]["medicalInstitutions"]},
		{"attachments", cl.Attachment.Query().Count, counts["health"]["attachments"]},
		{"visits", cl.Visit.Query().Count, counts["health"]["visits"]},
		{"coverages", cl.Coverage.Query().Count, counts["health"]["coverages"]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.got(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want || got == 0 {
				t.Errorf("%s: store has %d, generator made %d", tc.name, got, tc.want)
			}
		})
	}
	t.Run("latestPersonVersion", func(t *testing.T) {
		latest := map[domain.IIN]domain.PersonVersion{}
		for _, v := range c.PersonVersions {
			if v.Seq > latest[v.Person.IIN].Seq {
				latest[v.Person.IIN] = v
			}
		}
		ps, err := cl.Person.Query().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			v := latest[p.Iin]
			want := v.Person
			dead := p.DeathDate != nil
			if p.SourceSeq == nil || *p.SourceSeq != v.Seq || p.RegionKato != want.Region || dead != !want.DeathDate.IsZero() ||
				p.LastName != want.LastName || p.BirthDate != want.BirthDate {
				t.Fatalf("person %s: store has seq %v region %s dead %v, latest version is seq %d region %s death %q",
					p.Iin, p.SourceSeq, p.RegionKato, dead, v.Seq, want.Region, want.DeathDate)
			}
		}
	})
	t.Run("linked", func(t *testing.T) {
		// Every enrolment of a child the register knows points at that child and at its school.
		n, err := cl.Enrollment.Query().Where(enrollment.Or(enrollment.ChildIDIsNil(), enrollment.SchoolIDIsNil())).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		unknown := 0
		known := map[domain.IIN]bool{}
		for _, v := range c.PersonVersions {
			known[v.Person.IIN] = true
		}
		for _, e := range c.Enrolments {
			if !known[e.ChildIIN] {
				unknown++
			}
		}
		if n != unknown {
			t.Errorf("%d enrolments are unlinked, want %d (children unknown to the register)", n, unknown)
		}
		e, err := cl.Enrollment.Query().WithChild().WithSchool().First(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if e.Edges.Child == nil || e.Edges.Child.Iin != e.ChildIin || e.Edges.School == nil || e.Edges.School.Bin != e.SchoolBin {
			t.Errorf("enrolment %s links to the wrong records: %+v", e.EnrollmentID, e.Edges)
		}
	})
	t.Run("changes", func(t *testing.T) {
		var applied int64
		for _, f := range st.Feeds {
			applied += f.Changes
		}
		n, err := cl.Change.Query().Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if int64(n) != applied || n < counts["justice"]["persons"]+counts["health"]["attachments"]+counts["health"]["coverages"] {
			t.Errorf("%d changes stored, %d reported; want at least one per person, attachment and coverage", n, applied)
		}
		last, err := cl.Change.Query().Aggregate(ent.Max("seq")).Int(ctx)
		if err != nil || last != n {
			t.Errorf("change seq runs 1..%d for %d changes (err %v): want no gaps", last, n, err)
		}
	})
	_ = person.Table
}

// BenchmarkSyncCountry syncs a generated country (seed 1, BIRLIK_BENCH_PEOPLE people, default
// 2,000) into a fresh store from in-memory feeds of 5,000-record pages (the checks and family
// card benchmarks' page size); DATABASE_URL selects PostgreSQL.
func BenchmarkSyncCountry(b *testing.B) {
	people := 2000
	if v, err := strconv.Atoi(os.Getenv("BIRLIK_BENCH_PEOPLE")); err == nil && v > 0 {
		people = v
	}
	c := country(b, 1, people)
	b.ReportMetric(float64(c.Records()), "records")
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := storetest.Open(b)
		sy := syncer.New(s.Store, syncer.Options{Logger: quiet})
		b.StartTimer()
		if _, err := sy.Run(context.Background(), synctest.Feeds(synctest.CountryFeeds(c, 5000))...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(c.Records())*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
