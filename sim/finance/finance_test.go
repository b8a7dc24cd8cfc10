package finance

import (
	"encoding/xml"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/birlik/birlik/gen"
)

func envelope(body string) string {
	return `<s:Envelope xmlns:s="` + NSSoap + `" xmlns:o="` + NS + `"><s:Body>` + body + `</s:Body></s:Envelope>`
}

// Every error is a SOAP 1.1 fault: HTTP 500 with soap:Client for the caller's mistakes, 503
// with soap:Server for an outage.
func TestFaults(t *testing.T) {
	t.Parallel()
	page := envelope(`<o:GetStateOrderPayments><o:afterId>0</o:afterId><o:pageSize>10</o:pageSize></o:GetStateOrderPayments>`)
	for _, tc := range []struct {
		name, action, ctype, body string
		down                      bool
		status                    int
		faultcode, code           string
	}{
		{"ok", "GetStateOrderPayments", "text/xml; charset=utf-8", page, false, 200, "", ""},
		{"wrong SOAPAction", "GetIncomeReports", "text/xml; charset=utf-8", page, false, 500, "soap:Client", "UNKNOWN_OPERATION"},
		{"not XML content", "GetStateOrderPayments", "application/json", page, false, 500, "soap:Client", "MALFORMED_REQUEST"},
		{"not an envelope", "GetStateOrderPayments", "text/xml", "<x/>", false, 500, "soap:Client", "MALFORMED_REQUEST"},
		{"page size 0", "GetIncomeReports", "text/xml", envelope(`<o:GetIncomeReports><o:afterId>0</o:afterId><o:pageSize>0</o:pageSize></o:GetIncomeReports>`), false, 500, "soap:Client", "INVALID_ARGUMENT"},
		{"no BINs", "GetPaymentsByOrganisation", "text/xml", envelope(`<o:GetPaymentsByOrganisation><o:bins></o:bins><o:fromPeriod>2024-01</o:fromPeriod><o:toPeriod>2024-02</o:toPeriod></o:GetPaymentsByOrganisation>`), false, 500, "soap:Client", "INVALID_ARGUMENT"},
		{"outage", "GetStateOrderPayments", "text/xml", page, true, 503, "soap:Server", "SERVICE_UNAVAILABLE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(&gen.Country{})
			s.Faults.SetDown(tc.down)
			r := httptest.NewRequest("POST", Endpoint, strings.NewReader(tc.body))
			r.Header.Set("Content-Type", tc.ctype)
			r.Header.Set("SOAPAction", `"`+NS+"/"+tc.action+`"`)
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			var env struct {
				Body struct {
					Fault *struct {
						Code   string `xml:"faultcode"`
						String string `xml:"faultstring"`
						SvcErr string `xml:"urn:kz:minfin:ortabilim:v1 detail>ServiceError>code"`
					} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Fault"`
				} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
			}
			if err := xml.Unmarshal(w.Body.Bytes(), &env); err != nil || w.Code != tc.status {
				t.Fatalf("%d %s: %v", w.Code, w.Body, err)
			}
			if tc.faultcode == "" {
				if env.Body.Fault != nil {
					t.Errorf("unexpected fault %+v", env.Body.Fault)
				}
				return
			}
			if f := env.Body.Fault; f == nil || f.Code != tc.faultcode || f.String == "" {
				t.Errorf("fault %+v; want %s %s", f, tc.faultcode, tc.code)
			}
		})
	}
}
