// Package ent is Birlik's store: the Ent client generated from the schemas in ./schema (with the
// entgql extension writing ../graph/ent.graphql), and the versioned migrations in ./migrate.
//
// Regenerate with `go generate ./ent` (or `go generate ./...` from the repository root); the
// generated code is committed and regenerating must change nothing. Hand-written code lives in
// schema/ and in this file only; business logic belongs in other packages.
package ent

//go:generate go run -mod=mod entc.go
