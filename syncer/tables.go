package syncer

import (
	"strconv"
	"strings"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent/attachment"
	"github.com/birlik/birlik/ent/building"
	"github.com/birlik/birlik/ent/change"
	"github.com/birlik/birlik/ent/coverage"
	"github.com/birlik/birlik/ent/disability"
	"github.com/birlik/birlik/ent/employer"
	"github.com/birlik/birlik/ent/enrollment"
	"github.com/birlik/birlik/ent/family"
	"github.com/birlik/birlik/ent/familymembership"
	"github.com/birlik/birlik/ent/incomereport"
	"github.com/birlik/birlik/ent/labourcontract"
	"github.com/birlik/birlik/ent/medicalinstitution"
	"github.com/birlik/birlik/ent/payment"
	"github.com/birlik/birlik/ent/person"
	"github.com/birlik/birlik/ent/registerposition"
	"github.com/birlik/birlik/ent/school"
	"github.com/birlik/birlik/ent/staffingdeclaration"
	"github.com/birlik/birlik/ent/staffposition"
	"github.com/birlik/birlik/ent/visit"
	"github.com/birlik/birlik/ent/voucher"
)

// ref is a foreign key sync resolves from a natural key: the row's column fk gets the id of the
// row of target whose key column equals this row's column col (a data column).
type ref struct {
	fk     string
	col    string
	target string
	key    string
}

// spec describes how one entity's records are written: its table, its data columns in the
// order rec.vals holds them, its foreign keys, and whether changes to it enter the change
// sequence.
type spec struct {
	name   string // entity name for stats and logs
	table  string
	cols   []string
	refs   []ref
	change change.Entity // "" when the entity is not in the change sequence
	seq    bool          // records carry a source sequence; an older one never replaces a newer
}

// rec is one record ready to be written: its natural key, its source sequence (0 when none),
// and its column values as driver values.
type rec struct {
	key  string
	seq  int64
	vals []any
	iin  string // the person the record concerns, for the change sequence
	// extra is content that is not a column of the row but belongs to its version (a
	// family's members); it enters the digest.
	extra string
}

// References every integrated table may hold, by target.
var (
	toPerson = func(fk, col string) ref { return ref{fk, col, person.Table, person.FieldIin} }
	toSchool = func(fk, col string) ref { return ref{fk, col, school.Table, school.FieldBin} }
	toEmp    = func(fk, col string) ref { return ref{fk, col, employer.Table, employer.FieldBin} }
	toMed    = func(fk, col string) ref { return ref{fk, col, medicalinstitution.Table, medicalinstitution.FieldBin} }
	toBldg   = func(fk, col string) ref { return ref{fk, col, building.Table, building.FieldCadastral} }
	toFamily = func(fk, col string) ref { return ref{fk, col, family.Table, family.FieldPlatformID} }
)

// The specs, in the order a page's records are written (targets before the rows naming them).
var (
	specPerson = &spec{name: "persons", table: person.Table, change: change.EntityPerson, seq: true,
		cols: []string{person.FieldIin, person.FieldLastName, person.FieldFirstName, person.FieldPatronymic,
			person.FieldBirthDate, person.FieldSex, person.FieldRegionKato, person.FieldDeathDate}}
	specBuilding = &spec{name: "buildings", table: building.Table,
		cols: []string{building.FieldCadastral, building.FieldRegionKato, building.FieldAddress,
			building.FieldDesignation, building.FieldDesignCapacity}}
	specFamily = &spec{name: "families", table: family.Table,
		cols: []string{family.FieldPlatformID, family.FieldRegionKato}}
	specMembership = &spec{name: "familyMemberships", table: familymembership.Table,
		cols: []string{familymembership.FieldFamilyPlatformID, familymembership.FieldIin, familymembership.FieldRole,
			familymembership.FieldFrom, familymembership.FieldTo},
		refs: []ref{toFamily(familymembership.FieldFamilyID, familymembership.FieldFamilyPlatformID),
			toPerson(familymembership.FieldPersonID, familymembership.FieldIin)}}
	specDisability = &spec{name: "disabilities", table: disability.Table,
		cols: []string{disability.FieldIin, disability.FieldGroup, disability.FieldFrom, disability.FieldTo},
		refs: []ref{toPerson(disability.FieldPersonID, disability.FieldIin)}}
	specEmployer = &spec{name: "employers", table: employer.Table,
		cols: []string{employer.FieldBin, employer.FieldName, employer.FieldRegionKato, employer.FieldSector}}
	specContract = &spec{name: "contracts", table: labourcontract.Table,
		cols: []string{labourcontract.FieldContractID, labourcontract.FieldIin, labourcontract.FieldEmployerBin,
			labourcontract.FieldRegionKato, labourcontract.FieldPosition, labourcontract.FieldStart,
			labourcontract.FieldEnd, labourcontract.FieldWage},
		refs: []ref{toPerson(labourcontract.FieldPersonID, labourcontract.FieldIin),
			toEmp(labourcontract.FieldEmployerID, labourcontract.FieldEmployerBin)}}
	specRegisterPosition = &spec{name: "registerPositions", table: registerposition.Table,
		cols: []string{registerposition.FieldCode, registerposition.FieldTitle}}
	specDeclaration = &spec{name: "staffingDeclarations", table: staffingdeclaration.Table,
		cols: []string{staffingdeclaration.FieldBin, staffingdeclaration.FieldPositionCode, staffingdeclaration.FieldTitle,
			staffingdeclaration.FieldUnits, staffingdeclaration.FieldMonth},
		refs: []ref{toEmp(staffingdeclaration.FieldEmployerID, staffingdeclaration.FieldBin),
			{staffingdeclaration.FieldRegisterPositionID, staffingdeclaration.FieldPositionCode, registerposition.Table, registerposition.FieldCode}}}
	specSchool = &spec{name: "schools", table: school.Table,
		cols: []string{school.FieldBin, school.FieldName, school.FieldKind, school.FieldOwnership, school.FieldRegionKato,
			school.FieldCadastral, school.FieldStateOrder},
		refs: []ref{toBldg(school.FieldBuildingID, school.FieldCadastral)}}
	specEnrollment = &spec{name: "enrolments", table: enrollment.Table,
		cols: []string{enrollment.FieldEnrollmentID, enrollment.FieldChildIin, enrollment.FieldSchoolBin, enrollment.FieldGrade,
			enrollment.FieldYear, enrollment.FieldFrom, enrollment.FieldTo},
		refs: []ref{toPerson(enrollment.FieldChildID, enrollment.FieldChildIin),
			toSchool(enrollment.FieldSchoolID, enrollment.FieldSchoolBin)}}
	specStaff = &spec{name: "staff", table: staffposition.Table,
		cols: []string{staffposition.FieldSchoolBin, staffposition.FieldIin, staffposition.FieldPosition,
			staffposition.FieldFrom, staffposition.FieldTo},
		refs: []ref{toSchool(staffposition.FieldSchoolID, staffposition.FieldSchoolBin),
			toPerson(staffposition.FieldPersonID, staffposition.FieldIin)}}
	specVoucher = &spec{name: "vouchers", table: voucher.Table,
		cols: []string{voucher.FieldVoucherID, voucher.FieldChildIin, voucher.FieldParentIin, voucher.FieldSchoolBin,
			voucher.FieldFrom, voucher.FieldTo},
		refs: []ref{toPerson(voucher.FieldChildID, voucher.FieldChildIin), toPerson(voucher.FieldParentID, voucher.FieldParentIin),
			toSchool(voucher.FieldSchoolID, voucher.FieldSchoolBin)}}
	specPayment = &spec{name: "payments", table: payment.Table,
		cols: []string{payment.FieldKind, payment.FieldAmount, payment.FieldPeriod, payment.FieldPaidOn, payment.FieldPayerBin,
			payment.FieldRecipientIin, payment.FieldFamilyPlatformID, payment.FieldSchoolBin, payment.FieldChildIin,
			payment.FieldContingent},
		refs: []ref{toPerson(payment.FieldRecipientID, payment.FieldRecipientIin), toEmp(payment.FieldPayerID, payment.FieldPayerBin),
			toFamily(payment.FieldFamilyID, payment.FieldFamilyPlatformID), toSchool(payment.FieldSchoolID, payment.FieldSchoolBin),
			toPerson(payment.FieldChildID, payment.FieldChildIin)}}
	specIncome = &spec{name: "incomeReports", table: incomereport.Table,
		cols: []string{incomereport.FieldSchoolBin, incomereport.FieldYear, incomereport.FieldIncome, incomereport.FieldFiledOn},
		refs: []ref{toSchool(incomereport.FieldSchoolID, incomereport.FieldSchoolBin)}}
	specMedical = &spec{name: "medicalInstitutions", table: medicalinstitution.Table,
		cols: []string{medicalinstitution.FieldBin, medicalinstitution.FieldName, medicalinstitution.FieldRegionKato,
			medicalinstitution.FieldCadastral, medicalinstitution.FieldPrimary},
		refs: []ref{toBldg(medicalinstitution.FieldBuildingID, medicalinstitution.FieldCadastral)}}
	specAttachment = &spec{name: "attachments", table: attachment.Table, change: change.EntityAttachment,
		cols: []string{attachment.FieldIin, attachment.FieldInstitutionBin, attachment.FieldFrom, attachment.FieldTo},
		refs: []ref{toPerson(attachment.FieldPersonID, attachment.FieldIin), toMed(attachment.FieldInstitutionID, attachment.FieldInstitutionBin)}}
	specVisit = &spec{name: "visits", table: visit.Table,
		cols: []string{visit.FieldVisitID, visit.FieldIin, visit.FieldInstitutionBin, visit.FieldDate, visit.FieldKind},
		refs: []ref{toPerson(visit.FieldPersonID, visit.FieldIin), toMed(visit.FieldInstitutionID, visit.FieldInstitutionBin)}}
	specCoverage = &spec{name: "coverages", table: coverage.Table, change: change.EntityCoverage,
		cols: []string{coverage.FieldIin, coverage.FieldCategory, coverage.FieldFrom, coverage.FieldTo},
		refs: []ref{toPerson(coverage.FieldPersonID, coverage.FieldIin)}}
)

// specs lists every integrated entity in write order.
var specs = []*spec{
	specPerson, specBuilding, specEmployer, specRegisterPosition, specFamily, specMembership, specDisability,
	specContract, specDeclaration, specSchool, specEnrollment, specStaff, specVoucher, specPayment, specIncome,
	specMedical, specAttachment, specVisit, specCoverage,
}

// batch is a page's records grouped by spec.
type batch map[*spec][]rec

// Value helpers: every value handed to the database is a plain driver value.

func str[T ~string](v T) any { return string(v) }

// optStr is NULL for the empty string.
func optStr[T ~string](v T) any {
	if v == "" {
		return nil
	}
	return string(v)
}

func date(d domain.Date) any { return d.String() }

// optDate is NULL for the zero date.
func optDate(d domain.Date) any {
	if d.IsZero() {
		return nil
	}
	return d.String()
}

func month(m domain.Month) any { return m.String() }

func key(parts ...string) string { return strings.Join(parts, "|") }

// collect maps a page's records to rows of the store.
func collect(p *connectors.Page) batch {
	b := batch{}
	add := func(s *spec, r rec) { b[s] = append(b[s], r) }
	for _, v := range p.PersonVersions {
		x := v.Person
		add(specPerson, rec{key: string(x.IIN), seq: v.Seq, iin: string(x.IIN), vals: []any{
			str(x.IIN), x.LastName, x.FirstName, x.Patronymic, date(x.BirthDate), str(x.Sex), str(x.Region), optDate(x.DeathDate)}})
	}
	for _, x := range p.Buildings {
		add(specBuilding, rec{key: x.Cadastral, vals: []any{x.Cadastral, str(x.Region), x.Address, str(x.Designation), int64(x.DesignCapacity)}})
	}
	for _, x := range p.Employers {
		add(specEmployer, rec{key: string(x.BIN), vals: []any{str(x.BIN), x.Name, str(x.Region), str(x.Sector)}})
	}
	for _, x := range p.RegisterPositions {
		add(specRegisterPosition, rec{key: x.Code, vals: []any{x.Code, x.Title}})
	}
	for _, x := range p.Families {
		// The family's own row carries a digest of its members, so a change of members
		// rewrites it; the memberships are rows of their own.
		members := make([]string, 0, len(x.Members))
		for _, m := range x.Members {
			members = append(members, key(string(m.IIN), string(m.Role), m.From.String(), m.To.String()))
			add(specMembership, rec{key: key(x.ID, string(m.IIN), m.From.String()), iin: string(m.IIN), vals: []any{
				x.ID, str(m.IIN), str(m.Role), date(m.From), optDate(m.To)}})
		}
		add(specFamily, rec{key: x.ID, vals: []any{x.ID, str(x.Region)}, extra: strings.Join(members, ";")})
	}
	for _, x := range p.Disabilities {
		add(specDisability, rec{key: key(string(x.IIN), x.From.String()), iin: string(x.IIN), vals: []any{
			str(x.IIN), int64(x.Group), date(x.From), optDate(x.To)}})
	}
	for _, x := range p.Contracts {
		add(specContract, rec{key: x.ID, iin: string(x.IIN), vals: []any{x.ID, str(x.IIN), str(x.EmployerBIN), str(x.Region),
			x.Position, date(x.Start), optDate(x.End), int64(x.Wage)}})
	}
	for _, x := range p.StaffingDeclarations {
		add(specDeclaration, rec{key: key(string(x.BIN), x.PositionCode, x.Month.String()), vals: []any{
			str(x.BIN), x.PositionCode, x.Title, int64(x.Units), month(x.Month)}})
	}
	for _, x := range p.Contributions {
		add(specPayment, rec{key: key("pension", string(x.IIN), string(x.PayerBIN), x.Month.String()), iin: string(x.IIN), vals: []any{
			string(domain.PayPension), int64(x.Amount), month(x.Month), nil, optStr(x.PayerBIN), optStr(x.IIN), nil, nil, nil, nil}})
	}
	for _, x := range p.SocialPayments {
		add(specPayment, rec{key: key("social", x.ID), iin: string(x.IIN), vals: []any{
			str(x.Kind), int64(x.Amount), month(x.Month), optDate(x.PaidOn), nil, optStr(x.IIN), optStr(x.FamilyID), nil, nil, nil}})
	}
	for _, x := range p.Schools {
		add(specSchool, rec{key: string(x.BIN), vals: []any{str(x.BIN), x.Name, str(x.Kind), str(x.Ownership), str(x.Region),
			x.Cadastral, x.StateOrder}})
	}
	for _, x := range p.Enrolments {
		add(specEnrollment, rec{key: x.ID, iin: string(x.ChildIIN), vals: []any{x.ID, str(x.ChildIIN), str(x.BIN), int64(x.Grade),
			int64(x.Year), date(x.From), optDate(x.To)}})
	}
	for _, x := range p.Staff {
		add(specStaff, rec{key: key(string(x.BIN), string(x.IIN), x.Position, x.From.String()), iin: string(x.IIN), vals: []any{
			str(x.BIN), str(x.IIN), x.Position, date(x.From), optDate(x.To)}})
	}
	for _, x := range p.Vouchers {
		add(specVoucher, rec{key: x.ID, iin: string(x.ChildIIN), vals: []any{x.ID, str(x.ChildIIN), str(x.ParentIIN), str(x.BIN),
			date(x.From), optDate(x.To)}})
	}
	for _, x := range p.StateOrderPayments {
		add(specPayment, rec{key: key("state_order", x.ID), iin: string(x.ChildIIN), vals: []any{
			str(x.Kind), int64(x.Amount), month(x.Month), optDate(x.PaidOn), nil, nil, nil, optStr(x.BIN), optStr(x.ChildIIN),
			int64(x.Contingent)}})
	}
	for _, x := range p.IncomeReports {
		add(specIncome, rec{key: key(string(x.BIN), strconv.Itoa(x.Year)), vals: []any{
			str(x.BIN), int64(x.Year), int64(x.Income), date(x.FiledOn)}})
	}
	for _, x := range p.MedicalInstitutions {
		add(specMedical, rec{key: string(x.BIN), vals: []any{str(x.BIN), x.Name, str(x.Region), x.Cadastral, x.Primary}})
	}
	for _, x := range p.Attachments {
		add(specAttachment, rec{key: key(string(x.IIN), string(x.BIN), x.From.String()), iin: string(x.IIN), vals: []any{
			str(x.IIN), str(x.BIN), date(x.From), optDate(x.To)}})
	}
	for _, x := range p.Visits {
		add(specVisit, rec{key: x.ID, iin: string(x.IIN), vals: []any{x.ID, str(x.IIN), str(x.BIN), date(x.Date), x.Kind}})
	}
	for _, x := range p.Coverages {
		add(specCoverage, rec{key: key(string(x.IIN), x.From.String()), iin: string(x.IIN), vals: []any{
			str(x.IIN), x.Category, date(x.From), optDate(x.To)}})
	}
	return b
}
