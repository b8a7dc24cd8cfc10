package loaders

import (
	"context"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/building"
	"github.com/birlik/birlik/ent/family"
	"github.com/birlik/birlik/ent/familymembership"
	"github.com/birlik/birlik/ent/medicalinstitution"
	"github.com/birlik/birlik/ent/person"
)

// FamilyOfPerson returns the family the person currently belongs to (a membership without an
// end date; of several, the latest family), nil when none. Batched: two store queries per
// query path, the family's own edges eager-loaded from the selection.
func (l *Loaders) FamilyOfPerson(ctx context.Context, iin domain.IIN) (*ent.Family, error) {
	return l.familyOfPerson.load(ctx, iin)
}

func (l *Loaders) batchFamilyOfPerson(ctx context.Context, iins []domain.IIN) []*dataloader.Result[*ent.Family] {
	ms, err := l.cfg.Client.FamilyMembership.Query().
		Where(familymembership.IinIn(iins...), familymembership.ToIsNil(), familymembership.FamilyIDNotNil()).
		Select(familymembership.FieldIin, familymembership.FieldFamilyID).
		All(ctx)
	if err != nil {
		return results[domain.IIN, *ent.Family](iins, nil, err)
	}
	famOf := make(map[domain.IIN]int, len(ms))
	ids := make([]int, 0, len(ms))
	for _, m := range ms {
		if cur, ok := famOf[m.Iin]; !ok || *m.FamilyID > cur {
			famOf[m.Iin] = *m.FamilyID
		}
		ids = append(ids, *m.FamilyID)
	}
	byIIN := make(map[domain.IIN]*ent.Family, len(famOf))
	if len(ids) > 0 {
		q, err := l.cfg.Client.Family.Query().Where(family.IDIn(ids...)).CollectFields(ctx)
		if err != nil {
			return results[domain.IIN, *ent.Family](iins, nil, err)
		}
		fams, err := q.All(ctx)
		if err != nil {
			return results[domain.IIN, *ent.Family](iins, nil, err)
		}
		byID := make(map[int]*ent.Family, len(fams))
		for _, f := range fams {
			byID[f.ID] = f
		}
		for iin, id := range famOf {
			byIIN[iin] = byID[id]
		}
	}
	return results(iins, byIIN, nil)
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
	ps, err := q.All(ctx)
	if err != nil {
		return results[domain.IIN, *ent.Person](iins, nil, err)
	}
	by := make(map[domain.IIN]*ent.Person, len(ps))
	for _, p := range ps {
		by[p.Iin] = p
	}
	return results(iins, by, nil)
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
	ms, err := q.All(ctx)
	if err != nil {
		return results[domain.BIN, *ent.MedicalInstitution](bins, nil, err)
	}
	by := make(map[domain.BIN]*ent.MedicalInstitution, len(ms))
	for _, m := range ms {
		by[m.Bin] = m
	}
	return results(bins, by, nil)
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
