package resolvers_test

// Writes under the same rules as reads: every mutation of the schema, for every role, with a
// token scoped to one region and (for the roles that may have one) a token for every region,
// on a finding in that region, one in another region and a resolved one, through the whole HTTP
// stack on the real store (SQLite, or PostgreSQL with DATABASE_URL). Each case checks the
// answer's code and the row afterwards: a refused write leaves status, who, when and the note
// as they were, and no answer says NOT_FOUND after writing.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/finding"
	"github.com/birlik/birlik/graph"
	"github.com/birlik/birlik/store/storetest"
)

// mutationCase is how the test calls one Mutation field on a finding, and the status a
// successful call leaves.
type mutationCase struct {
	query  string // variables: $id
	status finding.Status
	note   string // the note the query sends
}

// mutationCases has a row for every field of the schema's Mutation type: a mutation added
// without one fails TestWritesUnderTheRules.
var mutationCases = map[string]mutationCase{
	"confirmFinding": {`mutation M($id: ID!) { confirmFinding(id: $id, note: "checked on site") { id status statusNote } }`,
		finding.StatusConfirmed, "checked on site"},
	"dismissFinding": {`mutation M($id: ID!) { dismissFinding(id: $id, note: "not a case") { id status statusNote } }`,
		finding.StatusDismissed, "not a case"},
}

const (
	writeRegion = domain.KATO("230000000") // Atyrau: the region of the scoped tokens
	otherRegion = domain.KATO("110000000") // Akmola: out of their scope
)

// before is the state every case's finding starts in (a resolved one: resolved, with its date).
var beforeAt = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

func TestWritesUnderTheRules(t *testing.T) {
	st := storetest.Open(t)
	ctx := context.Background()
	citizen := iin(t, "1985-07-01", domain.Male, 200)
	url, _, layer := accessServer(t, st, citizen)

	s := graph.NewExecutableSchema(graph.Config{}).Schema()
	if s.Mutation == nil {
		t.Fatal("the schema has no Mutation type")
	}
	var mutations []string
	for _, f := range s.Mutation.Fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		mutations = append(mutations, f.Name)
		if _, ok := mutationCases[f.Name]; !ok {
			t.Errorf("Mutation.%s has no case in mutationCases: say what it writes and who may, and add one", f.Name)
		}
	}
	for name := range mutationCases {
		if !slices.Contains(mutations, name) {
			t.Errorf("mutationCases has %s, which the schema's Mutation type does not", name)
		}
	}

	type scope struct {
		name    string
		regions []domain.KATO
	}
	scopes := []scope{{"region " + string(writeRegion), []domain.KATO{writeRegion}}, {"every region", nil}}
	type target struct {
		name     string
		region   domain.KATO
		resolved bool
	}
	targets := []target{{"in-region", writeRegion, false}, {"out-of-region", otherRegion, false},
		{"in-region resolved", writeRegion, true}, {"out-of-region resolved", otherRegion, true}}

	n := 0
	newFinding := func(tg target) *ent.Finding {
		n++
		c := st.Client.Finding.Create().SetKey(fmt.Sprintf("write-case-%d", n)).SetKind(finding.Kind(domain.FindingKinds[0])).
			SetSeverity(finding.SeverityHigh).SetRegionKato(tg.region).SetMoneyAtRisk(1_000)
		if tg.resolved {
			c.SetStatus(finding.StatusResolved).SetResolvedAt(beforeAt)
		}
		return c.SaveX(ctx)
	}

	cases := 0
	for _, m := range mutations {
		mc, ok := mutationCases[m]
		if !ok {
			continue
		}
		for _, role := range auth.Roles {
			for _, sc := range scopes {
				if role == auth.RoleCaseworker && sc.regions == nil {
					continue // a caseworker always has a region
				}
				id := auth.Identity{Role: role, Subject: "officer-" + role, Client: "org-" + role, Regions: sc.regions}
				if role == auth.RoleCitizen {
					id.Subject = string(citizen)
				}
				tok, err := layer.Tokens.Issue(id, time.Hour)
				if err != nil {
					t.Fatal(err)
				}
				for _, tg := range targets {
					name := fmt.Sprintf("%s/%s/%s/%s", m, role, sc.name, tg.name)
					t.Run(name, func(t *testing.T) {
						f := newFinding(tg)
						inScope := sc.regions == nil || slices.Contains(sc.regions, tg.region)
						want := ""
						switch {
						case !slices.Contains(auth.FindingEditors, role):
							want = "FORBIDDEN"
						case !inScope:
							want = "NOT_FOUND"
						case tg.resolved:
							want = "BAD_INPUT"
						}
						_, r := ask(t, url, tok, purposeOf[role], mc.query, map[string]any{"id": f.ID})
						got := ""
						for _, e := range r.Errors {
							c, _ := e.Extensions["code"].(string)
							if got == "" {
								got = c
							}
							if want == "" || c != want {
								t.Errorf("error %s: %s", c, e.Message)
							}
						}
						if got != want {
							t.Errorf("answer code %q, want %q", got, want)
						}
						after := st.Client.Finding.GetX(ctx, f.ID)
						if want != "" {
							if after.Status != f.Status || after.StatusChangedBy != f.StatusChangedBy || after.StatusNote != f.StatusNote ||
								after.StatusChangedAt != nil || !sameTime(after.ResolvedAt, f.ResolvedAt) {
								t.Errorf("refused, yet the row changed: status %s→%s, by %q→%q, note %q→%q, at %v",
									f.Status, after.Status, f.StatusChangedBy, after.StatusChangedBy, f.StatusNote, after.StatusNote, after.StatusChangedAt)
							}
							return
						}
						var data map[string]struct {
							ID     json.Number
							Status string
						}
						if err := json.Unmarshal(r.Data, &data); err != nil {
							t.Fatalf("%s: %v", r.Data, err)
						}
						if got := data[m]; got.ID.String() != fmt.Sprint(f.ID) || got.Status != string(mc.status) {
							t.Errorf("answer %+v, want finding %d %s", got, f.ID, mc.status)
						}
						who := role + ":" + id.Subject + "@" + id.Client
						if after.Status != mc.status || after.StatusChangedBy != who || after.StatusNote != mc.note || after.StatusChangedAt == nil {
							t.Errorf("row after: status %s by %q note %q at %v, want %s by %q note %q", after.Status, after.StatusChangedBy,
								after.StatusNote, after.StatusChangedAt, mc.status, who, mc.note)
						}
					})
					cases++
				}
			}
		}
	}
	if want := len(mutations) * (len(auth.Roles)*len(scopes) - 1) * len(targets); cases != want {
		t.Errorf("%d cases ran, want %d", cases, want)
	}
	// An id that names no finding at all: NOT_FOUND for every editor, as out of scope.
	tok, err := layer.Tokens.Issue(auth.Identity{Role: auth.RoleInspector, Subject: "officer-inspector", Regions: []domain.KATO{writeRegion}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_, r := ask(t, url, tok, purposeOf[auth.RoleInspector], mutationCases["dismissFinding"].query, map[string]any{"id": 1 << 40})
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "NOT_FOUND" {
		t.Errorf("dismissing an unknown finding: %+v", r.Errors)
	}
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
