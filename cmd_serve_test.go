package main

import (
	"runtime/debug"
	"testing"
)

// gcPercent reads the garbage collector's target (SetGCPercent returns the one it replaces).
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func TestServeGCTargetUnlessGOGCIsSet(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })

	serveGC(func(string) string { return "" })
	if got := gcPercent(); got != serveGCPercent {
		t.Fatalf("GOGC unset: the serve command's GC target is %d, want %d", got, serveGCPercent)
	}

	debug.SetGCPercent(150) // what the runtime applied from GOGC=150
	serveGC(func(name string) string {
		if name == "GOGC" {
			return "150"
		}
		return ""
	})
	if got := gcPercent(); got != 150 {
		t.Fatalf("GOGC=150: the serve command changed the GC target to %d; the operator's setting must win", got)
	}
}
