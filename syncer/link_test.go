package syncer_test

import (
	"context"
	"testing"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent/familymembership"
	"github.com/birlik/birlik/store/storetest"
	"github.com/birlik/birlik/syncer"
	"github.com/birlik/birlik/syncer/synctest"
)

// The link pass runs on a Syncer's first run and after every run that applied a page (its own,
// or another process's: the cursors are the store's), and is skipped, writing nothing, when no
// page was applied since it last succeeded.
func TestLinkRunsOnlyAfterTheStoreChanged(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t)
	person := func(birth string, sex domain.Sex) domain.Person {
		iin := mkIIN(t, birth, sex)
		return domain.Person{IIN: iin, LastName: "Абаев", FirstName: "Ерлан", BirthDate: domain.MustDate(birth), Sex: sex, Region: "710000000"}
	}
	head, child := person("1990-01-01", domain.Male), person("2015-01-01", domain.Female)
	fam := domain.Family{ID: "F1", Region: "710000000", Members: []domain.FamilyMember{
		{IIN: head.IIN, Role: domain.RoleHead, From: domain.MustDate("2020-01-01")},
		{IIN: child.IIN, Role: domain.RoleChild, From: domain.MustDate("2020-01-01")},
	}}
	// The family comes before its members are in the register: its memberships wait for links.
	f := &synctest.Feed{Src: connectors.Justice, Pages: []*connectors.Page{{Families: []domain.Family{fam}}}}
	unlinked := func() int {
		return s.Client.FamilyMembership.Query().Where(familymembership.PersonIDIsNil()).CountX(ctx)
	}
	a := syncer.New(s.Store, syncer.Options{Logger: quiet})
	run := func(step string, sy *syncer.Syncer, wantSkipped bool, wantLinked int64) {
		t.Helper()
		st, err := sy.Run(ctx, f)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if st.LinkSkipped != wantSkipped || st.Linked != wantLinked {
			t.Fatalf("%s: link skipped %v, %d links; want skipped %v, %d links", step, st.LinkSkipped, st.Linked, wantSkipped, wantLinked)
		}
	}

	run("first run", a, false, 0)
	if n := unlinked(); n != 2 {
		t.Fatalf("%d memberships unlinked, want 2", n)
	}
	run("nothing new", a, true, 0)

	f.Pages = append(f.Pages, &connectors.Page{PersonVersions: []domain.PersonVersion{{Seq: 1, Person: head}}})
	run("the head's record arrives", a, false, 1)
	if n := unlinked(); n != 1 {
		t.Fatalf("%d memberships unlinked, want 1", n)
	}
	run("nothing new again", a, true, 0)

	// Another process applies the child's record and dies before its link pass.
	f.Pages = append(f.Pages, &connectors.Page{PersonVersions: []domain.PersonVersion{{Seq: 2, Person: child}}})
	if _, err := syncer.New(s.Store, syncer.Options{Logger: quiet}).SyncFeed(ctx, f); err != nil {
		t.Fatal(err)
	}
	run("after another process applied a page", a, false, 1)
	if n := unlinked(); n != 0 {
		t.Fatalf("%d memberships unlinked, want 0", n)
	}
	run("all linked, nothing new", a, true, 0)

	// A new process links on its first run, whatever the cursors say.
	run("a new Syncer", syncer.New(s.Store, syncer.Options{Logger: quiet}), false, 0)
}
