package education_test

import (
	"fmt"
	"time"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/gen"
)

// ids makes valid IINs and BINs for hand-built test countries.
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

// country builds a small education database by hand: orgs organisations with names full of CSV
// quirks, and for each some staff, enrolments and (kindergartens) vouchers.
func country(orgs int) *gen.Country {
	var g ids
	c := &gen.Country{Seed: 1, People: orgs * 20}
	names := []string{`КГУ "Школа-гимназия №5"; г. Астана`, "Детский сад «Балапан»", " Колледж связи", "Школа\nлицей №12", "ТОО \"Bilim Kids\""}
	kinds := []domain.OrgKind{domain.KindSchool, domain.KindKindergarten, domain.KindCollege}
	start := domain.MustDate("2024-09-01")
	for i := range orgs {
		kind := kinds[i%3]
		s := domain.School{BIN: g.bin(), Name: names[i%len(names)], Kind: kind, Ownership: domain.Public,
			Region: domain.Regions[i%20].KATO, Cadastral: fmt.Sprintf("21:320:%03d:%03d", i%1000, i%7), StateOrder: i%2 == 0}
		if i%4 == 1 {
			s.Ownership, s.Cadastral = domain.Private, ""
		}
		c.Schools = append(c.Schools, s)
		for j := range 3 {
			m := domain.StaffMember{BIN: s.BIN, IIN: g.iin(domain.NewDate(1980+j, time.March, 1+i%28), domain.Female), Position: "учитель", From: domain.MustDate("2020-08-25")}
			if j == 2 {
				m.To = domain.MustDate("2025-05-31")
			}
			c.Staff = append(c.Staff, m)
		}
		for j := range 5 {
			grade := 1 + j
			if kind == domain.KindKindergarten {
				grade = 0
			}
			e := domain.Enrolment{ID: fmt.Sprintf("E%08d", len(c.Enrolments)+1), ChildIIN: g.iin(domain.NewDate(2017-j, time.May, 1+j), domain.Male),
				BIN: s.BIN, Grade: grade, Year: 2024, From: start}
			if j%2 == 1 {
				e.To = domain.MustDate("2025-05-25")
			}
			c.Enrolments = append(c.Enrolments, e)
			if kind == domain.KindKindergarten {
				c.Vouchers = append(c.Vouchers, domain.Voucher{ID: fmt.Sprintf("V-%06d", len(c.Vouchers)+1), ChildIIN: e.ChildIIN,
					ParentIIN: g.iin(domain.NewDate(1990, time.July, 7), domain.Female), BIN: s.BIN, From: domain.MustDate("2024-08-15"), To: e.To})
			}
		}
	}
	return c
}
