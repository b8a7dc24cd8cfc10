// Package finance simulates the Ministry of Finance's OrtaBilim payment service: SOAP 1.1
// envelopes with SOAP faults, as described in docs/sources/finance.md, serving a generated
// country's state-order payments and income reports.
//
// It owns its own wire encoding, written from that document; it must not share code or types
// with connectors/finance, and the gateway must never import it.
package finance

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/gen"
	"github.com/birlik/birlik/sim"
)

// Namespaces and the endpoint of the service.
const (
	NSSoap   = "http://schemas.xmlsoap.org/soap/envelope/"
	NS       = "urn:kz:minfin:ortabilim:v1"
	Endpoint = "/OrtaBilim/PaymentService"

	maxPageSize = 10000
	maxBINs     = 100
)

// Server is the simulated payment service, an http.Handler with the sim.Mux's faults and
// counters. Requests are counted under the endpoint's pattern; Operations counts them by
// operation.
type Server struct {
	*sim.Mux
	Operations *sim.Counter
	c          *gen.Country

	once     sync.Once
	payByBIN map[domain.BIN][]int
}

// New returns a simulator serving c.
func New(c *gen.Country) *Server {
	s := &Server{c: c, Operations: &sim.Counter{}}
	s.Mux = sim.NewMux(func(w http.ResponseWriter, r *http.Request) {
		fault(w, http.StatusServiceUnavailable, "soap:Server", "SERVICE_UNAVAILABLE", "the treasury back end is unavailable (simulated outage), try again later")
	})
	s.HandleFunc("POST "+Endpoint, s.serve)
	s.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fault(w, http.StatusNotFound, "soap:Client", "UNKNOWN_OPERATION", "no service at "+r.Method+" "+r.URL.Path+"; POST to "+Endpoint)
	})
	return s
}

const envelopeOpen = `<?xml version="1.0" encoding="utf-8"?>` + "\n" +
	`<soap:Envelope xmlns:soap="` + NSSoap + `" xmlns:ob="` + NS + `"><soap:Body>`
const envelopeClose = `</soap:Body></soap:Envelope>` + "\n"

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func fault(w http.ResponseWriter, status int, code, obCode, msg string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	m := esc(msg)
	io.WriteString(w, envelopeOpen+`<soap:Fault><faultcode>`+code+`</faultcode><faultstring>`+m+
		`</faultstring><detail><ob:ServiceError><ob:code>`+obCode+`</ob:code><ob:message>`+m+
		`</ob:message></ob:ServiceError></detail></soap:Fault>`+envelopeClose)
}

func clientFault(w http.ResponseWriter, obCode, format string, args ...any) {
	fault(w, http.StatusInternalServerError, "soap:Client", obCode, fmt.Sprintf(format, args...))
}

// The request envelope as this service reads it.
type pageReq struct {
	AfterID  string `xml:"urn:kz:minfin:ortabilim:v1 afterId"`
	PageSize string `xml:"urn:kz:minfin:ortabilim:v1 pageSize"`
}

type byOrgReq struct {
	BINs       []string `xml:"urn:kz:minfin:ortabilim:v1 bins>bin"`
	FromPeriod string   `xml:"urn:kz:minfin:ortabilim:v1 fromPeriod"`
	ToPeriod   string   `xml:"urn:kz:minfin:ortabilim:v1 toPeriod"`
}

type reqEnvelope struct {
	XMLName xml.Name `xml:"http://schemas.xmlsoap.org/soap/envelope/ Envelope"`
	Body    struct {
		Payments *pageReq  `xml:"urn:kz:minfin:ortabilim:v1 GetStateOrderPayments"`
		Reports  *pageReq  `xml:"urn:kz:minfin:ortabilim:v1 GetIncomeReports"`
		ByOrg    *byOrgReq `xml:"urn:kz:minfin:ortabilim:v1 GetPaymentsByOrganisation"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
		clientFault(w, "MALFORMED_REQUEST", "Content-Type must be text/xml; charset=utf-8, got %q", ct)
		return
	}
	var env reqEnvelope
	if err := xml.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&env); err != nil {
		clientFault(w, "MALFORMED_REQUEST", "not a SOAP 1.1 envelope: %v", err)
		return
	}
	op := ""
	switch b := env.Body; {
	case b.Payments != nil:
		op = "GetStateOrderPayments"
	case b.Reports != nil:
		op = "GetIncomeReports"
	case b.ByOrg != nil:
		op = "GetPaymentsByOrganisation"
	default:
		clientFault(w, "UNKNOWN_OPERATION", "the body holds no operation of %s (GetStateOrderPayments, GetIncomeReports, GetPaymentsByOrganisation)", NS)
		return
	}
	if want, got := `"`+NS+"/"+op+`"`, r.Header.Get("SOAPAction"); got != want {
		clientFault(w, "UNKNOWN_OPERATION", "SOAPAction %s does not match the body's operation: want %s", got, want)
		return
	}
	s.Operations.Inc(op)
	switch op {
	case "GetStateOrderPayments":
		after, size, ok := pageArgs(w, env.Body.Payments)
		if ok {
			s.payments(w, after, size)
		}
	case "GetIncomeReports":
		after, size, ok := pageArgs(w, env.Body.Reports)
		if ok {
			s.reports(w, after, size)
		}
	default:
		s.byOrganisation(w, env.Body.ByOrg)
	}
}

func pageArgs(w http.ResponseWriter, p *pageReq) (after int64, size int, ok bool) {
	after, err := strconv.ParseInt(strings.TrimSpace(p.AfterID), 10, 64)
	if err != nil || after < 0 {
		clientFault(w, "INVALID_ARGUMENT", "afterId must be an integer >= 0, got %q", p.AfterID)
		return 0, 0, false
	}
	size, err = strconv.Atoi(strings.TrimSpace(p.PageSize))
	if err != nil || size < 1 || size > maxPageSize {
		clientFault(w, "INVALID_ARGUMENT", "pageSize must be 1..%d, got %q", maxPageSize, p.PageSize)
		return 0, 0, false
	}
	return after, size, true
}

func begin(w http.ResponseWriter) *bufio.Writer {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(envelopeOpen)
	return bw
}

func end(bw *bufio.Writer) {
	bw.WriteString(envelopeClose)
	bw.Flush()
}

func spoil(id string) string {
	if len(id) != 12 {
		return id + "0"
	}
	return id[:11] + string(rune('0'+(id[11]-'0'+1)%10))
}

var financingTypes = map[domain.PaymentKind]string{
	domain.PayStateOrder:     "GENERAL_EDUCATION",
	domain.PayPreschoolOrder: "PRESCHOOL_PER_CHILD",
}

// writePayment writes payment i (recordId i+1), corrupted when the malformed knob says so.
func (s *Server) writePayment(bw *bufio.Writer, i int) {
	p := s.c.StateOrderPayments[i]
	bin, period, ftype, amount, child, paid := string(p.BIN), p.Month.String(), financingTypes[p.Kind],
		strconv.FormatInt(int64(p.Amount), 10), string(p.ChildIIN), p.PaidOn.String()
	if s.Faults.Malformed(int64(i)) {
		switch i % 5 {
		case 0:
			bin = spoil(bin)
		case 1:
			amount = "-" + amount
		case 2:
			ftype = "CAPITAL_REPAIR"
		case 3:
			paid = paid[:min(5, len(paid))] + "02-30"
		case 4:
			if child != "" {
				child = spoil(child)
			} else {
				period = period[:5] + "13"
			}
		}
	}
	bw.WriteString(`<ob:payment recordId="`)
	bw.WriteString(strconv.Itoa(i + 1))
	bw.WriteString(`"><ob:paymentRef>`)
	xml.EscapeText(bw, []byte(p.ID))
	bw.WriteString(`</ob:paymentRef><ob:recipientBin>` + bin + `</ob:recipientBin><ob:period>` + period +
		`</ob:period><ob:financingType>` + ftype + `</ob:financingType><ob:contingent>` + strconv.Itoa(p.Contingent) +
		`</ob:contingent><ob:amountKzt>` + amount + `</ob:amountKzt>`)
	if child != "" {
		bw.WriteString(`<ob:childIin>` + child + `</ob:childIin>`)
	}
	bw.WriteString(`<ob:paymentDate>` + paid + "</ob:paymentDate></ob:payment>\n")
}

func window(after int64, size, n int) (from, to int) {
	from = int(min(after, int64(n)))
	return from, min(from+size, n)
}

func (s *Server) payments(w http.ResponseWriter, after int64, size int) {
	n := len(s.c.StateOrderPayments)
	from, to := window(after, size, n)
	last := after
	if to > from {
		last = int64(to)
	}
	bw := begin(w)
	fmt.Fprintf(bw, "<ob:GetStateOrderPaymentsResponse><ob:totalCount>%d</ob:totalCount><ob:maxId>%d</ob:maxId><ob:lastId>%d</ob:lastId><ob:payments>\n", n, n, last)
	for i := from; i < to; i++ {
		s.writePayment(bw, i)
	}
	bw.WriteString("</ob:payments></ob:GetStateOrderPaymentsResponse>")
	end(bw)
}

func (s *Server) reports(w http.ResponseWriter, after int64, size int) {
	n := len(s.c.IncomeReports)
	from, to := window(after, size, n)
	last := after
	if to > from {
		last = int64(to)
	}
	bw := begin(w)
	fmt.Fprintf(bw, "<ob:GetIncomeReportsResponse><ob:totalCount>%d</ob:totalCount><ob:maxId>%d</ob:maxId><ob:lastId>%d</ob:lastId><ob:reports>\n", n, n, last)
	for i := from; i < to; i++ {
		r := s.c.IncomeReports[i]
		bin, income, filed := string(r.BIN), strconv.FormatInt(int64(r.Income), 10), r.FiledOn.String()
		if s.Faults.Malformed(1<<40 | int64(i)) {
			switch i % 3 {
			case 0:
				bin = spoil(bin)
			case 1:
				income = "-" + income
			case 2:
				filed = filed[:min(5, len(filed))] + "04-31"
			}
		}
		fmt.Fprintf(bw, `<ob:report recordId="%d"><ob:bin>%s</ob:bin><ob:reportYear>%d</ob:reportYear><ob:incomeKzt>%s</ob:incomeKzt><ob:submittedOn>%s</ob:submittedOn></ob:report>`+"\n",
			i+1, bin, r.Year, income, filed)
	}
	bw.WriteString("</ob:reports></ob:GetIncomeReportsResponse>")
	end(bw)
}

func (s *Server) byOrganisation(w http.ResponseWriter, q *byOrgReq) {
	if len(q.BINs) < 1 || len(q.BINs) > maxBINs {
		clientFault(w, "INVALID_ARGUMENT", "bins must hold 1..%d BINs, got %d", maxBINs, len(q.BINs))
		return
	}
	from, err1 := domain.ParseMonth(strings.TrimSpace(q.FromPeriod))
	to, err2 := domain.ParseMonth(strings.TrimSpace(q.ToPeriod))
	if err1 != nil || err2 != nil || from > to {
		clientFault(w, "INVALID_ARGUMENT", "fromPeriod and toPeriod must be yyyy-mm with fromPeriod <= toPeriod, got %q and %q", q.FromPeriod, q.ToPeriod)
		return
	}
	s.once.Do(func() {
		s.payByBIN = map[domain.BIN][]int{}
		for i, p := range s.c.StateOrderPayments {
			s.payByBIN[p.BIN] = append(s.payByBIN[p.BIN], i)
		}
	})
	var idx []int
	seen := map[string]bool{}
	for _, b := range q.BINs {
		b = strings.TrimSpace(b)
		if len(b) != 12 || strings.Trim(b, "0123456789") != "" {
			clientFault(w, "INVALID_ARGUMENT", "BIN %q must be 12 digits", b)
			return
		}
		if seen[b] {
			continue
		}
		seen[b] = true
		for _, i := range s.payByBIN[domain.BIN(b)] {
			if m := s.c.StateOrderPayments[i].Month; m >= from && m <= to {
				idx = append(idx, i)
			}
		}
	}
	slices.Sort(idx)
	bw := begin(w)
	bw.WriteString("<ob:GetPaymentsByOrganisationResponse><ob:payments>\n")
	for _, i := range idx {
		s.writePayment(bw, i)
	}
	bw.WriteString("</ob:payments></ob:GetPaymentsByOrganisationResponse>")
	end(bw)
}
