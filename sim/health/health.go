// Package health simulates the Ministry of Healthcare's UMIS: a FHIR R4-style API serving
// Organization, Patient (attachment), Encounter and Coverage resources in searchset Bundles with
// next links, as described in docs/sources/health.md, from a generated country.
//
// It owns its own wire encoding, written from that document; it must not share code or types
// with connectors/health, and the gateway must never import it.
package health

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/gen"
	"github.com/birlik/birlik/sim"
)

const (
	defaultCount = 1000
	maxCount     = 5000
	maxBatch     = 100
	fhirJSON     = "application/fhir+json; charset=utf-8"
)

// Server is the simulated UMIS, an http.Handler with the sim.Mux's faults and counters.
type Server struct {
	*sim.Mux
	c *gen.Country

	throttled  atomic.Int64 // requests still to answer 429
	retryAfter atomic.Int64 // seconds

	once      sync.Once
	covByIIN  map[domain.IIN][]int
	visByIIN  map[domain.IIN][]int
	attByIIN  map[domain.IIN][]int
	resources []*resourceType
}

// Throttle makes the next n requests fail with 429 and Retry-After: seconds, as the register
// does under load.
func (s *Server) Throttle(n int, seconds int) {
	s.retryAfter.Store(int64(seconds))
	s.throttled.Store(int64(n))
}

type resourceType struct {
	name   string
	salt   int64
	n      func() int
	render func(i int) any
	// batch look-up: parameter name and the index it searches
	batchParam string
	batchIndex func() map[domain.IIN][]int
	date       func(i int) domain.Date // for _sort on date
}

// New returns a simulator serving c.
func New(c *gen.Country) *Server {
	s := &Server{c: c}
	s.Mux = sim.NewMux(func(w http.ResponseWriter, r *http.Request) {
		outcome(w, http.StatusServiceUnavailable, "transient", "the register is unavailable (simulated outage), try again later")
	})
	s.resources = []*resourceType{
		{name: "Organization", salt: 0, n: func() int { return len(c.MedicalInstitutions) }, render: s.organization},
		{name: "Patient", salt: 1, n: func() int { return len(c.Attachments) }, render: s.patient,
			batchParam: "identifier", batchIndex: func() map[domain.IIN][]int { s.index(); return s.attByIIN }},
		{name: "Encounter", salt: 2, n: func() int { return len(c.Visits) }, render: s.encounter,
			batchParam: "patient", batchIndex: func() map[domain.IIN][]int { s.index(); return s.visByIIN },
			date: func(i int) domain.Date { return c.Visits[i].Date }},
		{name: "Coverage", salt: 3, n: func() int { return len(c.Coverages) }, render: s.coverage,
			batchParam: "beneficiary", batchIndex: func() map[domain.IIN][]int { s.index(); return s.covByIIN }},
	}
	for _, rt := range s.resources {
		s.HandleFunc("GET /fhir/"+rt.name, s.search(rt))
	}
	s.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		outcome(w, http.StatusNotFound, "not-found", "no such resource type or path: "+r.Method+" "+r.URL.Path)
	})
	return s
}

// ServeHTTP answers 429 while throttled, then serves as the sim.Mux does.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.throttled.Load() > 0 && s.throttled.Add(-1) >= 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(s.retryAfter.Load(), 10))
		s.Counter.Inc("throttled")
		outcome(w, http.StatusTooManyRequests, "throttled", "too many requests, retry after the time in Retry-After")
		return
	}
	s.Mux.ServeHTTP(w, r)
}

func (s *Server) index() {
	s.once.Do(func() {
		s.covByIIN = map[domain.IIN][]int{}
		for i, v := range s.c.Coverages {
			s.covByIIN[v.IIN] = append(s.covByIIN[v.IIN], i)
		}
		s.visByIIN = map[domain.IIN][]int{}
		for i, v := range s.c.Visits {
			s.visByIIN[v.IIN] = append(s.visByIIN[v.IIN], i)
		}
		s.attByIIN = map[domain.IIN][]int{}
		for i, v := range s.c.Attachments {
			s.attByIIN[v.IIN] = append(s.attByIIN[v.IIN], i)
		}
	})
}

type issue struct {
	Severity    string `json:"severity"`
	Code        string `json:"code"`
	Diagnostics string `json:"diagnostics"`
}

func outcome(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", fhirJSON)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(struct {
		ResourceType string  `json:"resourceType"`
		Issue        []issue `json:"issue"`
	}{"OperationOutcome", []issue{{"error", code, msg}}})
}

func intParam(q url.Values, name string, def, lo, hi int64) (int64, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	x, err := strconv.ParseInt(v, 10, 64)
	if err != nil || x < lo || x > hi {
		return 0, fmt.Errorf("%s must be an integer %d..%d, got %q", name, lo, hi, v)
	}
	return x, nil
}

func (s *Server) search(rt *resourceType) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		for k := range q {
			switch k {
			case "_count", "_cursor", "_offset", "_sort":
			default:
				if k != rt.batchParam || rt.batchParam == "" {
					outcome(w, http.StatusBadRequest, "invalid", fmt.Sprintf("%s does not support the search parameter %q", rt.name, k))
					return
				}
			}
		}
		count, err := intParam(q, "_count", defaultCount, 1, maxCount)
		if err != nil {
			outcome(w, http.StatusBadRequest, "invalid", err.Error())
			return
		}
		base := "http://" + r.Host + "/fhir/" + rt.name
		if rt.batchParam != "" && q.Has(rt.batchParam) {
			s.batch(w, r, rt, q, count, base)
			return
		}
		cursor, err := intParam(q, "_cursor", 0, 0, 1<<62)
		if err != nil {
			outcome(w, http.StatusBadRequest, "invalid", err.Error())
			return
		}
		n := rt.n()
		from := int(min(cursor, int64(n)))
		to := min(from+int(count), n)
		idx := make([]int, 0, to-from)
		for i := from; i < to; i++ {
			idx = append(idx, i)
		}
		next := ""
		if to < n {
			next = fmt.Sprintf("%s?_count=%d&_cursor=%d", base, count, to)
		}
		self := fmt.Sprintf("%s?_count=%d&_cursor=%d", base, count, cursor)
		s.bundle(w, rt, n, self, next, idx)
	}
}

func (s *Server) batch(w http.ResponseWriter, r *http.Request, rt *resourceType, q url.Values, count int64, base string) {
	var iins []string
	for _, v := range q[rt.batchParam] {
		iins = append(iins, strings.Split(v, ",")...)
	}
	if len(iins) < 1 || len(iins) > maxBatch {
		outcome(w, http.StatusBadRequest, "invalid", fmt.Sprintf("%s takes 1..%d IINs, got %d", rt.batchParam, maxBatch, len(iins)))
		return
	}
	ix := rt.batchIndex()
	var idx []int
	seen := map[string]bool{}
	for _, iin := range iins {
		if len(iin) != 12 || strings.Trim(iin, "0123456789") != "" {
			outcome(w, http.StatusBadRequest, "invalid", fmt.Sprintf("%s: IIN %q must be 12 digits", rt.batchParam, iin))
			return
		}
		if !seen[iin] {
			seen[iin] = true
			idx = append(idx, ix[domain.IIN(iin)]...)
		}
	}
	slices.Sort(idx)
	switch sort := q.Get("_sort"); {
	case sort == "":
	case rt.date != nil && (sort == "date" || sort == "-date"):
		slices.SortStableFunc(idx, func(a, b int) int {
			c := rt.date(a).Time().Compare(rt.date(b).Time())
			if sort == "-date" {
				c = -c
			}
			return c
		})
	default:
		outcome(w, http.StatusBadRequest, "invalid", fmt.Sprintf("%s cannot be sorted by %q", rt.name, sort))
		return
	}
	offset, err := intParam(q, "_offset", 0, 0, 1<<62)
	if err != nil {
		outcome(w, http.StatusBadRequest, "invalid", err.Error())
		return
	}
	total := len(idx)
	from := int(min(offset, int64(total)))
	to := min(from+int(count), total)
	params := url.Values{rt.batchParam: {strings.Join(iins, ",")}, "_count": {strconv.FormatInt(count, 10)}}
	if v := q.Get("_sort"); v != "" {
		params.Set("_sort", v)
	}
	params.Set("_offset", strconv.Itoa(from))
	self := base + "?" + params.Encode()
	next := ""
	if to < total {
		params.Set("_offset", strconv.Itoa(to))
		next = base + "?" + params.Encode()
	}
	s.bundle(w, rt, total, self, next, idx[from:to])
}

type link struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

func (s *Server) bundle(w http.ResponseWriter, rt *resourceType, total int, self, next string, idx []int) {
	w.Header().Set("Content-Type", fhirJSON)
	bw := bufio.NewWriterSize(w, 64<<10)
	links := []link{{"self", self}}
	if next != "" {
		links = append(links, link{"next", next})
	}
	lb, _ := json.Marshal(links)
	fmt.Fprintf(bw, `{"resourceType":"Bundle","type":"searchset","total":%d,"link":%s,"entry":[`, total, lb)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	base := self
	if i := strings.IndexByte(base, '?'); i >= 0 {
		base = base[:i]
	}
	for k, i := range idx {
		if k > 0 {
			bw.WriteByte(',')
		}
		res := rt.render(i)
		bw.WriteString(`{"fullUrl":`)
		fu, _ := json.Marshal(base + "/" + res.(interface{ resourceID() string }).resourceID())
		bw.Write(fu)
		bw.WriteString(`,"search":{"mode":"match"},"resource":`)
		enc.Encode(res)
		bw.WriteByte('}')
	}
	bw.WriteString("]}\n")
	bw.Flush()
}

// ---- resources, in this simulator's own encoding ----

type meta struct {
	VersionID string `json:"versionId"`
}
type identifier struct {
	System string `json:"system"`
	Value  string `json:"value"`
}
type coding struct {
	System string `json:"system,omitempty"`
	Code   string `json:"code"`
}
type concept struct {
	Coding []coding `json:"coding"`
}
type reference struct {
	Reference  string     `json:"reference,omitempty"`
	Identifier identifier `json:"identifier"`
}
type period struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}
type extension struct {
	URL         string  `json:"url"`
	ValueString string  `json:"valueString,omitempty"`
	ValuePeriod *period `json:"valuePeriod,omitempty"`
}

type organization struct {
	ResourceType string       `json:"resourceType"`
	ID           string       `json:"id"`
	Meta         meta         `json:"meta"`
	Identifier   []identifier `json:"identifier"`
	Active       bool         `json:"active"`
	Type         []concept    `json:"type"`
	Name         string       `json:"name"`
	Address      []struct {
		State string `json:"state"`
	} `json:"address"`
	Extension []extension `json:"extension,omitempty"`
}

func (o *organization) resourceID() string { return o.ID }

type patient struct {
	ResourceType        string       `json:"resourceType"`
	ID                  string       `json:"id"`
	Meta                meta         `json:"meta"`
	Identifier          []identifier `json:"identifier"`
	GeneralPractitioner []reference  `json:"generalPractitioner"`
	Extension           []extension  `json:"extension"`
}

func (p *patient) resourceID() string { return p.ID }

type encounter struct {
	ResourceType    string    `json:"resourceType"`
	ID              string    `json:"id"`
	Meta            meta      `json:"meta"`
	Status          string    `json:"status"`
	Class           coding    `json:"class"`
	Subject         reference `json:"subject"`
	ServiceProvider reference `json:"serviceProvider"`
	Period          period    `json:"period"`
}

func (e *encounter) resourceID() string { return e.ID }

type coverage struct {
	ResourceType string    `json:"resourceType"`
	ID           string    `json:"id"`
	Meta         meta      `json:"meta"`
	Status       string    `json:"status"`
	Type         concept   `json:"type"`
	Beneficiary  reference `json:"beneficiary"`
	Payor        []struct {
		Display string `json:"display"`
	} `json:"payor"`
	Period period `json:"period"`
}

func (c *coverage) resourceID() string { return c.ID }

const (
	sysIIN   = "urn:kz:iin"
	sysBIN   = "urn:kz:bin"
	payor    = "НАО «Фонд социального медицинского страхования»"
	actCodes = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
)

func spoil(id string) string {
	if len(id) != 12 {
		return id + "0"
	}
	return id[:11] + string(rune('0'+(id[11]-'0'+1)%10))
}

func (s *Server) bad(rt int64, i int) bool { return s.Faults.Malformed(rt<<40 | int64(i)) }

func orgRef(bin string) reference {
	return reference{Reference: "Organization/org-" + bin, Identifier: identifier{sysBIN, bin}}
}

func (s *Server) organization(i int) any {
	m := s.c.MedicalInstitutions[i]
	bin, kato, typ := string(m.BIN), string(m.Region), "hospital"
	if m.Primary {
		typ = "pmsp"
	}
	if s.bad(0, i) {
		switch i % 3 {
		case 0:
			bin = spoil(bin)
		case 1:
			kato = "999999999"
		case 2:
			typ = "sanatorium"
		}
	}
	o := &organization{ResourceType: "Organization", ID: "org-" + string(m.BIN), Meta: meta{strconv.Itoa(i + 1)},
		Identifier: []identifier{{sysBIN, bin}}, Active: true,
		Type: []concept{{[]coding{{"urn:kz:umis:organization-type", typ}}}}, Name: m.Name}
	o.Address = append(o.Address, struct {
		State string `json:"state"`
	}{kato})
	if m.Cadastral != "" {
		o.Extension = []extension{{URL: "urn:kz:umis:building-cadastral", ValueString: m.Cadastral}}
	}
	return o
}

func (s *Server) patient(i int) any {
	a := s.c.Attachments[i]
	iin, bin, start, end := string(a.IIN), string(a.BIN), a.From.String(), a.To.String()
	if s.bad(1, i) {
		switch i % 3 {
		case 0:
			iin = spoil(iin)
		case 1:
			start = start[:min(5, len(start))] + "02-30"
		case 2:
			bin = spoil(bin)
		}
	}
	return &patient{ResourceType: "Patient", ID: "att-" + strconv.Itoa(i+1), Meta: meta{strconv.Itoa(i + 1)},
		Identifier: []identifier{{sysIIN, iin}}, GeneralPractitioner: []reference{orgRef(bin)},
		Extension: []extension{{URL: "urn:kz:umis:attachment-period", ValuePeriod: &period{start, end}}}}
}

var classCodes = map[string]string{"outpatient": "AMB", "inpatient": "IMP", "emergency": "EMER"}

func (s *Server) encounter(i int) any {
	v := s.c.Visits[i]
	iin, class, date := string(v.IIN), classCodes[v.Kind], v.Date.String()
	if class == "" {
		class = v.Kind
	}
	if s.bad(2, i) {
		switch i % 3 {
		case 0:
			iin = spoil(iin)
		case 1:
			class = "XYZ"
		case 2:
			date = date[:min(5, len(date))] + "13-01"
		}
	}
	return &encounter{ResourceType: "Encounter", ID: v.ID, Meta: meta{strconv.Itoa(i + 1)}, Status: "finished",
		Class: coding{actCodes, class}, Subject: reference{Identifier: identifier{sysIIN, iin}},
		ServiceProvider: orgRef(string(v.BIN)), Period: period{Start: date}}
}

var categories = map[string]string{"employee": "EMPLOYEE", "self_employed": "SELF_EMPLOYED", "state_funded": "STATE_FUNDED"}

func (s *Server) coverage(i int) any {
	c := s.c.Coverages[i]
	iin, cat, start, end := string(c.IIN), categories[c.Category], c.From.String(), c.To.String()
	if cat == "" {
		cat = strings.ToUpper(c.Category)
	}
	if s.bad(3, i) {
		switch i % 3 {
		case 0:
			iin = spoil(iin)
		case 1:
			cat = "VOLUNTARY"
		case 2:
			end = start[:min(5, len(start))] + "04-31"
		}
	}
	status := "active"
	if end != "" {
		status = "cancelled"
	}
	cv := &coverage{ResourceType: "Coverage", ID: "cov-" + strconv.Itoa(i+1), Meta: meta{strconv.Itoa(i + 1)}, Status: status,
		Type: concept{[]coding{{"urn:kz:fsms:cshi-category", cat}}}, Beneficiary: reference{Identifier: identifier{sysIIN, iin}},
		Period: period{start, end}}
	cv.Payor = append(cv.Payor, struct {
		Display string `json:"display"`
	}{payor})
	return cv
}
