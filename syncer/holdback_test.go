package syncer_test

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/birlik/birlik/gen"
	"github.com/birlik/birlik/store/storetest"
	"github.com/birlik/birlik/syncer"
	"github.com/birlik/birlik/syncer/synctest"
)

// A country loaded without its last month, then synced again with the month's events after
// each source's cursor, ends as the store of one clean sync of the whole country: what the
// growth benchmark (bench/scale) times as a first load and an incremental month.
func TestHeldBackMonthSyncsAfterTheFirstLoad(t *testing.T) {
	c, err := gen.Generate(gen.Config{Seed: 3, People: 2000})
	if err != nil {
		t.Fatal(err)
	}
	want := storetest.Open(t)
	if _, err := syncer.New(want.Store, syncer.Options{Logger: quiet}).Run(context.Background(), synctest.Feeds(synctest.CountryFeeds(c, 700))...); err != nil {
		t.Fatal(err)
	}
	total := c.Records()

	late := synctest.HoldBack(c, c.Last())
	if late.Records() == 0 || c.Records()+late.Records() != total {
		t.Fatalf("held back %d of %d records, %d left: want some, and none lost", late.Records(), total, c.Records())
	}
	for _, v := range late.SocialPayments {
		if v.Month != c.Last() {
			t.Fatalf("a payment for %s was held back with %s", v.Month, c.Last())
		}
	}
	for _, v := range c.SocialPayments {
		if v.Month == c.Last() {
			t.Fatalf("a payment for %s stayed in the first load", v.Month)
		}
	}
	first, later := synctest.CountryFeeds(c, 700), synctest.CountryFeeds(late, 700)
	got := storetest.Open(t)
	sy := syncer.New(got.Store, syncer.Options{Logger: quiet})
	if _, err := sy.Run(context.Background(), synctest.Feeds(first)...); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, got, "payments"); n == 0 || n == countRows(t, want, "payments") {
		t.Fatalf("%d payments after the first load: want some, fewer than the whole country's", n)
	}
	st, err := sy.Run(context.Background(), synctest.Feeds(synctest.Then(first, later))...)
	if err != nil {
		t.Fatal(err)
	}
	var applied int64
	for _, f := range st.Feeds {
		applied += f.Records
	}
	if applied != int64(late.Records()) {
		t.Errorf("the incremental sync applied %d records, want the %d held back", applied, late.Records())
	}
	// The change feed numbers changes in the order they committed, and the cursors count pages:
	// both differ from a sync in one pass; every row else is the same.
	norm := func(d string) string {
		lines := strings.Split(changeSeq.ReplaceAllString(withoutCursors(d), ""), "\n")
		sort.Strings(lines)
		return strings.Join(lines, "\n")
	}
	if g, w := norm(dump(t, got, false)), norm(dump(t, want, false)); g != w {
		t.Errorf("the store differs from a clean sync's:\n%s", firstDiff(g, w))
	}
}
