package syncer_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/store/storetest"
	"github.com/birlik/birlik/syncer"
	"github.com/birlik/birlik/syncer/synctest"
)

// TestIdleSyncIsQuiet: a pass that finds nothing new logs nothing at INFO, one DEBUG line per
// source; a pass that wrote logs its INFO line.
func TestIdleSyncIsQuiet(t *testing.T) {
	st := storetest.Open(t)
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sy := syncer.New(st.Store, syncer.Options{Logger: log})
	feed := &synctest.Feed{Src: connectors.Justice, Pages: []*connectors.Page{{Buildings: []domain.Building{{Cadastral: "19:015:042:1", Region: "190000000",
		Address: "building 1", Designation: domain.DesignSchool, DesignCapacity: 300}}}}}
	if _, err := sy.Run(context.Background(), feed); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "level=INFO msg=\"sync: feed done\"") {
		t.Fatalf("a pass that wrote logged no INFO line:\n%s", buf.String())
	}
	buf.Reset()
	if _, err := sy.Run(context.Background(), feed); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if strings.Contains(buf.String(), "level=INFO") || len(lines) != 1 || !strings.Contains(lines[0], "level=DEBUG") {
		t.Errorf("an idle pass logged:\n%s\nwant one DEBUG line", buf.String())
	}
}
