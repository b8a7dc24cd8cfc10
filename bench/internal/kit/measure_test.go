package kit

import (
	"testing"
	"time"
)

// TestCPUParsing reads the machine's busy time and a process's CPU time from fixed /proc
// contents, a command name with spaces and parentheses included, and refuses malformed ones.
func TestCPUParsing(t *testing.T) {
	busy, ok := machineBusy([]byte("cpu  100 5 50 9000 20 3 2 1 0 0\ncpu0 50 2 25 4500 10 1 1 0 0 0\n"))
	if !ok || busy != 1610*time.Millisecond { // user 100 + nice 5 + system 50 + irq 3 + softirq 2 + steal 1 ticks
		t.Errorf("machineBusy = %v, %v; want 1.61s", busy, ok)
	}
	proc, ok := processCPU([]byte("1234 (birlik (serve) x) S 1 1234 1234 0 -1 4194560 1000 0 0 0 250 30 0 0 20 0 8 0 100 0 0\n"))
	if !ok || proc != 2800*time.Millisecond { // utime 250 + stime 30 ticks
		t.Errorf("processCPU = %v, %v; want 2.8s", proc, ok)
	}
	for _, bad := range []string{"", "intr 1 2 3 4 5 6 7 8 9", "cpu 1 2 x 4 5 6 7 8 9", "cpu 1 2 3"} {
		if _, ok := machineBusy([]byte(bad)); ok {
			t.Errorf("machineBusy(%q) accepted", bad)
		}
	}
	for _, bad := range []string{"", "1234 (birlik S 1", "1234 (birlik) S 1 2 3", "1234 (birlik) S 1 1234 1234 0 -1 4194560 1000 0 0 0 x 30"} {
		if _, ok := processCPU([]byte(bad)); ok {
			t.Errorf("processCPU(%q) accepted", bad)
		}
	}
}
