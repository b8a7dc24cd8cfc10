package loaders

import (
	"context"
	"fmt"
	"strings"

	entgo "entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/graph-gophers/dataloader/v7"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/building"
	"github.com/birlik/birlik/ent/family"
	"github.com/birlik/birlik/ent/familymembership"
	"github.com/birlik/birlik/ent/medicalinstitution"
	"github.com/birlik/birlik/ent/person"
	"github.com/birlik/birlik/ent/predicate"
)

// FamilyOfPerson returns the family the person currently belongs to (a membership without an
// end date; of several, the latest family), nil when none. Batched: one store query per query
// path, the family's own edges eager-loaded from the selection.
func (l *Loaders) FamilyOfPerson(ctx context.Context, iin domain.IIN) (*ent.Family, error) {
	return l.familyOfPerson.load(ctx, iin)
}

// FamilyByID returns the family with the node ID, nil when unknown or not the caller's to see.
// Batched per query path, with the family's edges eager-loaded from the selection: a page of
// welfare transitions or assessments reads its families in one store query.
func (l *Loaders) FamilyByID(ctx context.Context, id int) (*ent.Family, error) {
	return l.familyByID.load(ctx, id)
}

func (l *Loaders) batchFamilyByID(ctx context.Context, ids []int) []*dataloader.Result[*ent.Family] {
	q, err := l.cfg.Client.Family.Query().Where(family.IDIn(ids...)).CollectFields(ctx)
	if err != nil {
		return results[int, *ent.Family](ids, nil, err)
	}
	fs, err := q.All(ctx) // field collection always selects the ID
	if err != nil {
		return results[int, *ent.Family](ids, nil, err)
	}
	by := make(map[int]*ent.Family, len(fs))
	for _, f := range fs {
		by[f.ID] = f
	}
	return results(ids, by, nil)
}

// batchKey is the column the key loaders add to every record they read: the key they match it
// to its callers by. Field collection loads only the columns a query asks for, so the key's own
// field is empty when the query does not ask for it (`institution { name }`).
const batchKey = "batch_key"

// selectKey adds the key column col to a query's selection as batchKey.
func selectKey(col string) func(*sql.Selector) {
	return func(s *sql.Selector) { s.AppendSelectAs(s.C(col), batchKey) }
}

// byBatchKey answers each of keys with the record of recs (read with selectKey) whose batchKey
// it is, not-found when none; err, the read's error, answers every key.
func byBatchKey[K ~string, V interface {
	Value(string) (entgo.Value, error)
}](keys []K, recs []V, err error) []*dataloader.Result[V] {
	if err != nil {
		return results[K, V](keys, nil, err)
	}
	by := make(map[K]V, len(recs))
	for _, r := range recs {
		k, err := keyOf(r.Value(batchKey))
		if err != nil {
			return results[K, V](keys, nil, err)
		}
		by[K(k)] = r
	}
	return results(keys, by, nil)
}

// keyOf reads a text column a loader added to a record (from the record's Value method).
func keyOf(v any, err error) (string, error) {
	if err != nil {
		return "", fmt.Errorf("reading the batch key: %w", err)
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	}
	return "", fmt.Errorf("the batch key is a %T, want text", v)
}

// batchMemberIINs is the column batchFamilyOfPerson adds to each family: which of the batch's
// IINs are its current members, comma-separated.
const batchMemberIINs = "batch_member_iins"

// batchFamilyOfPerson reads the families that have a current membership of one of iins, each
// with which of iins they are (a correlated aggregate), in one statement: the membership rows
// themselves are not read. The row rules apply to the families; the persons asking are the
// ones the caller already sees (Person.family), so their memberships are theirs to see.
func (l *Loaders) batchFamilyOfPerson(ctx context.Context, iins []domain.IIN) []*dataloader.Result[*ent.Family] {
	args := make([]any, len(iins))
	for i, v := range iins {
		args[i] = string(v)
	}
	q, err := l.cfg.Client.Family.Query().Where(withCurrentMember(args)).CollectFields(ctx)
	if err != nil {
		return results[domain.IIN, *ent.Family](iins, nil, err)
	}
	q.Modify(func(s *sql.Selector) {
		agg := "string_agg" // PostgreSQL
		if s.Dialect() == dialect.SQLite {
			agg = "group_concat"
		}
		d := sql.Dialect(s.Dialect())
		m := d.Table(familymembership.Table).As("batch_m")
		sub := d.Select().From(m).Where(sql.And(
			sql.ColumnsEQ(m.C(familymembership.FieldFamilyID), s.C(family.FieldID)),
			sql.In(m.C(familymembership.FieldIin), args...),
			sql.IsNull(m.C(familymembership.FieldTo)),
		))
		sub.Select(agg + "(" + m.C(familymembership.FieldIin) + ", ',')")
		s.AppendSelectExprAs(sub, batchMemberIINs)
	})
	fams, err := q.All(ctx)
	if err != nil {
		return results[domain.IIN, *ent.Family](iins, nil, err)
	}
	byIIN := make(map[domain.IIN]*ent.Family, len(iins))
	for _, f := range fams {
		list, err := keyOf(f.Value(batchMemberIINs))
		if err != nil {
			return results[domain.IIN, *ent.Family](iins, nil, fmt.Errorf("family %d: its members in the batch: %w", f.ID, err))
		}
		for _, m := range strings.Split(list, ",") {
			iin := domain.IIN(m)
			if cur, ok := byIIN[iin]; m != "" && (!ok || f.ID > cur.ID) {
				byIIN[iin] = f
			}
		}
	}
	return results(iins, byIIN, nil)
}

// withCurrentMember selects the families with a current membership of one of iins as
// "id IN (SELECT family_id FROM family_memberships WHERE iin IN (…) AND to IS NULL)". Ent's
// HasMembersWith says the same as a correlated EXISTS, which SQLite cannot start from the
// memberships' IIN index: it tested the EXISTS on every family the caller's row rule lets
// through (a caseworker of all 20 regions: every family, 20–25 ms a request with 20,000 people,
// against 1 ms). The IN list is looked up by the IIN index first, on SQLite and PostgreSQL alike
// (TestFamilyOfPersonPlan).
func withCurrentMember(iins []any) predicate.Family {
	return func(s *sql.Selector) {
		m := sql.Dialect(s.Dialect()).Table(familymembership.Table).As("current_m")
		s.Where(sql.In(s.C(family.FieldID), sql.Dialect(s.Dialect()).Select(m.C(familymembership.FieldFamilyID)).From(m).
			Where(sql.And(sql.In(m.C(familymembership.FieldIin), iins...), sql.IsNull(m.C(familymembership.FieldTo))))))
	}
}

// PersonByIIN returns the person with iin as the store holds them, nil when unknown. Batched
// per query path, with the person's edges eager-loaded from the selection.
func (l *Loaders) PersonByIIN(ctx context.Context, iin domain.IIN) (*ent.Person, error) {
	return l.personByIIN.load(ctx, iin)
}

func (l *Loaders) batchPersonByIIN(ctx context.Context, iins []domain.IIN) []*dataloader.Result[*ent.Person] {
	q, err := l.cfg.Client.Person.Query().Where(person.IinIn(iins...)).CollectFields(ctx)
	if err != nil {
		return results[domain.IIN, *ent.Person](iins, nil, err)
	}
	q.Modify(selectKey(person.FieldIin))
	ps, err := q.All(ctx)
	return byBatchKey(iins, ps, err)
}

// InstitutionByBIN returns the medical institution with bin, nil when unknown. Batched per
// query path, with the institution's edges eager-loaded from the selection.
func (l *Loaders) InstitutionByBIN(ctx context.Context, bin domain.BIN) (*ent.MedicalInstitution, error) {
	return l.institutionByBIN.load(ctx, bin)
}

func (l *Loaders) batchInstitutionByBIN(ctx context.Context, bins []domain.BIN) []*dataloader.Result[*ent.MedicalInstitution] {
	q, err := l.cfg.Client.MedicalInstitution.Query().Where(medicalinstitution.BinIn(bins...)).CollectFields(ctx)
	if err != nil {
		return results[domain.BIN, *ent.MedicalInstitution](bins, nil, err)
	}
	q.Modify(selectKey(medicalinstitution.FieldBin))
	ms, err := q.All(ctx)
	return byBatchKey(bins, ms, err)
}

// BuildingByCadastral returns the cadastre's building with the number, nil when unknown.
// Batched: one store query per level.
func (l *Loaders) BuildingByCadastral(ctx context.Context, cadastral string) (*ent.Building, error) {
	return load(ctx, l.buildingByCadastral, cadastral)
}

func (l *Loaders) batchBuildingByCadastral(ctx context.Context, nums []string) []*dataloader.Result[*ent.Building] {
	bs, err := l.cfg.Client.Building.Query().Where(building.CadastralIn(nums...)).All(ctx)
	if err != nil {
		return results[string, *ent.Building](nums, nil, err)
	}
	by := make(map[string]*ent.Building, len(bs))
	for _, b := range bs {
		by[b.Cadastral] = b
	}
	return results(nums, by, nil)
}
