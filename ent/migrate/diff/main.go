// Command diff writes the next versioned migration of the store for both dialects, computed by
// Ent (Atlas) as the difference between the migration directory replayed on a dev database and
// the Ent schema:
//
//	go run ./ent/migrate/diff NAME
//
// The SQLite dev database is in memory. The PostgreSQL dev database is a temporary schema
// created in the database named by DEV_DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable) and dropped afterwards; with
// -dialect sqlite only SQLite is generated (no PostgreSQL needed).
//
// It writes only under ent/migrate/migrations; run it from the repository root after changing a
// schema and running `go generate ./ent`, then commit the new files.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"

	"github.com/birlik/birlik/store"
)

func main() {
	dialects := flag.String("dialect", "sqlite,postgres", "comma-separated dialects to generate: sqlite, postgres")
	dir := flag.String("dir", "ent/migrate/migrations", "the migrations directory (one sub-directory per dialect)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: go run ./ent/migrate/diff [-dialect sqlite,postgres] NAME")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	name := flag.Arg(0)
	ctx := context.Background()
	for _, d := range splitComma(*dialects) {
		err := diff(ctx, d, filepath.Join(*dir, d), name)
		if errors.Is(err, migrate.ErrNoPlan) {
			log.Printf("%s: the migrations already match the schema; nothing written", d)
			continue
		}
		if err != nil {
			log.Fatalf("diff %s: %v", d, err)
		}
		log.Printf("%s: migration %q written under %s", d, name, filepath.Join(*dir, d))
	}
}

func diff(ctx context.Context, d, path, name string) error {
	if err := os.MkdirAll(path, 0o755); err != nil {
		return err
	}
	dir, err := migrate.NewLocalDir(path)
	if err != nil {
		return err
	}
	entDialect := dialect.SQLite
	if d == "postgres" {
		entDialect = dialect.Postgres
	}
	return store.DiffMigrations(ctx, entDialect, dir, name, os.Getenv("DEV_DATABASE_URL"))
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}
