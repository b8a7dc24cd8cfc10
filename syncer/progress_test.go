package syncer_test

import (
	"context"
	"sync"
	"testing"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/store/storetest"
	"github.com/birlik/birlik/syncer"
	"github.com/birlik/birlik/syncer/synctest"
)

// OnProgress hears, per source, the records applied so far, ending at every record of the feed.
func TestOnProgressCountsEveryRecord(t *testing.T) {
	c := country(t, 3, 1000)
	s := storetest.Open(t)
	var mu sync.Mutex
	last := map[connectors.Source]int64{}
	sy := syncer.New(s.Store, syncer.Options{Logger: quiet, OnProgress: func(src connectors.Source, records, total int64) {
		mu.Lock()
		defer mu.Unlock()
		if records < last[src] {
			t.Errorf("%s: records went back from %d to %d", src, last[src], records)
		}
		last[src] = records
	}})
	st, err := sy.Run(context.Background(), synctest.Feeds(synctest.CountryFeeds(c, 500))...)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, f := range st.Feeds {
		if last[f.Source] != f.Records || f.Records == 0 {
			t.Errorf("%s: OnProgress last heard %d records, the feed applied %d", f.Source, last[f.Source], f.Records)
		}
	}
}
