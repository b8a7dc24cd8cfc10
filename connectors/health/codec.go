package health

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/domain"
)

// Identifier systems (docs/sources/health.md, section 1).
const (
	sysIIN = "urn:kz:iin"
	sysBIN = "urn:kz:bin"

	extCadastral  = "urn:kz:umis:building-cadastral"
	extAttachment = "urn:kz:umis:attachment-period"
)

// ---- the wire shapes, as this connector reads them ----

type identifier struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

type reference struct {
	Reference  string      `json:"reference"`
	Identifier *identifier `json:"identifier"`
}

type coding struct {
	System string `json:"system"`
	Code   string `json:"code"`
}

type codeable struct {
	Coding []coding `json:"coding"`
}

type period struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

type meta struct {
	VersionID string `json:"versionId"`
}

type extension struct {
	URL         string  `json:"url"`
	ValueString string  `json:"valueString"`
	ValuePeriod *period `json:"valuePeriod"`
}

type resource struct {
	ResourceType string       `json:"resourceType"`
	ID           string       `json:"id"`
	Meta         meta         `json:"meta"`
	Identifier   []identifier `json:"identifier"`
	Extension    []extension  `json:"extension"`

	// Organization
	Type    json.RawMessage `json:"type"` // an array on Organization, an object on Coverage
	Name    string          `json:"name"`
	Address []struct {
		State string `json:"state"`
	} `json:"address"`

	// Patient
	GeneralPractitioner []reference `json:"generalPractitioner"`

	// Encounter
	Class           *coding    `json:"class"`
	Subject         *reference `json:"subject"`
	ServiceProvider *reference `json:"serviceProvider"`
	Period          *period    `json:"period"`

	// Coverage
	Beneficiary *reference `json:"beneficiary"`
}

// Outcome is an OperationOutcome the register answered with.
type Outcome struct {
	Code        string // issue[0].code, e.g. "invalid", "throttled", "transient"
	Diagnostics string
}

func (o *Outcome) Error() string {
	return fmt.Sprintf("OperationOutcome %s: %s", o.Code, o.Diagnostics)
}

type outcomeJSON struct {
	ResourceType string `json:"resourceType"`
	Issue        []struct {
		Severity    string `json:"severity"`
		Code        string `json:"code"`
		Diagnostics string `json:"diagnostics"`
	} `json:"issue"`
}

// decodeOutcome reads an OperationOutcome body; ok is false when body is not one.
func decodeOutcome(body []byte) (*Outcome, bool) {
	var o outcomeJSON
	if json.Unmarshal(body, &o) != nil || o.ResourceType != "OperationOutcome" || len(o.Issue) == 0 {
		return nil, false
	}
	return &Outcome{Code: o.Issue[0].Code, Diagnostics: o.Issue[0].Diagnostics}, true
}

// bundleInfo is what a searchset Bundle says besides its entries.
type bundleInfo struct {
	Total   int64
	Next    string // the next link, "" on the last page
	Entries int
	MaxSeq  int64 // highest meta.versionId among the entries
}

// decodeBundle streams a searchset Bundle from r, handing each entry's resource to each, with
// the error of decoding it into a resource (a type mismatch; nil when it decoded) and a function
// returning the entry's raw JSON. What was read is kept only for that raw JSON. An
// OperationOutcome body is returned as an *Outcome error.
func decodeBundle(r io.Reader, each func(res *resource, decodeErr error, raw func() []byte) error) (bundleInfo, error) {
	var info bundleInfo
	var seen bytes.Buffer
	d := json.NewDecoder(io.TeeReader(r, &seen))
	d.UseNumber()
	if err := expectDelim(d, '{'); err != nil {
		return info, err
	}
	resourceType := ""
	var issues json.RawMessage
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return info, err
		}
		key, _ := tok.(string)
		switch key {
		case "resourceType":
			if err := d.Decode(&resourceType); err != nil {
				return info, fmt.Errorf("resourceType: %w", err)
			}
			if resourceType != "Bundle" && resourceType != "OperationOutcome" {
				return info, fmt.Errorf("resourceType is %q, want Bundle", resourceType)
			}
		case "type":
			var t string
			if err := d.Decode(&t); err != nil || t != "searchset" {
				return info, fmt.Errorf("field Bundle.type: want searchset, got %q (%v)", t, err)
			}
		case "total":
			if err := d.Decode(&info.Total); err != nil {
				return info, fmt.Errorf("field Bundle.total: %w", err)
			}
		case "link":
			var links []struct {
				Relation string `json:"relation"`
				URL      string `json:"url"`
			}
			if err := d.Decode(&links); err != nil {
				return info, fmt.Errorf("field Bundle.link: %w", err)
			}
			for _, l := range links {
				if l.Relation == "next" {
					info.Next = l.URL
				}
			}
		case "issue":
			if err := d.Decode(&issues); err != nil {
				return info, err
			}
		case "entry":
			if err := expectDelim(d, '['); err != nil {
				return info, fmt.Errorf("field Bundle.entry: %w", err)
			}
			for d.More() {
				start := d.InputOffset()
				var e struct {
					Resource *resource `json:"resource"`
				}
				err := d.Decode(&e)
				var typeErr *json.UnmarshalTypeError
				if err != nil && !errors.As(err, &typeErr) {
					return info, fmt.Errorf("field Bundle.entry[%d]: %w", info.Entries, err)
				}
				if err == nil && e.Resource == nil {
					err = errors.New("entry without a resource")
				}
				info.Entries++
				raw := func() []byte { return bytes.TrimLeft(seen.Bytes()[start:d.InputOffset()], ", \t\r\n") }
				if err := each(e.Resource, err, raw); err != nil {
					return info, err
				}
			}
			if err := expectDelim(d, ']'); err != nil {
				return info, fmt.Errorf("field Bundle.entry: %w", err)
			}
		default:
			var skip json.RawMessage
			if err := d.Decode(&skip); err != nil {
				return info, fmt.Errorf("%s: %w", key, err)
			}
		}
	}
	if err := expectDelim(d, '}'); err != nil {
		return info, err
	}
	if resourceType == "OperationOutcome" {
		if o, ok := decodeOutcome(append(append([]byte(`{"resourceType":"OperationOutcome","issue":`), issues...), '}')); ok {
			return info, o
		}
		return info, errors.New("an OperationOutcome without issues")
	}
	if resourceType == "" {
		return info, errors.New("no resourceType: not a FHIR Bundle")
	}
	return info, nil
}

func expectDelim(d *json.Decoder, want json.Delim) error {
	tok, err := d.Token()
	if err != nil {
		return err
	}
	if got, ok := tok.(json.Delim); !ok || got != want {
		return fmt.Errorf("want %q, got %v", want, tok)
	}
	return nil
}

// cursorOf returns the _cursor of a next link (0 when it has none).
func cursorOf(next string) int64 {
	u, err := url.Parse(next)
	if err != nil {
		return 0
	}
	v, _ := strconv.ParseInt(u.Query().Get("_cursor"), 10, 64)
	return v
}

// ---- validation and mapping ----

func idOf(ids []identifier, system string) (string, bool) {
	for _, id := range ids {
		if id.System == system {
			return id.Value, true
		}
	}
	return "", false
}

func fhirDate(name, s string, required bool) (domain.Date, error) {
	if s == "" {
		if required {
			return domain.Date{}, fmt.Errorf("%s: required", name)
		}
		return domain.Date{}, nil
	}
	d, err := domain.ParseDate(s)
	if err != nil {
		return d, fmt.Errorf("%s: %q is not a date yyyy-mm-dd", name, s)
	}
	return d, nil
}

func fhirPeriod(name string, p *period) (domain.Date, domain.Date, error) {
	if p == nil {
		return domain.Date{}, domain.Date{}, fmt.Errorf("%s: missing", name)
	}
	from, err := fhirDate(name+".start", p.Start, true)
	if err != nil {
		return from, domain.Date{}, err
	}
	to, err := fhirDate(name+".end", p.End, false)
	if err != nil {
		return from, to, err
	}
	if !to.IsZero() && to.Before(from) {
		return from, to, fmt.Errorf("%s: end %s is before start %s", name, p.End, p.Start)
	}
	return from, to, nil
}

func refID(name, system string, r *reference) (string, error) {
	if r == nil || r.Identifier == nil {
		return "", fmt.Errorf("%s.identifier: missing", name)
	}
	if r.Identifier.System != system {
		return "", fmt.Errorf("%s.identifier.system: %q, want %s", name, r.Identifier.System, system)
	}
	return r.Identifier.Value, nil
}

func personIIN(name string, r *reference) (domain.IIN, error) {
	v, err := refID(name, sysIIN, r)
	if err != nil {
		return "", err
	}
	iin, err := domain.ParseIIN(v)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return iin, nil
}

func orgBIN(name string, r *reference) (domain.BIN, error) {
	v, err := refID(name, sysBIN, r)
	if err != nil {
		return "", err
	}
	bin, err := domain.ParseBIN(v)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return bin, nil
}

var (
	orgTypes   = map[string]bool{"pmsp": true, "hospital": false}
	classCodes = map[string]string{"AMB": "outpatient", "IMP": "inpatient", "EMER": "emergency"}
	categories = map[string]string{"EMPLOYEE": "employee", "SELF_EMPLOYED": "self_employed", "STATE_FUNDED": "state_funded"}
)

// entityOf is the quarantine's entity name of a resource type.
var entityOf = map[string]string{"Organization": "medical_institution", "Patient": "attachment", "Encounter": "visit", "Coverage": "coverage"}

// mapResource validates one resource of the expected type and appends it to p. key is the
// resource's id (or what identifies it), seq its meta.versionId (0 when unreadable).
func mapResource(p *connectors.Page, want string, r *resource) (key string, seq int64, err error) {
	key = r.ID
	seq, _ = strconv.ParseInt(r.Meta.VersionID, 10, 64)
	if r.ResourceType != want {
		return key, seq, fmt.Errorf("resourceType: %q, want %s", r.ResourceType, want)
	}
	if seq <= 0 {
		return key, 0, fmt.Errorf("meta.versionId: %q is not a positive integer", r.Meta.VersionID)
	}
	switch want {
	case "Organization":
		v, ok := idOf(r.Identifier, sysBIN)
		if !ok {
			return key, seq, errors.New("identifier: no " + sysBIN)
		}
		bin, err := domain.ParseBIN(v)
		if err != nil {
			return key, seq, fmt.Errorf("identifier %s: %w", sysBIN, err)
		}
		var types []codeable
		if len(r.Type) > 0 && json.Unmarshal(r.Type, &types) != nil {
			return key, seq, errors.New("type: not a list of CodeableConcepts")
		}
		if len(types) == 0 || len(types[0].Coding) == 0 {
			return key, seq, errors.New("type: missing")
		}
		primary, ok := orgTypes[types[0].Coding[0].Code]
		if !ok {
			return key, seq, fmt.Errorf("type: code %q is not pmsp or hospital", types[0].Coding[0].Code)
		}
		if strings.TrimSpace(r.Name) == "" {
			return key, seq, errors.New("name: empty")
		}
		if len(r.Address) == 0 {
			return key, seq, errors.New("address: missing")
		}
		kato, err := domain.ParseKATO(r.Address[0].State)
		if err != nil {
			return key, seq, fmt.Errorf("address.state: %w", err)
		}
		cad := ""
		for _, e := range r.Extension {
			if e.URL == extCadastral {
				cad = e.ValueString
			}
		}
		p.MedicalInstitutions = append(p.MedicalInstitutions, domain.MedicalInstitution{BIN: bin, Name: r.Name, Region: kato, Cadastral: cad, Primary: primary})
	case "Patient":
		v, ok := idOf(r.Identifier, sysIIN)
		if !ok {
			return key, seq, errors.New("identifier: no " + sysIIN)
		}
		iin, err := domain.ParseIIN(v)
		if err != nil {
			return key, seq, fmt.Errorf("identifier %s: %w", sysIIN, err)
		}
		if len(r.GeneralPractitioner) == 0 {
			return key, seq, errors.New("generalPractitioner: missing")
		}
		bin, err := orgBIN("generalPractitioner", &r.GeneralPractitioner[0])
		if err != nil {
			return key, seq, err
		}
		var per *period
		for _, e := range r.Extension {
			if e.URL == extAttachment {
				per = e.ValuePeriod
			}
		}
		from, to, err := fhirPeriod("extension "+extAttachment, per)
		if err != nil {
			return key, seq, err
		}
		p.Attachments = append(p.Attachments, domain.Attachment{IIN: iin, BIN: bin, From: from, To: to})
	case "Encounter":
		if r.ID == "" {
			return key, seq, errors.New("id: empty")
		}
		if r.Class == nil {
			return key, seq, errors.New("class: missing")
		}
		kind, ok := classCodes[r.Class.Code]
		if !ok {
			return key, seq, fmt.Errorf("class: code %q is not AMB, IMP or EMER", r.Class.Code)
		}
		iin, err := personIIN("subject", r.Subject)
		if err != nil {
			return key, seq, err
		}
		bin, err := orgBIN("serviceProvider", r.ServiceProvider)
		if err != nil {
			return key, seq, err
		}
		if r.Period == nil {
			return key, seq, errors.New("period: missing")
		}
		date, err := fhirDate("period.start", r.Period.Start, true)
		if err != nil {
			return key, seq, err
		}
		p.Visits = append(p.Visits, domain.Visit{ID: r.ID, IIN: iin, BIN: bin, Date: date, Kind: kind})
	case "Coverage":
		var t codeable
		if len(r.Type) > 0 && json.Unmarshal(r.Type, &t) != nil {
			return key, seq, errors.New("type: not a CodeableConcept")
		}
		if len(t.Coding) == 0 {
			return key, seq, errors.New("type: missing")
		}
		cat, ok := categories[t.Coding[0].Code]
		if !ok {
			return key, seq, fmt.Errorf("type: code %q is not EMPLOYEE, SELF_EMPLOYED or STATE_FUNDED", t.Coding[0].Code)
		}
		iin, err := personIIN("beneficiary", r.Beneficiary)
		if err != nil {
			return key, seq, err
		}
		from, to, err := fhirPeriod("period", r.Period)
		if err != nil {
			return key, seq, err
		}
		p.Coverages = append(p.Coverages, domain.Coverage{IIN: iin, Category: cat, From: from, To: to})
	default:
		return key, seq, fmt.Errorf("resource type %s is not read by this connector", want)
	}
	return key, seq, nil
}

// decodeSearch decodes a searchset Bundle of resources of type want into p, quarantining the
// resources that fail validation. It returns the Bundle's paging information.
func decodeSearch(r io.Reader, want string, p *connectors.Page, now time.Time) (bundleInfo, error) {
	var maxSeq int64
	info, err := decodeBundle(r, func(res *resource, decodeErr error, raw func() []byte) error {
		if decodeErr != nil {
			p.Quarantined = append(p.Quarantined, connectors.Quarantined{Source: connectors.Health, Entity: entityOf[want],
				Reason: "not a FHIR resource: " + decodeErr.Error(), Raw: resourceRaw(raw()), Seen: now})
			return nil
		}
		key, seq, err := mapResource(p, want, res)
		maxSeq = max(maxSeq, seq)
		if err != nil {
			p.Quarantined = append(p.Quarantined, connectors.Quarantined{Source: connectors.Health, Entity: entityOf[want],
				Key: key, Reason: err.Error(), Raw: resourceRaw(raw()), Seen: now})
		}
		return nil
	})
	info.MaxSeq = maxSeq
	return info, err
}

// resourceRaw is the resource of a Bundle entry as received (the whole entry when the resource
// cannot be picked out).
func resourceRaw(entry []byte) string {
	var e struct {
		Resource json.RawMessage `json:"resource"`
	}
	if json.Unmarshal(entry, &e) == nil && len(e.Resource) > 0 && string(e.Resource) != "null" {
		return string(e.Resource)
	}
	return string(entry)
}
