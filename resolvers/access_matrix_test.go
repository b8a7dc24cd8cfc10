package resolvers_test

// The access matrix, in full: every role (citizen on their own family and on another,
// caseworker in and out of their region, analyst with a statistics and with a case purpose,
// inspector, health, admin) against every personal field of every type and every entry point,
// through the whole HTTP stack on the real store (SQLite, or PostgreSQL with DATABASE_URL) and
// the live simulators. The list of personal fields and of entry points comes from the schema
// itself: a field marked @personal, or a Query or Mutation field, without a row in the tables
// below fails the test, so no new one can be forgotten.
//
// Each cell is one of: returned (the value the admin gets, not empty), masked (IIN kept to six
// digits, names to their first letter), forbidden (FORBIDDEN at that field, the object around
// it still answered) and absent (the row is not there: null at the lookup, missing from
// lists and totals).

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/connectors/health"
	"github.com/birlik/birlik/connectors/justice"
	ctransport "github.com/birlik/birlik/connectors/transport"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/change"
	"github.com/birlik/birlik/ent/coverage"
	"github.com/birlik/birlik/ent/employer"
	"github.com/birlik/birlik/ent/finding"
	"github.com/birlik/birlik/ent/person"
	"github.com/birlik/birlik/ent/visit"
	"github.com/birlik/birlik/familycard/welfare"
	"github.com/birlik/birlik/gen"
	"github.com/birlik/birlik/graph"
	"github.com/birlik/birlik/loaders"
	"github.com/birlik/birlik/sim/all"
	"github.com/birlik/birlik/store/storetest"
)

// variant is a caller: a role, the purpose it states, and whose data it asks for.
type variant struct {
	name, role, purpose string
	own                 bool // asks for the family of the seed's parent (Astana); else for the other person (another region, another family)
}

var variants = []variant{
	{"citizen/own", auth.RoleCitizen, "own-data", true},
	{"citizen/other", auth.RoleCitizen, "own-data", false},
	{"caseworker/in-region", auth.RoleCaseworker, "case-management", true},
	{"caseworker/out-of-region", auth.RoleCaseworker, "case-management", false},
	{"analyst/statistics", auth.RoleAnalyst, "statistics", true},
	{"analyst/case", auth.RoleAnalyst, "integrity-inspection", true},
	{"inspector", auth.RoleInspector, "integrity-inspection", true},
	{"health", auth.RoleHealth, "medical-care", true},
	{"admin", auth.RoleAdmin, "case-management", true},
}

const (
	R = returned
	M = masked
	F = forbidden
	A = absent
)

// fieldRules is docs/access.md's field table, written out (not read from auth): what each
// variant gets of each category when it sees the row.
var fieldRules = map[string]map[string]string{
	//                      IDENTITY DEMOGRAPHIC FAMILY EDUCATION EMPLOYMENT INCOME HEALTH_INSURANCE MEDICAL DISABILITY FINDINGS
	"citizen/own":          cats(R, R, R, R, R, R, R, R, R, F),
	"caseworker/in-region": cats(R, R, R, R, R, R, R, F, R, R),
	"analyst/statistics":   cats(M, R, R, R, R, R, F, F, R, R),
	"analyst/case":         cats(R, R, R, R, R, R, F, F, R, R),
	"inspector":            cats(R, R, R, R, R, R, F, F, R, R),
	"health":               cats(R, R, F, F, F, F, R, R, R, F),
	"admin":                cats(R, R, R, R, R, R, R, R, R, R),
}

var categories = []string{"IDENTITY", "DEMOGRAPHIC", "FAMILY", "EDUCATION", "EMPLOYMENT", "INCOME", "HEALTH_INSURANCE", "MEDICAL", "DISABILITY", "FINDINGS"}

func cats(outcomes ...string) map[string]string {
	m := map[string]string{}
	for i, c := range categories {
		m[c] = outcomes[i]
	}
	return m
}

// rowsSeen is docs/access.md's row table for the seeded rows: the types of whose rows each
// variant sees the subject's (a citizen: their family's; a caseworker: their region's; health:
// no payments and no findings; the others: all). Out of scope: nothing.
var rowsSeen = map[string][]string{
	"citizen/own":          {"Person", "Family", "FamilyMembership", "Enrollment", "LabourContract", "Disability", "Coverage", "Attachment", "Visit", "Voucher", "Change", "Payment", "StaffPosition"},
	"caseworker/in-region": {"Person", "Family", "FamilyMembership", "Enrollment", "LabourContract", "Disability", "Coverage", "Attachment", "Visit", "Voucher", "Change", "Payment", "StaffPosition", "Finding"},
	"analyst/statistics":   {"*"},
	"analyst/case":         {"*"},
	"inspector":            {"*"},
	"health":               {"Person", "Family", "FamilyMembership", "Enrollment", "LabourContract", "Disability", "Coverage", "Attachment", "Visit", "Voucher", "Change", "StaffPosition"},
	"admin":                {"*"},
	// Out of scope: no row of the other family or region.
	"citizen/other":            {},
	"caseworker/out-of-region": {},
}

func sees(v variant, typ string) bool {
	switch typ {
	case "School", "MedicalInstitution", "Employer":
		return true // organisations are nobody's personal data
	case "RegisterStatus":
		typ = "Person" // the register's answer about a person
	case "Quarantine":
		return v.name == "admin" // quarantined records are the admin's only
	}
	s := rowsSeen[v.name]
	return slices.Contains(s, "*") || slices.Contains(s, typ)
}

// expected is the outcome of typ.field (category cat) for v.
func expected(v variant, typ, cat string) string {
	if !sees(v, typ) {
		return absent
	}
	if r, ok := fieldRules[v.name]; ok {
		return r[cat]
	}
	// Out-of-scope variants that still see the row (an organisation's): their role's in-scope rules.
	for _, w := range variants {
		if w.role == v.role && w.own {
			return fieldRules[w.name][cat]
		}
	}
	return "?"
}

// probe reaches one personal field of the subject: root is the query's top field (person,
// family or node), sel the field with a selection that shows its value.
type probe struct {
	root    string // "person", "family" or "node"
	subject string // for person: "parent" or "child" (the other variants ask for the other person); for node: a key of personalRows.ids
	sel     string
	// org: the field is an organisation's edge to personal rows (school { pupils }): everyone
	// sees the organisation, and the rows listed are the caller's own (row rules), so an
	// allowed answer is not the admin's; only returned versus forbidden is compared.
	org bool
	// nullable: the seed leaves the field null (an end date of what is still current), so the
	// probe shows the rule (returned or forbidden), not a value.
	nullable bool
}

// probes: one row per personal field of the schema.
var probes = map[string]probe{
	"Person.iin":            {root: "person", subject: "parent", sel: "iin"},
	"Person.lastName":       {root: "person", subject: "parent", sel: "lastName"},
	"Person.firstName":      {root: "person", subject: "parent", sel: "firstName"},
	"Person.patronymic":     {root: "person", subject: "parent", sel: "patronymic"},
	"Person.birthDate":      {root: "person", subject: "parent", sel: "birthDate"},
	"Person.sex":            {root: "person", subject: "parent", sel: "sex"},
	"Person.deathDate":      {root: "person", subject: "child", sel: "deathDate"},
	"Person.family":         {root: "person", subject: "parent", sel: "family { platformID }"},
	"Person.memberships":    {root: "person", subject: "parent", sel: "memberships { id }"},
	"Person.enrollments":    {root: "person", subject: "child", sel: "enrollments { id }"},
	"Person.employment":     {root: "person", subject: "parent", sel: "employment { id }"},
	"Person.payments":       {root: "person", subject: "parent", sel: "payments { totalCount }"},
	"Person.childPayments":  {root: "person", subject: "child", sel: "childPayments { totalCount }"},
	"Person.coverage":       {root: "person", subject: "parent", sel: "coverage { id }"},
	"Person.attachment":     {root: "person", subject: "parent", sel: "attachment { id }"},
	"Person.visits":         {root: "person", subject: "parent", sel: "visits { totalCount }"},
	"Person.disabilities":   {root: "person", subject: "parent", sel: "disabilities { id }"},
	"Person.staffPositions": {root: "person", subject: "parent", sel: "staffPositions { id }"},
	"Person.vouchers":       {root: "person", subject: "child", sel: "vouchers { id }"},
	"Person.parentVouchers": {root: "person", subject: "parent", sel: "parentVouchers { id }"},
	"Person.findings":       {root: "person", subject: "parent", sel: "findings { id }"},
	// Live, through the connectors to the health and justice simulators.
	"Person.liveCoverage":   {root: "person", subject: "parent", sel: "liveCoverage { insured periods { category from } }"},
	"Person.liveVisits":     {root: "person", subject: "parent", sel: "liveVisits(last: 5) { id date }"},
	"Person.registerStatus": {root: "person", subject: "parent", sel: "registerStatus { alive region { kato } }"},

	"Family.members":  {root: "family", sel: "members { id }"},
	"Family.payments": {root: "family", sel: "payments { totalCount }"},
	"Family.findings": {root: "family", sel: "findings { id }"},

	"FamilyMembership.iin":              {root: "node", subject: "FamilyMembership", sel: "iin"},
	"Enrollment.childIin":               {root: "node", subject: "Enrollment", sel: "childIin"},
	"LabourContract.iin":                {root: "node", subject: "LabourContract", sel: "iin"},
	"Disability.iin":                    {root: "node", subject: "Disability", sel: "iin"},
	"Coverage.iin":                      {root: "node", subject: "Coverage", sel: "iin"},
	"Attachment.iin":                    {root: "node", subject: "Attachment", sel: "iin"},
	"Visit.iin":                         {root: "node", subject: "Visit", sel: "iin"},
	"Voucher.childIin":                  {root: "node", subject: "Voucher", sel: "childIin"},
	"Voucher.parentIin":                 {root: "node", subject: "Voucher", sel: "parentIin"},
	"StaffPosition.iin":                 {root: "node", subject: "StaffPosition", sel: "iin"},
	"Change.iin":                        {root: "node", subject: "Change", sel: "iin"},
	"Payment.recipientIin":              {root: "node", subject: "Payment", sel: "recipientIin"},
	"Payment.childIin":                  {root: "node", subject: "ChildPayment", sel: "childIin"},
	"Coverage.category":                 {root: "node", subject: "Coverage", sel: "category"},
	"Coverage.from":                     {root: "node", subject: "Coverage", sel: "from"},
	"Coverage.to":                       {root: "node", subject: "Coverage", sel: "to", nullable: true},
	"Attachment.institutionBin":         {root: "node", subject: "Attachment", sel: "institutionBin"},
	"Attachment.from":                   {root: "node", subject: "Attachment", sel: "from"},
	"Attachment.to":                     {root: "node", subject: "Attachment", sel: "to", nullable: true},
	"Attachment.institution":            {root: "node", subject: "Attachment", sel: "institution { name }"},
	"Visit.visitID":                     {root: "node", subject: "Visit", sel: "visitID"},
	"Visit.institutionBin":              {root: "node", subject: "Visit", sel: "institutionBin"},
	"Visit.date":                        {root: "node", subject: "Visit", sel: "date"},
	"Visit.kind":                        {root: "node", subject: "Visit", sel: "kind"},
	"Visit.institution":                 {root: "node", subject: "Visit", sel: "institution { name }"},
	"Disability.group":                  {root: "node", subject: "Disability", sel: "group"},
	"Disability.from":                   {root: "node", subject: "Disability", sel: "from"},
	"Disability.to":                     {root: "node", subject: "Disability", sel: "to", nullable: true},
	"LabourContract.contractID":         {root: "node", subject: "LabourContract", sel: "contractID"},
	"LabourContract.employerBin":        {root: "node", subject: "LabourContract", sel: "employerBin"},
	"LabourContract.position":           {root: "node", subject: "LabourContract", sel: "position"},
	"LabourContract.start":              {root: "node", subject: "LabourContract", sel: "start"},
	"LabourContract.end":                {root: "node", subject: "LabourContract", sel: "end", nullable: true},
	"LabourContract.wage":               {root: "node", subject: "LabourContract", sel: "wage"},
	"LabourContract.employer":           {root: "node", subject: "LabourContract", sel: "employer { name }"},
	"StaffPosition.schoolBin":           {root: "node", subject: "StaffPosition", sel: "schoolBin"},
	"StaffPosition.position":            {root: "node", subject: "StaffPosition", sel: "position"},
	"StaffPosition.from":                {root: "node", subject: "StaffPosition", sel: "from"},
	"StaffPosition.to":                  {root: "node", subject: "StaffPosition", sel: "to", nullable: true},
	"StaffPosition.school":              {root: "node", subject: "StaffPosition", sel: "school { name }"},
	"Voucher.voucherID":                 {root: "node", subject: "Voucher", sel: "voucherID"},
	"Voucher.schoolBin":                 {root: "node", subject: "Voucher", sel: "schoolBin"},
	"Voucher.from":                      {root: "node", subject: "Voucher", sel: "from"},
	"Voucher.to":                        {root: "node", subject: "Voucher", sel: "to", nullable: true},
	"Voucher.school":                    {root: "node", subject: "Voucher", sel: "school { name }"},
	"Enrollment.enrollmentID":           {root: "node", subject: "Enrollment", sel: "enrollmentID"},
	"Enrollment.schoolBin":              {root: "node", subject: "Enrollment", sel: "schoolBin"},
	"Enrollment.grade":                  {root: "node", subject: "Enrollment", sel: "grade"},
	"Enrollment.year":                   {root: "node", subject: "Enrollment", sel: "year"},
	"Enrollment.from":                   {root: "node", subject: "Enrollment", sel: "from"},
	"Enrollment.to":                     {root: "node", subject: "Enrollment", sel: "to", nullable: true},
	"Enrollment.school":                 {root: "node", subject: "Enrollment", sel: "school { name }"},
	"FamilyMembership.familyPlatformID": {root: "node", subject: "FamilyMembership", sel: "familyPlatformID"},
	"FamilyMembership.role":             {root: "node", subject: "FamilyMembership", sel: "role"},
	"FamilyMembership.from":             {root: "node", subject: "FamilyMembership", sel: "from"},
	"FamilyMembership.to":               {root: "node", subject: "FamilyMembership", sel: "to", nullable: true},
	"FamilyMembership.family":           {root: "node", subject: "FamilyMembership", sel: "family { platformID }"},
	// Organisations' edges to personal rows.
	"School.pupils":                  {root: "node", subject: "School", sel: "pupils { totalCount }", org: true},
	"School.staff":                   {root: "node", subject: "School", sel: "staff { totalCount }", org: true},
	"School.vouchers":                {root: "node", subject: "School", sel: "vouchers { id }", org: true},
	"MedicalInstitution.attachments": {root: "node", subject: "MedicalInstitution", sel: "attachments { totalCount }", org: true},
	"MedicalInstitution.visits":      {root: "node", subject: "MedicalInstitution", sel: "visits { totalCount }", org: true},
	"Employer.contracts":             {root: "node", subject: "Employer", sel: "contracts { totalCount }", org: true},
	// The register's names, live.
	"RegisterStatus.lastName":  {root: "person", subject: "parent", sel: "registerStatus { lastName }"},
	"RegisterStatus.firstName": {root: "person", subject: "parent", sel: "registerStatus { firstName }"},
	// Source keys and versions of records about people: the key holds the IIN (or the source's
	// id of the person's record), the version is a digest of the content, IIN included.
	"Person.sourceKey":               {root: "person", subject: "parent", sel: "sourceKey"},
	"Person.sourceVersion":           {root: "person", subject: "parent", sel: "sourceVersion"},
	"Family.sourceKey":               {root: "family", sel: "sourceKey"},
	"Family.sourceVersion":           {root: "family", sel: "sourceVersion"},
	"FamilyMembership.sourceKey":     {root: "node", subject: "FamilyMembership", sel: "sourceKey"},
	"FamilyMembership.sourceVersion": {root: "node", subject: "FamilyMembership", sel: "sourceVersion"},
	"Enrollment.sourceKey":           {root: "node", subject: "Enrollment", sel: "sourceKey"},
	"Enrollment.sourceVersion":       {root: "node", subject: "Enrollment", sel: "sourceVersion"},
	"LabourContract.sourceKey":       {root: "node", subject: "LabourContract", sel: "sourceKey"},
	"LabourContract.sourceVersion":   {root: "node", subject: "LabourContract", sel: "sourceVersion"},
	"Disability.sourceKey":           {root: "node", subject: "Disability", sel: "sourceKey"},
	"Disability.sourceVersion":       {root: "node", subject: "Disability", sel: "sourceVersion"},
	"Coverage.sourceKey":             {root: "node", subject: "Coverage", sel: "sourceKey"},
	"Coverage.sourceVersion":         {root: "node", subject: "Coverage", sel: "sourceVersion"},
	"Attachment.sourceKey":           {root: "node", subject: "Attachment", sel: "sourceKey"},
	"Attachment.sourceVersion":       {root: "node", subject: "Attachment", sel: "sourceVersion"},
	"Visit.sourceKey":                {root: "node", subject: "Visit", sel: "sourceKey"},
	"Visit.sourceVersion":            {root: "node", subject: "Visit", sel: "sourceVersion"},
	"Voucher.sourceKey":              {root: "node", subject: "Voucher", sel: "sourceKey"},
	"Voucher.sourceVersion":          {root: "node", subject: "Voucher", sel: "sourceVersion"},
	"StaffPosition.sourceKey":        {root: "node", subject: "StaffPosition", sel: "sourceKey"},
	"StaffPosition.sourceVersion":    {root: "node", subject: "StaffPosition", sel: "sourceVersion"},
	"Payment.sourceKey":              {root: "node", subject: "Payment", sel: "sourceKey"},
	"Payment.sourceVersion":          {root: "node", subject: "Payment", sel: "sourceVersion"},
	// The change feed's key, a finding's identity, subject, evidence, period and note.
	"Change.key":         {root: "node", subject: "Change", sel: "key"},
	"Finding.key":        {root: "node", subject: "Finding", sel: "key"},
	"Finding.subjectIin": {root: "node", subject: "Finding", sel: "subjectIin"},
	"Finding.evidence":   {root: "node", subject: "Finding", sel: "evidence"},
	"Finding.statusNote": {root: "node", subject: "Finding", sel: "statusNote"},
	// Quarantined records: what the source sent, personal data included.
	"Quarantine.fingerprint": {root: "node", subject: "Quarantine", sel: "fingerprint"},
	"Quarantine.key":         {root: "node", subject: "Quarantine", sel: "key"},
	"Quarantine.reason":      {root: "node", subject: "Quarantine", sel: "reason"},
	"Quarantine.raw":         {root: "node", subject: "Quarantine", sel: "raw"},
	// The register's answer: alive or dead, and when.
	"RegisterStatus.alive":     {root: "person", subject: "parent", sel: "registerStatus { alive }"},
	"RegisterStatus.deathDate": {root: "person", subject: "parent", sel: "registerStatus { deathDate }"},
}

// personalFields walks the executable schema for fields carrying @personal: "Type.field" →
// category.
func personalFields(t *testing.T) map[string]string {
	t.Helper()
	s := graph.NewExecutableSchema(graph.Config{}).Schema()
	out := map[string]string{}
	for name, def := range s.Types {
		for _, f := range def.Fields {
			if d := f.Directives.ForName("personal"); d != nil {
				out[name+"."+f.Name] = d.Arguments.ForName("category").Value.Raw
			}
		}
	}
	if len(out) < 40 {
		t.Fatalf("only %d @personal fields found in the schema: is the directive still called personal?", len(out))
	}
	return out
}

// personalRows are the rows of every personal type seeded for both families.
type personalRows struct {
	own, other map[string]int // type (or ChildPayment) → id of the row of that family
	familyID   map[bool]int   // own → the family's node id
	family     map[bool]string
}

// seedPersonal adds, for the seed's parent and child (Astana, family F1) and for the other
// person (another region, family F2; in the roles of parent and child both), a row of every
// personal type: coverage, attachment, visit, disability, labour contract, staff position,
// voucher, a payment for a child, a change and a finding naming the person and the family.
func seedPersonal(t *testing.T, c *ent.Client, w world) personalRows {
	t.Helper()
	ctx := context.Background()
	pr := personalRows{own: map[string]int{}, other: map[string]int{}, familyID: map[bool]int{}, family: map[bool]string{true: "F00000001", false: "F00000002"}}
	get := func(v domain.IIN) *ent.Person { return c.Person.Query().Where(person.Iin(v)).OnlyX(ctx) }
	clinic := c.MedicalInstitution.Create().SetBin(bin("17020077770")).SetName("Polyclinic No. 1").SetRegionKato("710000000").
		SetPrimary(true).SetSource("health").SetSourceKey("clinic").SetSourceVersion("v1").SaveX(ctx)
	emp := c.Employer.Create().SetBin(bin("18030088880")).SetName("Employer LLP").SetRegionKato("710000000").
		SetSector(employer.SectorBusiness).SetSource("labour").SetSourceKey("emp").SetSourceVersion("v1").SaveX(ctx)
	school := c.School.Query().Where().FirstX(ctx)
	from := domain.MustDate("2024-01-01")
	seq := int64(0)
	for _, own := range []bool{true, false} {
		// The organisations both families' rows point at (everyone sees organisations).
		orgs := pr.other
		if own {
			orgs = pr.own
		}
		orgs["School"], orgs["MedicalInstitution"], orgs["Employer"] = school.ID, clinic.ID, emp.ID
	}
	for _, own := range []bool{true, false} {
		ids := pr.other
		adult, kid, region := get(w.other), get(w.other), domain.KATO("610000000")
		if own {
			ids = pr.own
			adult, kid, region = get(w.parent), get(w.child), "710000000"
		}
		tag := fmt.Sprint(own)
		src := func(k string) (string, string, string) { return "test", k + tag, "v1" }
		fam := adult.QueryMemberships().QueryFamily().OnlyX(ctx)
		pr.familyID[own] = fam.ID
		ids["Person"] = adult.ID
		ids["FamilyMembership"] = adult.QueryMemberships().OnlyX(ctx).ID
		s1, s2, s3 := src("cov")
		ids["Coverage"] = c.Coverage.Create().SetIin(adult.Iin).SetCategory(coverage.CategoryEmployee).SetFrom(from).SetPerson(adult).
			SetSource(s1).SetSourceKey(s2).SetSourceVersion(s3).SaveX(ctx).ID
		s1, s2, s3 = src("att")
		ids["Attachment"] = c.Attachment.Create().SetIin(adult.Iin).SetInstitutionBin(clinic.Bin).SetFrom(from).SetPerson(adult).SetInstitution(clinic).
			SetSource(s1).SetSourceKey(s2).SetSourceVersion(s3).SaveX(ctx).ID
		s1, s2, s3 = src("vis")
		ids["Visit"] = c.Visit.Create().SetVisitID("V" + tag).SetIin(adult.Iin).SetInstitutionBin(clinic.Bin).SetDate(domain.MustDate("2025-03-01")).
			SetKind(visit.KindOutpatient).SetPerson(adult).SetInstitution(clinic).SetSource(s1).SetSourceKey(s2).SetSourceVersion(s3).SaveX(ctx).ID
		s1, s2, s3 = src("dis")
		ids["Disability"] = c.Disability.Create().SetIin(adult.Iin).SetGroup(2).SetFrom(from).SetPerson(adult).
			SetSource(s1).SetSourceKey(s2).SetSourceVersion(s3).SaveX(ctx).ID
		s1, s2, s3 = src("con")
		ids["LabourContract"] = c.LabourContract.Create().SetContractID("C" + tag).SetIin(adult.Iin).SetEmployerBin(emp.Bin).SetRegionKato(region).
			SetPosition("clerk").SetStart(from).SetWage(300_000).SetPerson(adult).SetEmployer(emp).SetSource(s1).SetSourceKey(s2).SetSourceVersion(s3).SaveX(ctx).ID
		s1, s2, s3 = src("staff")
		ids["StaffPosition"] = c.StaffPosition.Create().SetSchoolBin(school.Bin).SetIin(adult.Iin).SetPosition("teacher").SetFrom(from).
			SetSchool(school).SetPerson(adult).SetSource(s1).SetSourceKey(s2).SetSourceVersion(s3).SaveX(ctx).ID
		s1, s2, s3 = src("vou")
		ids["Voucher"] = c.Voucher.Create().SetVoucherID("VO" + tag).SetChildIin(kid.Iin).SetParentIin(adult.Iin).SetSchoolBin(school.Bin).SetFrom(from).
			SetChild(kid).SetParent(adult).SetSchool(school).SetSource(s1).SetSourceKey(s2).SetSourceVersion(s3).SaveX(ctx).ID
		if !own {
			s1, s2, s3 = src("enr")
			ids["Enrollment"] = c.Enrollment.Create().SetEnrollmentID("E" + tag).SetChildIin(kid.Iin).SetSchoolBin(school.Bin).SetGrade(1).SetYear(2024).
				SetFrom(from).SetChild(kid).SetSchool(school).SetSource(s1).SetSourceKey(s2).SetSourceVersion(s3).SaveX(ctx).ID
		} else {
			ids["Enrollment"] = kid.QueryEnrollments().OnlyX(ctx).ID
		}
		ids["Payment"] = adult.QueryPayments().FirstIDX(ctx)
		s1, s2, s3 = src("cp")
		ids["ChildPayment"] = c.Payment.Create().SetKind("child_benefit").SetAmount(5_000).SetPeriod(domain.MustMonth("2025-03")).
			SetChildIin(kid.Iin).SetChild(kid).SetFamily(fam).SetFamilyPlatformID(fam.PlatformID).
			SetSource(s1).SetSourceKey(s2).SetSourceVersion(s3).SaveX(ctx).ID
		seq++
		ids["Change"] = c.Change.Create().SetSeq(seq).SetEntity(change.EntityPerson).SetKey(string(adult.Iin)).SetIin(adult.Iin).
			SetOp(change.OpUpdate).SetAt(time.Now()).SaveX(ctx).ID
		ids["Finding"] = c.Finding.Create().SetKey(string(domain.FindingKinds[0]) + "|" + string(adult.Iin) + "|2025-03").
			SetKind(finding.Kind(domain.FindingKinds[0])).SetSeverity(finding.SeverityHigh).SetPeriod("2025-03").SetStatusNote("seen at the school").
			SetEvidence(map[string]any{"month": "2025-03", "justice": map[string]any{"iin": string(adult.Iin), "deathDate": "2025-02-14"}}).
			SetRegionKato(region).SetSubjectIin(string(adult.Iin)).SetMoneyAtRisk(21_000).AddPersons(adult).AddFamilies(fam).SaveX(ctx).ID
		// The family card: two months, crisis then unsatisfactory (one transition up).
		for i, cat := range []domain.WelfareCategory{domain.Crisis, domain.Unsatisfactory} {
			month := domain.MustMonth(fmt.Sprintf("2025-0%d", i+1))
			c.FamilyAssessment.Create().SetFamilyID(fam.ID).SetFamilyPlatformID(fam.PlatformID).SetRegionKato(region).
				SetMonth(month).SetMonthSeq(2025*12 + i).SetCategory(cat).SetIndicators(domain.FamilyIndicators{Members: 2}).
				SetRuleVersion(welfare.Default.Version).SetReason("test").SaveX(ctx)
		}
	}
	// A record quarantined by sync, as the source sent it.
	q := c.Quarantine.Create().SetFingerprint("q1").SetSource("justice").SetEntity("person").SetKey(string(w.other)).
		SetReason("bad birth date").SetRaw(`{"iin":"` + string(w.other) + `","lastName":"Ахметова"}`).SaveX(ctx)
	pr.own["Quarantine"], pr.other["Quarantine"] = q.ID, q.ID
	return pr
}

// liveSources starts the health and justice simulators over a country holding the seeded
// people (register records, CSHI periods, visits, clinic attachments), so that the live fields
// answer real values through the connectors.
func liveSources(t *testing.T, c *ent.Client, w world) loaders.Sources {
	t.Helper()
	ctx := context.Background()
	country := &gen.Country{Seed: 1, People: 3}
	clinic := c.MedicalInstitution.Query().FirstX(ctx)
	country.MedicalInstitutions = []domain.MedicalInstitution{{BIN: clinic.Bin, Name: clinic.Name, Region: clinic.RegionKato, Primary: true}}
	for i, v := range []domain.IIN{w.parent, w.child, w.other} {
		p := c.Person.Query().Where(person.Iin(v)).OnlyX(ctx)
		country.PersonVersions = append(country.PersonVersions, domain.PersonVersion{Seq: int64(i + 1), ChangedOn: domain.MustDate("2020-01-01"),
			Person: domain.Person{IIN: v, LastName: p.LastName, FirstName: p.FirstName, BirthDate: p.BirthDate, Sex: domain.Sex(p.Sex), Region: p.RegionKato}})
		country.Coverages = append(country.Coverages, domain.Coverage{IIN: v, Category: "employee", From: domain.MustDate("2024-01-01")})
		country.Attachments = append(country.Attachments, domain.Attachment{IIN: v, BIN: clinic.Bin, From: domain.MustDate("2024-01-01")})
		country.Visits = append(country.Visits, domain.Visit{ID: fmt.Sprintf("enc-%d", i), IIN: v, BIN: clinic.Bin, Date: domain.MustDate("2025-03-01"), Kind: "outpatient"})
	}
	sims, err := all.Start(ctx, country, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sims.Close() })
	live := func(src connectors.Source) ctransport.Config {
		return ctransport.Config{Source: string(src), MaxRetries: -1, Timeout: 5 * time.Second}
	}
	return loaders.Sources{
		Health:  health.New(sims.URL("health"), live(connectors.Health)),
		Justice: justice.New(sims.URL("justice"), live(connectors.Justice)),
	}
}

// matrix is the running gateway and what was seeded.
type matrix struct {
	url       string
	tokens    map[string]string
	w         world
	rows      personalRows
	iin       map[string]domain.IIN // parent, child, other
	pid       map[string]int        // IIN → the person's node ID
	clinicBIN string
}

func newMatrix(t *testing.T) *matrix {
	st := storetest.Open(t)
	w := seed(t, st.Client)
	ctx := context.Background()
	rows := seedPersonal(t, st.Client, w)
	// Every personal value present, so that a returned value can be told from a withheld one.
	st.Client.Person.Update().Where(person.Iin(w.parent)).SetPatronymic("Маратович").ExecX(ctx)
	st.Client.Person.Update().Where(person.Iin(w.child)).SetDeathDate(domain.MustDate("2025-06-01")).ExecX(ctx)
	st.Client.Person.Update().Where(person.Iin(w.other)).SetPatronymic("Сериковна").SetDeathDate(domain.MustDate("2025-07-01")).ExecX(ctx)
	src := liveSources(t, st.Client, w)
	pid := map[string]int{}
	for _, p := range st.Client.Person.Query().AllX(ctx) {
		pid[string(p.Iin)] = p.ID
	}
	url, tokens, _ := accessServerWith(t, st, w.parent, serverOptions{sources: src})
	return &matrix{url: url, tokens: tokens, w: w, rows: rows, clinicBIN: string(st.Client.MedicalInstitution.Query().FirstX(ctx).Bin),
		iin: map[string]domain.IIN{"parent": w.parent, "child": w.child}, pid: pid}
}

// answer is one probe's answer: the object at the root (nil: null), the probed field's value,
// and the code of an error at the field (or under it).
type answer struct {
	obj   map[string]json.RawMessage
	value string
	code  string
	msg   string
}

func fieldName(sel string) string {
	return strings.FieldsFunc(sel, func(r rune) bool { return r == ' ' || r == '(' || r == '{' })[0]
}

// ask runs probe p of typ for v (own: the seed's family; else the other's).
func (m *matrix) probe(t *testing.T, token, purpose, typ string, p probe, own bool) answer {
	t.Helper()
	var q string
	vars := map[string]any{}
	switch p.root {
	case "person":
		// By node ID: a lookup by IIN is a read of the IIN, which an analyst stating statistics
		// may not make (Query.person in entryOutcomes).
		q = "query P($id: ID!) { person: node(id: $id) { __typename ... on Person { " + p.sel + " } } }"
		if own {
			vars["id"] = m.pid[string(m.iin[p.subject])]
		} else {
			vars["id"] = m.pid[string(m.w.other)]
		}
	case "family":
		q = "query F($p: String!) { family(platformID: $p) { __typename " + p.sel + " } }"
		vars["p"] = m.rows.family[own]
	case "node":
		q = "query N($id: ID!) { node(id: $id) { __typename ... on " + typ + " { " + p.sel + " } } }"
		ids := m.rows.other
		if own {
			ids = m.rows.own
		}
		vars["id"] = ids[p.subject]
	}
	_, r := ask(t, m.url, token, purpose, q, vars)
	var data map[string]map[string]json.RawMessage
	if len(r.Data) > 0 && string(r.Data) != "null" {
		if err := json.Unmarshal(r.Data, &data); err != nil {
			t.Fatalf("%s: %v", r.Data, err)
		}
	}
	a := answer{obj: data[p.root]}
	f := fieldName(p.sel)
	a.value = string(a.obj[f])
	for _, e := range r.Errors {
		if len(e.Path) >= 2 && e.Path[0] == p.root && e.Path[1] == f {
			a.code, _ = e.Extensions["code"].(string)
			a.msg = e.Message
			break
		}
		if a.code == "" {
			a.code, _ = e.Extensions["code"].(string)
			a.msg = fmt.Sprintf("%s (at %v)", e.Message, e.Path)
		}
	}
	return a
}

// empty reports whether a JSON value holds nothing worth withholding.
func empty(v string) bool {
	switch v {
	case "", "null", "[]", `""`, "{}", `{"totalCount":0}`:
		return true
	}
	return false
}

// outcome classifies a, given the admin's answer to the same probe.
func outcome(a, admin answer) string {
	switch {
	case a.obj == nil && a.code == "":
		return absent
	case a.code == "FORBIDDEN" && a.obj != nil:
		if string(a.obj["__typename"]) == "" || string(a.obj["__typename"]) == "null" {
			return "forbidden, but the object around it was lost"
		}
		if a.value == admin.value && !empty(admin.value) {
			return "forbidden, but the value leaked: " + a.value
		}
		return forbidden
	case a.code != "":
		return "error " + a.code + ": " + a.msg
	case a.value == admin.value:
		return returned
	case strings.Contains(a.value, "***"):
		return masked
	}
	return "unexpected value " + a.value + " (admin: " + admin.value + ")"
}

func TestAccessMatrixPersonalFields(t *testing.T) {
	m := newMatrix(t)
	fields := personalFields(t)
	names := make([]string, 0, len(fields))
	for f := range fields {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		if _, ok := probes[f]; !ok {
			t.Errorf("the personal field %s (%s) has no row in the access table (probes): add one, and its line in docs/access.md", f, fields[f])
		}
	}
	for f := range probes {
		if _, ok := fields[f]; !ok {
			t.Errorf("probes lists %s, which is not a @personal field of the schema", f)
		}
	}
	// The admin's answers are the values: every one present.
	admin := map[bool]map[string]answer{true: {}, false: {}}
	for _, f := range names {
		p, ok := probes[f]
		if !ok {
			continue
		}
		typ := strings.Split(f, ".")[0]
		for _, own := range []bool{true, false} {
			a := m.probe(t, m.tokens[auth.RoleAdmin], "case-management", typ, p, own)
			if a.code != "" || a.obj == nil || (empty(a.value) && !p.nullable) {
				t.Fatalf("admin, %s (own family %v): value %s, error %s %s: the seed lacks this data", f, own, a.value, a.code, a.msg)
			}
			admin[own][f] = a
		}
	}
	for _, v := range variants {
		for _, f := range names {
			p, ok := probes[f]
			if !ok {
				continue
			}
			typ := strings.Split(f, ".")[0]
			want := expected(v, typ, fields[f])
			t.Run(v.name+"/"+f, func(t *testing.T) {
				a := m.probe(t, m.tokens[v.role], v.purpose, typ, p, v.own)
				ad := admin[v.own][f]
				if p.org && a.code == "" {
					ad = a // the caller's own rows: answered is returned
				}
				if got := outcome(a, ad); got != want {
					t.Errorf("%s: %s, want %s", f, got, want)
				}
			})
		}
	}
}

// entry is one entry point: a query and how to read its outcome ("returned", "absent",
// "forbidden", or what it counted).
type entry struct {
	q    string
	vars func(m *matrix, own bool) map[string]any
	read func(data map[string]json.RawMessage) string
}

// count reads the connection at key: "n=<totalCount>", checking the page holds as many edges.
func count(key string) func(map[string]json.RawMessage) string {
	return func(d map[string]json.RawMessage) string {
		var c struct {
			TotalCount int
			Edges      []json.RawMessage
		}
		if err := json.Unmarshal(d[key], &c); err != nil {
			return "unreadable " + string(d[key])
		}
		if len(c.Edges) != c.TotalCount {
			return fmt.Sprintf("totalCount %d but %d edges", c.TotalCount, len(c.Edges))
		}
		return fmt.Sprintf("n=%d", c.TotalCount)
	}
}

// present reads a lookup at key.
func present(key string) func(map[string]json.RawMessage) string {
	return func(d map[string]json.RawMessage) string {
		if v, ok := d[key]; !ok || string(v) == "null" {
			return absent
		}
		return returned
	}
}

func subjectIIN(m *matrix, own bool) domain.IIN {
	if own {
		return m.w.parent
	}
	return m.w.other
}

func ids(m *matrix, own bool) map[string]int {
	if own {
		return m.rows.own
	}
	return m.rows.other
}

var entries = map[string]entry{
	"Query.person": {`query Q($iin: String!) { person(iin: $iin) { birthDate } }`,
		func(m *matrix, own bool) map[string]any { return map[string]any{"iin": string(subjectIIN(m, own))} }, present("person")},
	"Query.node": {`query Q($id: ID!) { node(id: $id) { id } }`,
		func(m *matrix, own bool) map[string]any { return map[string]any{"id": ids(m, own)["Person"]} }, present("node")},
	"Query.nodes": {`query Q($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
		func(m *matrix, own bool) map[string]any {
			return map[string]any{"ids": []int{ids(m, own)["Person"], ids(m, own)["Coverage"], ids(m, own)["Finding"]}}
		},
		func(d map[string]json.RawMessage) string {
			var ns []json.RawMessage
			_ = json.Unmarshal(d["nodes"], &ns)
			n := 0
			for _, v := range ns {
				if string(v) != "null" {
					n++
				}
			}
			return fmt.Sprintf("n=%d", n)
		}},
	"Query.family": {`query Q($p: String!) { family(platformID: $p) { platformID } }`,
		func(m *matrix, own bool) map[string]any { return map[string]any{"p": m.rows.family[own]} }, present("family")},
	"Query.school": {`query Q($bin: String!) { school(bin: $bin) { name } }`,
		func(m *matrix, own bool) map[string]any { return map[string]any{"bin": string(m.w.schoolBIN)} }, present("school")},
	"Query.medicalInstitution": {`query Q($bin: String!) { medicalInstitution(bin: $bin) { name } }`,
		func(m *matrix, own bool) map[string]any { return map[string]any{"bin": m.clinicBIN} }, present("medicalInstitution")},
	"Query.persons":             {`{ persons { totalCount edges { node { id } } } }`, nil, count("persons")},
	"Query.families":            {`{ families { totalCount edges { node { id } } } }`, nil, count("families")},
	"Query.payments":            {`{ payments { totalCount edges { node { id } } } }`, nil, count("payments")},
	"Query.findings":            {`{ findings { totalCount edges { node { id } } } }`, nil, count("findings")},
	"Query.changes":             {`{ changes { totalCount edges { node { id } } } }`, nil, count("changes")},
	"Query.schools":             {`{ schools { totalCount edges { node { id } } } }`, nil, count("schools")},
	"Query.medicalInstitutions": {`{ medicalInstitutions { totalCount edges { node { id } } } }`, nil, count("medicalInstitutions")},
	"Query.buildings":           {`{ buildings { totalCount edges { node { id } } } }`, nil, count("buildings")},
	"Query.employers":           {`{ employers { totalCount edges { node { id } } } }`, nil, count("employers")},
	"Query.quarantines":         {`{ quarantines { totalCount edges { node { id } } } }`, nil, count("quarantines")},
	"Query.syncCursors":         {`{ syncCursors { totalCount edges { node { id } } } }`, nil, count("syncCursors")},
	"Query.paymentAggregate": {`{ paymentAggregate(groupBy: []) { count sum } }`, nil, func(d map[string]json.RawMessage) string {
		var rows []struct {
			Count int
			Sum   json.Number
		}
		_ = json.Unmarshal(d["paymentAggregate"], &rows)
		var n int
		var sum int64
		for _, r := range rows {
			v, _ := r.Sum.Int64()
			n, sum = n+r.Count, sum+v
		}
		return fmt.Sprintf("count=%d sum=%d", n, sum)
	}},
	"Query.findingSummary": {`{ findingSummary { count moneyAtRisk } }`, nil, func(d map[string]json.RawMessage) string {
		var rows []struct{ Count int }
		_ = json.Unmarshal(d["findingSummary"], &rows)
		n := 0
		for _, r := range rows {
			n += r.Count
		}
		return fmt.Sprintf("count=%d", n)
	}},
	"Query.myDataAccess": {`{ myDataAccess(first: 5) { totalCount } }`, nil, present("myDataAccess")},
	"Query.freshness": {`{ freshness { derivedCurrent sources { source behind } } }`, nil, func(d map[string]json.RawMessage) string {
		var f struct{ Sources []json.RawMessage }
		if err := json.Unmarshal(d["freshness"], &f); err != nil {
			return "absent"
		}
		return fmt.Sprintf("n=%d", len(f.Sources))
	}},
	"Query.regions": {`{ regions { kato } }`, nil, func(d map[string]json.RawMessage) string {
		var rs []json.RawMessage
		_ = json.Unmarshal(d["regions"], &rs)
		return fmt.Sprintf("n=%d", len(rs))
	}},
	// Both regions' transitions: the seed's family (Astana) and the other's.
	"Query.welfareTransitions": {`{ a: welfareTransitions(region: "710000000", from: "2025-01", to: "2025-02") { totalCount nodes { familyPlatformID } }
	  b: welfareTransitions(region: "610000000", from: "2025-01", to: "2025-02") { totalCount nodes { familyPlatformID } } }`, nil,
		func(d map[string]json.RawMessage) string {
			var a, b struct{ TotalCount int }
			_ = json.Unmarshal(d["a"], &a)
			_ = json.Unmarshal(d["b"], &b)
			return fmt.Sprintf("n=%d+%d", a.TotalCount, b.TotalCount)
		}},
	"Query.akimKPI": {`{ akimKPI(from: "2025-01", to: "2025-02") { region { kato } families movedUp } }`, nil,
		func(d map[string]json.RawMessage) string {
			var ks []struct{ Families, MovedUp int }
			_ = json.Unmarshal(d["akimKPI"], &ks)
			f, up := 0, 0
			for _, k := range ks {
				f, up = f+k.Families, up+k.MovedUp
			}
			return fmt.Sprintf("families=%d up=%d", f, up)
		}},
	"Query.socialObligationsForecast": {`{ a: socialObligationsForecast(region: "710000000") { total } b: socialObligationsForecast(region: "610000000") { total } }`, nil,
		func(d map[string]json.RawMessage) string {
			var a, b struct{ Total json.Number }
			_ = json.Unmarshal(d["a"], &a)
			_ = json.Unmarshal(d["b"], &b)
			return fmt.Sprintf("total=%s+%s", a.Total, b.Total)
		}},
	// The family card's fields of a family.
	"Family.category": {`query Q($p: String!) { family(platformID: $p) { category } }`,
		func(m *matrix, own bool) map[string]any { return map[string]any{"p": m.rows.family[own]} }, familyField("category")},
	"Family.assessment": {`query Q($p: String!) { family(platformID: $p) { assessment(month: "2025-01") { category } } }`,
		func(m *matrix, own bool) map[string]any { return map[string]any{"p": m.rows.family[own]} }, familyField("assessment")},
	"Family.assessments": {`query Q($p: String!) { family(platformID: $p) { assessments { totalCount } } }`,
		func(m *matrix, own bool) map[string]any { return map[string]any{"p": m.rows.family[own]} }, familyField("assessments")},
	"Family.supportMeasures": {`query Q($p: String!) { family(platformID: $p) { supportMeasures(from: "2025-01", to: "2025-03") { total } } }`,
		func(m *matrix, own bool) map[string]any { return map[string]any{"p": m.rows.family[own]} }, familyField("supportMeasures")},
	"Mutation.confirmFinding": {`mutation M($id: ID!) { confirmFinding(id: $id, note: "seen") { status } }`,
		func(m *matrix, own bool) map[string]any { return map[string]any{"id": ids(m, own)["Finding"]} }, present("confirmFinding")},
	"Mutation.dismissFinding": {`mutation M($id: ID!) { dismissFinding(id: $id, note: "not a case") { status } }`,
		func(m *matrix, own bool) map[string]any { return map[string]any{"id": ids(m, own)["Finding"]} }, present("dismissFinding")},
}

// familyField reads one field of family(platformID:): its value, or absent with the family.
func familyField(f string) func(map[string]json.RawMessage) string {
	return func(d map[string]json.RawMessage) string {
		var fam map[string]json.RawMessage
		if err := json.Unmarshal(d["family"], &fam); err != nil || fam == nil {
			return absent
		}
		return string(fam[f])
	}
}

func TestAccessMatrixEntryPoints(t *testing.T) {
	m := newMatrix(t)
	s := graph.NewExecutableSchema(graph.Config{}).Schema()
	var names []string
	for _, root := range []*ast.Definition{s.Query, s.Mutation} {
		for _, f := range root.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			names = append(names, root.Name+"."+f.Name)
		}
	}
	for _, n := range names {
		if _, ok := entries[n]; !ok {
			t.Errorf("the entry point %s has no row in the access table (entries): add one", n)
		}
		if _, ok := entryOutcomes[n]; !ok {
			t.Errorf("the entry point %s has no expected outcomes (entryOutcomes)", n)
		}
	}
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, v := range variants {
		for _, k := range keys {
			e := entries[k]
			t.Run(v.name+"/"+k, func(t *testing.T) {
				var vars map[string]any
				if e.vars != nil {
					vars = e.vars(m, v.own)
				}
				_, r := ask(t, m.url, m.tokens[v.role], v.purpose, e.q, vars)
				var data map[string]json.RawMessage
				_ = json.Unmarshal(r.Data, &data)
				got := e.read(data)
				for _, er := range r.Errors {
					code, _ := er.Extensions["code"].(string)
					if code == "FORBIDDEN" && len(er.Path) > 0 {
						got = forbidden
					} else if code == "FORBIDDEN" && r.Data != nil && string(r.Data) == "null" || code == "FORBIDDEN" && len(r.Data) == 0 {
						got = refused
					} else if code == "NOT_FOUND" && k == "Query.nodes" && len(er.Path) == 2 {
						// nodes(ids:): an id out of scope is a null element with its own
						// NOT_FOUND (as for an id that does not exist); the rest answers.
						continue
					} else if code == "NOT_FOUND" {
						got = nodesNotFound
					} else {
						got = fmt.Sprintf("error %s: %s", code, er.Message)
					}
				}
				want := entryOutcomes[k][v.name]
				if got != want {
					t.Errorf("%s: got %s, want %s", k, got, want)
				}
			})
		}
	}
}

// byVariant lists outcomes in the order of variants: citizen/own, citizen/other,
// caseworker/in-region, caseworker/out-of-region, analyst/statistics, analyst/case, inspector,
// health, admin.
func byVariant(o ...string) map[string]string {
	m := map[string]string{}
	for i, v := range variants {
		m[v.name] = o[i]
	}
	return m
}

// same is one outcome for every variant.
func same(o string) map[string]string { return byVariant(o, o, o, o, o, o, o, o, o) }

// entryOutcomes: what each variant gets at each entry point, from the seed: persons parent and
// child (Astana, family F1) and other (610000000, F2); payments: the parent's 3 and a child
// benefit per family, the state order to each region's school (8); a finding, a change, a
// family-card transition per family; one quarantined record.
var entryOutcomes = map[string]map[string]string{
	// A lookup by IIN reads the IIN: an analyst stating statistics sees IINs masked, so the
	// operation is refused before it runs.
	"Query.person": byVariant(R, A, R, A, refused, R, R, R, R),
	"Query.node":   byVariant(R, A, R, A, R, R, R, R, R),
	// nodes(ids: person, coverage, finding): the ids the caller may not see are null elements
	// (each with a NOT_FOUND error at its index, as an id that does not exist).
	"Query.nodes":  byVariant("n=2", "n=0", "n=3", "n=0", "n=3", "n=3", "n=3", "n=2", "n=3"),
	"Query.family": byVariant(R, A, R, A, R, R, R, R, R),
	// Organisations, buildings and the regions are nobody's personal data.
	"Query.school":              same(R),
	"Query.medicalInstitution":  same(R),
	"Query.schools":             same("n=2"),
	"Query.medicalInstitutions": same("n=1"),
	"Query.buildings":           same("n=1"),
	"Query.employers":           same("n=1"),
	"Query.regions":             same("n=20"),
	// How current the data is names no one (here the test server runs no syncs).
	"Query.freshness":   same("n=0"),
	"Query.syncCursors": same("n=0"),
	// Quarantined records hold what the source sent, personal data included and unvalidated:
	// only the admin lists them.
	"Query.quarantines": byVariant("n=0", "n=0", "n=0", "n=0", "n=0", "n=0", "n=0", "n=0", "n=1"),
	// Lists and totals: rows out of scope are absent from both.
	"Query.persons":          byVariant("n=2", "n=2", "n=2", "n=2", "n=3", "n=3", "n=3", "n=3", "n=3"),
	"Query.families":         byVariant("n=1", "n=1", "n=1", "n=1", "n=2", "n=2", "n=2", "n=2", "n=2"),
	"Query.payments":         byVariant("n=4", "n=4", "n=5", "n=5", "n=8", "n=8", "n=8", "n=0", "n=8"),
	"Query.findings":         byVariant("n=0", "n=0", "n=1", "n=1", "n=2", "n=2", "n=2", "n=0", "n=2"),
	"Query.changes":          byVariant("n=1", "n=1", "n=1", "n=1", "n=2", "n=2", "n=2", "n=2", "n=2"),
	"Query.paymentAggregate": byVariant("count=4 sum=82500", "count=4 sum=82500", "count=5 sum=3000082500", "count=5 sum=3000082500", "count=8 sum=4250105500", "count=8 sum=4250105500", "count=8 sum=4250105500", "count=0 sum=0", "count=8 sum=4250105500"),
	"Query.findingSummary":   byVariant("count=0", "count=0", "count=1", "count=1", "count=2", "count=2", "count=2", "count=0", "count=2"),
	"Query.myDataAccess":     byVariant(R, R, F, F, F, F, F, F, F),
	// The family card: assessments are rows of their family (a citizen's own, a caseworker's
	// region); forecasts sum the payments the caller sees.
	"Query.welfareTransitions":        byVariant("n=1+0", "n=1+0", "n=1+0", "n=1+0", "n=1+1", "n=1+1", "n=1+1", "n=1+1", "n=1+1"),
	"Query.akimKPI":                   byVariant("families=1 up=1", "families=1 up=1", "families=1 up=1", "families=1 up=1", "families=2 up=2", "families=2 up=2", "families=2 up=2", "families=2 up=2", "families=2 up=2"),
	"Query.socialObligationsForecast": byVariant("total=60000+0", "total=60000+0", "total=60000+0", "total=60000+0", "total=60000+60000", "total=60000+60000", "total=60000+60000", "total=0+0", "total=60000+60000"),
	"Family.assessments":              byVariant(`{"totalCount":2}`, A, `{"totalCount":2}`, A, `{"totalCount":2}`, `{"totalCount":2}`, `{"totalCount":2}`, `{"totalCount":2}`, `{"totalCount":2}`),
	"Family.supportMeasures":          byVariant(`{"total":82500}`, A, `{"total":82500}`, A, `{"total":82500}`, `{"total":82500}`, `{"total":82500}`, `{"total":0}`, `{"total":82500}`),
	// The latest month's category (2025-02), and the month asked for (2025-01).
	"Family.category":   byVariant(`"unsatisfactory"`, A, `"unsatisfactory"`, A, `"unsatisfactory"`, `"unsatisfactory"`, `"unsatisfactory"`, `"unsatisfactory"`, `"unsatisfactory"`),
	"Family.assessment": byVariant(`{"category":"crisis"}`, A, `{"category":"crisis"}`, A, `{"category":"crisis"}`, `{"category":"crisis"}`, `{"category":"crisis"}`, `{"category":"crisis"}`, `{"category":"crisis"}`),
	// The findings workflow: analysts, inspectors and the admin.
	"Mutation.confirmFinding": byVariant(F, F, F, F, R, R, R, F, R),
	"Mutation.dismissFinding": byVariant(F, F, F, F, R, R, R, F, R),
}

const nodesNotFound = "error NOT_FOUND"

// refused: the whole operation refused before it ran (FORBIDDEN without a path).
const refused = "refused"
