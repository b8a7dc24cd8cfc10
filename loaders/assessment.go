package loaders

import (
	"context"

	"entgo.io/ent/dialect/sql"
	"github.com/graph-gophers/dataloader/v7"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/familyassessment"
)

// AssessmentKey names a family's welfare assessment under a rule version: the one of Month, or
// the latest when Month is zero.
type AssessmentKey struct {
	FamilyID    int
	RuleVersion string
	Month       domain.Month // 0: the latest
}

// Assessment returns the family's assessment for key, nil when none. Batched per query path: one
// store query for every family of a level.
func (l *Loaders) Assessment(ctx context.Context, key AssessmentKey) (*ent.FamilyAssessment, error) {
	return l.assessment.load(ctx, key)
}

func (l *Loaders) batchAssessment(ctx context.Context, keys []AssessmentKey) []*dataloader.Result[*ent.FamilyAssessment] {
	fail := func(err error) []*dataloader.Result[*ent.FamilyAssessment] {
		return results[AssessmentKey, *ent.FamilyAssessment](keys, nil, err)
	}
	// Group the keys by rule version and by "latest" versus a given month: one query per group
	// (in practice one per level: every key of a path has the same arguments).
	type group struct {
		version string
		latest  bool
	}
	groups := map[group][]AssessmentKey{}
	var order []group
	for _, k := range keys {
		g := group{k.RuleVersion, k.Month == 0}
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], k)
	}
	by := make(map[AssessmentKey]*ent.FamilyAssessment, len(keys))
	for _, g := range order {
		ks := groups[g]
		ids := make([]int, 0, len(ks))
		var months []domain.Month
		for _, k := range ks {
			ids = append(ids, k.FamilyID)
			if !g.latest {
				months = append(months, k.Month)
			}
		}
		q := l.cfg.Client.FamilyAssessment.Query().
			Where(familyassessment.FamilyIDIn(ids...), familyassessment.RuleVersion(g.version))
		if g.latest {
			version := g.version
			q = q.Where(func(s *sql.Selector) {
				t := sql.Table(familyassessment.Table).As("latest")
				s.Where(sql.EQ(s.C(familyassessment.FieldMonth),
					sql.Select(sql.Max(t.C(familyassessment.FieldMonth))).From(t).Where(sql.And(
						sql.ColumnsEQ(t.C(familyassessment.FieldFamilyID), s.C(familyassessment.FieldFamilyID)),
						sql.EQ(t.C(familyassessment.FieldRuleVersion), version),
					))))
			})
		} else {
			q = q.Where(familyassessment.MonthIn(months...))
		}
		// Every column, never the selection's (CollectFields): the keys below need family_id
		// and month, which `category` or `assessment { reason }` do not select, and an
		// assessment has no edges to eager-load.
		as, err := q.All(ctx)
		if err != nil {
			return fail(err)
		}
		for _, a := range as {
			k := AssessmentKey{FamilyID: a.FamilyID, RuleVersion: g.version}
			if !g.latest {
				k.Month = a.Month
			}
			by[k] = a
		}
	}
	return results(keys, by, nil)
}

// HistoryKey names a family's assessments under a rule version.
type HistoryKey struct {
	FamilyID    int
	RuleVersion string
}

// AssessmentHistory returns every assessment of the family under the rule version, by month.
// Batched per query path: one store query for every family of a level.
func (l *Loaders) AssessmentHistory(ctx context.Context, key HistoryKey) ([]*ent.FamilyAssessment, error) {
	return l.history.load(ctx, key)
}

func (l *Loaders) batchHistory(ctx context.Context, keys []HistoryKey) []*dataloader.Result[[]*ent.FamilyAssessment] {
	byVersion := map[string][]int{}
	var versions []string
	for _, k := range keys {
		if _, ok := byVersion[k.RuleVersion]; !ok {
			versions = append(versions, k.RuleVersion)
		}
		byVersion[k.RuleVersion] = append(byVersion[k.RuleVersion], k.FamilyID)
	}
	by := make(map[HistoryKey][]*ent.FamilyAssessment, len(keys))
	for _, v := range versions {
		// Every column, as in batchAssessment: the grouping needs family_id.
		as, err := l.cfg.Client.FamilyAssessment.Query().
			Where(familyassessment.FamilyIDIn(byVersion[v]...), familyassessment.RuleVersion(v)).
			Order(ent.Asc(familyassessment.FieldMonth), ent.Asc(familyassessment.FieldID)).
			All(ctx)
		if err != nil {
			return results[HistoryKey, []*ent.FamilyAssessment](keys, nil, err)
		}
		for _, a := range as {
			k := HistoryKey{a.FamilyID, v}
			by[k] = append(by[k], a)
		}
	}
	return results(keys, by, nil)
}
