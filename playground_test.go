package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/config"
)

// TestPlaygroundTabs: README's GraphQL examples are the playground's tabs, each headed by the
// sentence that introduces it, the citizen's with the demo IIN in $iin.
func TestPlaygroundTabs(t *testing.T) {
	tabs := playgroundTabs(readme, map[string]string{"iin": "210221514167", "bin": "000000000000"})
	if len(tabs) < 3 {
		t.Fatalf("%d tabs, want README's citizen, analyst and change-feed examples", len(tabs))
	}
	for _, want := range []string{"query Citizen(", "query Analyst", "query ChangeFeed"} {
		found := false
		for _, tab := range tabs {
			found = found || strings.Contains(tab.Query, want)
		}
		if !found {
			t.Errorf("no tab holds %q", want)
		}
	}
	citizen := tabs[0]
	if !strings.HasPrefix(citizen.Query, "# A citizen app — one person with family, schools and payments\nquery Citizen(") {
		t.Errorf("the citizen tab starts %q, want README's sentence as a comment, then the query", citizen.Query[:min(len(citizen.Query), 120)])
	}
	var vars map[string]string
	if err := json.Unmarshal([]byte(citizen.Variables), &vars); err != nil || len(vars) != 1 || vars["iin"] != "210221514167" {
		t.Errorf("the citizen tab's variables are %q (%v), want only the demo iin", citizen.Variables, err)
	}
	for _, tab := range tabs[1:] {
		if tab.Variables != "" {
			t.Errorf("a tab without variables has %q", tab.Variables)
		}
	}
	// Without a demo country the variables are left for the user to fill.
	if tabs := playgroundTabs(readme, nil); len(tabs) == 0 || tabs[0].Variables != "" {
		t.Errorf("without values, tabs = %+v, want the examples without variables", tabs)
	}
}

// TestPlaygroundHeaders: the demo key and a purpose its role may state only on loopback;
// otherwise hints that hand out nothing.
func TestPlaygroundHeaders(t *testing.T) {
	loopback := options{Config: config.Config{Addr: "127.0.0.1:8080"}}
	h := playgroundHeaders(loopback, "demo-secret")
	if h["Authorization"] != "Bearer demo-secret" || h["X-Purpose"] != "case-management" || len(h) != 2 {
		t.Errorf("on loopback: %v, want the demo key and X-Purpose case-management", h)
	}
	for _, addr := range []string{":8080", "0.0.0.0:8080", "192.0.2.7:8080"} {
		h := playgroundHeaders(options{Config: config.Config{Addr: addr}}, "demo-secret")
		if strings.Contains(h["Authorization"], "demo-secret") || h["Authorization"] != keyHint || h["X-Purpose"] != purposeHint {
			t.Errorf("on %s: %v, want the hints and no key", addr, h)
		}
	}
	if h := playgroundHeaders(loopback, ""); h["Authorization"] != keyHint {
		t.Errorf("without a demo key: %v, want the hint", h)
	}
	// The purpose follows BIRLIK_PURPOSES: one the admin may state, or none.
	restricted := loopback
	restricted.Access.Purposes = auth.PurposePolicy{auth.RoleAdmin: {auth.PurposeStatistics, auth.PurposeMedicalCare}}
	if h := playgroundHeaders(restricted, "k"); h["X-Purpose"] != "statistics" {
		t.Errorf("admin=statistics|medical-care: %v, want X-Purpose statistics", h)
	}
	restricted.Access.Purposes = auth.PurposePolicy{auth.RoleAdmin: nil}
	if h := playgroundHeaders(restricted, "k"); len(h) != 1 || h["Authorization"] != "Bearer k" {
		t.Errorf("admin without purposes: %v, want the key and no X-Purpose", h)
	}
}
