package education

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/domain"
)

// The golden files in testdata/ are native exports as the document describes them, with the
// quirks of the real thing: a BOM, CRLF, quoted names with doubled quotes, semicolons and line
// breaks, empty optional dates, and bad rows.
func TestDecodeGoldenExports(t *testing.T) {
	t.Parallel()
	d := domain.MustDate
	b1, b2 := domain.MustBIN("080140000007"), domain.MustBIN("090240000002")
	i1, i2, i3, i4 := domain.MustIIN("150101500001"), domain.MustIIN("190303600003"), domain.MustIIN("850505400008"), domain.MustIIN("901212300003")
	for _, tc := range []struct {
		file    string
		stage   int
		want    connectors.Page
		reasons []string // of the quarantined rows, in order (substrings)
		last    int64    // highest row_version that could be read
	}{
		{"organisations.csv", 0, connectors.Page{Schools: []domain.School{
			{BIN: b1, Name: `КГУ "Школа-гимназия №5"; г. Астана`, Kind: domain.KindSchool, Ownership: domain.Public, Region: "710000000", Cadastral: "21:320:015:123", StateOrder: true},
			{BIN: b2, Name: "Детский сад\n«Балапан»", Kind: domain.KindKindergarten, Ownership: domain.Private, Region: "750000000"},
		}}, []string{"org_bin: BIN \"100340000001\": check digit should be 0, not 1", "org_type: \"лицей-интернат\"", "kato_code", "wrong number of fields"}, 5},
		{"staff.csv", 1, connectors.Page{Staff: []domain.StaffMember{
			{BIN: b1, IIN: i3, Position: "учитель математики", From: d("2020-08-25")},
			{BIN: b1, IIN: i4, Position: "завуч; учитель", From: d("2019-09-01"), To: d("2025-05-31")},
		}}, []string{"employee_iin", "hired_on: date \"00.13.2023\" does not exist"}, 4},
		{"enrolments.csv", 2, connectors.Page{Enrolments: []domain.Enrolment{
			{ID: "E00000001", ChildIIN: i1, BIN: b1, Grade: 3, Year: 2024, From: d("2024-09-01")},
			{ID: "E00000002", ChildIIN: i2, BIN: b2, Grade: 0, Year: 2024, From: d("2024-09-01"), To: d("2025-05-31")},
		}}, []string{"enrolled_on: date \"31.02.2024\" does not exist", "grade", "academic_year", "left_on 01.08.2024 is before enrolled_on"}, 6},
		{"vouchers.csv", 3, connectors.Page{Vouchers: []domain.Voucher{
			{ID: "V-000001", ChildIIN: i2, ParentIIN: i4, BIN: b2, From: d("2024-08-15")},
		}}, []string{"parent_iin", "valid_from"}, 3},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			var p connectors.Page
			rows, last, err := decodeExport(bytes.NewReader(raw), exports[tc.stage], &p, time.Unix(0, 0))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if rows != len(tc.want.Schools)+len(tc.want.Staff)+len(tc.want.Enrolments)+len(tc.want.Vouchers)+len(tc.reasons) || last != tc.last {
				t.Errorf("rows=%d last=%d", rows, last)
			}
			q := p.Quarantined
			p.Quarantined = nil
			if !reflect.DeepEqual(p, tc.want) {
				t.Errorf("decoded\n%+v\nwant\n%+v", p, tc.want)
			}
			if len(q) != len(tc.reasons) {
				t.Fatalf("%d quarantined, want %d: %+v", len(q), len(tc.reasons), q)
			}
			for i, r := range tc.reasons {
				if !strings.Contains(q[i].Reason, r) || q[i].Entity != exports[tc.stage].entity || !strings.Contains(string(raw), strings.SplitN(q[i].Raw, ";", 3)[1]) {
					t.Errorf("quarantined[%d] = %+v; want reason containing %q and the raw row", i, q[i], r)
				}
			}
		})
	}
}

func TestDecodeRejectsADriftedHeader(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, body string }{
		{"empty", ""},
		{"renamed column", "row_version;bin;org_name;org_type;ownership_form;kato_code;building_cadastral_no;state_order\r\n"},
		{"missing column", "row_version;org_bin;org_name\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p connectors.Page
			if _, _, err := decodeExport(strings.NewReader(tc.body), exports[0], &p, time.Now()); err == nil {
				t.Error("accepted")
			}
		})
	}
}

// FuzzDecodeExport feeds arbitrary bytes to the CSV decoder of every export: it must never
// panic, and every row it reports must come out as a record or a quarantined entry.
func FuzzDecodeExport(f *testing.F) {
	for i, ex := range exports {
		if raw, err := os.ReadFile(filepath.Join("testdata", strings.TrimPrefix(ex.path, "/export/"))); err == nil {
			f.Add(raw, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, stage uint8) {
		ex := exports[int(stage)%len(exports)]
		var p connectors.Page
		rows, _, err := decodeExport(bytes.NewReader(data), ex, &p, time.Now())
		if err != nil {
			return
		}
		if rows != p.Len() {
			t.Fatalf("%d rows read but %d records and quarantined entries", rows, p.Len())
		}
		for _, q := range p.Quarantined {
			if q.Reason == "" {
				t.Fatalf("quarantined without a reason: %+v", q)
			}
		}
		for _, s := range p.Schools {
			if _, err := domain.ParseBIN(string(s.BIN)); err != nil {
				t.Fatalf("invalid BIN passed: %v", err)
			}
		}
		for _, e := range p.Enrolments {
			if _, err := domain.ParseIIN(string(e.ChildIIN)); err != nil || e.From.IsZero() {
				t.Fatalf("invalid enrolment passed: %+v", e)
			}
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"01.09.2024", "31.02.2024", "", "1.9.2024", "+1.09.2024", "29.02.2024", "00.00.0000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDate("c", s, true)
		if err != nil {
			return
		}
		if s == "" {
			if !d.IsZero() {
				t.Fatal("empty gave a date")
			}
			return
		}
		want := s[6:10] + "-" + s[3:5] + "-" + s[0:2]
		if d.String() != want {
			t.Fatalf("parseDate(%q) = %s, want %s", s, d, want)
		}
	})
}
