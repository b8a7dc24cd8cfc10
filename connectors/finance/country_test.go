package finance_test

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

// country builds a small OrtaBilim by hand: orgs organisations paid every month of 2024 (the
// kindergartens per child), and income reports of the private ones.
func country(orgs int) *gen.Country {
	var g ids
	c := &gen.Country{Seed: 1, People: orgs * 10}
	for i := range orgs {
		bin := g.bin()
		kinder := i%3 == 1
		var children []domain.IIN
		if kinder {
			for j := range 3 {
				children = append(children, g.iin(domain.NewDate(2020, time.Month(1+j), 10), domain.Female))
			}
		}
		for m := domain.MustMonth("2024-01"); m <= domain.MustMonth("2024-12"); m++ {
			paid := m.First().AddDays(24)
			if kinder {
				for _, ch := range children {
					c.StateOrderPayments = append(c.StateOrderPayments, domain.StateOrderPayment{ID: fmt.Sprintf("SOP%08d", len(c.StateOrderPayments)+1),
						BIN: bin, Month: m, Kind: domain.PayPreschoolOrder, Contingent: 1, Amount: 62_000, ChildIIN: ch, PaidOn: paid})
				}
				continue
			}
			contingent := 300 + 50*i
			c.StateOrderPayments = append(c.StateOrderPayments, domain.StateOrderPayment{ID: fmt.Sprintf("SOP%08d", len(c.StateOrderPayments)+1),
				BIN: bin, Month: m, Kind: domain.PayStateOrder, Contingent: contingent, Amount: domain.Tenge(contingent) * 3_000_000_000 / 100, PaidOn: paid})
		}
		if i%2 == 0 {
			c.IncomeReports = append(c.IncomeReports, domain.IncomeReport{BIN: bin, Year: 2024, Income: domain.Tenge(int64(i+1) * 3_500_000_000), FiledOn: domain.MustDate("2025-03-28")})
		}
	}
	return c
}
