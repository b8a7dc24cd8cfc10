package scalars_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/birlik/birlik/graph/scalars"
)

// The instants of a finding's evidence are written as RFC 3339 whichever store built it; dates
// and other strings are left as they are.
func TestMarshalMapInstantsRFC3339(t *testing.T) {
	ev := map[string]any{
		"kind": "ghost_pupil",
		"facts": []any{map[string]any{
			"month":     "2025-03",
			"education": map[string]any{"from": "2024-09-01", "syncedAt": "2026-12-05 12:06:02.693516853 +0000 UTC"},
			"finance":   map[string]any{"sourceKey": "state_order|SO0000031160", "syncedAt": "2026-12-05 14:06:02.5+02:00"},
			"justice":   map[string]any{"deathDate": "2024-12-19", "syncedAt": "2026-12-05T12:06:02Z"},
			"health":    map[string]any{"syncedAt": "2026-12-05 17:06:02.1+05"},
		}},
	}
	var buf bytes.Buffer
	scalars.MarshalMap(ev).MarshalGQL(&buf)
	var got struct {
		Kind  string
		Facts []map[string]json.RawMessage
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%s: %v", buf.Bytes(), err)
	}
	want := map[string]string{
		"education": "2026-12-05T12:06:02.693516853Z",
		"finance":   "2026-12-05T12:06:02.5Z",
		"justice":   "2026-12-05T12:06:02Z",
		"health":    "2026-12-05T12:06:02.1Z",
	}
	field := func(src, name string) string {
		var rec map[string]string
		_ = json.Unmarshal(got.Facts[0][src], &rec)
		return rec[name]
	}
	for src, w := range want {
		s := field(src, "syncedAt")
		if s != w {
			t.Errorf("%s syncedAt = %q, want %q", src, s, w)
		}
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			t.Errorf("%s syncedAt %q: %v", src, s, err)
		}
	}
	if field("education", "from") != "2024-09-01" || field("justice", "deathDate") != "2024-12-19" ||
		field("finance", "sourceKey") != "state_order|SO0000031160" || string(got.Facts[0]["month"]) != `"2025-03"` || got.Kind != "ghost_pupil" {
		t.Errorf("dates and other strings changed: %s", buf.Bytes())
	}
	// The map given is not changed (it may be shared).
	if s := ev["facts"].([]any)[0].(map[string]any)["education"].(map[string]any)["syncedAt"]; s != "2026-12-05 12:06:02.693516853 +0000 UTC" {
		t.Errorf("the marshalled map was changed: %v", s)
	}
}
