// Package labour simulates the Ministry of Labour and Social Protection's Unified Digital
// Platform: the JSON REST API of docs/sources/labour.md (lists with opaque page tokens, batch
// look-ups by IIN, a per-client rate limit answered with 429 and Retry-After), serving a
// generated country.
//
// It owns its own wire encoding, written from that document; it must not share code or types
// with connectors/labour, and the gateway must never import it.
package labour

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/gen"
	"github.com/birlik/birlik/sim"
)

// Limits of the API (docs/sources/labour.md).
const (
	DefaultPageSize = 500
	MaxPageSize     = 2000
	MaxSearch       = 500
)

// list is one list endpoint: its name (path and array name) and how to encode record i.
type list struct {
	path, array string
	salt        int64
	n           func() int
	rec         func(i int, bad bool) any
}

// Server is the simulated platform. It is an http.Handler; its Faults and Counter come from the
// embedded sim.Mux. The malformed knob corrupts a deterministic choice of records (a wrong IIN
// or BIN check digit, an impossible date, an unknown code, a period or amount that is not one).
type Server struct {
	*sim.Mux
	c     *gen.Country
	lists []list

	once       sync.Once
	famByIIN   map[domain.IIN][]int
	contrByIIN map[domain.IIN][]int
	payByIIN   map[domain.IIN][]int

	rl rateLimiter
}

// New returns a simulator serving c, with no rate limit (see SetRateLimit).
func New(c *gen.Country) *Server {
	s := &Server{c: c}
	s.Mux = sim.NewMux(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusServiceUnavailable, "UNAVAILABLE", "the Unified Digital Platform is unavailable, try again later")
	})
	s.lists = []list{
		{"families", "families", 1, func() int { return len(c.Families) }, s.family},
		{"disabilities", "disabilities", 2, func() int { return len(c.Disabilities) }, s.disability},
		{"employers", "employers", 3, func() int { return len(c.Employers) }, s.employer},
		{"contracts", "contracts", 4, func() int { return len(c.Contracts) }, s.contract},
		{"contributions", "contributions", 5, func() int { return len(c.Contributions) }, s.contribution},
		{"register-positions", "positions", 6, func() int { return len(c.RegisterPositions) }, s.position},
		{"staffing-declarations", "declarations", 7, func() int { return len(c.StaffingDeclarations) }, s.declaration},
		{"payments", "payments", 8, func() int { return len(c.SocialPayments) }, s.payment},
	}
	for _, l := range s.lists {
		s.HandleFunc("GET /api/v1/"+l.path, s.limited(s.listHandler(l)))
	}
	s.HandleFunc("POST /api/v1/families:search", s.limited(s.searchFamilies))
	s.HandleFunc("POST /api/v1/contracts:search", s.limited(s.searchContracts))
	s.HandleFunc("POST /api/v1/payments:search", s.limited(s.searchPayments))
	s.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "no such path: "+r.Method+" "+r.URL.Path)
	})
	return s
}

// SetRateLimit sets the quota of requests per second per client address (0: no limit).
func (s *Server) SetRateLimit(perSecond int) { s.rl.set(perSecond) }

// ---- rate limit: a fixed one-second window per client address ----

type rateLimiter struct {
	mu     sync.Mutex
	limit  int
	window int64 // unix second of the counts
	counts map[string]int
}

func (l *rateLimiter) set(n int) { l.mu.Lock(); l.limit = n; l.mu.Unlock() }

// allow counts a request of client at now; it returns false and the wait when over the quota.
func (l *rateLimiter) allow(client string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.limit <= 0 {
		return true, 0
	}
	if sec := now.Unix(); sec != l.window || l.counts == nil {
		l.window, l.counts = sec, map[string]int{}
	}
	l.counts[client]++
	if l.counts[client] <= l.limit {
		return true, 0
	}
	return false, time.Unix(l.window+1, 0).Sub(now)
}

func (s *Server) limited(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		if ok, wait := s.rl.allow(host, time.Now()); !ok {
			secs := int((wait + time.Second - 1) / time.Second)
			if secs < 1 {
				secs = 1
			}
			s.rl.mu.Lock()
			limit := s.rl.limit
			s.rl.mu.Unlock()
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			writeError(w, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", fmt.Sprintf("quota of %d requests per second exceeded, retry after %ds", limit, secs))
			return
		}
		h(w, r)
	}
}

// ---- page tokens: base64url of "<list>:<offset>:<check>", opaque to clients ----

func token(path string, offset int) string {
	body := path + ":" + strconv.Itoa(offset)
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("%s:%08x", body, crc32.ChecksumIEEE([]byte("udp:"+body)))))
}

func parseToken(path, tok string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	parts := strings.Split(string(b), ":")
	if len(parts) != 3 || parts[0] != path {
		return 0, false
	}
	off, err := strconv.Atoi(parts[1])
	if err != nil || off < 0 || token(path, off) != tok {
		return 0, false
	}
	return off, true
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

func (s *Server) listHandler(l list) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		size := DefaultPageSize
		if v := q.Get("page_size"); v != "" {
			x, err := strconv.Atoi(v)
			if err != nil || x < 1 || x > MaxPageSize {
				writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", fmt.Sprintf("page_size: must be 1..%d, got %q", MaxPageSize, v))
				return
			}
			size = x
		}
		from := 0
		if v := q.Get("page_token"); v != "" {
			off, ok := parseToken(l.path, v)
			if !ok {
				writeError(w, http.StatusBadRequest, "INVALID_PAGE_TOKEN", "page_token was not issued by the "+l.path+" list; start again without a token")
				return
			}
			from = off
		}
		n := l.n()
		from = min(from, n)
		to := min(from+size, n)
		recs := make([]any, 0, to-from)
		for i := from; i < to; i++ {
			recs = append(recs, l.rec(i, s.Faults.Malformed(l.salt<<40|int64(i))))
		}
		writeJSON(w, map[string]any{l.array: recs, "next_page_token": token(l.path, to), "more": to < n, "total_size": n})
	}
}

// ---- encodings ----

func date(d domain.Date) string { return d.String() }

func optDate(d domain.Date) *string {
	if d.IsZero() {
		return nil
	}
	s := d.String()
	return &s
}

func period(m domain.Month) string { return fmt.Sprintf("%04d%02d", m.Year(), int(m.Of())) }

func money(t domain.Tenge) string { return strconv.FormatInt(int64(t), 10) + ".00" }

func spoil(id string) string {
	if len(id) != 12 {
		return id + "0"
	}
	return id[:11] + string(rune('0'+(id[11]-'0'+1)%10))
}

var roles = map[domain.FamilyRole]string{domain.RoleHead: "HEAD", domain.RoleSpouse: "SPOUSE", domain.RoleChild: "CHILD", domain.RoleOther: "RELATIVE"}

var oked = map[domain.Sector]string{domain.SectorEducation: "P", domain.SectorHealth: "Q", domain.SectorPublic: "O", domain.SectorBusiness: "G"}

var paymentTypes = map[domain.PaymentKind]string{
	domain.PayTSA: "ASP", domain.PayChildBenefit: "CHILD_BENEFIT", domain.PayDisabilityBenefit: "DISABILITY_BENEFIT",
	domain.PayWalletMeals: "WALLET_MEALS", domain.PayWalletMedicines: "WALLET_MEDICINES",
}

var groups = map[int]string{1: "I", 2: "II", 3: "III"}

type member struct {
	IIN   string  `json:"iin"`
	Role  string  `json:"role"`
	Since string  `json:"member_since"`
	Until *string `json:"member_until"`
}

func (s *Server) family(i int, bad bool) any {
	f := s.c.Families[i]
	ms := make([]member, 0, len(f.Members))
	for _, m := range f.Members {
		ms = append(ms, member{IIN: string(m.IIN), Role: roles[m.Role], Since: date(m.From), Until: optDate(m.To)})
	}
	if bad && len(ms) > 0 {
		if i%2 == 0 {
			ms[0].IIN = spoil(ms[0].IIN)
		} else {
			ms[0].Role = "COUSIN"
		}
	}
	return struct {
		ID      string   `json:"family_id"`
		Region  string   `json:"region_kato"`
		Members []member `json:"members"`
	}{f.ID, string(f.Region), ms}
}

func (s *Server) disability(i int, bad bool) any {
	d := s.c.Disabilities[i]
	g := groups[d.Group]
	if bad {
		g = "IV"
	}
	return struct {
		IIN   string  `json:"iin"`
		Group string  `json:"group"`
		From  string  `json:"established_on"`
		To    *string `json:"valid_until"`
	}{string(d.IIN), g, date(d.From), optDate(d.To)}
}

func (s *Server) employer(i int, bad bool) any {
	e := s.c.Employers[i]
	bin, sec := string(e.BIN), oked[e.Sector]
	if bad {
		if i%2 == 0 {
			bin = spoil(bin)
		} else {
			sec = "Z"
		}
	}
	return struct {
		BIN    string `json:"bin"`
		Name   string `json:"name"`
		Region string `json:"region_kato"`
		OKED   string `json:"oked_section"`
	}{bin, e.Name, string(e.Region), sec}
}

func (s *Server) contract(i int, bad bool) any {
	c := s.c.Contracts[i]
	out := struct {
		ID       string  `json:"contract_id"`
		IIN      string  `json:"employee_iin"`
		BIN      string  `json:"employer_bin"`
		Region   string  `json:"workplace_kato"`
		Position string  `json:"position_name"`
		Start    string  `json:"start_date"`
		End      *string `json:"end_date"`
		Wage     string  `json:"monthly_wage"`
	}{c.ID, string(c.IIN), string(c.EmployerBIN), string(c.Region), c.Position, date(c.Start), optDate(c.End), money(c.Wage)}
	if bad {
		switch i % 3 {
		case 0:
			out.IIN = spoil(out.IIN)
		case 1:
			out.Start = fmt.Sprintf("%04d-13-01", c.Start.Year())
		case 2:
			out.Wage = "-" + out.Wage
		}
	}
	return out
}

func (s *Server) contribution(i int, bad bool) any {
	c := s.c.Contributions[i]
	out := struct {
		IIN    string `json:"iin"`
		Payer  string `json:"payer_bin"`
		Period string `json:"period"`
		Amount string `json:"amount"`
	}{string(c.IIN), string(c.PayerBIN), period(c.Month), money(c.Amount)}
	if bad {
		switch i % 3 {
		case 0:
			out.Payer = spoil(out.Payer)
		case 1:
			out.Period = fmt.Sprintf("%04d-%d", c.Month.Year(), int(c.Month.Of()))
		case 2:
			out.Amount = "n/a"
		}
	}
	return out
}

func (s *Server) position(i int, bad bool) any {
	p := s.c.RegisterPositions[i]
	code := p.Code
	if bad {
		code = ""
	}
	return struct {
		Code  string `json:"code"`
		Title string `json:"title"`
	}{code, p.Title}
}

func (s *Server) declaration(i int, bad bool) any {
	d := s.c.StaffingDeclarations[i]
	out := struct {
		BIN    string `json:"bin"`
		Code   string `json:"position_code"`
		Title  string `json:"position_title"`
		Units  int    `json:"staff_units"`
		Period string `json:"period"`
	}{string(d.BIN), d.PositionCode, d.Title, d.Units, period(d.Month)}
	if bad {
		if i%2 == 0 {
			out.BIN = spoil(out.BIN)
		} else {
			out.Units = -1
		}
	}
	return out
}

func (s *Server) payment(i int, bad bool) any {
	p := s.c.SocialPayments[i]
	var fam *string
	if p.FamilyID != "" {
		f := p.FamilyID
		fam = &f
	}
	out := struct {
		ID     string  `json:"payment_id"`
		IIN    string  `json:"recipient_iin"`
		Family *string `json:"family_id"`
		Type   string  `json:"payment_type"`
		Period string  `json:"period"`
		PaidOn string  `json:"paid_on"`
		Amount string  `json:"amount"`
	}{p.ID, string(p.IIN), fam, paymentTypes[p.Kind], period(p.Month), date(p.PaidOn), money(p.Amount)}
	if bad {
		switch i % 3 {
		case 0:
			out.Type = "BONUS"
		case 1:
			out.PaidOn = fmt.Sprintf("%04d-02-30", p.PaidOn.Year())
		case 2:
			out.IIN = spoil(out.IIN)
		}
	}
	return out
}

// ---- batch look-ups ----

func (s *Server) index() {
	s.once.Do(func() {
		s.famByIIN = map[domain.IIN][]int{}
		for i, f := range s.c.Families {
			for _, m := range f.Members {
				if l := s.famByIIN[m.IIN]; len(l) == 0 || l[len(l)-1] != i {
					s.famByIIN[m.IIN] = append(l, i)
				}
			}
		}
		s.contrByIIN = map[domain.IIN][]int{}
		for i, c := range s.c.Contracts {
			s.contrByIIN[c.IIN] = append(s.contrByIIN[c.IIN], i)
		}
		s.payByIIN = map[domain.IIN][]int{}
		for i, p := range s.c.SocialPayments {
			s.payByIIN[p.IIN] = append(s.payByIIN[p.IIN], i)
		}
	})
}

func readIINs(w http.ResponseWriter, r *http.Request) ([]string, bool) {
	var body struct {
		IINs []string `json:"iins"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "body: want {\"iins\": [...]}: "+err.Error())
		return nil, false
	}
	if len(body.IINs) == 0 || len(body.IINs) > MaxSearch {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", fmt.Sprintf("iins: 1 to %d per request, got %d", MaxSearch, len(body.IINs)))
		return nil, false
	}
	for i, k := range body.IINs {
		ok := len(k) == 12
		for j := 0; ok && j < 12; j++ {
			ok = k[j] >= '0' && k[j] <= '9'
		}
		if !ok {
			writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", fmt.Sprintf("iins[%d]: %q is not 12 digits", i, k))
			return nil, false
		}
	}
	return body.IINs, true
}

// search answers the records of idx for the requested IINs, each once, in list order.
func (s *Server) search(w http.ResponseWriter, r *http.Request, array string, salt int64, idx map[domain.IIN][]int, rec func(int, bool) any) {
	s.index()
	iins, ok := readIINs(w, r)
	if !ok {
		return
	}
	seen := map[int]bool{}
	var is []int
	for _, k := range iins {
		for _, i := range idx[domain.IIN(k)] {
			if !seen[i] {
				seen[i] = true
				is = append(is, i)
			}
		}
	}
	slices.Sort(is)
	recs := make([]any, 0, len(is))
	for _, i := range is {
		recs = append(recs, rec(i, s.Faults.Malformed(salt<<40|int64(i))))
	}
	writeJSON(w, map[string]any{array: recs})
}

func (s *Server) searchFamilies(w http.ResponseWriter, r *http.Request) {
	s.index()
	s.search(w, r, "families", 1, s.famByIIN, s.family)
}

func (s *Server) searchContracts(w http.ResponseWriter, r *http.Request) {
	s.index()
	s.search(w, r, "contracts", 4, s.contrByIIN, s.contract)
}

func (s *Server) searchPayments(w http.ResponseWriter, r *http.Request) {
	s.index()
	s.search(w, r, "payments", 8, s.payByIIN, s.payment)
}
