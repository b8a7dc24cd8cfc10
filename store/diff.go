package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	"ariga.io/atlas/sql/sqlite"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/schema"

	entmigrate "github.com/birlik/birlik/ent/migrate"
)

// DiffMigrations writes to dir the migration named name that takes a database from the state of
// dir's migrations to the Ent schema, for the Ent dialect d (dialect.SQLite or
// dialect.Postgres). It replays dir on a dev database (SQLite in memory; a temporary schema in
// the PostgreSQL database at devURL) and lets Ent (Atlas) diff it with the schema. It returns
// migrate.ErrNoPlan when dir already matches the schema.
func DiffMigrations(ctx context.Context, d string, dir migrate.Dir, name, devURL string) error {
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		if err = diffMigrations(ctx, d, dir, name, devURL); !isCatalogRace(err) {
			return err
		}
	}
	return err
}

// isCatalogRace reports PostgreSQL's "could not open relation with OID" (SQLSTATE XX000),
// which a catalog inspection meets when another session drops a relation it is reading —
// temporary tables included, which the advisory lock cannot cover. Rerunning is safe.
func isCatalogRace(err error) bool {
	return err != nil && strings.Contains(err.Error(), "could not open relation with OID")
}

func diffMigrations(ctx context.Context, d string, dir migrate.Dir, name, devURL string) error {
	devDialect := "sqlite"
	if d == dialect.Postgres {
		devDialect = "postgres"
	}
	dev, err := OpenDev(ctx, devDialect, devURL)
	if err != nil {
		return err
	}
	defer dev.Close()
	if d == dialect.Postgres {
		// Hold the migration lock while replaying and inspecting, so that no test schema is
		// dropped (TempSchema) and no store migrates meanwhile.
		conn, err := dev.DB.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
			return fmt.Errorf("store: diff: lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock) //nolint:errcheck // closing the connection releases it too
	}
	// Ent's own replay mode refuses a PostgreSQL database holding other schemas, so replay
	// with Atlas's executor and let Ent inspect the result.
	var drv migrate.Driver
	if d == dialect.Postgres {
		drv, err = postgres.Open(dev.DB)
	} else {
		drv, err = sqlite.Open(dev.DB)
	}
	if err != nil {
		return err
	}
	ex, err := migrate.NewExecutor(drv, dir, &migrate.NopRevisionReadWriter{}, migrate.WithAllowDirty(true))
	if err != nil {
		return err
	}
	if err := ex.ExecuteN(ctx, 0); err != nil && !errors.Is(err, migrate.ErrNoPendingFiles) {
		return fmt.Errorf("replay the migrations on the dev database: %w", err)
	}
	return entmigrate.NewSchema(dev.Driver).NamedDiff(ctx, name,
		schema.WithDir(dir),
		schema.WithMigrationMode(schema.ModeInspect),
		schema.WithDialect(d),
		schema.WithFormatter(migrate.DefaultFormatter),
		schema.WithDropIndex(true),
		schema.WithDropColumn(true),
		schema.WithErrNoPlan(true),
	)
}
