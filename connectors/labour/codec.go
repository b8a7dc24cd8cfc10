package labour

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/domain"
)

// This file is the connector's own reading of docs/sources/labour.md: the wire types of each
// list, and the mapping of each native record to a domain record with its validation.

// listPage is one page of a list; the records stay raw until validated one by one.
type listPage struct {
	Records []json.RawMessage
	Next    string
	More    bool
	Total   int64
}

// decodeListPage reads a list response whose records are in the array named array.
func decodeListPage(body []byte, array string) (listPage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return listPage{}, fmt.Errorf("decode page: %w", err)
	}
	var p listPage
	if raw, ok := m[array]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &p.Records); err != nil {
			return listPage{}, fmt.Errorf("decode page: %s: %w", array, err)
		}
	}
	if err := json.Unmarshal(m["next_page_token"], &p.Next); err != nil || p.Next == "" {
		return listPage{}, errors.New("decode page: next_page_token missing or not a string")
	}
	if raw, ok := m["more"]; ok {
		if err := json.Unmarshal(raw, &p.More); err != nil {
			return listPage{}, fmt.Errorf("decode page: more: %w", err)
		}
	}
	if raw, ok := m["total_size"]; ok {
		_ = json.Unmarshal(raw, &p.Total) // informative only
	}
	return p, nil
}

// ---- wire types ----

type wireMember struct {
	IIN   string  `json:"iin"`
	Role  string  `json:"role"`
	Since string  `json:"member_since"`
	Until *string `json:"member_until"`
}

type wireFamily struct {
	ID      string       `json:"family_id"`
	Region  string       `json:"region_kato"`
	Members []wireMember `json:"members"`
}

type wireDisability struct {
	IIN   string  `json:"iin"`
	Group string  `json:"group"`
	From  string  `json:"established_on"`
	Until *string `json:"valid_until"`
}

type wireEmployer struct {
	BIN    string `json:"bin"`
	Name   string `json:"name"`
	Region string `json:"region_kato"`
	OKED   string `json:"oked_section"`
}

type wireContract struct {
	ID       string  `json:"contract_id"`
	IIN      string  `json:"employee_iin"`
	BIN      string  `json:"employer_bin"`
	Region   string  `json:"workplace_kato"`
	Position string  `json:"position_name"`
	Start    string  `json:"start_date"`
	End      *string `json:"end_date"`
	Wage     string  `json:"monthly_wage"`
}

type wireContribution struct {
	IIN    string `json:"iin"`
	Payer  string `json:"payer_bin"`
	Period string `json:"period"`
	Amount string `json:"amount"`
}

type wirePosition struct {
	Code  string `json:"code"`
	Title string `json:"title"`
}

type wireDeclaration struct {
	BIN    string `json:"bin"`
	Code   string `json:"position_code"`
	Title  string `json:"position_title"`
	Units  int    `json:"staff_units"`
	Period string `json:"period"`
}

type wirePayment struct {
	ID     string  `json:"payment_id"`
	IIN    string  `json:"recipient_iin"`
	Family *string `json:"family_id"`
	Type   string  `json:"payment_type"`
	Period string  `json:"period"`
	PaidOn string  `json:"paid_on"`
	Amount string  `json:"amount"`
}

// ---- native codes ----

var roles = map[string]domain.FamilyRole{"HEAD": domain.RoleHead, "SPOUSE": domain.RoleSpouse, "CHILD": domain.RoleChild, "RELATIVE": domain.RoleOther}

var groups = map[string]int{"I": 1, "II": 2, "III": 3}

var paymentTypes = map[string]domain.PaymentKind{
	"ASP": domain.PayTSA, "CHILD_BENEFIT": domain.PayChildBenefit, "DISABILITY_BENEFIT": domain.PayDisabilityBenefit,
	"WALLET_MEALS": domain.PayWalletMeals, "WALLET_MEDICINES": domain.PayWalletMedicines,
}

func sector(oked string) (domain.Sector, error) {
	switch oked {
	case "P":
		return domain.SectorEducation, nil
	case "Q":
		return domain.SectorHealth, nil
	case "O":
		return domain.SectorPublic, nil
	}
	if len(oked) == 1 && oked[0] >= 'A' && oked[0] <= 'U' {
		return domain.SectorBusiness, nil
	}
	return "", fmt.Errorf("oked_section %q: want a section letter A-U", oked)
}

// parsePeriod reads YYYYMM.
func parsePeriod(s string) (domain.Month, error) {
	if len(s) != 6 || !digits(s) {
		return 0, fmt.Errorf("period %q: want YYYYMM", s)
	}
	y, _ := strconv.Atoi(s[:4])
	m, _ := strconv.Atoi(s[4:])
	if m < 1 || m > 12 || y < 1900 {
		return 0, fmt.Errorf("period %q: want YYYYMM", s)
	}
	return domain.MonthOfYear(y, time.Month(m)), nil
}

// parseMoney reads a non-negative amount "123.00" in whole tenge.
func parseMoney(field, s string) (domain.Tenge, error) {
	whole, frac, ok := strings.Cut(s, ".")
	if !ok || len(frac) != 2 || whole == "" || !digits(whole) || !digits(frac) {
		return 0, fmt.Errorf("%s %q: want a non-negative amount like 35000.00", field, s)
	}
	if frac != "00" {
		return 0, fmt.Errorf("%s %q: not whole tenge", field, s)
	}
	v, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s %q: out of range", field, s)
	}
	return domain.Tenge(v), nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func optDate(field string, s *string) (domain.Date, error) {
	if s == nil {
		return domain.Date{}, nil
	}
	d, err := domain.ParseDate(*s)
	if err != nil {
		return domain.Date{}, fmt.Errorf("%s: %w", field, err)
	}
	return d, nil
}

func span(fromField, from string, toField string, to *string) (domain.Date, domain.Date, error) {
	f, err := domain.ParseDate(from)
	if err != nil {
		return domain.Date{}, domain.Date{}, fmt.Errorf("%s: %w", fromField, err)
	}
	t, err := optDate(toField, to)
	if err != nil {
		return domain.Date{}, domain.Date{}, err
	}
	if !t.IsZero() && t.Before(f) {
		return domain.Date{}, domain.Date{}, fmt.Errorf("%s %s is before %s %s", toField, t, fromField, f)
	}
	return f, t, nil
}

func kato(field, s string) (domain.KATO, error) {
	k, err := domain.ParseKATO(s)
	if err != nil {
		return "", fmt.Errorf("%s: %w", field, err)
	}
	return k, nil
}

// ---- record mappings ----

func toFamily(w wireFamily) (domain.Family, error) {
	if w.ID == "" {
		return domain.Family{}, errors.New("family_id is empty")
	}
	region, err := kato("region_kato", w.Region)
	if err != nil {
		return domain.Family{}, err
	}
	f := domain.Family{ID: w.ID, Region: region, Members: make([]domain.FamilyMember, 0, len(w.Members))}
	for i, m := range w.Members {
		iin, err := domain.ParseIIN(m.IIN)
		if err != nil {
			return domain.Family{}, fmt.Errorf("members[%d]: %w", i, err)
		}
		role, ok := roles[m.Role]
		if !ok {
			return domain.Family{}, fmt.Errorf("members[%d]: role %q: want HEAD, SPOUSE, CHILD or RELATIVE", i, m.Role)
		}
		from, to, err := span("member_since", m.Since, "member_until", m.Until)
		if err != nil {
			return domain.Family{}, fmt.Errorf("members[%d]: %w", i, err)
		}
		f.Members = append(f.Members, domain.FamilyMember{IIN: iin, Role: role, From: from, To: to})
	}
	return f, nil
}

func toDisability(w wireDisability) (domain.Disability, error) {
	iin, err := domain.ParseIIN(w.IIN)
	if err != nil {
		return domain.Disability{}, err
	}
	g, ok := groups[w.Group]
	if !ok {
		return domain.Disability{}, fmt.Errorf("group %q: want I, II or III", w.Group)
	}
	from, to, err := span("established_on", w.From, "valid_until", w.Until)
	if err != nil {
		return domain.Disability{}, err
	}
	return domain.Disability{IIN: iin, Group: g, From: from, To: to}, nil
}

func toEmployer(w wireEmployer) (domain.Employer, error) {
	bin, err := domain.ParseBIN(w.BIN)
	if err != nil {
		return domain.Employer{}, err
	}
	region, err := kato("region_kato", w.Region)
	if err != nil {
		return domain.Employer{}, err
	}
	sec, err := sector(w.OKED)
	if err != nil {
		return domain.Employer{}, err
	}
	return domain.Employer{BIN: bin, Name: w.Name, Region: region, Sector: sec}, nil
}

func toContract(w wireContract) (domain.LabourContract, error) {
	if w.ID == "" {
		return domain.LabourContract{}, errors.New("contract_id is empty")
	}
	iin, err := domain.ParseIIN(w.IIN)
	if err != nil {
		return domain.LabourContract{}, fmt.Errorf("employee_iin: %w", err)
	}
	bin, err := domain.ParseBIN(w.BIN)
	if err != nil {
		return domain.LabourContract{}, fmt.Errorf("employer_bin: %w", err)
	}
	region, err := kato("workplace_kato", w.Region)
	if err != nil {
		return domain.LabourContract{}, err
	}
	start, end, err := span("start_date", w.Start, "end_date", w.End)
	if err != nil {
		return domain.LabourContract{}, err
	}
	wage, err := parseMoney("monthly_wage", w.Wage)
	if err != nil {
		return domain.LabourContract{}, err
	}
	return domain.LabourContract{ID: w.ID, IIN: iin, EmployerBIN: bin, Region: region, Position: w.Position, Start: start, End: end, Wage: wage}, nil
}

func toContribution(w wireContribution) (domain.PensionContribution, error) {
	iin, err := domain.ParseIIN(w.IIN)
	if err != nil {
		return domain.PensionContribution{}, err
	}
	bin, err := domain.ParseBIN(w.Payer)
	if err != nil {
		return domain.PensionContribution{}, fmt.Errorf("payer_bin: %w", err)
	}
	m, err := parsePeriod(w.Period)
	if err != nil {
		return domain.PensionContribution{}, err
	}
	amt, err := parseMoney("amount", w.Amount)
	if err != nil {
		return domain.PensionContribution{}, err
	}
	return domain.PensionContribution{IIN: iin, PayerBIN: bin, Month: m, Amount: amt}, nil
}

func toPosition(w wirePosition) (domain.RegisterPosition, error) {
	if strings.TrimSpace(w.Code) == "" {
		return domain.RegisterPosition{}, errors.New("code is empty")
	}
	return domain.RegisterPosition{Code: w.Code, Title: w.Title}, nil
}

func toDeclaration(w wireDeclaration) (domain.StaffingDeclaration, error) {
	bin, err := domain.ParseBIN(w.BIN)
	if err != nil {
		return domain.StaffingDeclaration{}, err
	}
	if strings.TrimSpace(w.Code) == "" {
		return domain.StaffingDeclaration{}, errors.New("position_code is empty")
	}
	if w.Units < 0 {
		return domain.StaffingDeclaration{}, fmt.Errorf("staff_units %d is negative", w.Units)
	}
	m, err := parsePeriod(w.Period)
	if err != nil {
		return domain.StaffingDeclaration{}, err
	}
	return domain.StaffingDeclaration{BIN: bin, PositionCode: w.Code, Title: w.Title, Units: w.Units, Month: m}, nil
}

func toPayment(w wirePayment) (domain.SocialPayment, error) {
	if w.ID == "" {
		return domain.SocialPayment{}, errors.New("payment_id is empty")
	}
	iin, err := domain.ParseIIN(w.IIN)
	if err != nil {
		return domain.SocialPayment{}, fmt.Errorf("recipient_iin: %w", err)
	}
	kind, ok := paymentTypes[w.Type]
	if !ok {
		return domain.SocialPayment{}, fmt.Errorf("payment_type %q is not one of ASP, CHILD_BENEFIT, DISABILITY_BENEFIT, WALLET_MEALS, WALLET_MEDICINES", w.Type)
	}
	m, err := parsePeriod(w.Period)
	if err != nil {
		return domain.SocialPayment{}, err
	}
	paid, err := domain.ParseDate(w.PaidOn)
	if err != nil {
		return domain.SocialPayment{}, fmt.Errorf("paid_on: %w", err)
	}
	amt, err := parseMoney("amount", w.Amount)
	if err != nil {
		return domain.SocialPayment{}, err
	}
	p := domain.SocialPayment{ID: w.ID, IIN: iin, Kind: kind, Month: m, PaidOn: paid, Amount: amt}
	if w.Family != nil {
		p.FamilyID = *w.Family
	}
	return p, nil
}

// ---- the lists ----

// list is one list of the platform: its path, the name of its records' array, the entity name
// for quarantine, and how to validate one raw record into a page (returning its key and an
// error when it fails).
type list struct {
	path, array, entity string
	add                 func(raw json.RawMessage, p *connectors.Page) (key string, err error)
}

// decodeInto is the shape every list's add has: decode raw as W, map with to, append with put.
func decodeInto[W, D any](raw json.RawMessage, key func(*W) string, to func(W) (D, error), put func(D)) (string, error) {
	var w W
	if err := json.Unmarshal(raw, &w); err != nil {
		return "", fmt.Errorf("not a record object: %w", err)
	}
	d, err := to(w)
	if err != nil {
		return key(&w), err
	}
	put(d)
	return key(&w), nil
}

// Indices of the lists the look-ups use.
const (
	listFamilies  = 0
	listContracts = 3
	listPayments  = 7
)

var lists = []list{
	{"families", "families", "family", func(raw json.RawMessage, p *connectors.Page) (string, error) {
		return decodeInto(raw, func(w *wireFamily) string { return w.ID }, toFamily, func(d domain.Family) { p.Families = append(p.Families, d) })
	}},
	{"disabilities", "disabilities", "disability", func(raw json.RawMessage, p *connectors.Page) (string, error) {
		return decodeInto(raw, func(w *wireDisability) string { return w.IIN }, toDisability, func(d domain.Disability) { p.Disabilities = append(p.Disabilities, d) })
	}},
	{"employers", "employers", "employer", func(raw json.RawMessage, p *connectors.Page) (string, error) {
		return decodeInto(raw, func(w *wireEmployer) string { return w.BIN }, toEmployer, func(d domain.Employer) { p.Employers = append(p.Employers, d) })
	}},
	{"contracts", "contracts", "contract", func(raw json.RawMessage, p *connectors.Page) (string, error) {
		return decodeInto(raw, func(w *wireContract) string { return w.ID }, toContract, func(d domain.LabourContract) { p.Contracts = append(p.Contracts, d) })
	}},
	{"contributions", "contributions", "contribution", func(raw json.RawMessage, p *connectors.Page) (string, error) {
		return decodeInto(raw, func(w *wireContribution) string { return w.IIN + "/" + w.Payer + "/" + w.Period }, toContribution,
			func(d domain.PensionContribution) { p.Contributions = append(p.Contributions, d) })
	}},
	{"register-positions", "positions", "register_position", func(raw json.RawMessage, p *connectors.Page) (string, error) {
		return decodeInto(raw, func(w *wirePosition) string { return w.Code }, toPosition, func(d domain.RegisterPosition) { p.RegisterPositions = append(p.RegisterPositions, d) })
	}},
	{"staffing-declarations", "declarations", "staffing_declaration", func(raw json.RawMessage, p *connectors.Page) (string, error) {
		return decodeInto(raw, func(w *wireDeclaration) string { return w.BIN + "/" + w.Code + "/" + w.Period }, toDeclaration,
			func(d domain.StaffingDeclaration) { p.StaffingDeclarations = append(p.StaffingDeclarations, d) })
	}},
	{"payments", "payments", "payment", func(raw json.RawMessage, p *connectors.Page) (string, error) {
		return decodeInto(raw, func(w *wirePayment) string { return w.ID }, toPayment, func(d domain.SocialPayment) { p.SocialPayments = append(p.SocialPayments, d) })
	}},
}

// decodeRecords validates raw records of l into page: each becomes a domain record or a
// quarantine entry, none dropped. It returns the number quarantined.
func (l *list) decodeRecords(raws []json.RawMessage, page *connectors.Page) int {
	n := 0
	for _, raw := range raws {
		key, err := l.add(raw, page)
		if err != nil {
			page.Quarantined = append(page.Quarantined, connectors.Quarantined{
				Source: connectors.Labour, Entity: l.entity, Key: key, Reason: err.Error(), Raw: string(raw), Seen: time.Now().UTC(),
			})
			n++
		}
	}
	return n
}
