package education

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/birlik/birlik/gen"
)

// Errors come in the document's JSON shape with the right status, outages included.
func TestErrorsInTheSourcesShape(t *testing.T) {
	t.Parallel()
	s := New(&gen.Country{})
	for _, tc := range []struct {
		name, method, path, body string
		down                     bool
		status                   int
		code                     string
	}{
		{"limit too big", "GET", "/export/staff.csv?limit=50000", "", false, 400, "BAD_REQUEST"},
		{"negative since", "GET", "/export/vouchers.csv?since=-1", "", false, 400, "BAD_REQUEST"},
		{"short BIN", "GET", "/api/organisations/123", "", false, 400, "BAD_REQUEST"},
		{"unknown BIN", "GET", "/api/organisations/080140000007", "", false, 404, "NOT_FOUND"},
		{"no IINs", "POST", "/api/enrolments:byChild", `{"iins":[]}`, false, 400, "BAD_REQUEST"},
		{"not JSON", "POST", "/api/enrolments:byChild", `iins=1`, false, 400, "BAD_REQUEST"},
		{"unknown path", "GET", "/export/people.csv", "", false, 404, "NOT_FOUND"},
		{"outage", "GET", "/export/organisations.csv", "", true, 503, "SERVICE_UNAVAILABLE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := s
			if tc.down {
				s = New(&gen.Country{})
				s.Faults.SetDown(true)
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body)))
			var e struct {
				Error struct{ Code, Message string }
			}
			if w.Code != tc.status || json.Unmarshal(w.Body.Bytes(), &e) != nil || e.Error.Code != tc.code || e.Error.Message == "" {
				t.Errorf("%d %s; want %d with code %s", w.Code, w.Body, tc.status, tc.code)
			}
		})
	}
}

func TestExportDialect(t *testing.T) {
	t.Parallel()
	s := New(&gen.Country{})
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/export/enrolments.csv", nil))
	if w.Code != 200 || w.Body.String() != "\uFEFFrow_version;enrolment_id;child_iin;org_bin;grade;academic_year;enrolled_on;left_on\r\n" ||
		w.Header().Get("X-Max-Version") != "0" || w.Header().Get("X-Last-Version") != "" {
		t.Errorf("empty export: %d %q %v", w.Code, w.Body, w.Header())
	}
}
