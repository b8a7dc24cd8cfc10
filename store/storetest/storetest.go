// Package storetest gives tests a fresh, migrated, isolated store: SQLite in a temporary folder
// by default, or, when DATABASE_URL is set, a new PostgreSQL schema in that database (dropped
// when the test ends). Every test that needs the store uses it; it must not be imported by
// non-test code.
package storetest

import (
	"context"
	"os"
	"testing"

	"github.com/birlik/birlik/store"
)

// Store is an open test store.
type Store struct {
	*store.Store
	// URL and DataDir are what store.Open needs to open this same store again (in a child
	// process, for instance): URL is empty for SQLite, DataDir empty for PostgreSQL.
	URL     string
	DataDir string
}

// Open returns a fresh store for t, closed (and on PostgreSQL dropped) by t.Cleanup.
func Open(t testing.TB) *Store {
	t.Helper()
	ctx := context.Background()
	s := &Store{}
	if base := os.Getenv("DATABASE_URL"); base != "" {
		u, drop, err := store.TempSchema(ctx, base, "birlik_test")
		if err != nil {
			t.Fatalf("storetest: %v", err)
		}
		t.Cleanup(func() {
			if err := drop(); err != nil {
				t.Errorf("storetest: drop test schema: %v", err)
			}
		})
		s.URL = u
	} else {
		s.DataDir = t.TempDir()
	}
	st, err := store.Open(ctx, s.URL, s.DataDir)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	// Registered after the schema's cleanup, so it runs first: close, then drop.
	t.Cleanup(func() { st.Close() })
	s.Store = st
	return s
}
