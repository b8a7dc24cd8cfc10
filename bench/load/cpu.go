package main

import "time"

// cpuTimes is CPU time used by the gateway process and by the whole machine in a cell's window
// (kit.Measure reads it from /proc).
type cpuTimes struct {
	gateway, machine time.Duration
	ok               bool // false where /proc cannot be read (not Linux)
}
