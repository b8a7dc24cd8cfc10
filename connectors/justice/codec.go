package justice

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/domain"
)

// This file is the connector's own reading of docs/sources/justice.md: the wire types, and the
// mapping of each native record to a domain record with its validation.

type wirePerson struct {
	IIN        string  `json:"iin"`
	Surname    string  `json:"surname"`
	Name       string  `json:"name"`
	Patronymic *string `json:"patronymic"`
	BirthDate  string  `json:"birthDate"`
	Gender     string  `json:"gender"`
	KATOCode   string  `json:"katoCode"`
	DeathDate  *string `json:"deathDate"`
}

type wireChange struct {
	Seq       int64      `json:"seq"`
	ChangedOn string     `json:"changedOn"`
	Reason    string     `json:"reason"`
	Person    wirePerson `json:"person"`
}

type wireBuilding struct {
	Seq             int64  `json:"seq"`
	CadastralNumber string `json:"cadastralNumber"`
	KATOCode        string `json:"katoCode"`
	Address         string `json:"address"`
	PurposeCode     string `json:"purposeCode"`
	PurposeName     string `json:"purposeName"`
	DesignCapacity  int    `json:"designCapacity"`
}

// changesPage is the answer of GET /v1/persons/changes; records stay raw until validated one by
// one, so that one bad record cannot spoil its page.
type changesPage struct {
	Changes []json.RawMessage `json:"changes"`
	LastSeq int64             `json:"lastSeq"`
	HasMore bool              `json:"hasMore"`
	Total   int64             `json:"total"`
}

type buildingsPage struct {
	Buildings []json.RawMessage `json:"buildings"`
	LastSeq   int64             `json:"lastSeq"`
	HasMore   bool              `json:"hasMore"`
	Total     int64             `json:"total"`
}

type personsBatch struct {
	Persons  []json.RawMessage `json:"persons"`
	NotFound []string          `json:"notFound"`
}

type buildingsBatch struct {
	Buildings []json.RawMessage `json:"buildings"`
	NotFound  []string          `json:"notFound"`
}

// designations maps the cadastre's purpose codes (docs/sources/justice.md §4.4).
var designations = map[string]domain.Designation{
	"01.01": domain.DesignResidential,
	"02.01": domain.DesignOffice,
	"03.01": domain.DesignSchool,
	"03.02": domain.DesignKindergarten,
	"03.03": domain.DesignCollege,
	"04.01": domain.DesignClinic,
	"05.01": domain.DesignShoppingMall,
	"05.02": domain.DesignBanquetHall,
	"06.01": domain.DesignWarehouse,
}

var cadastralRe = regexp.MustCompile(`^[0-9]{2}:[0-9]{3}:[0-9]{3}:[0-9]{1,6}$`)

func quarantine(entity, key, reason string, raw []byte) connectors.Quarantined {
	return connectors.Quarantined{Source: connectors.Justice, Entity: entity, Key: key, Reason: reason, Raw: string(raw), Seen: time.Now().UTC()}
}

// toPerson validates a native person and maps it.
func toPerson(w wirePerson) (domain.Person, error) {
	iin, err := domain.ParseIIN(w.IIN)
	if err != nil {
		return domain.Person{}, err
	}
	if w.Surname == "" || w.Name == "" {
		return domain.Person{}, errors.New("surname and name must not be empty")
	}
	birth, err := domain.ParseDate(w.BirthDate)
	if err != nil {
		return domain.Person{}, fmt.Errorf("birthDate: %w", err)
	}
	if birth != iin.BirthDate() {
		return domain.Person{}, fmt.Errorf("birthDate %s disagrees with the IIN's birth date %s", birth, iin.BirthDate())
	}
	var sex domain.Sex
	switch w.Gender {
	case "MALE":
		sex = domain.Male
	case "FEMALE":
		sex = domain.Female
	default:
		return domain.Person{}, fmt.Errorf("gender %q: want MALE or FEMALE", w.Gender)
	}
	if sex != iin.Sex() {
		return domain.Person{}, fmt.Errorf("gender %s disagrees with the IIN's seventh digit", w.Gender)
	}
	kato, err := domain.ParseKATO(w.KATOCode)
	if err != nil {
		return domain.Person{}, fmt.Errorf("katoCode: %w", err)
	}
	p := domain.Person{IIN: iin, LastName: w.Surname, FirstName: w.Name, BirthDate: birth, Sex: sex, Region: kato}
	if w.Patronymic != nil {
		p.Patronymic = *w.Patronymic
	}
	if w.DeathDate != nil {
		d, err := domain.ParseDate(*w.DeathDate)
		if err != nil {
			return domain.Person{}, fmt.Errorf("deathDate: %w", err)
		}
		if d.Before(birth) {
			return domain.Person{}, fmt.Errorf("deathDate %s is before birthDate %s", d, birth)
		}
		p.DeathDate = d
	}
	return p, nil
}

// decodePerson decodes and validates one raw person; on failure it returns the quarantine entry.
func decodePerson(raw json.RawMessage) (domain.Person, *connectors.Quarantined) {
	var w wirePerson
	if err := json.Unmarshal(raw, &w); err != nil {
		q := quarantine("person", "", "not a person object: "+err.Error(), raw)
		return domain.Person{}, &q
	}
	p, err := toPerson(w)
	if err != nil {
		q := quarantine("person", w.IIN, err.Error(), raw)
		return domain.Person{}, &q
	}
	return p, nil
}

// decodeChange decodes and validates one raw change of the persons feed.
func decodeChange(raw json.RawMessage) (domain.PersonVersion, *connectors.Quarantined) {
	var w wireChange
	if err := json.Unmarshal(raw, &w); err != nil {
		q := quarantine("person", "", "not a change object: "+err.Error(), raw)
		return domain.PersonVersion{}, &q
	}
	bad := func(reason string) (domain.PersonVersion, *connectors.Quarantined) {
		q := quarantine("person", w.Person.IIN, fmt.Sprintf("change %d: %s", w.Seq, reason), raw)
		return domain.PersonVersion{}, &q
	}
	if w.Seq <= 0 {
		return bad("seq must be positive")
	}
	on, err := domain.ParseDate(w.ChangedOn)
	if err != nil {
		return bad("changedOn: " + err.Error())
	}
	p, err := toPerson(w.Person)
	if err != nil {
		return bad(err.Error())
	}
	return domain.PersonVersion{Seq: w.Seq, ChangedOn: on, Person: p}, nil
}

// toBuilding validates a native building and maps it.
func toBuilding(w wireBuilding) (domain.Building, error) {
	if !cadastralRe.MatchString(w.CadastralNumber) {
		return domain.Building{}, fmt.Errorf("cadastralNumber %q: want RR:DDD:BBB:N (2, 3 and 3 digits, then 1-6 digits)", w.CadastralNumber)
	}
	kato, err := domain.ParseKATO(w.KATOCode)
	if err != nil {
		return domain.Building{}, fmt.Errorf("katoCode: %w", err)
	}
	d, ok := designations[w.PurposeCode]
	if !ok {
		return domain.Building{}, fmt.Errorf("purposeCode %q is not in the cadastre's classifier", w.PurposeCode)
	}
	if w.DesignCapacity < 0 {
		return domain.Building{}, fmt.Errorf("designCapacity %d is negative", w.DesignCapacity)
	}
	return domain.Building{Cadastral: w.CadastralNumber, Region: kato, Address: w.Address, Designation: d, DesignCapacity: w.DesignCapacity}, nil
}

// decodeBuilding decodes and validates one raw building.
func decodeBuilding(raw json.RawMessage) (domain.Building, *connectors.Quarantined) {
	var w wireBuilding
	if err := json.Unmarshal(raw, &w); err != nil {
		q := quarantine("building", "", "not a building object: "+err.Error(), raw)
		return domain.Building{}, &q
	}
	b, err := toBuilding(w)
	if err != nil {
		q := quarantine("building", w.CadastralNumber, err.Error(), raw)
		return domain.Building{}, &q
	}
	return b, nil
}

// decode validates every change of the page: each raw record becomes a version or a quarantine
// entry, in order, none dropped.
func (p *changesPage) decode() (vs []domain.PersonVersion, qs []connectors.Quarantined) {
	vs = make([]domain.PersonVersion, 0, len(p.Changes))
	for _, raw := range p.Changes {
		v, q := decodeChange(raw)
		if q != nil {
			qs = append(qs, *q)
			continue
		}
		vs = append(vs, v)
	}
	return vs, qs
}

// decode validates every building of the page.
func (p *buildingsPage) decode() (bs []domain.Building, qs []connectors.Quarantined) {
	return decodeBuildings(p.Buildings)
}

func decodeBuildings(raws []json.RawMessage) (bs []domain.Building, qs []connectors.Quarantined) {
	bs = make([]domain.Building, 0, len(raws))
	for _, raw := range raws {
		b, q := decodeBuilding(raw)
		if q != nil {
			qs = append(qs, *q)
			continue
		}
		bs = append(bs, b)
	}
	return bs, qs
}

// decode validates every person of a batch answer.
func (p *personsBatch) decode() (ps []domain.Person, qs []connectors.Quarantined) {
	ps = make([]domain.Person, 0, len(p.Persons))
	for _, raw := range p.Persons {
		v, q := decodePerson(raw)
		if q != nil {
			qs = append(qs, *q)
			continue
		}
		ps = append(ps, v)
	}
	return ps, qs
}
