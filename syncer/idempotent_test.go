package syncer_test

import (
	"context"
	"strings"
	"testing"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent/change"
	"github.com/birlik/birlik/ent/familymembership"
	"github.com/birlik/birlik/ent/person"
	"github.com/birlik/birlik/store/storetest"
	"github.com/birlik/birlik/syncer"
	"github.com/birlik/birlik/syncer/synctest"
)

func TestSecondRunWritesNothing(t *testing.T) {
	c := country(t, 2, 1000)
	s := storetest.Open(t)
	ctx := context.Background()
	sy := syncer.New(s.Store, syncer.Options{Logger: quiet})
	if _, err := sy.Run(ctx, synctest.Feeds(synctest.CountryFeeds(c, 500))...); err != nil {
		t.Fatalf("first sync: %v", err)
	}
	before, content := dump(t, s, true), dump(t, s, false)

	t.Run("from the stored cursors", func(t *testing.T) {
		st, err := sy.Run(ctx, synctest.Feeds(synctest.CountryFeeds(c, 500))...)
		if err != nil {
			t.Fatal(err)
		}
		if st.Written() != 0 {
			t.Errorf("second run wrote %d rows, want 0", st.Written())
		}
		for _, f := range st.Feeds {
			if f.Pages != 0 {
				t.Errorf("%s: %d pages written, want 0", f.Source, f.Pages)
			}
		}
		if after := dump(t, s, true); after != before {
			t.Error("the store changed (times included) on a run with no source change")
		}
	})
	t.Run("replayed from the start", func(t *testing.T) {
		// A feed replayed from its beginning upserts the same records: nothing is rewritten.
		if _, err := s.DB.ExecContext(ctx, `DELETE FROM sync_cursors`); err != nil {
			t.Fatal(err)
		}
		st, err := sy.Run(ctx, synctest.Feeds(synctest.CountryFeeds(c, 300))...)
		if err != nil {
			t.Fatal(err)
		}
		if st.Written() != 0 {
			t.Errorf("replay rewrote %d rows, want 0", st.Written())
		}
		// Paged differently, only the cursors differ.
		if after := withoutCursors(dump(t, s, false)); after != withoutCursors(content) {
			t.Error("the store's content changed on a replay of the same records")
		}
	})
}

func withoutCursors(d string) string {
	var keep []string
	for _, l := range strings.Split(d, "\n") {
		if !strings.HasPrefix(l, "sync_cursors\t") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// mkIIN makes a valid IIN for someone born on birth.
func mkIIN(t *testing.T, birth string, sex domain.Sex) domain.IIN {
	for serial := 1; serial < 100; serial++ {
		if v, ok := domain.MakeIIN(domain.MustDate(birth), sex, serial); ok {
			return v
		}
	}
	t.Fatalf("no IIN for %s", birth)
	return ""
}

func TestPageSemantics(t *testing.T) {
	a := domain.Person{IIN: mkIIN(t, "1990-01-01", domain.Male), LastName: "Абаев", FirstName: "Ерлан", BirthDate: domain.MustDate("1990-01-01"),
		Sex: domain.Male, Region: "710000000"}
	moved := a
	moved.Region = "750000000"
	fam := domain.Family{ID: "F1", Region: "710000000", Members: []domain.FamilyMember{
		{IIN: a.IIN, Role: domain.RoleHead, From: domain.MustDate("2020-01-01")},
		{IIN: mkIIN(t, "2015-01-01", domain.Female), Role: domain.RoleChild, From: domain.MustDate("2020-01-01")},
	}}
	smaller := fam
	smaller.Members = fam.Members[:1]
	bad := connectors.Quarantined{Source: connectors.Justice, Entity: "person", Key: "123", Reason: `IIN "123": must be 12 digits`, Raw: `{"iin":"123"}`}
	other := bad
	other.Raw = `{"iin":"123","x":1}`

	cases := []struct {
		name  string
		pages []*connectors.Page
		check func(t *testing.T, s *storetest.Store)
	}{
		{
			name: "a newer person version replaces an older, never the reverse",
			pages: []*connectors.Page{
				{PersonVersions: []domain.PersonVersion{{Seq: 1, Person: a}, {Seq: 5, Person: moved}}},
				{PersonVersions: []domain.PersonVersion{{Seq: 3, Person: a}}},
			},
			check: func(t *testing.T, s *storetest.Store) {
				p := s.Client.Person.Query().Where(person.Iin(a.IIN)).OnlyX(context.Background())
				if p.RegionKato != moved.Region || *p.SourceSeq != 5 {
					t.Errorf("person has region %s seq %d, want %s seq 5", p.RegionKato, *p.SourceSeq, moved.Region)
				}
			},
		},
		{
			name: "changes are numbered in order, create then update",
			pages: []*connectors.Page{
				{PersonVersions: []domain.PersonVersion{{Seq: 1, Person: a}}},
				{PersonVersions: []domain.PersonVersion{{Seq: 2, Person: moved}}},
				{PersonVersions: []domain.PersonVersion{{Seq: 2, Person: moved}}}, // a repeat: no change
			},
			check: func(t *testing.T, s *storetest.Store) {
				cs := s.Client.Change.Query().Order(change.BySeq()).AllX(context.Background())
				if len(cs) != 2 || cs[0].Seq != 1 || cs[0].Op != change.OpCreate || cs[1].Seq != 2 || cs[1].Op != change.OpUpdate ||
					cs[1].Iin != a.IIN || cs[1].Entity != change.EntityPerson {
					t.Errorf("changes: %v", cs)
				}
			},
		},
		{
			name: "a family's new version drops the members it no longer lists",
			pages: []*connectors.Page{
				{Source: connectors.Justice, PersonVersions: []domain.PersonVersion{{Seq: 1, Person: a}}},
				{Families: []domain.Family{fam}},
				{Families: []domain.Family{smaller}},
			},
			check: func(t *testing.T, s *storetest.Store) {
				ms := s.Client.FamilyMembership.Query().WithPerson().WithFamily().AllX(context.Background())
				if len(ms) != 1 || ms[0].Iin != a.IIN || ms[0].Edges.Person == nil || ms[0].Edges.Family == nil ||
					ms[0].Edges.Family.PlatformID != "F1" {
					t.Errorf("memberships: %v", ms)
				}
				if n := s.Client.FamilyMembership.Query().Where(familymembership.PersonIDIsNil()).CountX(context.Background()); n != 0 {
					t.Errorf("%d memberships unlinked", n)
				}
			},
		},
		{
			name: "quarantined records are stored once each",
			pages: []*connectors.Page{
				{Quarantined: []connectors.Quarantined{bad, bad, other}},
				{Quarantined: []connectors.Quarantined{bad}},
			},
			check: func(t *testing.T, s *storetest.Store) {
				qs := s.Client.Quarantine.Query().AllX(context.Background())
				if len(qs) != 2 {
					t.Fatalf("%d quarantined rows, want 2", len(qs))
				}
				if qs[0].Reason != bad.Reason || qs[0].Source != "justice" || qs[0].Key != "123" {
					t.Errorf("quarantine row %+v", qs[0])
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := storetest.Open(t)
			sy := syncer.New(s.Store, syncer.Options{Logger: quiet})
			// Pages of one test may mix sources' records; each goes through the feed of its
			// first record's source (justice here), which sync does not check.
			f := &synctest.Feed{Src: connectors.Justice, Pages: tc.pages}
			for _, p := range tc.pages {
				p.Source = ""
			}
			if _, err := sy.Run(context.Background(), f); err != nil {
				t.Fatal(err)
			}
			tc.check(t, s)
		})
	}
}
