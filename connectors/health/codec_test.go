package health

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/domain"
)

func golden(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeGoldenOrganizations(t *testing.T) {
	t.Parallel()
	var p connectors.Page
	info, err := decodeSearch(bytes.NewReader(golden(t, "organization_bundle.json")), "Organization", &p, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if info.Total != 5 || info.Entries != 4 || info.MaxSeq != 4 || cursorOf(info.Next) != 4 {
		t.Errorf("info = %+v", info)
	}
	want := []domain.MedicalInstitution{
		{BIN: "080140000007", Name: `ГКП на ПХВ "Городская поликлиника №4"`, Region: "710000000", Cadastral: "21:320:015:777", Primary: true},
		{BIN: "090240000002", Name: "Областная больница", Region: "610000000"},
	}
	if !reflect.DeepEqual(p.MedicalInstitutions, want) {
		t.Errorf("got %+v\nwant %+v", p.MedicalInstitutions, want)
	}
	for i, tc := range []struct{ key, reason string }{
		{"org-3", `address.state: KATO "999999999"`},
		{"org-4", `type: code "sanatorium"`},
	} {
		if i >= len(p.Quarantined) || p.Quarantined[i].Key != tc.key || !strings.Contains(p.Quarantined[i].Reason, tc.reason) ||
			p.Quarantined[i].Entity != "medical_institution" || !strings.Contains(p.Quarantined[i].Raw, `"id": "`+tc.key+`"`) {
			t.Errorf("quarantined[%d] = %+v; want %s with %q", i, p.Quarantined, tc.key, tc.reason)
		}
	}
}

func TestDecodeGoldenCoverages(t *testing.T) {
	t.Parallel()
	var p connectors.Page
	info, err := decodeSearch(bytes.NewReader(golden(t, "coverage_bundle.json")), "Coverage", &p, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if info.Next != "" || info.Entries != 6 {
		t.Errorf("info = %+v", info)
	}
	iin := domain.MustIIN("150101500001")
	want := []domain.Coverage{
		{IIN: iin, Category: "employee", From: domain.MustDate("2024-01-01")},
		{IIN: iin, Category: "state_funded", From: domain.MustDate("2024-01-01"), To: domain.MustDate("2025-06-30")},
	}
	if !reflect.DeepEqual(p.Coverages, want) {
		t.Errorf("got %+v\nwant %+v", p.Coverages, want)
	}
	reasons := []string{`period.end: "2024-04-31"`, "beneficiary.identifier: missing", `resourceType: "Patient", want Coverage`, "not a FHIR resource"}
	if len(p.Quarantined) != len(reasons) {
		t.Fatalf("quarantined %+v", p.Quarantined)
	}
	for i, r := range reasons {
		if !strings.Contains(p.Quarantined[i].Reason, r) || p.Quarantined[i].Raw == "" {
			t.Errorf("quarantined[%d] = %+v, want reason %q", i, p.Quarantined[i], r)
		}
	}
}

func TestDecodeGoldenOutcome(t *testing.T) {
	t.Parallel()
	body := golden(t, "outcome.json")
	var p connectors.Page
	_, err := decodeSearch(bytes.NewReader(body), "Coverage", &p, time.Now())
	var o *Outcome
	if !errors.As(err, &o) || o.Code != "throttled" || !strings.Contains(o.Diagnostics, "Retry-After") {
		t.Fatalf("err = %v, want the OperationOutcome", err)
	}
	if o2, ok := decodeOutcome(body); !ok || *o2 != *o {
		t.Errorf("decodeOutcome = %+v, %v", o2, ok)
	}
}

func TestDecodeRejectsWhatIsNotABundle(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, body string }{
		{"empty", ""},
		{"array", "[]"},
		{"other resource", `{"resourceType":"Patient"}`},
		{"history bundle", `{"resourceType":"Bundle","type":"history","entry":[]}`},
		{"no resourceType", `{"entry":[]}`},
		{"truncated", `{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p connectors.Page
			if _, err := decodeSearch(strings.NewReader(tc.body), "Coverage", &p, time.Now()); err == nil {
				t.Error("accepted")
			}
		})
	}
}

// FuzzDecodeBundle feeds arbitrary bytes to the Bundle decoder for every resource type: no
// panic, every entry ends as a record or a quarantined entry, and what passes is valid.
func FuzzDecodeBundle(f *testing.F) {
	for _, name := range []string{"organization_bundle.json", "coverage_bundle.json", "outcome.json"} {
		f.Add(golden(f, name), uint8(0))
		f.Add(golden(f, name), uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, typ uint8) {
		want := feed[int(typ)%len(feed)]
		var p connectors.Page
		info, err := decodeSearch(bytes.NewReader(data), want, &p, time.Now())
		if err != nil {
			return
		}
		if info.Entries != p.Len() {
			t.Fatalf("%d entries, %d records and quarantined", info.Entries, p.Len())
		}
		for _, v := range p.Coverages {
			if _, err := domain.ParseIIN(string(v.IIN)); err != nil || v.From.IsZero() || (!v.To.IsZero() && v.To.Before(v.From)) {
				t.Fatalf("invalid coverage passed: %+v", v)
			}
		}
		for _, v := range p.MedicalInstitutions {
			if _, err := domain.ParseKATO(string(v.Region)); err != nil {
				t.Fatalf("invalid institution passed: %+v", v)
			}
		}
	})
}
