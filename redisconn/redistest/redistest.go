// Package redistest starts a Redis Cluster of redis-server processes on free loopback ports for
// a test, and stops it when the test ends. Tests that use it skip, naming what is missing, when
// redis-server or redis-cli is not installed. It must not be imported by non-test code.
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster is a running Redis Cluster: one master per node, no replicas.
type Cluster struct {
	Ports []int
	dir   string
	nodes []*node
}

type node struct {
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
}

// SkipUnlessInstalled skips t when redis-server or redis-cli is missing.
func SkipUnlessInstalled(t testing.TB) {
	t.Helper()
	for _, bin := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s is not installed (Debian package redis-server): the Redis Cluster test needs it", bin)
		}
	}
}

// StartCluster starts n cluster-enabled redis-server processes on free loopback ports (each
// port and its bus port, +10000, free), joins them with redis-cli --cluster create and waits for
// the cluster to be ok. It skips t when Redis is not installed.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	SkipUnlessInstalled(t)
	c := &Cluster{dir: t.TempDir()}
	for len(c.Ports) < n {
		p := freePort(t)
		if p+10000 > 65535 || !portFree(p+10000) || slices.Contains(c.Ports, p) {
			continue
		}
		c.Ports = append(c.Ports, p)
	}
	c.nodes = make([]*node, n)
	for i := range c.Ports {
		c.start(t, i)
	}
	t.Cleanup(func() {
		for _, nd := range c.nodes {
			nd.stop()
		}
	})
	addrs := c.Addrs()
	for _, a := range addrs {
		waitFor(t, a, func(rc *redis.Client) bool { return rc.Ping(context.Background()).Err() == nil })
	}
	out, err := exec.Command("redis-cli", append(append([]string{"--cluster", "create"}, addrs...), "--cluster-replicas", "0", "--cluster-yes")...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	c.WaitOK(t)
	return c
}

// Addrs are the nodes' host:port addresses.
func (c *Cluster) Addrs() []string {
	var out []string
	for _, p := range c.Ports {
		out = append(out, fmt.Sprintf("127.0.0.1:%d", p))
	}
	return out
}

// URL is a REDIS_URL naming every node as a seed.
func (c *Cluster) URL() string {
	u := fmt.Sprintf("redis://127.0.0.1:%d", c.Ports[0])
	for i, p := range c.Ports[1:] {
		if i == 0 {
			u += "?"
		} else {
			u += "&"
		}
		u += fmt.Sprintf("addr=127.0.0.1:%d", p)
	}
	return u
}

// WaitOK waits until every node says the cluster is ok.
func (c *Cluster) WaitOK(t testing.TB) {
	t.Helper()
	for _, a := range c.Addrs() {
		waitFor(t, a, func(rc *redis.Client) bool {
			info, err := rc.ClusterInfo(context.Background()).Result()
			return err == nil && strings.Contains(info, "cluster_state:ok")
		})
	}
}

// Kill stops node i at once (SIGKILL): the slots it serves are unavailable until Start.
func (c *Cluster) Kill(i int) { c.nodes[i].stop() }

// Start starts node i again on its port, with its cluster configuration: it rejoins with its
// slots (empty: the nodes keep nothing on disk).
func (c *Cluster) Start(t testing.TB, i int) {
	t.Helper()
	c.start(t, i)
	waitFor(t, c.Addrs()[i], func(rc *redis.Client) bool { return rc.Ping(context.Background()).Err() == nil })
}

func (c *Cluster) start(t testing.TB, i int) {
	t.Helper()
	p := c.Ports[i]
	cmd := exec.Command("redis-server", "--port", fmt.Sprint(p), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
		"--cluster-config-file", filepath.Join(c.dir, fmt.Sprintf("nodes-%d.conf", p)), "--dir", c.dir,
		"--save", "", "--appendonly", "no", "--protected-mode", "no")
	log, err := os.OpenFile(filepath.Join(c.dir, fmt.Sprintf("redis-%d.log", p)), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	nd := &node{cmd: cmd, log: log, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		log.Close()
		close(nd.done)
	}()
	c.nodes[i] = nd
}

func (n *node) stop() {
	_ = n.cmd.Process.Kill()
	<-n.done
}

func waitFor(t testing.TB, addr string, ok func(*redis.Client) bool) {
	t.Helper()
	rc := redis.NewClient(&redis.Options{Addr: addr})
	defer rc.Close()
	deadline := time.Now().Add(30 * time.Second)
	for !ok(rc) {
		if time.Now().After(deadline) {
			t.Fatalf("redis node %s: not ready after 30 s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func portFree(p int) bool {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
	if err != nil {
		return false
	}
	l.Close()
	return true
}
