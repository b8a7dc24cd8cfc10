// Package migrations embeds the versioned migration files of the store, one directory per
// dialect (sqlite, postgres), each with its atlas.sum. Files are generated, never edited by hand:
//
//	go run ./ent/migrate/diff NAME
//
// writes the next migration named NAME for both dialects from the Ent schema (see that
// command's doc). The store applies them at start-up (store.Migrate).
package migrations

import "embed"

// FS holds sqlite/*.sql, postgres/*.sql and their atlas.sum files.
//
//go:embed sqlite postgres
var FS embed.FS
