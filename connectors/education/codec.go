package education

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/domain"
)

// export is one of the database's CSV exports (docs/sources/education.md, section 1).
type export struct {
	path   string // e.g. "/export/organisations.csv"
	entity string // the quarantine's entity name
	header []string
	// decode maps one row (fields without row_version) into p; key is the record's key as far
	// as it could be read, err what is wrong with it.
	decode func(p *connectors.Page, f []string) (key string, err error)
}

// exports in feed order: organisations before what refers to them.
var exports = []export{
	{"/export/organisations.csv", "organisation",
		[]string{"row_version", "org_bin", "org_name", "org_type", "ownership_form", "kato_code", "building_cadastral_no", "state_order"},
		decodeOrganisation},
	{"/export/staff.csv", "staff",
		[]string{"row_version", "org_bin", "employee_iin", "position_name", "hired_on", "dismissed_on"},
		decodeStaff},
	{"/export/enrolments.csv", "enrolment",
		[]string{"row_version", "enrolment_id", "child_iin", "org_bin", "grade", "academic_year", "enrolled_on", "left_on"},
		decodeEnrolment},
	{"/export/vouchers.csv", "voucher",
		[]string{"row_version", "voucher_no", "child_iin", "parent_iin", "org_bin", "valid_from", "valid_to"},
		decodeVoucher},
}

// Native enum values (section 1.3).
var (
	orgTypes   = map[string]domain.OrgKind{"школа": domain.KindSchool, "детский сад": domain.KindKindergarten, "колледж": domain.KindCollege}
	ownerships = map[string]domain.Ownership{"государственная": domain.Public, "частная": domain.Private}
)

// fieldError names the column a problem is in.
func fieldError(column string, err error) error { return fmt.Errorf("%s: %w", column, err) }

// parseDate reads a dd.mm.yyyy date; optional allows the empty field (the zero Date).
func parseDate(column, s string, optional bool) (domain.Date, error) {
	if s == "" {
		if optional {
			return domain.Date{}, nil
		}
		return domain.Date{}, fmt.Errorf("%s: required date is empty", column)
	}
	bad := len(s) != 10 || s[2] != '.' || s[5] != '.'
	var dd, mm, yy int
	if !bad {
		var e1, e2, e3 error
		dd, e1 = strconv.Atoi(s[0:2])
		mm, e2 = strconv.Atoi(s[3:5])
		yy, e3 = strconv.Atoi(s[6:10])
		bad = e1 != nil || e2 != nil || e3 != nil || s[0] == '+' || s[3] == '+' || s[6] == '+' || s[0] == '-' || s[3] == '-' || s[6] == '-'
	}
	if bad {
		return domain.Date{}, fmt.Errorf("%s: date %q: want dd.mm.yyyy", column, s)
	}
	d := domain.NewDate(yy, time.Month(mm), dd)
	if d.Day() != dd || int(d.Month()) != mm || d.Year() != yy {
		return domain.Date{}, fmt.Errorf("%s: date %q does not exist", column, s)
	}
	return d, nil
}

func period(fromCol, toCol, from, to string) (domain.Date, domain.Date, error) {
	f, err := parseDate(fromCol, from, false)
	if err != nil {
		return f, domain.Date{}, err
	}
	t, err := parseDate(toCol, to, true)
	if err != nil {
		return f, t, err
	}
	if !t.IsZero() && t.Before(f) {
		return f, t, fmt.Errorf("%s %s is before %s %s", toCol, to, fromCol, from)
	}
	return f, t, nil
}

func decodeOrganisation(p *connectors.Page, f []string) (string, error) {
	key := f[0]
	bin, err := domain.ParseBIN(f[0])
	if err != nil {
		return key, fieldError("org_bin", err)
	}
	if strings.TrimSpace(f[1]) == "" {
		return key, errors.New("org_name: empty")
	}
	kind, ok := orgTypes[f[2]]
	if !ok {
		return key, fmt.Errorf("org_type: %q is not one of школа, детский сад, колледж", f[2])
	}
	own, ok := ownerships[f[3]]
	if !ok {
		return key, fmt.Errorf("ownership_form: %q is not one of государственная, частная", f[3])
	}
	kato, err := domain.ParseKATO(f[4])
	if err != nil {
		return key, fieldError("kato_code", err)
	}
	so, err := flag("state_order", f[6])
	if err != nil {
		return key, err
	}
	p.Schools = append(p.Schools, domain.School{BIN: bin, Name: f[1], Kind: kind, Ownership: own, Region: kato, Cadastral: f[5], StateOrder: so})
	return key, nil
}

func flag(column, s string) (bool, error) {
	switch s {
	case "1":
		return true, nil
	case "0":
		return false, nil
	}
	return false, fmt.Errorf("%s: %q is not 1 or 0", column, s)
}

func decodeStaff(p *connectors.Page, f []string) (string, error) {
	key := f[0] + "/" + f[1] + "/" + f[3]
	bin, err := domain.ParseBIN(f[0])
	if err != nil {
		return key, fieldError("org_bin", err)
	}
	iin, err := domain.ParseIIN(f[1])
	if err != nil {
		return key, fieldError("employee_iin", err)
	}
	if strings.TrimSpace(f[2]) == "" {
		return key, errors.New("position_name: empty")
	}
	from, to, err := period("hired_on", "dismissed_on", f[3], f[4])
	if err != nil {
		return key, err
	}
	p.Staff = append(p.Staff, domain.StaffMember{BIN: bin, IIN: iin, Position: f[2], From: from, To: to})
	return key, nil
}

// parseAcademicYear reads yyyy-yyyy and returns the first year.
func parseAcademicYear(s string) (int, error) {
	a, b, ok := strings.Cut(s, "-")
	y1, e1 := strconv.Atoi(a)
	y2, e2 := strconv.Atoi(b)
	if !ok || len(a) != 4 || len(b) != 4 || e1 != nil || e2 != nil || y2 != y1+1 {
		return 0, fmt.Errorf("academic_year: %q: want yyyy-yyyy with consecutive years, e.g. 2024-2025", s)
	}
	return y1, nil
}

func parseGrade(s string) (int, error) {
	g, err := strconv.Atoi(s)
	if err != nil || g < 0 || g > 12 {
		return 0, fmt.Errorf("grade: %q is not an integer 0..12", s)
	}
	return g, nil
}

func decodeEnrolment(p *connectors.Page, f []string) (string, error) {
	key := f[0]
	if strings.TrimSpace(f[0]) == "" {
		return key, errors.New("enrolment_id: empty")
	}
	child, err := domain.ParseIIN(f[1])
	if err != nil {
		return key, fieldError("child_iin", err)
	}
	bin, err := domain.ParseBIN(f[2])
	if err != nil {
		return key, fieldError("org_bin", err)
	}
	grade, err := parseGrade(f[3])
	if err != nil {
		return key, err
	}
	year, err := parseAcademicYear(f[4])
	if err != nil {
		return key, err
	}
	from, to, err := period("enrolled_on", "left_on", f[5], f[6])
	if err != nil {
		return key, err
	}
	p.Enrolments = append(p.Enrolments, domain.Enrolment{ID: f[0], ChildIIN: child, BIN: bin, Grade: grade, Year: year, From: from, To: to})
	return key, nil
}

func decodeVoucher(p *connectors.Page, f []string) (string, error) {
	key := f[0]
	if strings.TrimSpace(f[0]) == "" {
		return key, errors.New("voucher_no: empty")
	}
	child, err := domain.ParseIIN(f[1])
	if err != nil {
		return key, fieldError("child_iin", err)
	}
	parent, err := domain.ParseIIN(f[2])
	if err != nil {
		return key, fieldError("parent_iin", err)
	}
	bin, err := domain.ParseBIN(f[3])
	if err != nil {
		return key, fieldError("org_bin", err)
	}
	from, to, err := period("valid_from", "valid_to", f[4], f[5])
	if err != nil {
		return key, err
	}
	p.Vouchers = append(p.Vouchers, domain.Voucher{ID: f[0], ChildIIN: child, ParentIIN: parent, BIN: bin, From: from, To: to})
	return key, nil
}

// rawRow re-encodes a row in the export's dialect, as it was received.
func rawRow(rec []string) string {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Comma = ';'
	w.Write(rec)
	w.Flush()
	return strings.TrimRight(b.String(), "\n")
}

// decodeExport reads one CSV export response (BOM, header, rows) into p: valid rows as domain
// records, bad rows quarantined with the reason and the raw row. It returns the number of rows
// read and the highest row_version among them. An error means the response as a whole could
// not be read (a wrong header, a broken stream); the rows decoded before it stay in p.
func decodeExport(r io.Reader, ex export, p *connectors.Page, now time.Time) (rows int, last int64, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\uFEFF")) {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.Comma = ';'
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		if err == io.EOF {
			return 0, 0, fmt.Errorf("%s: empty response, want at least the header row", ex.path)
		}
		return 0, 0, fmt.Errorf("%s: header row: %w", ex.path, err)
	}
	if !equal(head, ex.header) {
		return 0, 0, fmt.Errorf("%s: header is %q, want %q (docs/sources/education.md)", ex.path, strings.Join(head, ";"), strings.Join(ex.header, ";"))
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, last, nil
		}
		var pe *csv.ParseError
		if err != nil && !errors.As(err, &pe) {
			return rows, last, fmt.Errorf("%s: reading row %d: %w", ex.path, rows+1, err)
		}
		rows++
		q := connectors.Quarantined{Source: connectors.Education, Entity: ex.entity, Seen: now}
		if err != nil {
			q.Reason = "malformed CSV: " + err.Error()
			if rec != nil {
				q.Raw = rawRow(rec)
			} else {
				line, _ := cr.FieldPos(0)
				q.Raw = fmt.Sprintf("(unreadable row near line %d)", line)
			}
			p.Quarantined = append(p.Quarantined, q)
			continue
		}
		v, verr := strconv.ParseInt(rec[0], 10, 64)
		if verr != nil || v < 1 {
			q.Reason = fmt.Sprintf("row_version: %q is not a positive integer", rec[0])
			q.Raw = rawRow(rec)
			p.Quarantined = append(p.Quarantined, q)
			continue
		}
		last = max(last, v)
		if key, derr := ex.decode(p, rec[1:]); derr != nil {
			q.Key, q.Reason, q.Raw = key, derr.Error(), rawRow(rec)
			p.Quarantined = append(p.Quarantined, q)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
