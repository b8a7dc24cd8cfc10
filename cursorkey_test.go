package main

import (
	"bytes"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/birlik/birlik/graph/cursor"
)

// The gateway's cursor key: the configured one, else one kept in the data folder, so that a
// restarted gateway (or another one configured with the same key) opens the cursors it issued.
func TestCursorSealer(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	cfg, err := loadOptions(flag.NewFlagSet("t", flag.ContinueOnError), []string{"--data=" + t.TempDir()}, func(string) string { return "" }, nil)
	if err != nil {
		t.Fatal(err)
	}

	first, err := cursorSealer(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, cursor.KeyFile)); err != nil {
		t.Fatalf("no key kept in the data folder: %v", err)
	}
	tok := first.Seal("test", []byte("page 2"))
	restarted, err := cursorSealer(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := restarted.Open("test", tok); err != nil || string(got) != "page 2" {
		t.Fatalf("after a restart the cursor opens to %q, %v", got, err)
	}

	// Two replicas configured with one key, each with its own data folder, share cursors; a
	// gateway with the kept key of another folder refuses them.
	key := bytes.Repeat([]byte{7}, cursor.KeySize)
	a, b := cfg, cfg
	a.CursorKey, b.CursorKey = key, key
	a.DataDir, b.DataDir = t.TempDir(), t.TempDir()
	sa, err := cursorSealer(a, log)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := cursorSealer(b, log)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := sb.Open("test", sa.Seal("test", []byte("x"))); err != nil || string(got) != "x" {
		t.Fatalf("replica b opens replica a's cursor to %q, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(a.DataDir, cursor.KeyFile)); err == nil {
		t.Error("a key was kept in the data folder although one is configured")
	}
	if _, err := first.Open("test", sa.Seal("test", []byte("x"))); err == nil {
		t.Error("a gateway with another key opened the cursor")
	}
}
