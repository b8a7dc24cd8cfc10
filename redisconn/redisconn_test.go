package redisconn_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/birlik/birlik/cache"
	"github.com/birlik/birlik/ratelimit"
	"github.com/birlik/birlik/redisconn"
	"github.com/birlik/birlik/redisconn/redistest"
)

func TestOptions(t *testing.T) {
	tests := []struct {
		name   string
		url    string
		kind   redisconn.Kind
		addrs  []string
		db     int
		master string
		err    string
	}{
		{name: "single node", url: "redis://127.0.0.1:6379/2", kind: redisconn.Single, addrs: []string{"127.0.0.1:6379"}, db: 2},
		{name: "cluster seeds", url: "redis://10.0.0.1:7000?addr=10.0.0.2:7000&addr=10.0.0.3:7000", kind: redisconn.Cluster,
			addrs: []string{"10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"}},
		{name: "cluster from one seed", url: "redis://10.0.0.1:7000?cluster=true", kind: redisconn.Cluster, addrs: []string{"10.0.0.1:7000"}},
		{name: "sentinel", url: "redis-sentinel://u:p@10.0.0.1:26379?addr=10.0.0.2:26379&master=birlik&db=1", kind: redisconn.Sentinel,
			addrs: []string{"10.0.0.1:26379", "10.0.0.2:26379"}, db: 1, master: "birlik"},
		{name: "sentinel without a master", url: "redis-sentinel://10.0.0.1:26379", err: "master="},
		{name: "no scheme", url: "127.0.0.1:6379", err: "want redis://"},
		{name: "bad cluster flag", url: "redis://10.0.0.1:7000?cluster=maybe", err: "cluster=maybe"},
		{name: "password hidden", url: "redis://u:secret@:6379?cluster=maybe", err: "xxxxx"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kind, o, err := redisconn.Options(tc.url)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "secret") {
					t.Fatalf("err = %v, want one containing %q (and no password)", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if kind != tc.kind || !slices.Equal(o.Addrs, tc.addrs) || o.DB != tc.db || o.MasterName != tc.master {
				t.Errorf("got %s %v db %d master %q, want %s %v db %d master %q", kind, o.Addrs, o.DB, o.MasterName, tc.kind, tc.addrs, tc.db, tc.master)
			}
		})
	}
}

// TestCluster starts a three-node Redis Cluster on free loopback ports and checks that the
// gateway's one client, opened from a cluster REDIS_URL, carries the rate limits (one limit
// across the cluster, whichever node holds the key) and the persisted queries (written by one
// client, read by another, keys spread over every node's slots).
func TestCluster(t *testing.T) {
	ports := redistest.StartCluster(t, 3).Ports
	ctx := context.Background()
	seeds := fmt.Sprintf("redis://127.0.0.1:%d?addr=127.0.0.1:%d&addr=127.0.0.1:%d", ports[0], ports[1], ports[2])
	for _, u := range []string{seeds, fmt.Sprintf("redis://127.0.0.1:%d?cluster=true", ports[1])} {
		c, err := redisconn.Open(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := c.(*redis.ClusterClient); !ok {
			t.Errorf("%s opened a %T, want a cluster client", u, c)
		}
		c.Close()
	}

	a, err := redisconn.Open(ctx, seeds)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := redisconn.Open(ctx, fmt.Sprintf("redis://127.0.0.1:%d?cluster=true", ports[2]))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	// Rate limits: two gateways (two clients) share one burst per caller.
	lim := ratelimit.Limit{Rate: 1, Period: time.Hour, Burst: 5}
	la, lb := ratelimit.NewLeased(ratelimit.NewRedis(a), nil), ratelimit.NewLeased(ratelimit.NewRedis(b), nil)
	for _, caller := range []string{"citizen:app:1", "analyst:akimat:2", "health:umis:3"} {
		allowed := 0
		for i := range 12 {
			l := la
			if i%2 == 1 {
				l = lb
			}
			r, err := l.Allow(ctx, caller, lim)
			if err != nil {
				t.Fatalf("%s: %v", caller, err)
			}
			if r.Allowed {
				allowed++
			}
		}
		if allowed != lim.Burst {
			t.Errorf("%s: %d of 12 requests allowed across two clients, want the burst %d", caller, allowed, lim.Burst)
		}
	}

	// Persisted queries: added through one client, found through the other.
	ca, err := cache.Open(a, cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cb, err := cache.Open(b, cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ca.Prefix, cb.Prefix = "birlik-test-"+t.Name(), "birlik-test-"+t.Name()
	pa, pb := ca.APQ(time.Minute), cb.APQ(time.Minute)
	for i := range 60 {
		pa.Add(ctx, fmt.Sprintf("hash-%d", i), fmt.Sprintf("{ q%d }", i))
	}
	for i := range 60 {
		got, ok := pb.Get(ctx, fmt.Sprintf("hash-%d", i))
		if !ok || got != fmt.Sprintf("{ q%d }", i) {
			t.Fatalf("persisted query %d through the other client: %q, %v", i, got, ok)
		}
	}
	// The keys landed on every node (the cluster really shards them).
	for _, p := range ports {
		n := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", p)})
		keys, err := n.Keys(ctx, "*").Result()
		n.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) == 0 {
			t.Errorf("node :%d holds no key: the client did not spread the keys over the cluster", p)
		}
	}
}
