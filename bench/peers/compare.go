package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/birlik/birlik/domain"
)

// PostGraphileQuery asks PostGraphile for the data of kit.CitizenQuery in PostGraphile's own
// names: the person by the iin condition (the store's IIN is a unique index, not a constraint,
// so there is no personByIin), the current family through the latest membership without an
// end, the enrolments with the school and its building, and the payments of the period with
// the connection-filter plugin. Region names are not in the store: a client of PostGraphile
// reads them from the KATO classifier, as normalizePostGraphile does.
const PostGraphileQuery = `query Citizen($iin: String!, $from: String!) {
  allPeople(first: 1, condition: {iin: $iin}) { nodes {
    iin lastName firstName patronymic birthDate sex deathDate regionKato
    familyMembershipsByPersonId(first: 1, filter: {to: {isNull: true}}, orderBy: FAMILY_ID_DESC) { nodes {
      familyByFamilyId { platformId regionKato
        familyMembershipsByFamilyId(orderBy: PRIMARY_KEY_ASC) { nodes { iin role from to personByPersonId { lastName firstName birthDate } } } } } }
    enrollmentsByChildId(orderBy: PRIMARY_KEY_ASC) { nodes { grade year from to schoolBySchoolId { bin name kind regionKato buildingByBuildingId { designCapacity } } } }
    paymentsByRecipientId(first: 100, filter: {period: {greaterThanOrEqualTo: $from}}, orderBy: PRIMARY_KEY_ASC) { totalCount nodes { kind amount period paidOn } }
  } }
}`

// citizen is the citizen query's answer in one shape for every server, lists in a fixed order,
// so that two servers' answers compare as JSON.
type citizen struct {
	IIN, LastName, FirstName, Patronymic, BirthDate, Sex string
	DeathDate                                            *string
	Region                                               region
	Family                                               *struct {
		PlatformID string
		Region     string
		Members    []member
	}
	Enrollments   []enrollment
	PaymentsTotal int
	Payments      []payment
}

type region struct{ KATO, Name string }

type member struct {
	IIN, Role, From string
	To              *string
	Person          *struct{ LastName, FirstName, BirthDate string }
}

type enrollment struct {
	Grade, Year int
	From        string
	To          *string
	School      *struct {
		BIN, Name, Kind string
		Region          region
		DesignCapacity  int
	}
}

type payment struct {
	Kind   string
	Amount int64
	Period string
	PaidOn *string
}

// normalizeBirlik reads an answer to kit.CitizenQuery (Birlik's, or the Apollo peer's, which
// answers the same query text).
func normalizeBirlik(body []byte) (*citizen, error) {
	var r struct {
		Data struct {
			Person *struct {
				IIN, LastName, FirstName, Patronymic, BirthDate, Sex string
				DeathDate                                            *string
				Region                                               region
				Family                                               *struct {
					PlatformID string
					Region     struct{ KATO string }
					Members    []member
				}
				Enrollments []enrollment
				Payments    struct {
					TotalCount int
					Edges      []struct{ Node payment }
				}
			}
		}
		Errors json.RawMessage
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, err
	}
	if len(r.Errors) > 0 {
		return nil, fmt.Errorf("errors: %s", r.Errors)
	}
	p := r.Data.Person
	if p == nil {
		return nil, nil
	}
	c := &citizen{IIN: p.IIN, LastName: p.LastName, FirstName: p.FirstName, Patronymic: p.Patronymic, BirthDate: p.BirthDate,
		Sex: p.Sex, DeathDate: p.DeathDate, Region: p.Region, Enrollments: p.Enrollments, PaymentsTotal: p.Payments.TotalCount}
	if p.Family != nil {
		c.Family = &struct {
			PlatformID string
			Region     string
			Members    []member
		}{p.Family.PlatformID, p.Family.Region.KATO, p.Family.Members}
	}
	for _, e := range p.Payments.Edges {
		c.Payments = append(c.Payments, e.Node)
	}
	c.sort()
	return c, nil
}

// normalizePostGraphile reads an answer to PostGraphileQuery. PostGraphile sends PostgreSQL's
// bigint as a string; region names come from the classifier.
func normalizePostGraphile(body []byte) (*citizen, error) {
	type pgMember struct {
		IIN, Role, From  string
		To               *string
		PersonByPersonID *struct{ LastName, FirstName, BirthDate string }
	}
	var r struct {
		Data struct {
			AllPeople struct {
				Nodes []struct {
					IIN, LastName, FirstName, Patronymic, BirthDate, Sex string
					DeathDate                                            *string
					RegionKato                                           string
					FamilyMembershipsByPersonID                          struct {
						Nodes []struct {
							FamilyByFamilyID *struct {
								PlatformID                  string
								RegionKato                  string
								FamilyMembershipsByFamilyID struct{ Nodes []pgMember }
							}
						}
					}
					EnrollmentsByChildID struct {
						Nodes []struct {
							Grade, Year      json.Number
							From             string
							To               *string
							SchoolBySchoolID *struct {
								BIN, Name, Kind      string
								RegionKato           string
								BuildingByBuildingID *struct{ DesignCapacity json.Number }
							}
						}
					}
					PaymentsByRecipientID struct {
						TotalCount int
						Nodes      []struct {
							Kind   string
							Amount json.Number
							Period string
							PaidOn *string
						}
					}
				}
			}
		}
		Errors json.RawMessage
	}
	if err := decodeAnswer(body, &r, &r.Errors); err != nil {
		return nil, err
	}
	if len(r.Data.AllPeople.Nodes) == 0 {
		return nil, nil
	}
	p := r.Data.AllPeople.Nodes[0]
	c := &citizen{IIN: p.IIN, LastName: p.LastName, FirstName: p.FirstName, Patronymic: p.Patronymic, BirthDate: p.BirthDate,
		Sex: p.Sex, DeathDate: p.DeathDate, Region: regionOf(p.RegionKato), PaymentsTotal: p.PaymentsByRecipientID.TotalCount}
	if n := p.FamilyMembershipsByPersonID.Nodes; len(n) > 0 && n[0].FamilyByFamilyID != nil {
		f := n[0].FamilyByFamilyID
		c.Family = &struct {
			PlatformID string
			Region     string
			Members    []member
		}{PlatformID: f.PlatformID, Region: f.RegionKato}
		for _, m := range f.FamilyMembershipsByFamilyID.Nodes {
			c.Family.Members = append(c.Family.Members, member{IIN: m.IIN, Role: m.Role, From: m.From, To: m.To, Person: m.PersonByPersonID})
		}
	}
	for _, e := range p.EnrollmentsByChildID.Nodes {
		ce := enrollment{Grade: atoi(e.Grade), Year: atoi(e.Year), From: e.From, To: e.To}
		if s := e.SchoolBySchoolID; s != nil {
			ce.School = &struct {
				BIN, Name, Kind string
				Region          region
				DesignCapacity  int
			}{BIN: s.BIN, Name: s.Name, Kind: s.Kind, Region: regionOf(s.RegionKato)}
			if s.BuildingByBuildingID != nil {
				ce.School.DesignCapacity = atoi(s.BuildingByBuildingID.DesignCapacity)
			}
		}
		c.Enrollments = append(c.Enrollments, ce)
	}
	for _, py := range p.PaymentsByRecipientID.Nodes {
		a, _ := strconv.ParseInt(string(py.Amount), 10, 64)
		c.Payments = append(c.Payments, payment{Kind: py.Kind, Amount: a, Period: py.Period, PaidOn: py.PaidOn})
	}
	c.sort()
	return c, nil
}

func atoi(n json.Number) int {
	v, _ := strconv.Atoi(string(n))
	return v
}

func regionOf(kato string) region {
	r := region{KATO: kato}
	if d, ok := domain.RegionOf(domain.KATO(kato)); ok {
		r.Name = d.Name
	}
	return r
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// sort puts the lists in a fixed order, servers need not agree on the order of unordered
// relations, and makes an empty list nil: an empty list and none say the same here.
func (c *citizen) sort() {
	if len(c.Enrollments) == 0 {
		c.Enrollments = nil
	}
	if len(c.Payments) == 0 {
		c.Payments = nil
	}
	if c.Family != nil && len(c.Family.Members) == 0 {
		c.Family.Members = nil
	}
	if c.Family != nil {
		slices.SortFunc(c.Family.Members, func(a, b member) int {
			return strings.Compare(a.IIN+a.From+a.Role+str(a.To), b.IIN+b.From+b.Role+str(b.To))
		})
	}
	slices.SortFunc(c.Enrollments, func(a, b enrollment) int {
		ka, kb := a.From+strconv.Itoa(a.Grade), b.From+strconv.Itoa(b.Grade)
		if a.School != nil {
			ka += a.School.BIN
		}
		if b.School != nil {
			kb += b.School.BIN
		}
		return strings.Compare(ka, kb)
	})
	slices.SortFunc(c.Payments, func(a, b payment) int {
		return strings.Compare(a.Period+a.Kind+strconv.FormatInt(a.Amount, 10)+str(a.PaidOn), b.Period+b.Kind+strconv.FormatInt(b.Amount, 10)+str(b.PaidOn))
	})
}

// decodeAnswer decodes a GraphQL answer into v (numbers kept as json.Number, so that a bigint
// sent as text and one sent as a number compare), then fails with the answer's errors, which
// errs (v's Errors field) holds after decoding.
func decodeAnswer(body []byte, v any, errs *json.RawMessage) error {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return err
	}
	if len(*errs) > 0 {
		return fmt.Errorf("errors: %s", *errs)
	}
	return nil
}
