package lease_test

import (
	"context"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/birlik/birlik/lease"
	"github.com/birlik/birlik/store"
	"github.com/birlik/birlik/store/storetest"
)

// TestSQLiteAlwaysLeads: an SQLite store belongs to one process, whose replica leads at once.
func TestSQLiteAlwaysLeads(t *testing.T) {
	st := storetest.Open(t)
	if st.URL != "" {
		t.Skip("an SQLite store only (DATABASE_URL is set)")
	}
	l := lease.New(st.Store, lease.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	led := make(chan bool, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.Run(ctx, func(ctx context.Context) {
			led <- l.Leading()
			<-ctx.Done()
		})
	}()
	if !<-led {
		t.Fatal("lead ran while Leading said no")
	}
	cancel()
	<-done
}

// replica is one Lease on a store connection pool of its own, as a gateway process has.
type replica struct {
	lease   *lease.Lease
	stop    context.CancelFunc
	done    chan struct{}
	leading atomic.Bool
	terms   atomic.Int32 // how many times lead was called
}

// TestOneLeaderAndTakeover: of three replicas on one PostgreSQL schema exactly one leads; when
// its connection is terminated, or when it stops, another takes over, and the one that lost the
// lease stops leading.
func TestOneLeaderAndTakeover(t *testing.T) {
	st := storetest.Open(t)
	if st.URL == "" {
		t.Skip("needs PostgreSQL: set DATABASE_URL (a session advisory lock is the lease)")
	}
	ctx := context.Background()
	const every = 100 * time.Millisecond
	var (
		mu        sync.Mutex
		now, most int
	)
	replicas := make([]*replica, 3)
	for i := range replicas {
		s, err := store.OpenDB(ctx, st.URL, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		r := &replica{lease: lease.New(s, lease.Options{Every: every}), done: make(chan struct{})}
		var rctx context.Context
		rctx, r.stop = context.WithCancel(ctx)
		go func() {
			defer close(r.done)
			r.lease.Run(rctx, func(lctx context.Context) {
				r.terms.Add(1)
				mu.Lock()
				now++
				most = max(most, now)
				mu.Unlock()
				r.leading.Store(true)
				<-lctx.Done()
				r.leading.Store(false)
				mu.Lock()
				now--
				mu.Unlock()
			})
		}()
		replicas[i] = r
		t.Cleanup(func() { r.stop(); <-r.done })
	}

	leader := func(except *replica) *replica {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			var found []*replica
			for _, r := range replicas {
				if r.leading.Load() && r.lease.Leading() {
					found = append(found, r)
				}
			}
			if len(found) == 1 && found[0] != except {
				// Stay a few periods: nobody else may take it meanwhile.
				time.Sleep(5 * every)
				n := 0
				for _, r := range replicas {
					if r.leading.Load() {
						n++
					}
				}
				if n == 1 && found[0].leading.Load() {
					return found[0]
				}
			}
			time.Sleep(every / 2)
		}
		t.Fatal("no single replica leads within 30 s")
		return nil
	}

	first := leader(nil)

	// The first leader's connection is terminated, as when the server restarts it or the
	// replica's host vanishes: it must stop leading, and another must lead.
	admin, err := store.OpenPostgres(ctx, st.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	schema := searchPath(t, st.URL)
	res, err := admin.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted
		AND classid = 7235200::int4::oid AND objid = hashtext($1)::oid AND objsubid = 2`, schema)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("terminated %d lease connections, want the leader's one", n)
	}
	second := leader(first)

	// The second leader stops (a replica shut down or killed): a third takes the lease.
	second.stop()
	<-second.done
	third := leader(second)
	if third == first && first.terms.Load() < 2 {
		t.Fatal("the first leader leads again without having taken the lease again")
	}

	// Leadership passed by stopping (the lock goes only after lead returned) never overlaps; a
	// terminated connection may leave the old leader working until its next check, which the
	// grace period before a new leader starts covers on a machine that is not starved.
	mu.Lock()
	defer mu.Unlock()
	if most > 2 {
		t.Fatalf("%d replicas led at once", most)
	}
}

func searchPath(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Query().Get("search_path")
}
