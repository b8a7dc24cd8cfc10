package main

import (
	"fmt"
	"strings"
)

// The analysts' steady work: README's analyst examples (payments by region and kind, private
// schools of one region and the findings summary), one region's open findings by money at risk
// (docs/findings-queries.md), and the payments of the last 12 months by region and kind.
const (
	analystReadmeQuery = `query AnalystReadme($region: String!) {
  paymentAggregate(groupBy: [REGION, KIND]) { region { kato name } kind count sum }
  schools(first: 20, where: { ownership: private, regionKato: $region }) {
    totalCount edges { node { bin name kind designCapacity } }
  }
  findingSummary { kind region { kato name } count moneyAtRisk }
}`
	analystFindingsQuery = `query AnalystFindings($region: String!) {
  findings(first: 50, where: { region: $region, statusNEQ: resolved }, orderBy: [{ field: MONEY_AT_RISK, direction: DESC }]) {
    totalCount edges { node { id kind moneyAtRisk status region { kato name } } }
  }
}`
)

// purposeInspection is the hostile analysts' purpose: under it an analyst may filter persons by
// name (under statistics that filter is refused before it is priced).
const purposeInspection = "integrity-inspection"

// aggregates is n aliases of payments aggregated by region, kind and month over a pattern
// filter: each reads the whole payments table. Thirty of them stayed within the depth, alias and
// complexity limits and stalled every reader before requests were priced by what they read.
func aggregates(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, ` a%d: paymentAggregate(where: {sourceKeyContains: "0"}, groupBy: [REGION, KIND, MONTH]) { count sum }`, i)
	}
	b.WriteString(" }")
	return b.String()
}

// personsPatternQuery is a page of persons filtered by a pattern on the last name: a scan of
// the persons table that no index serves.
const personsPatternQuery = `{ persons(first: 100, where: {lastNameContains: "ов"}) { totalCount edges { node { iin lastName firstName birthDate } } } }`

// hostileQueries are what a hostile analyst sends in turn: the heavy request (30 aggregates),
// a pattern-filtered persons page, and 5 aggregates, which may fit the budget, so that the
// bulkheads and deadlines are exercised and not only the pricing.
var hostileQueries = []struct{ name, query string }{
	{"30 aggregates", aggregates(30)},
	{"persons by pattern", personsPatternQuery},
	{"5 aggregates", aggregates(5)},
}
