package health

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/birlik/birlik/gen"
)

// Every error is an OperationOutcome with the status and issue code of the document.
func TestOperationOutcomes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, path string
		setup      func(s *Server)
		status     int
		code       string
	}{
		{"count too big", "/fhir/Coverage?_count=9000", nil, 400, "invalid"},
		{"unknown parameter", "/fhir/Organization?name=x", nil, 400, "invalid"},
		{"too many IINs", "/fhir/Coverage?beneficiary=" + manyIINs(101), nil, 400, "invalid"},
		{"bad sort", "/fhir/Coverage?beneficiary=150101500001&_sort=-date", nil, 400, "invalid"},
		{"unknown type", "/fhir/Observation", nil, 404, "not-found"},
		{"throttled", "/fhir/Coverage", func(s *Server) { s.Throttle(1, 2) }, 429, "throttled"},
		{"outage", "/fhir/Coverage", func(s *Server) { s.Faults.SetDown(true) }, 503, "transient"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(&gen.Country{})
			if tc.setup != nil {
				tc.setup(s)
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, httptest.NewRequest("GET", tc.path, nil))
			var o struct {
				ResourceType string
				Issue        []struct{ Severity, Code, Diagnostics string }
			}
			if w.Code != tc.status || json.Unmarshal(w.Body.Bytes(), &o) != nil || o.ResourceType != "OperationOutcome" ||
				len(o.Issue) != 1 || o.Issue[0].Code != tc.code || o.Issue[0].Diagnostics == "" {
				t.Errorf("%d %s; want %d OperationOutcome %s", w.Code, w.Body, tc.status, tc.code)
			}
			if tc.status == 429 && w.Header().Get("Retry-After") != "2" {
				t.Errorf("Retry-After = %q, want 2", w.Header().Get("Retry-After"))
			}
		})
	}
}

func manyIINs(n int) string {
	s := "150101500001"
	for range n - 1 {
		s += ",150101500001"
	}
	return s
}
