package resolvers_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/gen"
	"github.com/birlik/birlik/store/storetest"
	"github.com/birlik/birlik/syncer"
	"github.com/birlik/birlik/syncer/synctest"
)

// TestChangeFeedWhileSyncWrites pages the medical information system's change feed while a sync
// is writing, and asserts that it never skips nor repeats a change: the sequence read is exactly
// 1, 2, 3… up to the last change in the store. The sync waits after each of its first commits
// until the reader has read a page, so reads and writes really interleave.
func TestChangeFeedWhileSyncWrites(t *testing.T) {
	st := storetest.Open(t)
	srv := server(t, st.Client, 200)
	c, err := gen.Generate(gen.Config{Seed: 3, People: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	read := make(chan struct{}) // the reader signals each page it read to a waiting sync
	commits := 0
	sy := syncer.New(st.Store, syncer.Options{
		Logger: slog.New(slog.DiscardHandler),
		AfterCommit: func(connectors.Source, int) {
			if commits++; commits <= 30 {
				select {
				case <-read:
				case <-ctx.Done():
				}
			}
		},
	})
	done := make(chan error, 1)
	go func() {
		_, err := sy.Run(ctx, synctest.Feeds(synctest.CountryFeeds(c, 50))...)
		done <- err
	}()

	const q = `query($after: Cursor) { changes(first: 40, after: $after) {
	  edges { node { seq } } pageInfo { hasNextPage endCursor } } }`
	var (
		after    any
		last     int64
		syncDone bool
		pages    int
	)
	for {
		_, r := query(t, srv.URL, q, map[string]any{"after": after})
		if len(r.Errors) > 0 {
			t.Fatalf("changes: %+v", r.Errors)
		}
		var d struct {
			Changes struct {
				Edges []struct {
					Node struct{ Seq int64 }
				}
				PageInfo struct {
					HasNextPage bool
					EndCursor   *string
				}
			}
		}
		if err := json.Unmarshal(r.Data, &d); err != nil {
			t.Fatal(err)
		}
		pages++
		for _, e := range d.Changes.Edges {
			switch {
			case e.Node.Seq <= last:
				t.Fatalf("page %d: change %d read again (or out of order) after %d", pages, e.Node.Seq, last)
			case e.Node.Seq != last+1:
				t.Fatalf("page %d: changes %d..%d skipped", pages, last+1, e.Node.Seq-1)
			}
			last = e.Node.Seq
		}
		if d.Changes.PageInfo.EndCursor != nil {
			after = *d.Changes.PageInfo.EndCursor
		}
		select {
		case read <- struct{}{}:
		default:
		}
		if d.Changes.PageInfo.HasNextPage {
			continue
		}
		if syncDone {
			break
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("sync: %v", err)
			}
			syncDone = true // one more pass reads what the last commits wrote
		case <-time.After(5 * time.Millisecond):
		}
	}
	n, err := st.Client.Change.Query().Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 || last != int64(n) {
		t.Fatalf("read changes 1..%d, the store holds %d", last, n)
	}
	if commits <= 30 {
		t.Fatalf("the sync committed %d pages: too few to interleave with the reader", commits)
	}
	t.Logf("read %d changes in %d pages while %d pages were committed", last, pages, commits)
}
