package connectors_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/birlik/birlik/connectors"
)

// The text forms of the five connectors' cursors, as declared in their packages.
var (
	justiceLike = connectors.CursorFormat[int64]{Source: connectors.Justice, Prefix: "v1:", Sep: ";", Lists: 2, Labels: []string{"p=", "b="}}
	labourLike  = connectors.CursorFormat[string]{Source: connectors.Labour, Prefix: "v1|", Sep: "|", Staged: true, Lists: 8}
	eduLike     = connectors.CursorFormat[int64]{Source: connectors.Education, Prefix: "edu1:", Sep: ":", Staged: true, Lists: 4}
	financeLike = connectors.CursorFormat[int64]{Source: connectors.Finance, Prefix: "fin1:", Sep: ":", Staged: true, Lists: 2}
)

func TestCursorFormatRoundTrip(t *testing.T) {
	ints := []struct {
		f    connectors.CursorFormat[int64]
		k    connectors.Cursor[int64]
		text string
	}{
		{justiceLike, connectors.Cursor[int64]{At: []int64{12, 0}}, "v1:p=12;b=0"},
		{eduLike, connectors.Cursor[int64]{Stage: 3, At: []int64{1, 20, 300, 4000}}, "edu1:3:1:20:300:4000"},
		{financeLike, connectors.Cursor[int64]{Stage: 1, At: []int64{7, 9}}, "fin1:1:7:9"},
	}
	for _, tc := range ints {
		if got := tc.f.Format(tc.k); got != tc.text {
			t.Errorf("Format(%+v) = %q, want %q", tc.k, got, tc.text)
		}
		if got, err := tc.f.Parse(tc.text); err != nil || !reflect.DeepEqual(got, tc.k) {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tc.text, got, err, tc.k)
		}
	}
	k := connectors.Cursor[string]{Stage: 2, At: []string{"", "YQ", "", "", "", "", "", "Yg"}}
	const text = "v1|2||YQ||||||Yg"
	if got := labourLike.Format(k); got != text {
		t.Errorf("Format(%+v) = %q, want %q", k, got, text)
	}
	if got, err := labourLike.Parse(text); err != nil || !reflect.DeepEqual(got, k) {
		t.Errorf("Parse(%q) = %+v, %v; want %+v", text, got, err, k)
	}
}

func TestCursorFormatEmptyIsStart(t *testing.T) {
	got, err := eduLike.Parse("")
	if want := (connectors.Cursor[int64]{At: []int64{0, 0, 0, 0}}); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf(`Parse("") = %+v, %v; want %+v`, got, err, want)
	}
	if s := eduLike.Format(eduLike.Start()); s != "edu1:0:0:0:0:0" {
		t.Errorf("Format(Start()) = %q", s)
	}
}

func TestCursorFormatRefusesForeignCursors(t *testing.T) {
	for _, tc := range []struct {
		parse func(string) error
		bad   []string
		want  string
	}{
		{func(s string) error { _, err := justiceLike.Parse(s); return err },
			[]string{"garbage", "v1:p=-1;b=0", "v1:p=1", "v1:p=x;b=2", "v1:b=1;p=2", "v1:p=1;b=2;c=3"}, "want v1:p=N;b=N"},
		{func(s string) error { _, err := labourLike.Parse(s); return err },
			[]string{"garbage", "v1|9||||||||", "v1|8||||||||", "v1|-1||||||||", "v1|0|a|b"}, "want v1|STAGE|TOKEN|"},
		{func(s string) error { _, err := eduLike.Parse(s); return err },
			[]string{"fin1:0:0:0", "edu1:4:0:0:0:0", "edu1:0:0:0:0", "edu1:0:0:0:0:-5", "edu1:0:0:0:0:0:0", "edu1:x:0:0:0:0"}, "want edu1:STAGE:N:N:N:N"},
	} {
		for _, s := range tc.bad {
			err := tc.parse(s)
			if err == nil || !strings.Contains(err.Error(), "cursor") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse(%q) error %v; want a cursor error saying %q", s, err, tc.want)
			}
		}
	}
}

// lists is a source of lists read in turn: each list's records are 1..len, a page is at most
// size of them from the cursor's position.
type lists struct {
	size  int
	lists [][]int64
	asked []int // the stage of every read, in order
}

func (l *lists) read(k *connectors.Cursor[int64], p *connectors.Page) (int, bool, error) {
	l.asked = append(l.asked, k.Stage)
	all := l.lists[k.Stage]
	from := int(k.At[k.Stage])
	to := min(from+l.size, len(all))
	for range all[from:to] {
		p.Quarantined = append(p.Quarantined, connectors.Quarantined{}) // stands in for a record
	}
	k.At[k.Stage] = int64(to)
	return to - from, to < len(all), nil
}

func TestReadInTurn(t *testing.T) {
	f := connectors.CursorFormat[int64]{Source: "test", Prefix: "t1:", Sep: ":", Staged: true, Lists: 3}
	src := &lists{size: 2, lists: [][]int64{{1, 2, 3}, {}, {1}}}
	type step struct {
		n      int
		done   bool
		cursor string
	}
	var got []step
	cur := ""
	for range 10 {
		p, err := f.ReadInTurn(cur, src.read)
		if err != nil {
			t.Fatal(err)
		}
		if p.Source != "test" {
			t.Errorf("page source %q", p.Source)
		}
		got = append(got, step{p.Len(), p.Done, p.Cursor})
		cur = p.Cursor
		if p.Done {
			break
		}
	}
	want := []step{
		{2, false, "t1:0:2:0:0"}, // list 0 has more: stay on it
		{1, false, "t1:1:3:0:0"}, // list 0 ends: move on
		{1, true, "t1:0:3:0:1"},  // list 1 is empty and skipped; list 2 ends the round
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pages %+v, want %+v", got, want)
	}
	// A new round with nothing added asks each list once and returns an empty Done page.
	src.asked = nil
	p, err := f.ReadInTurn(cur, src.read)
	if err != nil || p.Len() != 0 || !p.Done || p.Cursor != cur || !slices.Equal(src.asked, []int{0, 1, 2}) {
		t.Errorf("empty round: %+v, %v after reads of %v; want an empty Done page at %q after one read each", p, err, src.asked, cur)
	}
	// What was added since is read from where each list stopped.
	src.lists[1] = append(src.lists[1], 1)
	p, err = f.ReadInTurn(cur, src.read)
	if err != nil || p.Len() != 1 || p.Done || p.Cursor != "t1:2:3:1:1" {
		t.Errorf("after an addition: %+v, %v; want one record, cursor t1:2:3:1:1", p, err)
	}
	if _, err := f.ReadInTurn("t1:3:0:0:0", src.read); err == nil {
		t.Error("a stage past the last list was accepted")
	}
	boom := errors.New("boom")
	if _, err := f.ReadInTurn("", func(*connectors.Cursor[int64], *connectors.Page) (int, bool, error) { return 0, false, boom }); !errors.Is(err, boom) {
		t.Errorf("read error came back as %v", err)
	}
}

func TestLookupBatchesDistinctKeys(t *testing.T) {
	keys := []string{"a", "b", "", "a", "c", "d", "e", "b"}
	var batches [][]string
	collected := map[string]int{}
	err := connectors.Lookup(context.Background(), keys, 2, 1,
		func(_ context.Context, batch []string) (int, error) {
			batches = append(batches, slices.Clone(batch))
			return len(batch), nil
		},
		func(batch []string, n int) {
			for _, k := range batch {
				collected[k] += n
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"a", "b"}, {"c", "d"}, {"e"}}; !reflect.DeepEqual(batches, want) {
		t.Errorf("batches %v, want %v (each key once, no empty key, in order)", batches, want)
	}
	if want := map[string]int{"a": 2, "b": 2, "c": 2, "d": 2, "e": 1}; !reflect.DeepEqual(collected, want) {
		t.Errorf("collected %v, want %v", collected, want)
	}
}

func TestLookupWorkersAndCollectOneAtATime(t *testing.T) {
	keys := make([]int, 1000)
	for i := range keys {
		keys[i] = i + 1
	}
	for _, workers := range []int{1, 4} {
		var inFlight, most atomic.Int64
		var collecting atomic.Int32
		got := map[int]bool{}
		var mu sync.Mutex // only to read most safely; collect itself takes no lock
		err := connectors.Lookup(context.Background(), keys, 10, workers,
			func(_ context.Context, batch []int) ([]int, error) {
				n := inFlight.Add(1)
				mu.Lock()
				most.Store(max(most.Load(), n))
				mu.Unlock()
				defer inFlight.Add(-1)
				return batch, nil
			},
			func(_ []int, answer []int) {
				if collecting.Add(1) != 1 {
					t.Error("collect ran concurrently")
				}
				for _, k := range answer {
					got[k] = true
				}
				collecting.Add(-1)
			})
		if err != nil || len(got) != len(keys) {
			t.Fatalf("workers %d: %d keys collected, err %v", workers, len(got), err)
		}
		if most.Load() > int64(workers) {
			t.Errorf("workers %d: %d batches in flight at once", workers, most.Load())
		}
	}
}

func TestLookupStopsAtTheFirstError(t *testing.T) {
	boom := errors.New("boom")
	var asked [][]int
	var collected []int
	err := connectors.Lookup(context.Background(), []int{1, 2, 3, 4, 5, 6}, 2, 1,
		func(_ context.Context, batch []int) ([]int, error) {
			asked = append(asked, batch)
			if batch[0] == 3 {
				return nil, boom
			}
			return batch, nil
		},
		func(_ []int, answer []int) { collected = append(collected, answer...) })
	if !errors.Is(err, boom) {
		t.Errorf("error %v, want boom", err)
	}
	if len(asked) != 2 || !slices.Equal(collected, []int{1, 2}) {
		t.Errorf("asked %v and collected %v; want the batches up to the failing one, and what came before it", asked, collected)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = connectors.Lookup(ctx, []int{1}, 2, 1,
		func(context.Context, []int) (int, error) { t.Error("asked under a cancelled context"); return 0, nil },
		func([]int, int) {})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled look-up: %v", err)
	}
}

func TestReject(t *testing.T) {
	var n atomic.Int64
	connectors.Reject(&n, nil, make([]connectors.Quarantined, 2))
	var seen []string
	connectors.Reject(&n, func(q connectors.Quarantined) { seen = append(seen, q.Key) }, []connectors.Quarantined{{Key: "x"}, {Key: "y"}})
	if n.Load() != 4 || !slices.Equal(seen, []string{"x", "y"}) {
		t.Errorf("count %d, handed %v; want 4 counted and x, y handed on", n.Load(), seen)
	}
}

func TestTotals(t *testing.T) {
	var tot connectors.Totals
	if _, ok := tot.Get(0); ok || tot.Sum() != 0 {
		t.Error("zero Totals knows a list")
	}
	tot.Set(0, 5)
	tot.Set(2, 7)
	tot.Set(0, 6)
	if n, ok := tot.Get(0); !ok || n != 6 || tot.Sum() != 13 {
		t.Errorf("Get(0) = %d, %v; Sum %d; want 6, true; 13", n, ok, tot.Sum())
	}
}

func TestTotalsLearn(t *testing.T) {
	var tot connectors.Totals
	tot.Set(1, 10) // read by this process already
	var asked []int
	down := true
	count := func(list int) (int64, error) {
		asked = append(asked, list)
		if list == 2 && down {
			return 0, errors.New("503")
		}
		return int64(100 * (list + 1)), nil
	}
	tot.Learn(3, count) // resumed at the fourth list: the first three are read next round
	if !slices.Equal(asked, []int{0, 2}) || tot.Sum() != 110 {
		t.Errorf("asked %v, sum %d; want lists 0 and 2 asked (1 is known), sum 110 (2 failed)", asked, tot.Sum())
	}
	asked, down = nil, false
	tot.Learn(3, count)
	if !slices.Equal(asked, []int{2}) || tot.Sum() != 410 {
		t.Errorf("asked %v, sum %d; want only list 2 asked again, sum 410", asked, tot.Sum())
	}
	asked = nil
	tot.Learn(0, count)
	if len(asked) != 0 {
		t.Errorf("a feed at its first list asked for %v", asked)
	}
}

func TestPageSize(t *testing.T) {
	for _, tc := range []struct{ set, want int }{{0, 500}, {-3, 500}, {7, 7}, {20000, 20000}} {
		if got := connectors.PageSize(tc.set, 500); got != tc.want {
			t.Errorf("PageSize(%d, 500) = %d, want %d", tc.set, got, tc.want)
		}
	}
}
