package finance

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/domain"
)

// Namespaces of the service (docs/sources/finance.md, section 1).
const (
	nsSoap = "http://schemas.xmlsoap.org/soap/envelope/"
	nsOB   = "urn:kz:minfin:ortabilim:v1"
)

// ---- requests ----

// envelope is a request envelope; Body holds one operation element.
type envelope struct {
	XMLName   xml.Name `xml:"soap:Envelope"`
	XMLNSSoap string   `xml:"xmlns:soap,attr"`
	XMLNSOB   string   `xml:"xmlns:ob,attr"`
	Body      struct {
		Op any
	} `xml:"soap:Body"`
}

type pageRequest struct {
	XMLName  xml.Name
	AfterID  int64 `xml:"ob:afterId"`
	PageSize int   `xml:"ob:pageSize"`
}

type byOrganisationRequest struct {
	XMLName    xml.Name `xml:"ob:GetPaymentsByOrganisation"`
	BINs       []string `xml:"ob:bins>ob:bin"`
	FromPeriod string   `xml:"ob:fromPeriod"`
	ToPeriod   string   `xml:"ob:toPeriod"`
}

// encodeRequest renders a SOAP 1.1 request envelope around op.
func encodeRequest(op any) ([]byte, error) {
	env := envelope{XMLNSSoap: nsSoap, XMLNSOB: nsOB}
	env.Body.Op = op
	var b bytes.Buffer
	b.WriteString(xml.Header)
	if err := xml.NewEncoder(&b).Encode(env); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// ---- responses ----

// paymentXML is a payment element as the service sends it; every field is kept as text so
// that validation can say exactly what is wrong.
type paymentXML struct {
	RecordID      string `xml:"recordId,attr"`
	Ref           string `xml:"urn:kz:minfin:ortabilim:v1 paymentRef"`
	RecipientBIN  string `xml:"urn:kz:minfin:ortabilim:v1 recipientBin"`
	Period        string `xml:"urn:kz:minfin:ortabilim:v1 period"`
	FinancingType string `xml:"urn:kz:minfin:ortabilim:v1 financingType"`
	Contingent    string `xml:"urn:kz:minfin:ortabilim:v1 contingent"`
	AmountKZT     string `xml:"urn:kz:minfin:ortabilim:v1 amountKzt"`
	ChildIIN      string `xml:"urn:kz:minfin:ortabilim:v1 childIin"`
	PaymentDate   string `xml:"urn:kz:minfin:ortabilim:v1 paymentDate"`
}

type reportXML struct {
	RecordID    string `xml:"recordId,attr"`
	BIN         string `xml:"urn:kz:minfin:ortabilim:v1 bin"`
	ReportYear  string `xml:"urn:kz:minfin:ortabilim:v1 reportYear"`
	IncomeKZT   string `xml:"urn:kz:minfin:ortabilim:v1 incomeKzt"`
	SubmittedOn string `xml:"urn:kz:minfin:ortabilim:v1 submittedOn"`
}

// Fault is a SOAP 1.1 fault the service answered with.
type Fault struct {
	Code    string // faultcode, e.g. "soap:Client"
	String  string // faultstring
	Service string // detail/ob:ServiceError/ob:code, e.g. "INVALID_ARGUMENT"
	Message string // detail/ob:ServiceError/ob:message
}

func (f *Fault) Error() string {
	msg := f.Message
	if msg == "" {
		msg = f.String
	}
	if f.Service != "" {
		return fmt.Sprintf("SOAP fault %s %s: %s", f.Code, f.Service, msg)
	}
	return fmt.Sprintf("SOAP fault %s: %s", f.Code, msg)
}

// Client reports whether the fault is the caller's (faultcode Client, or Client.*): it fails
// the same way again and must not be retried.
func (f *Fault) Client() bool {
	local := f.Code
	if i := strings.LastIndexByte(local, ':'); i >= 0 {
		local = local[i+1:]
	}
	return local == "Client" || strings.HasPrefix(local, "Client.")
}

type faultXML struct {
	Code   string `xml:"faultcode"`
	String string `xml:"faultstring"`
	Detail struct {
		Code    string `xml:"urn:kz:minfin:ortabilim:v1 ServiceError>code"`
		Message string `xml:"urn:kz:minfin:ortabilim:v1 ServiceError>message"`
	} `xml:"detail"`
}

// decodeFault finds a soap:Fault in body; ok is false when there is none.
func decodeFault(body []byte) (*Fault, bool) {
	d := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, false
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Space == nsSoap && se.Name.Local == "Fault" {
			var f faultXML
			if d.DecodeElement(&f, &se) != nil {
				return nil, false
			}
			return &Fault{Code: strings.TrimSpace(f.Code), String: strings.TrimSpace(f.String),
				Service: strings.TrimSpace(f.Detail.Code), Message: strings.TrimSpace(f.Detail.Message)}, true
		}
	}
}

// feedHead is the paging part of a feed response.
type feedHead struct {
	TotalCount, MaxID, LastID int64
	seen                      int // how many of the three were present
}

// decodeResponse reads a response envelope: the paging elements into head, every element
// named item (payment or report) through each as its raw bytes. A soap:Fault in the body is
// returned as a *Fault error.
//
// The response is decoded as it streams in; what was read is kept only so that a refused
// record can be quarantined with its raw bytes.
func decodeResponse(r io.Reader, item string, head *feedHead, each func(d *xml.Decoder, se *xml.StartElement, raw func() []byte) error) error {
	var seen bytes.Buffer
	d := xml.NewDecoder(io.TeeReader(r, &seen))
	inBody, sawEnvelope := false, false
	for {
		start := d.InputOffset()
		tok, err := d.Token()
		if err == io.EOF {
			if !sawEnvelope || !inBody {
				return errors.New("response is not a SOAP 1.1 envelope with a Body")
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("malformed XML at byte %d: %w", d.InputOffset(), err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch {
		case se.Name.Space == nsSoap && se.Name.Local == "Envelope":
			sawEnvelope = true
		case se.Name.Space == nsSoap && se.Name.Local == "Body":
			inBody = sawEnvelope
		case se.Name.Space == nsSoap && se.Name.Local == "Fault":
			var f faultXML
			if err := d.DecodeElement(&f, &se); err != nil {
				return fmt.Errorf("malformed SOAP fault: %w", err)
			}
			return &Fault{Code: strings.TrimSpace(f.Code), String: strings.TrimSpace(f.String),
				Service: strings.TrimSpace(f.Detail.Code), Message: strings.TrimSpace(f.Detail.Message)}
		case se.Name.Space == nsOB && head != nil && (se.Name.Local == "totalCount" || se.Name.Local == "maxId" || se.Name.Local == "lastId"):
			var s string
			if err := d.DecodeElement(&s, &se); err != nil {
				return fmt.Errorf("%s: %w", se.Name.Local, err)
			}
			v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil || v < 0 {
				return fmt.Errorf("%s: %q is not an integer >= 0", se.Name.Local, s)
			}
			head.seen++
			switch se.Name.Local {
			case "totalCount":
				head.TotalCount = v
			case "maxId":
				head.MaxID = v
			default:
				head.LastID = v
			}
		case se.Name.Space == nsOB && se.Name.Local == item && inBody:
			se := se
			if err := each(d, &se, func() []byte { return seen.Bytes()[start:d.InputOffset()] }); err != nil {
				return err
			}
		}
	}
}

// quarantine builds the entry for a refused record.
func quarantine(entity, key, reason string, raw []byte, now time.Time) connectors.Quarantined {
	return connectors.Quarantined{Source: connectors.Finance, Entity: entity, Key: key, Reason: reason, Raw: string(raw), Seen: now}
}

var financingTypes = map[string]domain.PaymentKind{
	"GENERAL_EDUCATION":   domain.PayStateOrder,
	"PRESCHOOL_PER_CHILD": domain.PayPreschoolOrder,
}

func money(name, s string) (domain.Tenge, error) {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a whole number of tenge", name, s)
	}
	if v < 0 {
		return 0, fmt.Errorf("%s: %d is negative", name, v)
	}
	return domain.Tenge(v), nil
}

func xsDate(name, s string) (domain.Date, error) {
	d, err := domain.ParseDate(strings.TrimSpace(s))
	if err != nil || d.IsZero() {
		return domain.Date{}, fmt.Errorf("%s: %q is not a date yyyy-mm-dd", name, s)
	}
	return d, nil
}

// mapPayment validates a payment element and maps it to the domain.
func mapPayment(x *paymentXML) (domain.StateOrderPayment, error) {
	var p domain.StateOrderPayment
	if strings.TrimSpace(x.Ref) == "" {
		return p, errors.New("paymentRef: empty")
	}
	p.ID = strings.TrimSpace(x.Ref)
	var err error
	if p.BIN, err = domain.ParseBIN(strings.TrimSpace(x.RecipientBIN)); err != nil {
		return p, fmt.Errorf("recipientBin: %w", err)
	}
	if p.Month, err = domain.ParseMonth(strings.TrimSpace(x.Period)); err != nil {
		return p, fmt.Errorf("period: %q is not a month yyyy-mm", x.Period)
	}
	kind, ok := financingTypes[strings.TrimSpace(x.FinancingType)]
	if !ok {
		return p, fmt.Errorf("financingType: %q is not GENERAL_EDUCATION or PRESCHOOL_PER_CHILD", x.FinancingType)
	}
	p.Kind = kind
	if p.Contingent, err = strconv.Atoi(strings.TrimSpace(x.Contingent)); err != nil || p.Contingent < 0 {
		return p, fmt.Errorf("contingent: %q is not an integer >= 0", x.Contingent)
	}
	if p.Amount, err = money("amountKzt", x.AmountKZT); err != nil {
		return p, err
	}
	child := strings.TrimSpace(x.ChildIIN)
	switch {
	case kind == domain.PayPreschoolOrder && child == "":
		return p, errors.New("childIin: required for PRESCHOOL_PER_CHILD")
	case child != "":
		if p.ChildIIN, err = domain.ParseIIN(child); err != nil {
			return p, fmt.Errorf("childIin: %w", err)
		}
	}
	if p.PaidOn, err = xsDate("paymentDate", x.PaymentDate); err != nil {
		return p, err
	}
	return p, nil
}

// mapReport validates a report element and maps it to the domain.
func mapReport(x *reportXML) (domain.IncomeReport, error) {
	var r domain.IncomeReport
	var err error
	if r.BIN, err = domain.ParseBIN(strings.TrimSpace(x.BIN)); err != nil {
		return r, fmt.Errorf("bin: %w", err)
	}
	y := strings.TrimSpace(x.ReportYear)
	if r.Year, err = strconv.Atoi(y); err != nil || len(y) != 4 || r.Year < 1991 {
		return r, fmt.Errorf("reportYear: %q is not a year yyyy", x.ReportYear)
	}
	if r.Income, err = money("incomeKzt", x.IncomeKZT); err != nil {
		return r, err
	}
	if r.FiledOn, err = xsDate("submittedOn", x.SubmittedOn); err != nil {
		return r, err
	}
	return r, nil
}

// decodePayments decodes a GetStateOrderPayments or GetPaymentsByOrganisation response into p
// (valid payments and quarantined ones). head may be nil for the batch look-up.
func decodePayments(body io.Reader, head *feedHead, p *connectors.Page, now time.Time) error {
	return decodeResponse(body, "payment", head, func(d *xml.Decoder, se *xml.StartElement, raw func() []byte) error {
		var x paymentXML
		if err := d.DecodeElement(&x, se); err != nil {
			return fmt.Errorf("payment element: %w", err)
		}
		pay, err := mapPayment(&x)
		if err != nil {
			key := strings.TrimSpace(x.Ref)
			if key == "" {
				key = "recordId " + x.RecordID
			}
			p.Quarantined = append(p.Quarantined, quarantine("state_order_payment", key, err.Error(), raw(), now))
			return nil
		}
		p.StateOrderPayments = append(p.StateOrderPayments, pay)
		return nil
	})
}

// decodeReports decodes a GetIncomeReports response into p.
func decodeReports(body io.Reader, head *feedHead, p *connectors.Page, now time.Time) error {
	return decodeResponse(body, "report", head, func(d *xml.Decoder, se *xml.StartElement, raw func() []byte) error {
		var x reportXML
		if err := d.DecodeElement(&x, se); err != nil {
			return fmt.Errorf("report element: %w", err)
		}
		r, err := mapReport(&x)
		if err != nil {
			key := strings.TrimSpace(x.BIN) + "/" + strings.TrimSpace(x.ReportYear)
			p.Quarantined = append(p.Quarantined, quarantine("income_report", key, err.Error(), raw(), now))
			return nil
		}
		p.IncomeReports = append(p.IncomeReports, r)
		return nil
	})
}
