package gen

import (
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"

	"github.com/birlik/birlik/domain"
)

func generate(t *testing.T, seed int64, people int, rates map[domain.FindingKind]float64) *Country {
	t.Helper()
	c, err := Generate(Config{Seed: seed, People: people, Rates: rates})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func digest(t *testing.T, c *Country) [32]byte {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestDeterministic(t *testing.T) {
	a := digest(t, generate(t, 3, 5000, nil))
	b := digest(t, generate(t, 3, 5000, nil))
	if a != b {
		t.Fatal("two runs with seed 3 and 5,000 people differ")
	}
	if c := digest(t, generate(t, 4, 5000, nil)); c == a {
		t.Fatal("seeds 3 and 4 gave the same country")
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"too_few_people", Config{Seed: 1, People: 999}, "at least 1000"},
		{"unknown_kind", Config{Seed: 1, People: 5000, Rates: map[domain.FindingKind]float64{"nope": 0.1}}, "unknown anomaly kind"},
		{"negative_rate", Config{Seed: 1, People: 5000, Rates: map[domain.FindingKind]float64{domain.GhostPupil: -1}}, "between 0 and 1"},
		{"short_history", Config{Seed: 1, People: 5000, Months: 6}, "months must be between 12 and 120"},
		{"year_before_the_rules", Config{Seed: 1, People: 5000, From: domain.MustMonth("2023-07")}, "rules/rules.json has no figures for 2023"},
		{"year_after_the_rules", Config{Seed: 1, People: 5000, From: domain.MustMonth("2026-01"), Months: 13}, "rules/rules.json has no figures for 2027"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Generate(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestRecordsValidAndLinked(t *testing.T) {
	c := generate(t, 11, 20000, nil)
	current := map[domain.IIN]domain.Person{}
	seenSeq := int64(0)
	for _, v := range c.PersonVersions {
		if v.Seq != seenSeq+1 {
			t.Fatalf("version seq %d after %d", v.Seq, seenSeq)
		}
		seenSeq = v.Seq
		p := v.Person
		if _, err := domain.ParseIIN(string(p.IIN)); err != nil {
			t.Fatalf("invalid IIN: %v", err)
		}
		if p.IIN.BirthDate() != p.BirthDate || p.IIN.Sex() != p.Sex {
			t.Fatalf("IIN %s disagrees with birth %s / sex %s", p.IIN, p.BirthDate, p.Sex)
		}
		if old, ok := current[p.IIN]; ok && (old.FirstName != p.FirstName || old.BirthDate != p.BirthDate) {
			t.Fatalf("IIN %s names two people", p.IIN)
		}
		if _, err := domain.ParseKATO(string(p.Region)); err != nil {
			t.Fatal(err)
		}
		if !isCyrillic(p.LastName) || !isCyrillic(p.FirstName) {
			t.Fatalf("name not Cyrillic: %q %q", p.LastName, p.FirstName)
		}
		current[p.IIN] = p
	}
	if len(current) < c.People {
		t.Fatalf("%d persons, want at least %d", len(current), c.People)
	}
	bins := map[domain.BIN]domain.Employer{}
	for _, e := range c.Employers {
		if _, err := domain.ParseBIN(string(e.BIN)); err != nil {
			t.Fatal(err)
		}
		if _, dup := bins[e.BIN]; dup {
			t.Fatalf("BIN %s twice", e.BIN)
		}
		if _, ok := current[domain.IIN(e.BIN)]; ok {
			t.Fatalf("BIN %s is also an IIN", e.BIN)
		}
		bins[e.BIN] = e
	}
	cad := map[string]bool{}
	for _, b := range c.Buildings {
		if cad[b.Cadastral] {
			t.Fatalf("cadastral %s twice", b.Cadastral)
		}
		cad[b.Cadastral] = true
	}
	schools := map[domain.BIN]domain.School{}
	for _, s := range c.Schools {
		if _, ok := bins[s.BIN]; !ok || !cad[s.Cadastral] {
			t.Fatalf("school %s: employer or building missing", s.BIN)
		}
		schools[s.BIN] = s
	}
	for _, m := range c.MedicalInstitutions {
		if _, ok := bins[m.BIN]; !ok || !cad[m.Cadastral] {
			t.Fatalf("clinic %s: employer or building missing", m.BIN)
		}
	}
	person := func(what string, i domain.IIN) {
		if _, ok := current[i]; !ok {
			t.Fatalf("%s: IIN %s not in the register", what, i)
		}
	}
	school := func(what string, b domain.BIN) {
		if _, ok := schools[b]; !ok {
			t.Fatalf("%s: BIN %s is not an education organisation", what, b)
		}
	}
	employer := func(what string, b domain.BIN) {
		if _, ok := bins[b]; !ok {
			t.Fatalf("%s: BIN %s is not an employer", what, b)
		}
	}
	for _, e := range c.Enrolments {
		person("enrolment", e.ChildIIN)
		school("enrolment", e.BIN)
		if !e.To.IsZero() && e.To.Before(e.From) {
			t.Fatalf("enrolment %s ends before it starts", e.ID)
		}
	}
	for _, s := range c.Staff {
		person("staff", s.IIN)
		school("staff", s.BIN)
	}
	for _, v := range c.Vouchers {
		person("voucher child", v.ChildIIN)
		person("voucher parent", v.ParentIIN)
		school("voucher", v.BIN)
	}
	for _, k := range c.Contracts {
		person("contract", k.IIN)
		employer("contract", k.EmployerBIN)
		if bins[k.EmployerBIN].Region != k.Region {
			t.Fatalf("contract %s: region %s, employer's %s", k.ID, k.Region, bins[k.EmployerBIN].Region)
		}
		if !k.End.IsZero() && k.End.Before(k.Start) {
			t.Fatalf("contract %s ends before it starts", k.ID)
		}
	}
	for _, p := range c.Contributions {
		person("contribution", p.IIN)
		employer("contribution", p.PayerBIN)
	}
	for _, p := range c.SocialPayments {
		person("social payment", p.IIN)
	}
	for _, p := range c.StateOrderPayments {
		school("state-order payment", p.BIN)
		if p.ChildIIN != "" {
			person("preschool payment", p.ChildIIN)
		}
	}
	for _, a := range c.Attachments {
		person("attachment", a.IIN)
		employer("attachment", a.BIN)
	}
	for _, v := range c.Visits {
		person("visit", v.IIN)
		employer("visit", v.BIN)
	}
	for _, d := range c.Disabilities {
		person("disability", d.IIN)
	}
	inFamily := map[domain.IIN]int{}
	for _, f := range c.Families {
		for _, m := range f.Members {
			person("family member", m.IIN)
			inFamily[m.IIN]++
		}
	}
	for i := range current {
		if inFamily[i] == 0 {
			t.Fatalf("person %s belongs to no family", i)
		}
	}
	regions := map[domain.KATO]int{}
	for _, p := range current {
		regions[p.Region]++
	}
	if len(regions) != len(domain.Regions) {
		t.Fatalf("people live in %d regions, want %d", len(regions), len(domain.Regions))
	}
	if n := float64(len(c.Families)); n < float64(c.People)/4.5 || n > float64(c.People)/2.5 {
		t.Fatalf("%v families for %d people: want about people/3.5", n, c.People)
	}
}

func isCyrillic(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 0x0400 && r <= 0x04FF) && r != '-' {
			return false
		}
	}
	return true
}

func TestEveryKindInjected(t *testing.T) {
	c := generate(t, 5, 20000, nil)
	counts := map[domain.FindingKind]int{}
	for _, a := range c.Truth {
		counts[a.Kind]++
	}
	for _, k := range domain.FindingKinds {
		t.Run(string(k), func(t *testing.T) {
			if counts[k] < 1 {
				t.Fatalf("no case of %s at 20,000 people", k)
			}
			if !k.IsSignal() && k != domain.FictitiousTeacher && k != domain.StaffInAnotherRegion && k != domain.UnregisteredPosition {
				for _, a := range c.Truth {
					if a.Kind == k && a.MoneyAtRisk <= 0 {
						t.Fatalf("case without money at risk: %+v", a)
					}
				}
			}
		})
	}
}

func TestZeroRates(t *testing.T) {
	rates := map[domain.FindingKind]float64{}
	for _, k := range domain.FindingKinds {
		rates[k] = 0
	}
	c := generate(t, 5, 5000, rates)
	if len(c.Truth) != 0 {
		t.Fatalf("rates of 0 gave %d cases, first %+v", len(c.Truth), c.Truth[0])
	}
	if got := findCases(c); len(got) != 0 {
		t.Fatalf("rates of 0: the definitions still find %d cases, first %s", len(got), describe(got[0]))
	}
}
