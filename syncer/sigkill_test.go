package syncer_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/store"
	"github.com/birlik/birlik/store/storetest"
	"github.com/birlik/birlik/syncer"
	"github.com/birlik/birlik/syncer/synctest"
)

// The SIGKILL test re-executes the test binary as a sync child (TestMain sees the variable
// below), kills it at random points, and checks the store ends equal to an uninterrupted run's.
const childEnv = "BIRLIK_SYNC_CHILD"

const (
	killSeed     = 3
	killPeople   = 2000
	killPageSize = 250
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		if err := syncChild(); err != nil {
			fmt.Fprintln(os.Stderr, "sync child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// syncChild syncs the kill test's country into the store named by the environment, printing a
// line after every commit.
func syncChild() error {
	ctx := context.Background()
	st, err := store.Open(ctx, os.Getenv("BIRLIK_CHILD_DATABASE_URL"), os.Getenv("BIRLIK_CHILD_DATA"))
	if err != nil {
		return err
	}
	defer st.Close()
	c := country(nil, killSeed, killPeople)
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex // a Scheduler's sources commit from their own goroutines
	sy := syncer.New(st, syncer.Options{Logger: quiet, AfterCommit: func(src connectors.Source, pages int) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(out, "commit %s %d\n", src, pages)
		out.Flush()
	}})
	feeds := synctest.Feeds(synctest.CountryFeeds(c, killPageSize))
	if os.Getenv("BIRLIK_CHILD_SCHEDULER") == "1" {
		sc, err := syncer.NewScheduler(sy, syncer.ScheduleOptions{MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond, Logger: quiet}, feeds...)
		if err != nil {
			return err
		}
		sc.Run(ctx)
		return nil
	}
	_, err = sy.Run(ctx, feeds...)
	return err
}

func TestSIGKILLLeavesTheSameStore(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary several times")
	}
	killTest(t, false)
}

// A sync whose sources run at once under a Scheduler, killed at random points, ends equal to
// an uninterrupted run's, its change sequence compared by entries (numbered in commit order).
func TestSIGKILLSchedulerLeavesTheSameStore(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary several times")
	}
	killTest(t, true)
}

func killTest(t *testing.T, scheduler bool) {
	ctx := context.Background()

	// The reference: one uninterrupted run.
	ref := storetest.Open(t)
	if _, err := syncer.New(ref.Store, syncer.Options{Logger: quiet}).
		Run(ctx, synctest.Feeds(synctest.CountryFeeds(country(t, killSeed, killPeople), killPageSize))...); err != nil {
		t.Fatal(err)
	}
	want := dump(t, ref, false)

	s := storetest.Open(t)
	child := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=1", "BIRLIK_CHILD_DATABASE_URL="+s.URL, "BIRLIK_CHILD_DATA="+s.DataDir)
		if scheduler {
			cmd.Env = append(cmd.Env, "BIRLIK_CHILD_SCHEDULER=1")
		}
		cmd.Stderr = os.Stderr
		return cmd
	}
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	kills := 0
	for round := 0; round < 5; round++ {
		cmd := child()
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill after a random number of commits (and a random pause, to land inside a
		// transaction as often as between two).
		after := 1 + r.IntN(40)
		sc := bufio.NewScanner(stdout)
		commits := 0
		for commits < after && sc.Scan() {
			commits++
		}
		time.Sleep(time.Duration(r.IntN(15_000)) * time.Microsecond)
		killed := cmd.Process.Signal(syscall.SIGKILL) == nil
		for sc.Scan() { // drain
		}
		err = cmd.Wait()
		if killed && err != nil {
			kills++
			t.Logf("round %d: killed after %d commits", round, commits)
		} else if err != nil {
			t.Fatalf("sync child failed: %v", err)
		}
	}
	if kills == 0 {
		t.Fatal("the child was never killed mid-sync: the test proved nothing")
	}
	// Run to completion.
	cmd := child()
	if out, err := cmd.Output(); err != nil {
		t.Fatalf("final sync: %v\n%s", err, out)
	}
	if scheduler {
		sameAsCleanSync(t, s, ref)
		return
	}
	if got := dump(t, s, false); got != want {
		t.Errorf("after %d kills the store differs from an uninterrupted run's:\n%s", kills, firstDiff(got, want))
	}
}

// firstDiff shows the first differing line of two dumps.
func firstDiff(got, want string) string {
	g, w := splitLines(got), splitLines(want)
	for i := 0; i < max(len(g), len(w)); i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return "line " + strconv.Itoa(i+1) + "\n got: " + a + "\nwant: " + b
		}
	}
	return "(no difference)"
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}
