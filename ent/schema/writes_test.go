package schema_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/birlik/birlik/apperr"
	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/finding"
	"github.com/birlik/birlik/ent/privacy"
	"github.com/birlik/birlik/store/storetest"
)

// callerCtx is a request's context: role, scoped to regions (none: every region).
func callerCtx(role string, regions ...domain.KATO) context.Context {
	id := auth.Identity{Role: role, Subject: "officer-" + role, Client: "org", Regions: regions}
	if role == auth.RoleCitizen {
		id.Subject = "850701300125"
	}
	return auth.NewContext(context.Background(), id)
}

// refused reports whether err is the write rule's refusal: FORBIDDEN, and privacy.Deny.
func refused(err error) bool {
	return apperr.CodeOf(err) == apperr.Forbidden && errors.Is(err, privacy.Deny)
}

// TestCallersWriteNothing walks every type of the store (the fields of ent.Client) and tries a
// create, an update and a delete of each, by id and in bulk, for every role: each is refused
// by the store's write rule before any statement runs, except a status change of findings by
// a finding editor (TestFindingWritesScoped).
func TestCallersWriteNothing(t *testing.T) {
	st := storetest.Open(t)
	cv := reflect.ValueOf(st.Client).Elem()
	types := 0
	for i := 0; i < cv.NumField(); i++ {
		c := cv.Field(i)
		if !c.CanInterface() || c.Kind() != reflect.Pointer || !strings.HasSuffix(c.Type().Elem().Name(), "Client") {
			continue
		}
		types++
		name := cv.Type().Field(i).Name
		for _, role := range auth.Roles {
			ctx := reflect.ValueOf(callerCtx(role, "710000000"))
			for _, op := range []struct {
				name string
				args []reflect.Value
			}{{"Create", nil}, {"Update", nil}, {"Delete", nil}, {"UpdateOneID", nil}, {"DeleteOneID", nil}} {
				m := c.MethodByName(op.name)
				if !m.IsValid() {
					t.Errorf("%s has no %s", name, op.name)
					continue
				}
				if strings.HasSuffix(op.name, "ID") {
					op.args = []reflect.Value{reflect.New(m.Type().In(0)).Elem()} // the zero id
				}
				if name == "Finding" && slices.Contains(auth.FindingEditors, role) && (op.name == "Update" || op.name == "UpdateOneID") {
					continue
				}
				b := m.Call(op.args)[0]
				out := b.MethodByName("Exec").Call([]reflect.Value{ctx})
				err, _ := out[len(out)-1].Interface().(error) // Exec returns an error, a Delete's (count, error)
				if !refused(err) {
					t.Errorf("%s.%s by %s: %v, want a refusal (FORBIDDEN, privacy.Deny)", name, op.name, role, err)
				}
			}
		}
	}
	if types < 25 {
		t.Fatalf("only %d types found on ent.Client: has the generated client changed shape?", types)
	}
}

// TestFindingWritesScoped: a finding editor's update carries its region scope in the UPDATE
// itself (a finding out of scope is not matched, nothing is written); it may set a finding
// confirmed or dismissed with who, when and the note, nothing else; creating and deleting
// findings is the checks' work. The gateway's own writes (no identity) go through.
func TestFindingWritesScoped(t *testing.T) {
	st := storetest.Open(t)
	ctx := context.Background()
	mk := func(key string, region domain.KATO) *ent.Finding {
		return st.Client.Finding.Create().SetKey(key).SetKind(finding.Kind(domain.FindingKinds[0])).SetSeverity(finding.SeverityHigh).
			SetRegionKato(region).SetMoneyAtRisk(500).SaveX(ctx)
	}
	in, out := mk("in", "230000000"), mk("out", "110000000")
	inspector := callerCtx(auth.RoleInspector, "230000000")

	// By id: out of scope is not found, and the row is as it was.
	_, err := st.Client.Finding.UpdateOneID(out.ID).SetStatus(finding.StatusDismissed).SetStatusNote("x").Save(inspector)
	if !ent.IsNotFound(err) {
		t.Errorf("updating a finding out of scope by id: %v, want not found", err)
	}
	// In bulk: only the rows in scope are matched.
	n, err := st.Client.Finding.Update().SetStatus(finding.StatusConfirmed).SetStatusNote("all").Save(inspector)
	if err != nil || n != 1 {
		t.Errorf("updating every finding: %d rows, %v; want the 1 in scope", n, err)
	}
	if f := st.Client.Finding.GetX(ctx, out.ID); f.Status != finding.StatusOpen || f.StatusNote != "" {
		t.Errorf("the finding out of scope was written: %s %q", f.Status, f.StatusNote)
	}
	if f := st.Client.Finding.GetX(ctx, in.ID); f.Status != finding.StatusConfirmed || f.StatusNote != "all" {
		t.Errorf("the finding in scope: %s %q, want confirmed \"all\"", f.Status, f.StatusNote)
	}
	// Every region: both.
	if n, err := st.Client.Finding.Update().SetStatus(finding.StatusDismissed).Save(callerCtx(auth.RoleAnalyst)); err != nil || n != 2 {
		t.Errorf("an analyst of every region updating every finding: %d rows, %v; want 2", n, err)
	}

	// Nothing but the status workflow.
	for name, u := range map[string]*ent.FindingUpdateOne{
		"money at risk":   st.Client.Finding.UpdateOneID(in.ID).SetMoneyAtRisk(0),
		"region":          st.Client.Finding.UpdateOneID(in.ID).SetRegionKato("110000000"),
		"evidence":        st.Client.Finding.UpdateOneID(in.ID).ClearEvidence(),
		"status resolved": st.Client.Finding.UpdateOneID(in.ID).SetStatus(finding.StatusResolved),
		"status open":     st.Client.Finding.UpdateOneID(in.ID).SetStatus(finding.StatusOpen),
		"an edge":         st.Client.Finding.UpdateOneID(in.ID).AddPaymentIDs(1),
	} {
		if _, err := u.Save(inspector); !refused(err) {
			t.Errorf("an inspector changing a finding's %s: %v, want a refusal", name, err)
		}
	}
	if f := st.Client.Finding.GetX(ctx, in.ID); f.MoneyAtRisk != 500 || f.RegionKato != "230000000" || f.Status != finding.StatusDismissed {
		t.Errorf("refused changes were written: %+v", f)
	}

	// The gateway's own work writes findings whatever they say.
	if err := st.Client.Finding.UpdateOneID(out.ID).SetStatus(finding.StatusResolved).SetMoneyAtRisk(7).Exec(ctx); err != nil {
		t.Errorf("the checks' own update: %v", err)
	}
	if err := st.Client.Finding.DeleteOneID(out.ID).Exec(ctx); err != nil {
		t.Errorf("the gateway's own delete: %v", err)
	}
}
