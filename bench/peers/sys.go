package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

func numCPU() int { return runtime.NumCPU() }

// loadAverage is the machine's load average over 1, 5 and 15 minutes ("?" where unknown).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// redisDB returns redisURL with database db, so that the benchmark's keys stay apart from
// tests on REDIS_URL's database.
func redisDB(redisURL string, db int) (string, error) {
	u, err := url.Parse(redisURL)
	if err != nil {
		return "", fmt.Errorf("REDIS_URL: %w", err)
	}
	u.Path = "/" + strconv.Itoa(db)
	return u.String(), nil
}

// vacuumAnalyze runs VACUUM (ANALYZE) over the benchmark's database.
func vacuumAnalyze(ctx context.Context, pgURL string) error {
	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	t0 := time.Now()
	if _, err := conn.Exec(ctx, "VACUUM (ANALYZE)"); err != nil {
		return fmt.Errorf("vacuuming the store: %w", err)
	}
	fmt.Fprintf(os.Stderr, "bench: VACUUM (ANALYZE) of the store took %v\n", time.Since(t0).Round(100*time.Millisecond))
	return nil
}
