package main

import (
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
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
