package finance

import (
	"bytes"
	"encoding/xml"
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

// The golden responses use other prefixes than the service's own (S:, p:, env:, e:), as a
// SOAP stack may: the decoder must match on namespaces.
func TestDecodeGoldenPayments(t *testing.T) {
	t.Parallel()
	body := golden(t, "payments_page.xml")
	var p connectors.Page
	var head feedHead
	if err := decodePayments(bytes.NewReader(body), &head, &p, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	if head != (feedHead{TotalCount: 9, MaxID: 9, LastID: 6, seen: 3}) {
		t.Errorf("head = %+v", head)
	}
	want := []domain.StateOrderPayment{
		{ID: "SOP00000001", BIN: "080140000007", Month: domain.MustMonth("2024-01"), Kind: domain.PayStateOrder, Contingent: 702, Amount: 21_060_000_000, PaidOn: domain.MustDate("2024-01-25")},
		{ID: "SOP00000002", BIN: "090240000002", Month: domain.MustMonth("2024-02"), Kind: domain.PayPreschoolOrder, Contingent: 1, Amount: 62_000, ChildIIN: "190303600003", PaidOn: domain.MustDate("2024-02-26")},
	}
	if !reflect.DeepEqual(p.StateOrderPayments, want) {
		t.Errorf("payments\n%+v\nwant\n%+v", p.StateOrderPayments, want)
	}
	for i, tc := range []struct{ key, reason string }{
		{"SOP00000003", `recipientBin: BIN "080140000008": check digit should be 7, not 8`},
		{"SOP00000004", "amountKzt: -1800000 is negative"},
		{"SOP00000005", `period: "2024-13" is not a month`},
		{"SOP00000006", "childIin: required for PRESCHOOL_PER_CHILD"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			if i >= len(p.Quarantined) {
				t.Fatalf("only %d quarantined", len(p.Quarantined))
			}
			q := p.Quarantined[i]
			if q.Key != tc.key || !strings.Contains(q.Reason, tc.reason) || q.Entity != "state_order_payment" {
				t.Errorf("got %+v, want key %s and reason %q", q, tc.key, tc.reason)
			}
			if !bytes.Contains(body, []byte(q.Raw)) || !strings.HasPrefix(q.Raw, `<p:payment recordId=`) || !strings.HasSuffix(q.Raw, "</p:payment>") {
				t.Errorf("raw %q is not the element as received", q.Raw)
			}
		})
	}
}

func TestDecodeGoldenReports(t *testing.T) {
	t.Parallel()
	var p connectors.Page
	var head feedHead
	if err := decodeReports(bytes.NewReader(golden(t, "reports_page.xml")), &head, &p, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	want := []domain.IncomeReport{{BIN: "090240000002", Year: 2024, Income: 9_007_199_254_740_993, FiledOn: domain.MustDate("2025-03-28")}}
	if !reflect.DeepEqual(p.IncomeReports, want) {
		t.Errorf("reports = %+v, want %+v (int64 money beyond float precision must survive)", p.IncomeReports, want)
	}
	if len(p.Quarantined) != 2 || !strings.Contains(p.Quarantined[0].Reason, "reportYear") || !strings.Contains(p.Quarantined[1].Reason, "submittedOn") {
		t.Errorf("quarantined = %+v", p.Quarantined)
	}
}

func TestDecodeGoldenFault(t *testing.T) {
	t.Parallel()
	body := golden(t, "fault_client.xml")
	f, ok := decodeFault(body)
	if !ok || !f.Client() || f.Service != "INVALID_ARGUMENT" || f.Message != "pageSize must be 1..10000, got 0" {
		t.Fatalf("decodeFault = %+v, %v", f, ok)
	}
	var p connectors.Page
	err := decodePayments(bytes.NewReader(body), &feedHead{}, &p, time.Now())
	if !errors.As(err, &f) {
		t.Fatalf("a fault in a 200 response: err = %v, want a *Fault", err)
	}
}

func TestDecodeRejectsWhatIsNotAnEnvelope(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, body string }{
		{"empty", ""},
		{"html", "<html><body>Bad gateway</body></html>"},
		{"soap 1.2", `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>`},
		{"truncated", `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><ob:payment xmlns:ob="urn:kz:minfin:ortabilim:v1">`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p connectors.Page
			if err := decodePayments(strings.NewReader(tc.body), &feedHead{}, &p, time.Now()); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestEncodeRequest(t *testing.T) {
	t.Parallel()
	b, err := encodeRequest(byOrganisationRequest{BINs: []string{"080140000007", "090240000002"}, FromPeriod: "2024-01", ToPeriod: "2024-12"})
	if err != nil {
		t.Fatal(err)
	}
	// Read it back by namespace, as any SOAP server would.
	var env struct {
		XMLName xml.Name `xml:"http://schemas.xmlsoap.org/soap/envelope/ Envelope"`
		Body    struct {
			Op struct {
				BINs []string `xml:"urn:kz:minfin:ortabilim:v1 bins>bin"`
				From string   `xml:"urn:kz:minfin:ortabilim:v1 fromPeriod"`
			} `xml:"urn:kz:minfin:ortabilim:v1 GetPaymentsByOrganisation"`
		} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
	}
	if err := xml.Unmarshal(b, &env); err != nil || len(env.Body.Op.BINs) != 2 || env.Body.Op.From != "2024-01" {
		t.Fatalf("request %s read back as %+v, %v", b, env, err)
	}
}

// FuzzDecodeEnvelope feeds arbitrary bytes to the payment, report and fault decoders: no
// panic, and whatever passes validation is valid.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, name := range []string{"payments_page.xml", "reports_page.xml", "fault_client.xml"} {
		f.Add(golden(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		decodeFault(data)
		var p connectors.Page
		if decodePayments(bytes.NewReader(data), &feedHead{}, &p, time.Now()) == nil {
			for _, x := range p.StateOrderPayments {
				if _, err := domain.ParseBIN(string(x.BIN)); err != nil || x.Amount < 0 || x.PaidOn.IsZero() {
					t.Fatalf("invalid payment passed: %+v", x)
				}
				if x.Kind == domain.PayPreschoolOrder && x.ChildIIN == "" {
					t.Fatalf("preschool payment without a child passed: %+v", x)
				}
			}
			for _, q := range p.Quarantined {
				if q.Reason == "" || q.Raw == "" {
					t.Fatalf("quarantined without reason or raw: %+v", q)
				}
			}
		}
		p = connectors.Page{}
		if decodeReports(bytes.NewReader(data), &feedHead{}, &p, time.Now()) == nil {
			for _, x := range p.IncomeReports {
				if _, err := domain.ParseBIN(string(x.BIN)); err != nil || x.Income < 0 {
					t.Fatalf("invalid report passed: %+v", x)
				}
			}
		}
	})
}
