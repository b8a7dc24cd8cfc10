package main

import (
	_ "embed"
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/gen"
	"github.com/birlik/birlik/httpapi/playground"
)

// readme is README.md, whose GraphQL examples are the playground's opening tabs: what the README
// shows is what the page opens with (TestEmbeddedStartup runs those examples against the demo
// country).
//
//go:embed README.md
var readme string

// keyHint is what the playground's headers editor says when it may not show the demo key.
const keyHint = "Bearer <API key or token: ask the gateway's administrator, or on its machine run `birlik token --role ROLE --subject WHO` (from the source: go run . token …)>"

// purposeHint is the playground's X-Purpose when it does not show the demo key: the caller's
// role, and so the purposes it may state, is not known.
const purposeHint = "<why you read personal data: a purpose your role may state, e.g. case-management (docs/access.md)>"

// playgroundHeaders are the headers the playground at / fills in: the demo key, with a purpose
// its role (admin) may state, only when the gateway listens on loopback alone, where nobody but
// this machine's users can load the page; listening on other addresses, the page says how to
// get a key instead of handing an admin key to anyone who reaches the port.
func playgroundHeaders(cfg options, demoKey string) map[string]string {
	if demoKey != "" && cfg.LoopbackOnly() {
		h := map[string]string{"Authorization": "Bearer " + demoKey}
		if p := demoPurpose(cfg.Access.Purposes); p != "" {
			h[auth.PurposeHeader] = p
		}
		return h
	}
	return map[string]string{"Authorization": keyHint, auth.PurposeHeader: purposeHint}
}

// demoPurpose is the purpose the playground states with the demo key: case-management when the
// purpose policy lets the admin state it (the README's examples read people's records), else
// the admin's first purpose; none when it may state none.
func demoPurpose(policy auth.PurposePolicy) string {
	if policy == nil {
		policy = auth.DefaultPurposePolicy()
	}
	switch purposes := policy[auth.RoleAdmin]; {
	case slices.Contains(purposes, auth.PurposeCaseManagement):
		return auth.PurposeCaseManagement
	case len(purposes) > 0:
		return purposes[0]
	}
	return ""
}

// demoValues are the demo country's values for the variables of the playground's tabs: $iin a
// child registered and enrolled in a school now (family, school and payments to show), $bin
// that school. Empty without a demo country.
func demoValues(country *gen.Country) map[string]string {
	if country == nil {
		return nil
	}
	registered := map[domain.IIN]bool{}
	for _, v := range country.PersonVersions {
		registered[v.Person.IIN] = true
	}
	schools := map[domain.BIN]bool{}
	for _, s := range country.Schools {
		schools[s.BIN] = true
	}
	for _, e := range country.Enrolments {
		if e.To.IsZero() && registered[e.ChildIIN] && schools[e.BIN] {
			return map[string]string{"iin": string(e.ChildIIN), "bin": string(e.BIN)}
		}
	}
	return nil
}

// graphqlBlock is a ```graphql fenced block of README.md, with the paragraph before it.
var graphqlBlock = regexp.MustCompile("(?s)(?:\n\n([^`\n][^\n]*(?:\n[^\n]+)*)\n)?\n```graphql\n(.*?)```")

// playgroundTabs are the playground's opening tabs: the GraphQL examples of md (README.md),
// each headed by a comment with the sentence that introduces it there, with the values of the
// variables it declares from values (a variable without a value is left for the user to fill).
func playgroundTabs(md string, values map[string]string) []playground.Tab {
	var tabs []playground.Tab
	for _, m := range graphqlBlock.FindAllStringSubmatch(md, -1) {
		intro, query := strings.Join(strings.Fields(m[1]), " "), m[2]
		tab := playground.Tab{Query: query}
		if intro != "" {
			tab.Query = "# " + strings.TrimSuffix(intro, ":") + "\n" + query
		}
		vars := map[string]string{}
		if doc, err := parser.ParseQuery(&ast.Source{Input: query}); err == nil {
			for _, op := range doc.Operations {
				for _, v := range op.VariableDefinitions {
					if val, ok := values[v.Variable]; ok {
						vars[v.Variable] = val
					}
				}
			}
		}
		if len(vars) > 0 {
			b, _ := json.MarshalIndent(vars, "", "  ")
			tab.Variables = string(b)
		}
		tabs = append(tabs, tab)
	}
	return tabs
}
