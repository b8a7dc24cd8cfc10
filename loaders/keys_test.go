package loaders_test

import (
	"encoding/json"
	"testing"
)

// TestLoadersMatchByKeysNotSelected: loaders that match records to their keys (a visit's
// institution by BIN, a change's person by IIN) find them when the query does not ask for the
// key itself (field collection loads only the columns asked for).
func TestLoadersMatchByKeysNotSelected(t *testing.T) {
	g := newGateway(t, 1000)
	h := g.handler(t, nil)
	r := post(t, h, `{ persons(first: 300) { edges { node { liveVisits(last: 3) { institutionBIN institution { name } } } } } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors[0].Message)
	}
	var got struct {
		Persons struct {
			Edges []struct {
				Node struct {
					LiveVisits []struct {
						InstitutionBIN string
						Institution    *struct{ Name string }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(r.Data, &got); err != nil {
		t.Fatal(err)
	}
	visits := 0
	for _, e := range got.Persons.Edges {
		for _, v := range e.Node.LiveVisits {
			visits++
			if v.Institution == nil || v.Institution.Name == "" {
				t.Errorf("visit at %s answers institution %+v, want the institution", v.InstitutionBIN, v.Institution)
			}
		}
	}
	if visits == 0 {
		t.Fatal("no live visits among 300 persons: the test shows nothing")
	}
}
