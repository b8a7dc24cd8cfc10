package store_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"

	"github.com/birlik/birlik/store"
)

// TestMigrationsMatchSchema fails when an Ent schema changed without its migration: run
// `go run ./ent/migrate/diff NAME` and commit the files it writes.
func TestMigrationsMatchSchema(t *testing.T) {
	ds := []string{dialect.SQLite}
	if os.Getenv("DATABASE_URL") != "" {
		ds = append(ds, dialect.Postgres)
	}
	for _, d := range ds {
		t.Run(d, func(t *testing.T) {
			dir, err := store.Dir(d)
			if err != nil {
				t.Fatal(err)
			}
			err = store.DiffMigrations(context.Background(), d, dir, "pending", os.Getenv("DATABASE_URL"))
			if !errors.Is(err, migrate.ErrNoPlan) {
				files, _ := dir.Files()
				t.Errorf("the %s migrations (%d files) do not match the Ent schema (err %v): run go run ./ent/migrate/diff NAME", d, len(files), err)
			}
		})
	}
}
