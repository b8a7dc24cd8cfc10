package health_test

import (
	"fmt"
	"time"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/gen"
)

type ids struct{ serial int }

func (g *ids) iin(birth domain.Date, sex domain.Sex) domain.IIN {
	for {
		g.serial++
		if v, ok := domain.MakeIIN(birth, sex, g.serial); ok {
			return v
		}
	}
}

func (g *ids) bin() domain.BIN {
	for {
		g.serial++
		if v, ok := domain.MakeBIN(fmt.Sprintf("0801%d%06d", 4, g.serial%1000000)); ok {
			return v
		}
	}
}

// country builds a small UMIS by hand: clinics and hospitals, people attached to the clinics
// (some moved once), their visits and CSHI coverage periods.
func country(people int) *gen.Country {
	var g ids
	c := &gen.Country{Seed: 1, People: people}
	for i := range max(2, people/10) {
		c.MedicalInstitutions = append(c.MedicalInstitutions, domain.MedicalInstitution{BIN: g.bin(), Name: fmt.Sprintf("Городская поликлиника №%d", i+1),
			Region: domain.Regions[i%20].KATO, Cadastral: fmt.Sprintf("21:320:015:%03d", i), Primary: i%3 != 2})
		if i%4 == 3 {
			c.MedicalInstitutions[i].Cadastral = ""
		}
	}
	kinds := []string{"outpatient", "inpatient", "emergency"}
	cats := []string{"employee", "self_employed", "state_funded"}
	for i := range people {
		iin := g.iin(domain.NewDate(1950+i%70, time.Month(1+i%12), 1+i%28), []domain.Sex{domain.Male, domain.Female}[i%2])
		clinic := c.MedicalInstitutions[i%len(c.MedicalInstitutions)].BIN
		a := domain.Attachment{IIN: iin, BIN: clinic, From: domain.MustDate("2024-01-01")}
		if i%5 == 0 {
			a.To = domain.MustDate("2024-12-31")
			c.Attachments = append(c.Attachments, a)
			a = domain.Attachment{IIN: iin, BIN: c.MedicalInstitutions[(i+1)%len(c.MedicalInstitutions)].BIN, From: domain.MustDate("2025-01-01")}
		}
		c.Attachments = append(c.Attachments, a)
		for j := range i % 4 {
			c.Visits = append(c.Visits, domain.Visit{ID: fmt.Sprintf("V%08d", len(c.Visits)+1), IIN: iin, BIN: clinic,
				Date: domain.NewDate(2024, time.Month(1+(i+5*j)%12), 1+(3*j)%28).AddDays(200 * j), Kind: kinds[(i+j)%3]})
		}
		if i%7 != 3 {
			cv := domain.Coverage{IIN: iin, Category: cats[i%3], From: domain.MustDate("2024-01-01")}
			if i%3 == 1 {
				cv.To = domain.MustDate("2025-06-30")
			}
			c.Coverages = append(c.Coverages, cv)
		}
	}
	return c
}
