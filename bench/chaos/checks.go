package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/birlik/birlik/bench/internal/kit"
	"github.com/birlik/birlik/store"
	"github.com/birlik/birlik/syncer"
)

// freshnessQuery asks the gateway when each source last synced without error.
const freshnessQuery = `{ freshness { sources { source lastSyncedAt behind } } }`

// waitForSync waits until the gateway says (Query.freshness) that every source finished a sync
// pass without error after since and is not behind, or until timeout. It returns the sources
// still missing, each with what the gateway last said of it.
func waitForSync(ctx context.Context, g *gateway, key string, since time.Time, sources []string, timeout time.Duration) []string {
	deadline := time.Now().Add(timeout)
	for {
		said := map[string]string{}
		body, err := g.GQL(ctx, key, kit.PurposeStats, freshnessQuery, nil)
		if err == nil {
			said = syncedSince(body, since)
		}
		var missing []string
		for _, s := range sources {
			if v, ok := said[s]; !ok || v != "" {
				if !ok {
					v = "not listed"
					if err != nil {
						v = clipString(err.Error())
					}
				}
				missing = append(missing, s+" ("+v+")")
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return missing
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// syncedSince reads a freshness answer: by source, "" when it synced after since and is not
// behind, else what it lacks.
func syncedSince(body []byte, since time.Time) map[string]string {
	var r struct {
		Data struct {
			Freshness struct {
				Sources []struct {
					Source       string
					LastSyncedAt *time.Time
					Behind       bool
				}
			}
		}
	}
	out := map[string]string{}
	if json.Unmarshal(body, &r) != nil {
		return out
	}
	for _, s := range r.Data.Freshness.Sources {
		switch {
		case s.LastSyncedAt == nil:
			out[s.Source] = "never synced"
		case !s.LastSyncedAt.After(since):
			out[s.Source] = "last synced " + s.LastSyncedAt.Format(time.RFC3339)
		case s.Behind:
			out[s.Source] = "behind"
		default:
			out[s.Source] = ""
		}
	}
	return out
}

// tableCheck compares one table of the gateway's store with the clean sync's.
type tableCheck struct {
	table     string
	got, want int    // rows
	firstDiff string // "" when equal
}

// dumpTables is syncer.DumpTables of the store at dbURL (PostgreSQL) or in dataDir (SQLite).
func dumpTables(ctx context.Context, dbURL, dataDir string) (tables map[string][]string, seqGap string, err error) {
	st, err := store.Open(ctx, dbURL, dataDir)
	if err != nil {
		return nil, "", err
	}
	defer st.Close()
	return syncer.DumpTables(ctx, st)
}

// compareTables compares two dumps table by table, in the order of the tables' names.
func compareTables(got, want map[string][]string) []tableCheck {
	var out []tableCheck
	for _, d := range syncer.CompareTables(got, want) {
		c := tableCheck{table: d.Table, got: d.Got, want: d.Want}
		if !d.Equal() {
			c.firstDiff = fmt.Sprintf("row %d\n      gateway: %s\n      clean:   %s", d.Row, clipString(d.GotRow), clipString(d.WantRow))
		}
		out = append(out, c)
	}
	return out
}

// cleanSync runs `birlik sync` from the simulators into a fresh store: the database cleanURL, or
// SQLite in work/clean when it is empty. It returns the SQLite folder ("" on PostgreSQL).
func (r *run) cleanSync(ctx context.Context, cleanURL string) (string, error) {
	env := childEnv(r.sourceEnv()...)
	env = append(env, "BIRLIK_API_KEYS="+r.keyFlag(), "BIRLIK_LOG_LEVEL=warn")
	dir := filepath.Join(r.work, "clean")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	env = append(env, "BIRLIK_DATA="+dir)
	data := dir
	if cleanURL != "" {
		env = append(env, "DATABASE_URL="+cleanURL)
		data = ""
	}
	cmd := exec.CommandContext(ctx, r.o.bin, "sync")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("birlik sync into a fresh store: %w\n%s", err, out)
	}
	return data, nil
}

// auditVerify runs `birlik audit verify` on the gateway's store and returns its output.
func (r *run) auditVerify(ctx context.Context, g *gateway) (string, error) {
	env := childEnv("BIRLIK_DATA=" + g.data)
	if r.pgURL != "" {
		env = append(env, "DATABASE_URL="+r.pgURL)
	}
	cmd := exec.CommandContext(ctx, r.o.bin, "audit", "verify")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}
