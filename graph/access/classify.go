package access

// Deny by default: every field of every object and interface type, every argument, every input
// field and every enum value that selects what is read (orderings, groupings) is classified,
// either personal (the @personal(category:) directive on an output field) or public (the table
// below, each group with its reason). Input fields of the generated where filters and values of
// the generated order enums are classified by the output field they filter or sort by (derived
// from their names); the hand-written ones are in the table.
//
// TestSchemaIsClassified walks the whole schema and names every unclassified item; at run time
// the operation walk (Extension.MutateOperationContext) refuses any field, argument, input field
// or ordering that is not classified, so a field added later cannot be read before someone says
// what it is.

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/graph"
)

// public lists the output fields that hold no personal data, as "Type: field field …", grouped
// by the reason they are public.
var public = []struct {
	reason string
	fields []string
}{
	{"organisations, their buildings, registers and reports are nobody's personal data; their personal edges (pupils, staff, contracts, visits, attachments, vouchers) carry @personal", []string{
		"School: id source sourceKey sourceSeq sourceVersion syncedAt bin name kind ownership cadastral stateOrder buildingID building stateOrderPayments incomeReports findings region designCapacity",
		"MedicalInstitution: id source sourceKey sourceSeq sourceVersion syncedAt bin name cadastral primary buildingID building findings region",
		"Employer: id source sourceKey sourceSeq sourceVersion syncedAt bin name sector contributions staffingDeclarations findings region",
		"Building: id source sourceKey sourceSeq sourceVersion syncedAt cadastral address designation designCapacity schools medicalInstitutions findings region",
		"RegisterPosition: id source sourceKey sourceSeq sourceVersion syncedAt code title declarations",
		"StaffingDeclaration: id source sourceKey sourceSeq sourceVersion syncedAt bin positionCode title units month employerID registerPositionID employer registerPosition",
		"IncomeReport: id source sourceKey sourceSeq sourceVersion syncedAt schoolBin year income filedOn schoolID school",
		"Region: kato name",
	}},
	{"a record's node ID, its source's name and sequence number and its sync time; edges to other records, whose own fields are classified; the region of a person or case (the row scope of docs/access.md)", []string{
		"Node: id",
		"Person: id source sourceSeq syncedAt region",
		"FamilyMembership: id source sourceSeq syncedAt familyID personID person",
		"Enrollment: id source sourceSeq syncedAt childID schoolID child",
		"LabourContract: id source sourceSeq syncedAt personID employerID person region",
		"StaffPosition: id source sourceSeq syncedAt schoolID personID person",
		"Voucher: id source sourceSeq syncedAt childID parentID schoolID child parent",
		"Coverage: id source sourceSeq syncedAt personID person",
		"Attachment: id source sourceSeq syncedAt personID institutionID person",
		"Visit: id source sourceSeq syncedAt personID institutionID person",
		"Disability: id source sourceSeq syncedAt personID person",
		"Family: id source sourceSeq syncedAt platformID region",
		"Change: id seq entity op at person",
		"Quarantine: id source entity seenAt",
		"RegisterStatus: region",
	}},
	{"a payment's money, kind, month and the organisations and family it names; the IINs of its recipient and child are @personal", []string{
		"Payment: id source sourceSeq syncedAt kind amount period paidOn payerBin familyPlatformID schoolBin contingent recipientID payerID familyID schoolID childID recipient payer family school child findings",
	}},
	{"a finding's kind, severity, status, period (a month, counted by analysts; the person it may date is its subject, which is @personal), money and the organisations, building and position it names, and who of the officials changed its status; its key, subject IIN, evidence and note are @personal", []string{
		"Finding: id kind severity period subjectBin otherBin cadastral positionCode status moneyAtRisk firstSeen lastSeen resolvedAt statusChangedBy statusChangedAt persons families schools employers buildings medicalInstitutions payments region",
	}},
	{"counts and sums over people, never one person's values", []string{
		"PaymentAggregate: region kind month count sum",
		"FindingSummary: kind region count moneyAtRisk",
		"AkimKPI: region families movedUp movedDown leftCrisis leftEmergency enteredCrisis enteredEmergency net rank",
		"SocialObligationsForecast: region basis months total method",
	}},
	{"the family card: a family's welfare category, its indicators (counts and money of the family, no IIN, name or date of a person) and plans, keyed by the platform's family id; rows follow the family's scope", []string{
		"Family: category assessment assessments supportMeasures",
		"FamilyAssessment: id familyPlatformID month category ruleVersion reason assessedAt indicators family region",
		"FamilyIndicators: members wages contributionWages benefits walletSpending income incomePerMember subsistenceMinimum workingAge workingAgeWithoutWork disabled schoolAge schoolAgeNotEnrolled uninsured",
		"FamilyFinancingPlan: from to months byKind total",
		"SupportMonth: month measures total",
		"SupportMeasure: kind amount count",
		"WelfareTransition: family familyPlatformID region fromMonth toMonth fromCategory toCategory direction",
		"WelfareTransitionPage: totalCount nodes endCursor hasNextPage",
	}},
	{"reached only through a @personal field (Person.liveCoverage, Person.liveVisits), whose rule, purpose and audit cover them (TestGatedTypes checks that nothing else reaches them)", []string{
		"LiveCoverage: insured current periods",
		"CoveragePeriod: category from to",
		"LiveVisit: id date kind institutionBIN institution",
	}},
	{"the audit log's entries about a citizen, read by that citizen only (myDataAccess)", []string{
		"DataAccess: at organisation role purpose operation official",
		"DataAccessConnection: edges pageInfo hasNextPage endCursor totalCount",
		"DataAccessPageInfo: hasNextPage hasPreviousPage startCursor endCursor",
		"DataAccessEdge: node cursor",
	}},
	{"pages: the position of a page and its cursors (opaque); the records on it are classified on their own type (every XConnection's edges, pageInfo and totalCount and every XEdge's node and cursor are this too, see relay)", []string{
		"PageInfo: hasNextPage hasPreviousPage startCursor endCursor",
	}},
	{"the gateway's own sync bookkeeping: cursors of the sources' feeds and counts", []string{
		"SyncCursor: id source cursor records total done updatedAt",
		"DataFreshness: sources findingsComputedAt assessmentsComputedAt derivedCurrent",
		"SourceFreshness: source lastSyncedAt behind",
	}},
	{"entry points: each answers rows under the store's row rules, and the fields selected under them are classified on their own types", []string{
		"Query: node nodes buildings changes employers families findings medicalInstitutions payments persons quarantines schools syncCursors myDataAccess welfareTransitions akimKPI socialObligationsForecast findingSummary person family school medicalInstitution paymentAggregate regions freshness",
		"Mutation: confirmFinding dismissFinding",
	}},
}

// gated are the public types reached only through @personal fields (see public).
var gated = []string{"LiveCoverage", "CoveragePeriod", "LiveVisit"}

// publicArgs lists the arguments that are not the standard connection arguments (after, first,
// before, last, orderBy, where: classified by what they hold) and select no person by a personal
// value.
var publicArgs = []struct {
	reason string
	args   []string
}{
	{"node IDs, organisations' BINs and the platform's family ids select rows the row rules filter; none holds an IIN, a name or a date of a person", []string{
		"Query.node(id)", "Query.nodes(ids)", "Query.family(id platformID)", "Query.school(bin)", "Query.medicalInstitution(bin)",
		"Mutation.confirmFinding(id note)", "Mutation.dismissFinding(id note)",
	}},
	{"months, regions, page sizes and cursors of the family card, the aggregates and the audit log", []string{
		"Family.assessment(month)", "Family.assessments(after first before last)", "Family.supportMeasures(from to)",
		"Query.welfareTransitions(region from to first after)", "Query.akimKPI(from to)", "Query.socialObligationsForecast(region)",
		"Query.paymentAggregate(groupBy)", "Query.myDataAccess(first after)", "Person.liveVisits(last)",
	}},
}

// personalArgs are the arguments that select a person by a personal value: reading through them
// is reading that value.
var personalArgs = map[string]auth.Category{
	"Query.person(iin)": auth.CatIdentity,
}

// handInputs classifies the input fields written by hand (not derived from an output field).
var handInputs = map[string]class{
	// A person's IIN or an organisation's BIN: as an IIN it is the subject's identity.
	"FindingWhereInput.subject": {personal: true, category: auth.CatIdentity},
	// A region's KATO code, as regionKato.
	"FindingWhereInput.region": {},
	// The family's welfare category (the family card, public).
	"FamilyWhereInput.category": {},
	// The direction of an ordering.
	"*Order.direction": {},
}

// filterOnly classifies the store columns the where filters offer but the types do not show:
// the region of a row (the row scope), the family card's keys.
var filterOnly = []string{
	"Person.regionKato", "Family.regionKato", "LabourContract.regionKato", "School.regionKato", "MedicalInstitution.regionKato",
	"Employer.regionKato", "Building.regionKato", "Finding.regionKato", "FamilyAssessment.regionKato", "FamilyAssessment.monthSeq", "FamilyAssessment.familyID",
}

// publicEnums are the enums of values that select what is read, other than the order fields.
var publicEnums = map[string]string{
	"OrderDirection":   "ascending or descending",
	"PaymentDimension": "what paymentAggregate groups by: region, kind, month",
	"PersonalData":     "the categories of the @personal directive",
	"WelfareDirection": "a transition up or down",
}

// class is the classification of one item: personal with a category, or public.
type class struct {
	personal bool
	category auth.Category
}

// classes is the classification of a schema: items by key ("Type.field", "Type.field(arg)",
// "Input.field", "Enum.VALUE"); an item without a key is unclassified.
type classes struct {
	items  map[string]class
	schema *ast.Schema
}

// lookup returns the class of key and whether it is classified.
func (c *classes) lookup(key string) (class, bool) {
	k, ok := c.items[key]
	return k, ok
}

// schemaClasses is the classification of the graph's schema, made once.
var schemaClasses = sync.OnceValue(func() *classes {
	c, _ := classify(graph.NewExecutableSchema(graph.Config{}).Schema())
	return c
})

// whereSuffixes are the operators entgql appends to a field's name in a where filter.
var whereSuffixes = []string{"NEQ", "NotIn", "In", "GTE", "GT", "LTE", "LT", "ContainsFold", "Contains", "HasPrefix", "HasSuffix", "EqualFold", "IsNil", "NotNil"}

// classify classifies every item of s and returns what it could not classify.
func classify(s *ast.Schema) (*classes, []string) {
	c := &classes{items: map[string]class{}, schema: s}
	pub := map[string]bool{}
	for _, g := range public {
		for _, line := range g.fields {
			typ, fields, _ := strings.Cut(line, ":")
			for _, f := range strings.Fields(fields) {
				pub[typ+"."+f] = true
			}
		}
	}
	for _, f := range filterOnly {
		pub[f] = true
	}
	args := map[string]bool{}
	for _, g := range publicArgs {
		for _, a := range g.args {
			field, list, _ := strings.Cut(strings.TrimSuffix(a, ")"), "(")
			for _, n := range strings.Fields(list) {
				args[field+"("+n+")"] = true
			}
		}
	}
	var missing []string
	// outputs: Type.field → class (personal by directive, public by the table).
	out := func(typ, field string) (class, bool) {
		def := s.Types[typ]
		if def != nil {
			if f := def.Fields.ForName(field); f != nil {
				if d := f.Directives.ForName(DirectiveName); d != nil {
					if a := d.Arguments.ForName("category"); a != nil && a.Value != nil {
						return class{personal: true, category: auth.Category(a.Value.Raw)}, true
					}
				}
			}
		}
		if pub[typ+"."+field] || relay(typ, field) {
			return class{}, true
		}
		return class{}, false
	}
	names := make([]string, 0, len(s.Types))
	for n := range s.Types {
		names = append(names, n)
	}
	sort.Strings(names)
	dataEnums := map[string]bool{}
	for _, n := range names {
		def := s.Types[n]
		if strings.HasPrefix(n, "__") || def.BuiltIn {
			continue
		}
		switch def.Kind {
		case ast.Object, ast.Interface:
			for _, f := range def.Fields {
				if strings.HasPrefix(f.Name, "__") {
					continue
				}
				key := n + "." + f.Name
				if k, ok := out(n, f.Name); ok {
					c.items[key] = k
				} else {
					missing = append(missing, "field "+key)
				}
				if t := s.Types[f.Type.Name()]; t != nil && t.Kind == ast.Enum {
					dataEnums[t.Name] = true
				}
				for _, a := range f.Arguments {
					ak := key + "(" + a.Name + ")"
					switch {
					case personalArgs[ak] != "":
						c.items[ak] = class{personal: true, category: personalArgs[ak]}
					case args[ak]:
						c.items[ak] = class{}
					case connectionArg(s, f, a):
						c.items[ak] = class{}
					default:
						missing = append(missing, "argument "+ak)
					}
				}
			}
		}
	}
	for _, n := range names {
		def := s.Types[n]
		if strings.HasPrefix(n, "__") || def.BuiltIn {
			continue
		}
		switch def.Kind {
		case ast.InputObject:
			for _, f := range def.Fields {
				key := n + "." + f.Name
				if k, ok := handInputs[key]; ok {
					c.items[key] = k
					continue
				}
				if strings.HasSuffix(n, "Order") && f.Name != "field" {
					if k, ok := handInputs["*Order."+f.Name]; ok {
						c.items[key] = k
						continue
					}
				}
				if strings.HasSuffix(n, "Order") && f.Name == "field" {
					c.items[key] = class{} // the value is an order field, classified on its own
					continue
				}
				typ, isWhere := strings.CutSuffix(n, "WhereInput")
				if !isWhere {
					missing = append(missing, "input field "+key)
					continue
				}
				if k, ok := whereField(typ, f.Name, out); ok {
					c.items[key] = k
					continue
				}
				missing = append(missing, "input field "+key)
			}
		case ast.Enum:
			typ, isOrder := strings.CutSuffix(n, "OrderField")
			for _, v := range def.EnumValues {
				key := n + "." + v.Name
				switch {
				case isOrder:
					if k, ok := out(typ, fieldOf(s.Types[typ], v.Name)); ok {
						c.items[key] = k
					} else {
						missing = append(missing, "order value "+key)
					}
				case publicEnums[n] != "", dataEnums[n]:
					c.items[key] = class{}
				default:
					missing = append(missing, "enum value "+key)
				}
			}
		}
	}
	return c, missing
}

// relay reports whether typ.field is the structure of a Relay connection: a connection's
// edges, page info and count, an edge's node and cursor (the node's fields are classified on
// their own type; cursors are opaque).
func relay(typ, field string) bool {
	switch {
	case strings.HasSuffix(typ, "Connection"):
		return field == "edges" || field == "pageInfo" || field == "totalCount"
	case strings.HasSuffix(typ, "Edge"):
		return field == "node" || field == "cursor"
	}
	return false
}

// connectionArg reports whether a is one of the standard arguments of a connection or list of
// records: a cursor or page size (positions, not data), or an ordering or filter (whose fields
// and values are classified on their own types).
func connectionArg(s *ast.Schema, f *ast.FieldDefinition, a *ast.ArgumentDefinition) bool {
	switch a.Name {
	case "after", "before", "first", "last":
		return strings.HasSuffix(f.Type.Name(), "Connection")
	case "orderBy":
		return strings.HasSuffix(a.Type.Name(), "Order")
	case "where":
		return strings.HasSuffix(a.Type.Name(), "WhereInput")
	}
	return false
}

// whereField classifies the where-filter field name of type typ by the output field it filters:
// its name without the operator suffix, an edge for has<Edge>/has<Edge>With; and/or/not are the
// filter's structure (their contents are classified on their own).
func whereField(typ, name string, out func(typ, field string) (class, bool)) (class, bool) {
	switch name {
	case "and", "or", "not":
		return class{}, true
	}
	if k, ok := out(typ, name); ok {
		return k, true
	}
	for _, suf := range whereSuffixes {
		if base, ok := strings.CutSuffix(name, suf); ok && base != "" {
			if k, ok := out(typ, base); ok {
				return k, true
			}
		}
	}
	if rest, ok := strings.CutPrefix(name, "has"); ok && rest != "" {
		rest = strings.TrimSuffix(rest, "With")
		edge := string(unicode.ToLower(rune(rest[0]))) + rest[1:]
		if k, ok := out(typ, edge); ok {
			return k, true
		}
	}
	return class{}, false
}

// fieldOf returns the field of def an order field's value sorts by: LAST_NAME is lastName,
// PLATFORM_ID platformID (compared without case and underscores); "" when there is none.
func fieldOf(def *ast.Definition, v string) string {
	if def == nil {
		return ""
	}
	want := strings.ToLower(strings.ReplaceAll(v, "_", ""))
	for _, f := range def.Fields {
		if strings.ToLower(f.Name) == want {
			return f.Name
		}
	}
	return ""
}

// describe names a class for messages.
func (k class) String() string {
	if k.personal {
		return fmt.Sprintf("personal (%s)", k.category)
	}
	return "public"
}
