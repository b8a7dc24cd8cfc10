package httpapi

import (
	"strings"
	"testing"
)

// Request ids are letters only, so that no id holds a run of digits that reads as an IIN.
func TestRequestIDsHoldNoDigits(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 10000; i++ {
		id := newID()
		if len(id) != 16 || strings.ContainsAny(id, "0123456789") || !saneID(id) {
			t.Fatalf("request id %q: want 16 letters", id)
		}
		if seen[id] {
			t.Fatalf("request id %q repeated", id)
		}
		seen[id] = true
	}
}
