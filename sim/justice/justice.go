// Package justice simulates the Ministry of Justice's register of individuals and real-estate
// cadastre: the JSON REST API of docs/sources/justice.md (batch look-ups by IIN and cadastral
// number, change feeds by sequence number), serving a generated country.
//
// It owns its own wire encoding, written from that document; it must not share code or types
// with connectors/justice, and the gateway must never import it.
package justice

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/gen"
	"github.com/birlik/birlik/sim"
)

// Limits of the API (docs/sources/justice.md).
const (
	DefaultLimit = 1000
	MaxLimit     = 5000
	MaxBatch     = 500
)

// Server is the simulated register and cadastre. It is an http.Handler; its Faults and Counter
// come from the embedded sim.Mux. The malformed knob corrupts a deterministic choice of person
// versions and buildings (a wrong IIN check digit, an impossible date, an unknown gender or
// region, an unknown designation, a malformed cadastral number), the same on every read.
type Server struct {
	*sim.Mux
	c *gen.Country

	once           sync.Once
	personLatest   map[domain.IIN]int // index in c.PersonVersions of each IIN's latest version
	prev           []int32            // index of the same IIN's previous version, -1 for none
	buildingLatest map[string]int     // index in c.Buildings of each cadastral number's latest record
}

// New returns a simulator serving c.
func New(c *gen.Country) *Server {
	s := &Server{c: c}
	s.Mux = sim.NewMux(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusServiceUnavailable, "UNAVAILABLE", "the register of individuals is temporarily unavailable, try again later")
	})
	s.HandleFunc("POST /v1/persons:batchGet", s.personsBatchGet)
	s.HandleFunc("GET /v1/persons/changes", s.personChanges)
	s.HandleFunc("POST /v1/buildings:batchGet", s.buildingsBatchGet)
	s.HandleFunc("GET /v1/buildings", s.buildings)
	s.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		known := map[string]bool{"/v1/persons:batchGet": true, "/v1/persons/changes": true, "/v1/buildings:batchGet": true, "/v1/buildings": true}
		if known[r.URL.Path] {
			writeError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", r.Method+" is not allowed on "+r.URL.Path)
			return
		}
		writeError(w, http.StatusNotFound, "NOT_FOUND", "no such path: "+r.URL.Path)
	})
	return s
}

func (s *Server) index() {
	s.once.Do(func() {
		s.personLatest = make(map[domain.IIN]int, len(s.c.PersonVersions))
		s.prev = make([]int32, len(s.c.PersonVersions))
		for i, v := range s.c.PersonVersions {
			if p, ok := s.personLatest[v.Person.IIN]; ok {
				s.prev[i] = int32(p)
			} else {
				s.prev[i] = -1
			}
			s.personLatest[v.Person.IIN] = i
		}
		s.buildingLatest = make(map[string]int, len(s.c.Buildings))
		for i, b := range s.c.Buildings {
			s.buildingLatest[b.Cadastral] = i
		}
	})
}

// ---- wire types (docs/sources/justice.md) ----

type person struct {
	IIN        string  `json:"iin"`
	Surname    string  `json:"surname"`
	Name       string  `json:"name"`
	Patronymic *string `json:"patronymic"`
	BirthDate  string  `json:"birthDate"`
	Gender     string  `json:"gender"`
	KATOCode   string  `json:"katoCode"`
	DeathDate  *string `json:"deathDate"`
}

type change struct {
	Seq       int64  `json:"seq"`
	ChangedOn string `json:"changedOn"`
	Reason    string `json:"reason"`
	Person    person `json:"person"`
}

type building struct {
	Seq             int64  `json:"seq"`
	CadastralNumber string `json:"cadastralNumber"`
	KATOCode        string `json:"katoCode"`
	Address         string `json:"address"`
	PurposeCode     string `json:"purposeCode"`
	PurposeName     string `json:"purposeName"`
	DesignCapacity  int    `json:"designCapacity"`
}

type purpose struct{ code, name string }

var purposes = map[domain.Designation]purpose{
	domain.DesignResidential:  {"01.01", "Жилой дом"},
	domain.DesignOffice:       {"02.01", "Административное здание"},
	domain.DesignSchool:       {"03.01", "Здание общеобразовательной школы"},
	domain.DesignKindergarten: {"03.02", "Здание дошкольной организации"},
	domain.DesignCollege:      {"03.03", "Здание колледжа"},
	domain.DesignClinic:       {"04.01", "Здание организации здравоохранения"},
	domain.DesignShoppingMall: {"05.01", "Торговый центр"},
	domain.DesignBanquetHall:  {"05.02", "Банкетный зал"},
	domain.DesignWarehouse:    {"06.01", "Склад"},
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func date(d domain.Date) string { return d.String() }

func optDate(d domain.Date) *string {
	if d.IsZero() {
		return nil
	}
	s := d.String()
	return &s
}

// spoil changes the check digit of a 12-digit identifier so that it no longer validates.
func spoil(id string) string {
	if len(id) != 12 {
		return id + "0"
	}
	return id[:11] + string(rune('0'+(id[11]-'0'+1)%10))
}

// personAt encodes version i (seq i+1), corrupted when the malformed knob picks it.
func (s *Server) personAt(i int) person {
	p := s.c.PersonVersions[i].Person
	out := person{
		IIN: string(p.IIN), Surname: p.LastName, Name: p.FirstName,
		BirthDate: date(p.BirthDate), Gender: "MALE", KATOCode: string(p.Region), DeathDate: optDate(p.DeathDate),
	}
	if p.Sex == domain.Female {
		out.Gender = "FEMALE"
	}
	if p.Patronymic != "" {
		pat := p.Patronymic
		out.Patronymic = &pat
	}
	seq := int64(i) + 1
	if s.Faults.Malformed(seq) {
		switch seq % 4 {
		case 0:
			out.IIN = spoil(out.IIN)
		case 1:
			out.BirthDate = fmt.Sprintf("%04d-02-31", p.BirthDate.Year())
		case 2:
			out.Gender = "U"
		case 3:
			out.KATOCode = "999999999"
		}
	}
	return out
}

func (s *Server) reason(i int) string {
	v := s.c.PersonVersions[i]
	pi := s.prev[i]
	if pi < 0 {
		if v.ChangedOn == v.Person.BirthDate {
			return "BIRTH"
		}
		return "REGISTRATION"
	}
	p := s.c.PersonVersions[pi].Person
	switch {
	case p.DeathDate.IsZero() && !v.Person.DeathDate.IsZero():
		return "DEATH"
	case p.Region != v.Person.Region:
		return "MOVE"
	}
	return "CORRECTION"
}

// buildingIndex is the malformed knob's index of building i, apart from persons'.
func buildingIndex(i int) int64 { return 1<<40 | int64(i+1) }

func (s *Server) buildingAt(i int) building {
	b := s.c.Buildings[i]
	pp := purposes[b.Designation]
	out := building{
		Seq: int64(i) + 1, CadastralNumber: b.Cadastral, KATOCode: string(b.Region), Address: b.Address,
		PurposeCode: pp.code, PurposeName: pp.name, DesignCapacity: b.DesignCapacity,
	}
	if s.Faults.Malformed(buildingIndex(i)) {
		switch i % 3 {
		case 0:
			out.PurposeCode, out.PurposeName = "99.99", "Прочее"
		case 1:
			out.CadastralNumber = "б/н " + out.CadastralNumber
		case 2:
			out.KATOCode = "000000000"
		}
	}
	return out
}

// pageParams reads after and limit for a feed of n records; from, to are slice bounds.
func pageParams(w http.ResponseWriter, r *http.Request, n int) (after int64, from, to int, ok bool) {
	q := r.URL.Query()
	limit := DefaultLimit
	if v := q.Get("after"); v != "" {
		x, err := strconv.ParseInt(v, 10, 64)
		if err != nil || x < 0 {
			writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", fmt.Sprintf("after: must be an integer >= 0, got %q", v))
			return 0, 0, 0, false
		}
		after = x
	}
	if v := q.Get("limit"); v != "" {
		x, err := strconv.Atoi(v)
		if err != nil || x < 1 || x > MaxLimit {
			writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", fmt.Sprintf("limit: must be 1..%d, got %q", MaxLimit, v))
			return 0, 0, 0, false
		}
		limit = x
	}
	from = int(min(after, int64(n)))
	to = min(from+limit, n)
	return after, from, to, true
}

func (s *Server) personChanges(w http.ResponseWriter, r *http.Request) {
	s.index()
	n := len(s.c.PersonVersions)
	after, from, to, ok := pageParams(w, r, n)
	if !ok {
		return
	}
	out := struct {
		Changes []change `json:"changes"`
		LastSeq int64    `json:"lastSeq"`
		HasMore bool     `json:"hasMore"`
		Total   int      `json:"total"`
	}{Changes: make([]change, 0, to-from), LastSeq: after, HasMore: to < n, Total: n}
	for i := from; i < to; i++ {
		v := s.c.PersonVersions[i]
		out.Changes = append(out.Changes, change{Seq: int64(i) + 1, ChangedOn: date(v.ChangedOn), Reason: s.reason(i), Person: s.personAt(i)})
		out.LastSeq = int64(i) + 1
	}
	writeJSON(w, out)
}

// readKeys decodes {"<field>": [...]} with 1..MaxBatch non-empty strings, checking each with valid.
func readKeys(w http.ResponseWriter, r *http.Request, field string, valid func(string) bool, what string) ([]string, bool) {
	var body map[string]json.RawMessage
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "body: want a JSON object: "+err.Error())
		return nil, false
	}
	var keys []string
	if raw, ok := body[field]; !ok || json.Unmarshal(raw, &keys) != nil {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", field+": want an array of strings")
		return nil, false
	}
	if len(keys) == 0 || len(keys) > MaxBatch {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", fmt.Sprintf("%s: 1 to %d per request, got %d", field, MaxBatch, len(keys)))
		return nil, false
	}
	for i, k := range keys {
		if !valid(k) {
			writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", fmt.Sprintf("%s[%d]: %q is not %s", field, i, k, what))
			return nil, false
		}
	}
	return keys, true
}

func twelveDigits(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < 12; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (s *Server) personsBatchGet(w http.ResponseWriter, r *http.Request) {
	s.index()
	keys, ok := readKeys(w, r, "iins", twelveDigits, "12 digits")
	if !ok {
		return
	}
	out := struct {
		Persons  []person `json:"persons"`
		NotFound []string `json:"notFound"`
	}{Persons: []person{}, NotFound: []string{}}
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		if i, ok := s.personLatest[domain.IIN(k)]; ok {
			out.Persons = append(out.Persons, s.personAt(i))
		} else {
			out.NotFound = append(out.NotFound, k)
		}
	}
	writeJSON(w, out)
}

func (s *Server) buildings(w http.ResponseWriter, r *http.Request) {
	n := len(s.c.Buildings)
	after, from, to, ok := pageParams(w, r, n)
	if !ok {
		return
	}
	out := struct {
		Buildings []building `json:"buildings"`
		LastSeq   int64      `json:"lastSeq"`
		HasMore   bool       `json:"hasMore"`
		Total     int        `json:"total"`
	}{Buildings: make([]building, 0, to-from), LastSeq: after, HasMore: to < n, Total: n}
	for i := from; i < to; i++ {
		out.Buildings = append(out.Buildings, s.buildingAt(i))
		out.LastSeq = int64(i) + 1
	}
	writeJSON(w, out)
}

func (s *Server) buildingsBatchGet(w http.ResponseWriter, r *http.Request) {
	s.index()
	keys, ok := readKeys(w, r, "cadastralNumbers", func(k string) bool { return k != "" }, "a cadastral number")
	if !ok {
		return
	}
	out := struct {
		Buildings []building `json:"buildings"`
		NotFound  []string   `json:"notFound"`
	}{Buildings: []building{}, NotFound: []string{}}
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		if i, ok := s.buildingLatest[k]; ok {
			out.Buildings = append(out.Buildings, s.buildingAt(i))
		} else {
			out.NotFound = append(out.NotFound, k)
		}
	}
	writeJSON(w, out)
}
