// Package synctest provides in-memory change feeds for tests of sync and of what reads the
// store after it: a generated country served page by page per source, exactly as the
// connectors would map it, without any HTTP. Only tests and benchmarks import it.
package synctest

import (
	"context"
	"fmt"
	"strconv"

	"github.com/birlik/birlik/connectors"
	"github.com/birlik/birlik/gen"
)

// Feed is a connectors.Feed over fixed pages; the cursor is the number of pages consumed.
type Feed struct {
	Src   connectors.Source
	Pages []*connectors.Page
	// Calls counts Next calls.
	Calls int
}

// Source implements connectors.Feed.
func (f *Feed) Source() connectors.Source { return f.Src }

// Next implements connectors.Feed.
func (f *Feed) Next(ctx context.Context, cursor string) (*connectors.Page, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.Calls++
	i := 0
	if cursor != "" {
		n, err := strconv.Atoi(cursor)
		if err != nil || n < 0 || n > len(f.Pages) {
			return nil, fmt.Errorf("synctest: bad cursor %q", cursor)
		}
		i = n
	}
	var total int64
	for _, p := range f.Pages {
		total += int64(p.Len())
	}
	if i == len(f.Pages) {
		return &connectors.Page{Source: f.Src, Cursor: strconv.Itoa(i), Done: true, Total: total}, nil
	}
	p := *f.Pages[i]
	p.Source, p.Cursor, p.Done, p.Total = f.Src, strconv.Itoa(i+1), i+1 == len(f.Pages), total
	return &p, nil
}

// chunk appends the records of s to pages of at most size records each.
func chunk[T any](pages *[]*connectors.Page, s []T, size int, set func(p *connectors.Page, part []T)) {
	for lo := 0; lo < len(s); lo += size {
		hi := min(lo+size, len(s))
		p := &connectors.Page{}
		set(p, s[lo:hi])
		*pages = append(*pages, p)
	}
}

// CountryFeeds returns one feed per source over the records of c, in pages of at most
// pageSize records, in the order of connectors.Sources.
func CountryFeeds(c *gen.Country, pageSize int) []*Feed {
	var j, l, e, f, h []*connectors.Page
	chunk(&j, c.PersonVersions, pageSize, func(p *connectors.Page, s []domainPV) { p.PersonVersions = s })
	chunk(&j, c.Buildings, pageSize, func(p *connectors.Page, s []domainB) { p.Buildings = s })
	chunk(&l, c.Employers, pageSize, func(p *connectors.Page, s []domainEmp) { p.Employers = s })
	chunk(&l, c.RegisterPositions, pageSize, func(p *connectors.Page, s []domainRP) { p.RegisterPositions = s })
	chunk(&l, c.Families, pageSize, func(p *connectors.Page, s []domainFam) { p.Families = s })
	chunk(&l, c.Disabilities, pageSize, func(p *connectors.Page, s []domainDis) { p.Disabilities = s })
	chunk(&l, c.Contracts, pageSize, func(p *connectors.Page, s []domainLC) { p.Contracts = s })
	chunk(&l, c.Contributions, pageSize, func(p *connectors.Page, s []domainPC) { p.Contributions = s })
	chunk(&l, c.StaffingDeclarations, pageSize, func(p *connectors.Page, s []domainSD) { p.StaffingDeclarations = s })
	chunk(&l, c.SocialPayments, pageSize, func(p *connectors.Page, s []domainSP) { p.SocialPayments = s })
	chunk(&e, c.Schools, pageSize, func(p *connectors.Page, s []domainSch) { p.Schools = s })
	chunk(&e, c.Enrolments, pageSize, func(p *connectors.Page, s []domainEnr) { p.Enrolments = s })
	chunk(&e, c.Staff, pageSize, func(p *connectors.Page, s []domainStaff) { p.Staff = s })
	chunk(&e, c.Vouchers, pageSize, func(p *connectors.Page, s []domainV) { p.Vouchers = s })
	chunk(&f, c.StateOrderPayments, pageSize, func(p *connectors.Page, s []domainSOP) { p.StateOrderPayments = s })
	chunk(&f, c.IncomeReports, pageSize, func(p *connectors.Page, s []domainIR) { p.IncomeReports = s })
	chunk(&h, c.MedicalInstitutions, pageSize, func(p *connectors.Page, s []domainMI) { p.MedicalInstitutions = s })
	chunk(&h, c.Attachments, pageSize, func(p *connectors.Page, s []domainAtt) { p.Attachments = s })
	chunk(&h, c.Visits, pageSize, func(p *connectors.Page, s []domainVis) { p.Visits = s })
	chunk(&h, c.Coverages, pageSize, func(p *connectors.Page, s []domainCov) { p.Coverages = s })
	return []*Feed{
		{Src: connectors.Justice, Pages: j}, {Src: connectors.Labour, Pages: l}, {Src: connectors.Education, Pages: e},
		{Src: connectors.Finance, Pages: f}, {Src: connectors.Health, Pages: h},
	}
}

// Feeds converts feeds to connectors.Feed values.
func Feeds(fs []*Feed) []connectors.Feed {
	out := make([]connectors.Feed, len(fs))
	for i, f := range fs {
		out[i] = f
	}
	return out
}
