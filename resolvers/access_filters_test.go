package resolvers_test

// Deny by default and filters as reads, through the whole HTTP stack on the real store: the
// IINs inside source keys, finding keys, subjects, evidence and change keys are personal data
// (masked, purpose, audit), and a filter, ordering or lookup by a personal field reads it.

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/auditentry"
	"github.com/birlik/birlik/ent/change"
	"github.com/birlik/birlik/ent/finding"
	"github.com/birlik/birlik/ent/person"
	"github.com/birlik/birlik/store/storetest"
)

// filterWorld is the seed with a membership keyed as sync keys it (family|IIN|from), a finding
// naming the parent (key, subject, evidence with the death date of a person) and a change.
type filterWorld struct {
	world
	url    string
	tokens map[string]string
	client *ent.Client
}

func newFilterWorld(t *testing.T) filterWorld {
	t.Helper()
	st := storetest.Open(t)
	w := seed(t, st.Client)
	ctx := context.Background()
	for _, m := range st.Client.FamilyMembership.Query().AllX(ctx) {
		m.Update().SetSourceKey(m.FamilyPlatformID + "|" + string(m.Iin) + "|" + m.From.String()).ExecX(ctx)
	}
	p := st.Client.Person.Query().Where(person.Iin(w.parent)).OnlyX(ctx)
	st.Client.Finding.Create().SetKey(string(domain.GhostPupil) + "|" + string(w.child) + "|2025-03").
		SetKind(finding.KindGhostPupil).SetSeverity(finding.SeverityHigh).SetRegionKato("710000000").SetPeriod("2025-03").
		SetSubjectIin(string(w.child)).SetMoneyAtRisk(21_000).AddPersons(p).
		SetEvidence(map[string]any{"month": "2025-03", "facts": []any{map[string]any{"justice": map[string]any{"iin": string(w.child), "deathDate": "2025-02-14"}}}}).
		SaveX(ctx)
	st.Client.Change.Create().SetSeq(1).SetEntity(change.EntityCoverage).SetKey(string(w.parent) + "|2024-01-01").SetIin(w.parent).
		SetOp(change.OpCreate).SetAt(time.Now()).SaveX(ctx)
	url, tokens, _ := accessServer(t, st, w.parent)
	return filterWorld{world: w, url: url, tokens: tokens, client: st.Client}
}

// code returns the code of the first error, or "".
func code(r response) string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// entryNaming returns the IINs of the audit entry of the operation op (the latest one).
func (fw filterWorld) entryNaming(t *testing.T, op string) []string {
	t.Helper()
	es := fw.client.AuditEntry.Query().Where(auditentry.Operation(op)).Order(ent.Desc(auditentry.FieldSeq)).AllX(context.Background())
	if len(es) == 0 {
		t.Fatalf("no audit entry for %s", op)
	}
	if es[0].Iins == "" {
		return nil
	}
	return strings.Split(es[0].Iins, ",")
}

func (fw filterWorld) noEntry(t *testing.T, op string) {
	t.Helper()
	if n := fw.client.AuditEntry.Query().Where(auditentry.Operation(op), auditentry.PurposeNEQ("")).CountX(context.Background()); n != 0 {
		t.Errorf("%s: %d audit entries with a purpose, want none", op, n)
	}
}

// leaks returns the IINs of the seed that body holds in full.
func (fw filterWorld) leaks(body string) []domain.IIN {
	var out []domain.IIN
	for _, v := range []domain.IIN{fw.parent, fw.child, fw.other} {
		if strings.Contains(body, string(v)) {
			out = append(out, v)
		}
	}
	return out
}

// An analyst stating statistics sees IINs masked: the source keys that hold them are masked too.
func TestSourceKeysAreMaskedLikeIINs(t *testing.T) {
	fw := newFilterWorld(t)
	const q = `query Keys { persons { edges { node { iin sourceKey sourceVersion memberships { sourceKey } } } } }`
	_, r := ask(t, fw.url, fw.tokens[auth.RoleAnalyst], "statistics", q, nil)
	if len(r.Errors) != 0 {
		t.Fatalf("errors %+v", r.Errors)
	}
	body := string(r.Data)
	if l := fw.leaks(body); len(l) != 0 {
		t.Errorf("analyst/statistics got full IINs %v in %s", l, body)
	}
	if !strings.Contains(body, `"sourceKey":"`+string(fw.parent)[:6]+`******"`) || !strings.Contains(body, `|`+string(fw.parent)[:6]+`******|2020-01-01"`) {
		t.Errorf("source keys not masked as IINs are: %s", body)
	}
	// The same read for a case purpose returns them, and its entry names everyone shown.
	_, r = ask(t, fw.url, fw.tokens[auth.RoleAnalyst], "integrity-inspection", q, nil)
	if len(r.Errors) != 0 || !strings.Contains(string(r.Data), `"sourceKey":"`+string(fw.parent)+`"`) {
		t.Errorf("analyst/integrity-inspection: %s %+v, want the source keys returned", r.Data, r.Errors)
	}
	if got := fw.entryNaming(t, "Keys"); !slices.Contains(got, string(fw.other)) {
		t.Errorf("entry names %v, want every person shown", got)
	}
	// Without a purpose: refused.
	_, r = ask(t, fw.url, fw.tokens[auth.RoleAnalyst], "", `{ persons { edges { node { sourceKey } } } }`, nil)
	if code(r) != "PURPOSE_REQUIRED" {
		t.Errorf("sourceKey without a purpose: %+v, want PURPOSE_REQUIRED", r.Errors)
	}
}

// Findings' keys, subjects and evidence, and the change feed's keys, hold IINs (and the evidence
// a death date): they need a purpose, are masked for statistics and name their IINs in the audit.
func TestFindingsAndChangesArePersonal(t *testing.T) {
	fw := newFilterWorld(t)
	const fq = `query Cases { findings { edges { node { kind subjectIin key evidence period } } } }`
	const cq = `query Feed { changes { edges { node { seq key } } } }`
	for _, q := range []string{fq, cq} {
		_, r := ask(t, fw.url, fw.tokens[auth.RoleInspector], "", q, nil)
		if code(r) != "PURPOSE_REQUIRED" || string(r.Data) != "" && string(r.Data) != "null" {
			t.Errorf("%s without a purpose: %s %+v, want PURPOSE_REQUIRED and no data", q, r.Data, r.Errors)
		}
	}
	fw.noEntry(t, "Cases")
	fw.noEntry(t, "Feed")

	// Masked for an analyst stating statistics: no full IIN, the death date kept to its year.
	for _, q := range []string{fq, cq} {
		_, r := ask(t, fw.url, fw.tokens[auth.RoleAnalyst], "statistics", q, nil)
		if len(r.Errors) != 0 {
			t.Fatalf("%s: %+v", q, r.Errors)
		}
		if l := fw.leaks(string(r.Data)); len(l) != 0 || strings.Contains(string(r.Data), "2025-02-14") {
			t.Errorf("analyst/statistics: %s holds %v or the death date", r.Data, l)
		}
		if !strings.Contains(string(r.Data), "******") {
			t.Errorf("analyst/statistics: %s, want masked IINs", r.Data)
		}
	}
	_, r := ask(t, fw.url, fw.tokens[auth.RoleAnalyst], "statistics", fq, nil)
	if !strings.Contains(string(r.Data), `"deathDate":"2025-**-**"`) {
		t.Errorf("evidence %s: want the death date kept to its year", r.Data)
	}
	if got := fw.entryNaming(t, "Cases"); !slices.Contains(got, string(fw.child)) {
		t.Errorf("the findings read names %v, want the child its key, subject and evidence hold", got)
	}
	if got := fw.entryNaming(t, "Feed"); !slices.Equal(got, []string{string(fw.parent)}) {
		t.Errorf("the change feed read names %v, want the parent its key holds", got)
	}

	// Returned for an inspector, audited the same.
	_, r = ask(t, fw.url, fw.tokens[auth.RoleInspector], "integrity-inspection", fq, nil)
	if len(r.Errors) != 0 || !strings.Contains(string(r.Data), `"subjectIin":"`+string(fw.child)+`"`) || !strings.Contains(string(r.Data), "2025-02-14") {
		t.Errorf("inspector: %s %+v, want subject and evidence returned", r.Data, r.Errors)
	}
}

// A filter on a personal field reads it: it needs a purpose, the role must see the field in the
// clear, and the entry names the IIN filtered by, so the citizen's myDataAccess lists it.
func TestFiltersAreReads(t *testing.T) {
	fw := newFilterWorld(t)
	const q = `query ByRecipient($iin: String!) { payments(where: {recipientIin: $iin}) { edges { node { amount kind period } } } }`
	vars := map[string]any{"iin": string(fw.parent)}

	_, r := ask(t, fw.url, fw.tokens[auth.RoleCaseworker], "", q, vars)
	if code(r) != "PURPOSE_REQUIRED" {
		t.Fatalf("filter by recipientIin without a purpose: %s %+v, want PURPOSE_REQUIRED", r.Data, r.Errors)
	}
	fw.noEntry(t, "ByRecipient")

	_, r = ask(t, fw.url, fw.tokens[auth.RoleCaseworker], "case-management", q, vars)
	var got struct {
		Payments struct{ Edges []json.RawMessage }
	}
	if err := json.Unmarshal(r.Data, &got); err != nil || len(r.Errors) != 0 || len(got.Payments.Edges) != 3 {
		t.Fatalf("caseworker: %s %+v, want the parent's 3 payments", r.Data, r.Errors)
	}
	if names := fw.entryNaming(t, "ByRecipient"); !slices.Equal(names, []string{string(fw.parent)}) {
		t.Errorf("entry names %v, want the recipient filtered by", names)
	}
	const myAccess = `{ myDataAccess(first: 20) { edges { node { operation purpose role } } } }`
	_, mine := ask(t, fw.url, fw.tokens[auth.RoleCitizen], "", myAccess, nil)
	if !strings.Contains(string(mine.Data), `{"operation":"ByRecipient","purpose":"case-management","role":"caseworker"}`) {
		t.Errorf("the recipient's myDataAccess %s %+v does not list the filtered read", mine.Data, mine.Errors)
	}

	// A filter on a variable holding a list, and nested filters, count the same.
	_, r = ask(t, fw.url, fw.tokens[auth.RoleAdmin], "case-management",
		`query Nested($iins: [String!]) { families { edges { node { platformID } } } persons(where: {hasPaymentsWith: {recipientIinIn: $iins}}) { totalCount } }`,
		map[string]any{"iins": []string{string(fw.other)}})
	if len(r.Errors) != 0 {
		t.Fatalf("nested filter: %+v", r.Errors)
	}
	if names := fw.entryNaming(t, "Nested"); !slices.Contains(names, string(fw.other)) {
		t.Errorf("nested filter: entry names %v, want %s", names, fw.other)
	}

	// Rows found through a personal filter name their people even when only amounts are shown.
	_, r = ask(t, fw.url, fw.tokens[auth.RoleAdmin], "case-management",
		`query ByName { payments(where: {hasRecipientWith: {lastName: "Сейтов"}}) { edges { node { amount } } } }`, nil)
	if len(r.Errors) != 0 {
		t.Fatalf("filter by name: %+v", r.Errors)
	}
	if names := fw.entryNaming(t, "ByName"); !slices.Equal(names, []string{string(fw.parent)}) {
		t.Errorf("filter by name: entry names %v, want the recipient of the rows returned", names)
	}
}

// A role that sees a field masked (or not at all) may not filter, sort or look up by it.
func TestMaskedFieldsCannotBeFilteredOrSorted(t *testing.T) {
	fw := newFilterWorld(t)
	cases := []struct {
		name, role, purpose, q string
		vars                   map[string]any
		want                   string // "" or an error code
	}{
		{"recipientIin/statistics", auth.RoleAnalyst, "statistics", `query($iin: String!) { payments(where: {recipientIin: $iin}) { totalCount } }`, map[string]any{"iin": string(fw.parent)}, "FORBIDDEN"},
		{"recipientIin/inspection", auth.RoleAnalyst, "integrity-inspection", `query($iin: String!) { payments(where: {recipientIin: $iin}) { totalCount } }`, map[string]any{"iin": string(fw.parent)}, ""},
		{"iin prefix/statistics", auth.RoleAnalyst, "statistics", `{ persons(where: {iinHasPrefix: "8507"}) { totalCount } }`, nil, "FORBIDDEN"},
		{"lastName/statistics", auth.RoleAnalyst, "statistics", `{ persons(where: {or: [{lastNameContains: "Сейт"}]}) { totalCount } }`, nil, "FORBIDDEN"},
		{"order by IIN/statistics", auth.RoleAnalyst, "statistics", `{ persons(orderBy: {field: IIN}) { edges { node { birthDate } } } }`, nil, "FORBIDDEN"},
		{"order by IIN in a variable/statistics", auth.RoleAnalyst, "statistics", `query($o: [PersonOrder!]) { persons(orderBy: $o) { totalCount } }`, map[string]any{"o": []any{map[string]any{"field": "LAST_NAME"}}}, "FORBIDDEN"},
		{"order by IIN/no purpose", auth.RoleAdmin, "", `{ persons(orderBy: {field: IIN}) { totalCount } }`, nil, "PURPOSE_REQUIRED"},
		{"order by birth date/statistics", auth.RoleAnalyst, "statistics", `{ persons(orderBy: {field: BIRTH_DATE}) { totalCount } }`, nil, ""},
		{"lookup by IIN/statistics", auth.RoleAnalyst, "statistics", `query($iin: String!) { person(iin: $iin) { birthDate } }`, map[string]any{"iin": string(fw.parent)}, "FORBIDDEN"},
		{"finding subject/statistics", auth.RoleAnalyst, "statistics", `query($s: String) { findingSummary(where: {subject: $s}) { count } }`, map[string]any{"s": string(fw.child)}, "FORBIDDEN"},
		{"visits/health forbidden for analysts", auth.RoleAnalyst, "integrity-inspection", `{ persons(where: {hasVisits: true}) { totalCount } }`, nil, "FORBIDDEN"},
		{"payments filter/health", auth.RoleHealth, "medical-care", `{ persons(where: {hasPayments: true}) { totalCount } }`, nil, "FORBIDDEN"},
		{"iin prefix/inspection", auth.RoleAnalyst, "integrity-inspection", `{ payments(where: {childIinHasPrefix: "2105"}) { totalCount } }`, nil, "FORBIDDEN"},
		{"iin range/admin", auth.RoleAdmin, "integrity-inspection", `{ persons(where: {iinGT: "9"}) { edges { node { id } } } }`, nil, "FORBIDDEN"},
		{"has…With on a personal field/regional caseworker", auth.RoleCaseworker, "case-management", `query($iin: String!) { schools(where: {hasStaffWith: [{iin: $iin}]}) { totalCount } }`, map[string]any{"iin": string(fw.parent)}, "FORBIDDEN"},
		{"has…With on a personal field/citizen", auth.RoleCitizen, "own-data", `query($iin: String!) { medicalInstitutions(where: {hasVisitsWith: [{iin: $iin}]}) { totalCount } }`, map[string]any{"iin": string(fw.parent)}, "FORBIDDEN"},
		{"has…With on a personal field/national inspector", auth.RoleInspector, "integrity-inspection", `query($iin: String!) { schools(where: {hasStaffWith: [{iin: $iin}]}) { totalCount } }`, map[string]any{"iin": string(fw.parent)}, ""},
		{"public filter needs nothing", auth.RoleAnalyst, "", `{ payments(where: {amountGT: 0, kind: child_benefit}) { totalCount } }`, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := fw.client.AuditEntry.Query().CountX(context.Background())
			_, r := ask(t, fw.url, fw.tokens[c.role], c.purpose, c.q, c.vars)
			if got := code(r); got != c.want {
				t.Fatalf("code %q (%+v), want %q", got, r.Errors, c.want)
			}
			if c.want == "FORBIDDEN" {
				if string(r.Data) != "" && string(r.Data) != "null" {
					t.Errorf("refused, but data %s", r.Data)
				}
				if !strings.Contains(r.Errors[0].Message, "may not filter, sort or look up") {
					t.Errorf("message %q does not say what to leave out", r.Errors[0].Message)
				}
			}
			if c.want != "" {
				if after := fw.client.AuditEntry.Query().CountX(context.Background()); after != before {
					t.Errorf("refused with %s, but %d audit entries written: a refusal read nothing", c.want, after-before)
				}
			}
		})
	}
}
