package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/birlik/birlik/bench/internal/kit"
)

// runFloor measures the floor at every concurrency (the citizen workload only).
func runFloor(ctx context.Context, o options, pgURL string, s *kit.Samples) ([]row, error) {
	if !containsString(o.workloads, "citizen") {
		return nil, nil
	}
	var rows []row
	for _, n := range o.concurrency {
		cfg, err := pgxpool.ParseConfig(pgURL)
		if err != nil {
			return nil, err
		}
		cfg.MaxConns = int32(n)
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			return nil, err
		}
		if err := kit.FloorCitizen(ctx, pool, s.IINs[0], s.PeriodFrom); err != nil {
			pool.Close()
			return nil, fmt.Errorf("the hand-written citizen query fails (has the schema changed? see ent/migrate/schema.go): %w", err)
		}
		r := measure(ctx, o.warmup, o.duration, n, 0, func(ctx context.Context, rnd *rand.Rand) error {
			return kit.FloorCitizen(ctx, pool, s.IINs[rnd.IntN(len(s.IINs))], s.PeriodFrom)
		})
		pool.Close()
		r.config, r.workload = floorConfig, "citizen"
		rows = append(rows, r)
		fmt.Fprintf(os.Stderr, "bench: %s\n", r)
	}
	return rows, nil
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func numCPU() int { return runtime.NumCPU() }

// memTotal returns the machine's memory, e.g. "24 GiB"; "" when unknown.
func memTotal() string { return kit.MemTotal() }

// floorConfig names the floor's rows in the table.
const floorConfig = "floor (pgx SQL)"
