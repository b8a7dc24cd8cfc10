// Package education simulates the Ministry of Education's national education database: the bulk
// CSV exports and the JSON look-up API described in docs/sources/education.md, serving a
// generated country.
//
// It owns its own wire encoding, written from that document; it must not share code or types
// with connectors/education, and the gateway must never import it.
package education

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"sync"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/gen"
	"github.com/birlik/birlik/sim"
)

// Server is the simulated education database. It is an http.Handler; its Faults and Counter
// come from the embedded sim.Mux.
type Server struct {
	*sim.Mux
	c *gen.Country

	once       sync.Once
	orgByBIN   map[domain.BIN]int   // latest version's index in c.Schools
	enrByChild map[domain.IIN][]int // indices in c.Enrolments
}

// Exports, in the order of their salt for the malformed-record knob.
const (
	exportOrganisations = iota
	exportStaff
	exportEnrolments
	exportVouchers
)

const (
	defaultLimit = 1000
	maxLimit     = 10000
	maxLookup    = 500
)

// New returns a simulator serving c.
func New(c *gen.Country) *Server {
	s := &Server{c: c}
	s.Mux = sim.NewMux(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE", "the export service is unavailable (simulated outage), try again later")
	})
	s.HandleFunc("GET /export/organisations.csv", s.exportOrganisations)
	s.HandleFunc("GET /export/staff.csv", s.exportStaff)
	s.HandleFunc("GET /export/enrolments.csv", s.exportEnrolments)
	s.HandleFunc("GET /export/vouchers.csv", s.exportVouchers)
	s.HandleFunc("GET /api/organisations/{bin}", s.organisation)
	s.HandleFunc("POST /api/enrolments:byChild", s.enrolmentsByChild)
	s.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "no such path: "+r.URL.Path)
	})
	return s
}

func (s *Server) index() {
	s.once.Do(func() {
		s.orgByBIN = make(map[domain.BIN]int, len(s.c.Schools))
		for i, o := range s.c.Schools {
			s.orgByBIN[o.BIN] = i
		}
		s.enrByChild = make(map[domain.IIN][]int, len(s.c.Enrolments))
		for i, e := range s.c.Enrolments {
			s.enrByChild[e.ChildIIN] = append(s.enrByChild[e.ChildIIN], i)
		}
	})
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// bad reports whether record i of an export is corrupted by the malformed knob.
func (s *Server) bad(export, i int) bool {
	return s.Faults.Malformed(int64(export)<<40 | int64(i))
}

// page parses since/limit and returns the slice bounds [from, to) of an export of n rows, whose
// row i has row_version i+1.
func page(w http.ResponseWriter, r *http.Request, n int) (from, to int, ok bool) {
	q := r.URL.Query()
	since, limit := 0, defaultLimit
	if v := q.Get("since"); v != "" {
		x, err := strconv.Atoi(v)
		if err != nil || x < 0 {
			writeError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf("since must be an integer >= 0, got %q", v))
			return 0, 0, false
		}
		since = x
	}
	if v := q.Get("limit"); v != "" {
		x, err := strconv.Atoi(v)
		if err != nil || x < 1 || x > maxLimit {
			writeError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf("limit must be 1..%d, got %q", maxLimit, v))
			return 0, 0, false
		}
		limit = x
	}
	from = min(since, n)
	to = min(from+limit, n)
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("X-Total-Count", strconv.Itoa(n))
	h.Set("X-Max-Version", strconv.Itoa(n))
	if to > from {
		h.Set("X-Last-Version", strconv.Itoa(to))
	}
	return from, to, true
}

// export writes the BOM, the header and rows [from, to) produced by row.
func export(w http.ResponseWriter, header []string, from, to int, row func(i int, rec []string)) {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString("\uFEFF")
	cw := csv.NewWriter(bw)
	cw.Comma = ';'
	cw.UseCRLF = true
	cw.Write(header)
	rec := make([]string, len(header))
	for i := from; i < to; i++ {
		clear(rec)
		rec[0] = strconv.Itoa(i + 1)
		row(i, rec)
		cw.Write(rec)
	}
	cw.Flush()
	bw.Flush()
}

func date(d domain.Date) string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%02d.%02d.%04d", d.Day(), int(d.Month()), d.Year())
}

// Native enum values.
var (
	orgTypes   = map[domain.OrgKind]string{domain.KindSchool: "школа", domain.KindKindergarten: "детский сад", domain.KindCollege: "колледж"}
	ownerships = map[domain.Ownership]string{domain.Public: "государственная", domain.Private: "частная"}
)

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// spoil changes the check digit of a 12-digit identifier so that it no longer validates.
func spoil(id string) string {
	if len(id) != 12 {
		return id + "0"
	}
	d := id[11] - '0'
	return id[:11] + string(rune('0'+(d+1)%10))
}

type orgRow struct {
	bin, name, kind, ownership, kato, cadastral string
	stateOrder                                  bool
}

func (s *Server) org(i int) orgRow {
	o := s.c.Schools[i]
	r := orgRow{string(o.BIN), o.Name, orgTypes[o.Kind], ownerships[o.Ownership], string(o.Region), o.Cadastral, o.StateOrder}
	if s.bad(exportOrganisations, i) {
		switch i % 4 {
		case 0:
			r.bin = spoil(r.bin)
		case 1:
			r.kind = "лицей-интернат"
		case 2:
			r.kato = "999999999"
		case 3:
			r.ownership = "смешанная"
		}
	}
	return r
}

func (s *Server) exportOrganisations(w http.ResponseWriter, r *http.Request) {
	from, to, ok := page(w, r, len(s.c.Schools))
	if !ok {
		return
	}
	export(w, []string{"row_version", "org_bin", "org_name", "org_type", "ownership_form", "kato_code", "building_cadastral_no", "state_order"},
		from, to, func(i int, rec []string) {
			o := s.org(i)
			rec[1], rec[2], rec[3], rec[4], rec[5], rec[6], rec[7] = o.bin, o.name, o.kind, o.ownership, o.kato, o.cadastral, flag(o.stateOrder)
		})
}

func (s *Server) exportStaff(w http.ResponseWriter, r *http.Request) {
	from, to, ok := page(w, r, len(s.c.Staff))
	if !ok {
		return
	}
	export(w, []string{"row_version", "org_bin", "employee_iin", "position_name", "hired_on", "dismissed_on"},
		from, to, func(i int, rec []string) {
			m := s.c.Staff[i]
			rec[1], rec[2], rec[3], rec[4], rec[5] = string(m.BIN), string(m.IIN), m.Position, date(m.From), date(m.To)
			if s.bad(exportStaff, i) {
				switch i % 3 {
				case 0:
					rec[2] = spoil(rec[2])
				case 1:
					rec[4] = "00.13.2023"
				case 2:
					rec[1] = spoil(rec[1])
				}
			}
		})
}

type enrRow struct {
	id, child, bin, from, to string
	grade, year              int
}

func (s *Server) enrolment(i int) enrRow {
	e := s.c.Enrolments[i]
	r := enrRow{e.ID, string(e.ChildIIN), string(e.BIN), e.From.String(), e.To.String(), e.Grade, e.Year}
	if s.bad(exportEnrolments, i) {
		switch i % 4 {
		case 0:
			r.child = spoil(r.child)
		case 1:
			r.from = "2024-02-31"
		case 2:
			r.bin = spoil(r.bin)
		case 3:
			r.grade = -1
		}
	}
	return r
}

// isoToNative turns yyyy-mm-dd (valid or not) into dd.mm.yyyy.
func isoToNative(s string) string {
	if len(s) != 10 {
		return s
	}
	return s[8:10] + "." + s[5:7] + "." + s[0:4]
}

func (s *Server) exportEnrolments(w http.ResponseWriter, r *http.Request) {
	from, to, ok := page(w, r, len(s.c.Enrolments))
	if !ok {
		return
	}
	export(w, []string{"row_version", "enrolment_id", "child_iin", "org_bin", "grade", "academic_year", "enrolled_on", "left_on"},
		from, to, func(i int, rec []string) {
			e := s.enrolment(i)
			rec[1], rec[2], rec[3] = e.id, e.child, e.bin
			rec[4] = strconv.Itoa(e.grade)
			rec[5] = strconv.Itoa(e.year) + "-" + strconv.Itoa(e.year+1)
			rec[6], rec[7] = isoToNative(e.from), isoToNative(e.to)
		})
}

func (s *Server) exportVouchers(w http.ResponseWriter, r *http.Request) {
	from, to, ok := page(w, r, len(s.c.Vouchers))
	if !ok {
		return
	}
	export(w, []string{"row_version", "voucher_no", "child_iin", "parent_iin", "org_bin", "valid_from", "valid_to"},
		from, to, func(i int, rec []string) {
			v := s.c.Vouchers[i]
			rec[1], rec[2], rec[3], rec[4], rec[5], rec[6] = v.ID, string(v.ChildIIN), string(v.ParentIIN), string(v.BIN), date(v.From), date(v.To)
			if s.bad(exportVouchers, i) {
				switch i % 3 {
				case 0:
					rec[3] = spoil(rec[3])
				case 1:
					rec[5] = "30.02.2025"
				case 2:
					rec[2] = spoil(rec[2])
				}
			}
		})
}

var twelveDigits = regexp.MustCompile(`^[0-9]{12}$`)

func (s *Server) organisation(w http.ResponseWriter, r *http.Request) {
	bin := r.PathValue("bin")
	if !twelveDigits.MatchString(bin) {
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf("bin must be 12 digits, got %q", bin))
		return
	}
	s.index()
	i, ok := s.orgByBIN[domain.BIN(bin)]
	if !ok {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "no organisation with BIN "+bin)
		return
	}
	o := s.org(i)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(map[string]any{
		"bin": o.bin, "name": o.name, "type": o.kind, "ownership": o.ownership, "kato": o.kato,
		"cadastralNo": o.cadastral, "stateOrder": o.stateOrder,
	})
}

func nullable(iso string) any {
	if iso == "" {
		return nil
	}
	return iso
}

func (s *Server) enrolmentsByChild(w http.ResponseWriter, r *http.Request) {
	var req struct {
		IINs []string `json:"iins"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", "body must be {\"iins\":[...]}: "+err.Error())
		return
	}
	if len(req.IINs) < 1 || len(req.IINs) > maxLookup {
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf("iins must hold 1..%d IINs, got %d", maxLookup, len(req.IINs)))
		return
	}
	for _, iin := range req.IINs {
		if !twelveDigits.MatchString(iin) {
			writeError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf("IIN %q must be 12 digits", iin))
			return
		}
	}
	s.index()
	type enr struct {
		ID           string `json:"id"`
		OrgBIN       string `json:"orgBin"`
		Grade        int    `json:"grade"`
		AcademicYear int    `json:"academicYear"`
		EnrolledOn   any    `json:"enrolledOn"`
		LeftOn       any    `json:"leftOn"`
	}
	type result struct {
		IIN        string `json:"iin"`
		Enrolments []enr  `json:"enrolments"`
	}
	out := struct {
		Results []result `json:"results"`
	}{Results: make([]result, 0, len(req.IINs))}
	for _, iin := range req.IINs {
		res := result{IIN: iin, Enrolments: []enr{}}
		for _, i := range s.enrByChild[domain.IIN(iin)] {
			e := s.enrolment(i)
			res.Enrolments = append(res.Enrolments, enr{e.id, e.bin, e.grade, e.year, nullable(e.from), nullable(e.to)})
		}
		out.Results = append(out.Results, res)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(out)
}
