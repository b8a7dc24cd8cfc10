//go:build race

package checks_test

// raceEnabled: the race detector slows the simulators and sync several times over.
const raceEnabled = true
