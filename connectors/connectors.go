// Package connectors holds what every ministry connector shares: the page of domain records a
// change feed yields, the quarantine of records that failed validation, and the few helpers that
// give the five connectors one shape. Each source has its own package below (justice, labour,
// education, finance, health) with a typed client for that source's native format; the
// resilient HTTP transport they all use is in connectors/transport.
//
// # The connector shape
//
// Every connector package offers the same names (docs/connectors.md has the table):
//
//   - New(baseURL, transport.Config) *Client; the config's Source defaults to the source's name.
//   - The source's limits: MaxBatch (keys per batch look-up request), BatchWorkers (batch
//     look-up requests in flight at once), MaxPageSize (the most records a feed request may
//     ask for) and DefaultPageSize (what the client asks for while Client.PageSize is 0); and
//     ErrCircuitOpen, the transport's.
//   - Client, safe for concurrent use, with the fields base, transport, PageSize, OnQuarantine,
//     quarantined and totals (a Totals), and the methods Source, Transport, Quarantined and Next:
//     a Client is a Feed.
//   - cursorFormat, the package's CursorFormat: the only code that reads and writes its cursors.
//     Each source keeps its own cursor text, which sync has stored; a feed that reads its lists
//     in turn (all but justice's) steps through them with CursorFormat.ReadInTurn.
//   - Batch look-ups (PersonsByIIN, ContractsByIIN, CoverageByIIN, …) built on Lookup: keys
//     asked once each, MaxBatch a request, BatchWorkers at a time; the answer is a map in which
//     a key the source does not know is absent; records that fail validation are counted and
//     given to OnQuarantine (Reject); on error the map holds what was found before it.
//
// Connectors map native formats to domain records and validate them. They never import the
// simulators or the generator, and they know nothing of the store.
package connectors

import (
	"context"
	"sync"
	"time"

	"github.com/birlik/birlik/domain"
)

// Source names a ministry system.
type Source string

// The five sources.
const (
	Justice   Source = "justice"
	Labour    Source = "labour"
	Education Source = "education"
	Finance   Source = "finance"
	Health    Source = "health"
)

// Sources lists the five in a fixed order.
var Sources = []Source{Justice, Labour, Education, Finance, Health}

// Quarantined is a record a source sent that failed validation: kept with the reason and the raw
// payload, never silently dropped.
type Quarantined struct {
	Source Source
	Entity string // the source's entity, e.g. "person", "contract"
	Key    string // the record's key in the source when it could be read, else ""
	Reason string // what is wrong, e.g. `IIN "123": check digit should be 7, not 3`
	Raw    string // the record as received
	Seen   time.Time
}

// Page is one step of a source's change feed: the records it carried, mapped to domain records,
// the records it quarantined, and the cursor to continue from. A page holds records of one
// source only; the slices of other sources stay empty.
type Page struct {
	Source Source
	// Cursor is opaque: pass it back to Feed.Next to get the following page. It covers every
	// record of this page, so it must be stored in the same transaction as they are.
	Cursor string
	// Done is true when the feed had nothing after this page (for now).
	Done bool
	// Total is the source's count of records in the feed, when it tells (0 when unknown), for
	// progress reporting.
	Total int64

	PersonVersions       []domain.PersonVersion
	Buildings            []domain.Building
	Families             []domain.Family
	Disabilities         []domain.Disability
	Employers            []domain.Employer
	Contracts            []domain.LabourContract
	Contributions        []domain.PensionContribution
	RegisterPositions    []domain.RegisterPosition
	StaffingDeclarations []domain.StaffingDeclaration
	SocialPayments       []domain.SocialPayment
	Schools              []domain.School
	Enrolments           []domain.Enrolment
	Staff                []domain.StaffMember
	Vouchers             []domain.Voucher
	StateOrderPayments   []domain.StateOrderPayment
	IncomeReports        []domain.IncomeReport
	MedicalInstitutions  []domain.MedicalInstitution
	Attachments          []domain.Attachment
	Visits               []domain.Visit
	Coverages            []domain.Coverage

	Quarantined []Quarantined
}

// Len is the number of records (valid and quarantined) the page carried.
func (p *Page) Len() int {
	return len(p.PersonVersions) + len(p.Buildings) + len(p.Families) + len(p.Disabilities) +
		len(p.Employers) + len(p.Contracts) + len(p.Contributions) + len(p.RegisterPositions) +
		len(p.StaffingDeclarations) + len(p.SocialPayments) + len(p.Schools) + len(p.Enrolments) +
		len(p.Staff) + len(p.Vouchers) + len(p.StateOrderPayments) + len(p.IncomeReports) +
		len(p.MedicalInstitutions) + len(p.Attachments) + len(p.Visits) + len(p.Coverages) +
		len(p.Quarantined)
}

// PageSize is the records a feed request asks for: a client's PageSize as set, or the source's
// DefaultPageSize while it is 0 or less. It is not cut to the source's MaxPageSize: a source
// asked for more refuses with a message that names its limit.
func PageSize(set, def int) int {
	if set <= 0 {
		return def
	}
	return set
}

// Feed is a source's change feed as sync consumes it. Every connector implements it.
type Feed interface {
	// Source names the source.
	Source() Source
	// Next returns the page after cursor ("" for the beginning). It returns a page with Done set
	// and no records when nothing follows cursor.
	Next(ctx context.Context, cursor string) (*Page, error)
}

// Totals keeps the record count each list of a feed last reported, for Page.Total. Safe for
// concurrent use; the zero value knows no list.
type Totals struct {
	mu sync.Mutex
	n  map[int]int64
}

// Set records list's count.
func (t *Totals) Set(list int, n int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == nil {
		t.n = map[int]int64{}
	}
	t.n[list] = n
}

// Get returns list's last count and whether one was recorded.
func (t *Totals) Get(list int) (int64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n, ok := t.n[list]
	return n, ok
}

// Learn asks count for the count of every list before stage that has none yet. A feed that
// reads its lists in turn and was resumed at stage (a new process continuing from a stored
// cursor) reads the lists before it only in its next round: without their counts, Sum would
// fall short of the records the feed has sent already. A count that cannot be read is asked
// for again at the next call; it is only for progress reports, so the error is not returned.
func (t *Totals) Learn(stage int, count func(list int) (int64, error)) {
	for list := 0; list < stage; list++ {
		if _, ok := t.Get(list); ok {
			continue
		}
		if n, err := count(list); err == nil {
			t.Set(list, n)
		}
	}
}

// Sum is the sum of the last counts of every list (0 for a list not seen yet).
func (t *Totals) Sum() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var s int64
	for _, n := range t.n {
		s += n
	}
	return s
}
