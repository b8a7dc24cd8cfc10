// Package redisconn opens the gateway's one Redis client from REDIS_URL. The cache, the
// automatic persisted queries and the rate limits all share the client it returns, so the three
// see the same deployment: a single node, a Sentinel-managed primary or a Redis Cluster.
//
// The URL forms:
//
//	redis://[user:password@]host:6379/0                         a single node (rediss:// for TLS)
//	redis://[user:password@]host1:7000?addr=host2:7000&addr=…   a Redis Cluster, from its seed nodes
//	redis://host1:7000?cluster=true                             a Redis Cluster from one seed node
//	redis-sentinel://[user:password@]host1:26379?addr=host2:26379&master=mymaster&db=0
//	                                                            a primary found through Sentinel
//
// For Sentinel the user and password are the data nodes'; sentinel_password=… is the
// sentinels' own when they have one.
package redisconn

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// PoolSize is the connections kept per node: the gateway's requests pipeline their cache reads,
// and the rate limiter spends one call per request.
const PoolSize = 64

// Open returns the client for rawURL and pings it, so that a wrong URL or a Redis that does not
// answer fails at start-up with a message naming REDIS_URL. Close the client when done.
func Open(ctx context.Context, rawURL string) (redis.UniversalClient, error) {
	c, err := New(rawURL)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.Ping(pctx).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("REDIS_URL %s does not answer (is Redis running?): %w", Redact(rawURL), err)
	}
	return c, nil
}

// New returns the client for rawURL without contacting Redis.
func New(rawURL string) (redis.UniversalClient, error) {
	kind, o, err := Options(rawURL)
	if err != nil {
		return nil, err
	}
	switch kind {
	case Cluster:
		return redis.NewClusterClient(o.Cluster()), nil
	case Sentinel:
		return redis.NewFailoverClient(o.Failover()), nil
	default:
		return redis.NewClient(o.Simple()), nil
	}
}

// Kind is the shape of a Redis deployment.
type Kind string

// The deployments a URL can name.
const (
	Single   Kind = "single"
	Cluster  Kind = "cluster"
	Sentinel Kind = "sentinel"
)

// Options parses rawURL (see the package comment) into the deployment's kind and go-redis's
// options for it.
func Options(rawURL string) (Kind, *redis.UniversalOptions, error) {
	bad := func(why string) error {
		return fmt.Errorf("REDIS_URL %q: %s; want redis://host:6379/0 (rediss:// for TLS), redis://host1:7000?addr=host2:7000 for a Cluster, or redis-sentinel://host:26379?master=name for Sentinel", Redact(rawURL), why)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", nil, bad("not a URL")
	}
	if u.Host == "" {
		return "", nil, bad("no host")
	}
	q := u.Query()
	switch u.Scheme {
	case "redis", "rediss":
		seeds := q["addr"]
		cluster := len(seeds) > 0
		if v := q.Get("cluster"); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return "", nil, bad("cluster=" + v + " is not true or false")
			}
			cluster = cluster || b
		}
		if cluster {
			clean := *u
			cq := clean.Query()
			cq.Del("cluster")
			clean.RawQuery = cq.Encode()
			co, err := redis.ParseClusterURL(clean.String())
			if err != nil {
				return "", nil, bad(err.Error())
			}
			return Cluster, &redis.UniversalOptions{Addrs: co.Addrs, Username: co.Username, Password: co.Password,
				TLSConfig: co.TLSConfig, PoolSize: PoolSize}, nil
		}
		so, err := redis.ParseURL(rawURL)
		if err != nil {
			return "", nil, bad(err.Error())
		}
		return Single, &redis.UniversalOptions{Addrs: []string{so.Addr}, DB: so.DB, Username: so.Username,
			Password: so.Password, TLSConfig: so.TLSConfig, PoolSize: PoolSize}, nil
	case "redis-sentinel":
		master := q.Get("master")
		if master == "" {
			return "", nil, bad("a Sentinel URL needs master=<the monitored primary's name>")
		}
		o := &redis.UniversalOptions{MasterName: master, Addrs: append([]string{u.Host}, q["addr"]...),
			SentinelPassword: q.Get("sentinel_password"), PoolSize: PoolSize}
		if u.User != nil {
			o.Username = u.User.Username()
			o.Password, _ = u.User.Password()
		}
		if v := q.Get("db"); v != "" {
			db, err := strconv.Atoi(v)
			if err != nil || db < 0 {
				return "", nil, bad("db=" + v + " is not a database number")
			}
			o.DB = db
		}
		return Sentinel, o, nil
	default:
		return "", nil, bad("unknown scheme " + strconv.Quote(u.Scheme))
	}
}

// Redact hides a password in a Redis URL, for messages and logs.
func Redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	if q := u.Query(); q.Get("sentinel_password") != "" {
		q.Set("sentinel_password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}
