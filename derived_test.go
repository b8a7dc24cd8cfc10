package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"testing"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/store/storetest"
	"github.com/birlik/birlik/syncer"
	"github.com/birlik/birlik/syncer/synctest"
)

// The derived work runs after the first sync, not after a sync that applied nothing, again after
// a sync that applied a page (here or in another process: the cursors are the store's), and
// again after a run that failed.
func TestDerivedWorkRunsOnlyWhenTheStoreChanged(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sy := syncer.New(s.Store, syncer.Options{Logger: log})
	building := func(n int) *connectors.Page {
		return &connectors.Page{Buildings: []domain.Building{{Cadastral: "19:015:042:" + strconv.Itoa(n), Region: "190000000",
			Address: "building " + strconv.Itoa(n), Designation: domain.DesignSchool, DesignCapacity: 300}}}
	}
	feed := &synctest.Feed{Src: connectors.Justice, Pages: []*connectors.Page{building(1), building(2)}}

	runs := 0
	var fail error
	dv := &deriver{log: log, m: newDerivedMetrics(), derive: func(context.Context, func(string)) error { runs++; return fail }}
	var mark string
	sync := func(step string, wantRun bool) {
		t.Helper()
		st, err := sy.Run(ctx, feed)
		if err != nil {
			t.Fatalf("%s: sync: %v", step, err)
		}
		mark = st.Mark
		before := runs
		ran, _ := dv.afterSync(ctx, mark)
		if ran != wantRun || runs-before != map[bool]int{true: 1}[wantRun] {
			t.Fatalf("%s: afterSync ran=%v (derive called %d times), want ran=%v", step, ran, runs-before, wantRun)
		}
	}

	sync("first sync", true)
	sync("a sync that applied nothing", false)
	sync("another sync that applied nothing", false)

	feed.Pages = append(feed.Pages, building(3)) // the source has one more page
	sync("a sync that applied a page", true)
	sync("nothing new after it", false)

	// Another process (`birlik sync`, a replica) applies a page: the cursors are in the store.
	other := syncer.New(s.Store, syncer.Options{Logger: log})
	feed.Pages = append(feed.Pages, building(4))
	if _, err := other.Run(ctx, feed); err != nil {
		t.Fatal(err)
	}
	sync("after another process applied a page", true)

	fail = errors.New("checks: the store went away")
	feed.Pages = append(feed.Pages, building(5))
	sync("a failing run", true)
	fail = nil
	sync("the run after a failure, with nothing new", true)
	sync("then nothing new", false)

	// A fresh process has not run it yet: it runs once whatever the store holds.
	fresh := &deriver{log: log, m: newDerivedMetrics(), derive: func(context.Context, func(string)) error { runs++; return nil }}
	before := runs
	if ran, _ := fresh.afterSync(ctx, mark); !ran || runs != before+1 {
		t.Fatalf("a new process: afterSync did not run the derived work")
	}
}
