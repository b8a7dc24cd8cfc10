package checks

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/birlik/birlik/apperr"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/finding"
	"github.com/birlik/birlik/ent/predicate"
)

// MaxNoteLength bounds an analyst's note.
const MaxNoteLength = 4000

// Confirm marks finding id confirmed by who, with a note. See SetStatus.
func Confirm(ctx context.Context, client *ent.Client, id int, who, note string) (*ent.Finding, error) {
	return SetStatus(ctx, client, id, finding.StatusConfirmed, who, note, time.Now())
}

// Dismiss marks finding id dismissed by who, with a note. See SetStatus.
func Dismiss(ctx context.Context, client *ent.Client, id int, who, note string) (*ent.Finding, error) {
	return SetStatus(ctx, client, id, finding.StatusDismissed, who, note, time.Now())
}

// SetStatus is the analysts' workflow: an open, confirmed or dismissed finding becomes confirmed
// or dismissed, recording who, when and the note (kept across reruns of the checks). A finding
// the data no longer shows (resolved) cannot be confirmed or dismissed.
//
// The change is one UPDATE of the row by its id, which the store's write rule
// (ent/schema/writes.go) refuses for a caller whose role may not change findings and narrows to
// the caller's region scope; it returns the row as written. Only when nothing was written is the
// finding read, as the caller sees it, to say why. Errors are coded: FORBIDDEN for a role that
// may not change findings, NOT_FOUND for an id that names no finding the caller sees, BAD_INPUT
// for a wrong status, a resolved finding, no caller or a note that is too long.
func SetStatus(ctx context.Context, client *ent.Client, id int, status finding.Status, who, note string, at time.Time) (*ent.Finding, error) {
	if status != finding.StatusConfirmed && status != finding.StatusDismissed {
		return nil, apperr.New(apperr.BadInput, "a finding can be set to confirmed or dismissed, not %q", status)
	}
	if strings.TrimSpace(who) == "" {
		return nil, apperr.New(apperr.BadInput, "who changes a finding's status must be known")
	}
	if len(note) > MaxNoteLength {
		return nil, apperr.New(apperr.BadInput, "the note has %d characters; at most %d", len(note), MaxNoteLength)
	}
	// A finding the checks reopen between the UPDATE and the read is tried again; the checks
	// run after a sync, so a second attempt finds it settled.
	for attempt := 0; ; attempt++ {
		f, err := client.Finding.UpdateOneID(id).
			Where(finding.StatusNEQ(finding.StatusResolved)).
			SetStatus(status).
			SetStatusChangedBy(who).
			SetStatusChangedAt(at).
			SetStatusNote(note).
			Save(ctx)
		switch {
		case err == nil:
			return f, nil
		case !ent.IsNotFound(err):
			return nil, fmt.Errorf("checks: set the status of finding %d: %w", id, err)
		}
		// Nothing was written: the finding is resolved, or not one the caller sees.
		f, err = client.Finding.Get(ctx, id)
		switch {
		case ent.IsNotFound(err):
			return nil, apperr.New(apperr.NotFound, "no finding has id %d", id)
		case err != nil:
			return nil, fmt.Errorf("checks: read finding %d: %w", id, err)
		case f.Status == finding.StatusResolved:
			return nil, apperr.New(apperr.BadInput, "finding %d was resolved by the data on %s: there is nothing left to confirm or dismiss", id, f.ResolvedAt.Format(time.DateOnly))
		case attempt == 2:
			return nil, fmt.Errorf("checks: finding %d changed between its update and its read three times", id)
		}
	}
}

// SummaryRow is one group of Summarize: a kind in a region.
type SummaryRow struct {
	Kind        domain.FindingKind
	Region      domain.KATO
	Count       int
	MoneyAtRisk domain.Tenge
}

// Summarize counts the findings matching preds and sums their money at risk by kind and region,
// with one GROUP BY in the store, ordered by kind and region.
func Summarize(ctx context.Context, client *ent.Client, preds ...predicate.Finding) ([]SummaryRow, error) {
	var rows []struct {
		Kind   string `json:"kind"`
		Region string `json:"region_kato"`
		Count  int    `json:"count"`
		Sum    int64  `json:"sum"`
	}
	err := client.Finding.Query().Where(preds...).
		GroupBy(finding.FieldKind, finding.FieldRegionKato).
		Aggregate(ent.Count(), ent.Sum(finding.FieldMoneyAtRisk)).
		Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("checks: summarize findings: %w", err)
	}
	out := make([]SummaryRow, len(rows))
	for i, r := range rows {
		out[i] = SummaryRow{Kind: domain.FindingKind(r.Kind), Region: domain.KATO(r.Region), Count: r.Count, MoneyAtRisk: domain.Tenge(r.Sum)}
	}
	sortRows(out)
	return out, nil
}

func sortRows(rs []SummaryRow) {
	order := map[domain.FindingKind]int{}
	for i, k := range domain.FindingKinds {
		order[k] = i
	}
	slices.SortFunc(rs, func(a, b SummaryRow) int {
		if c := cmp.Compare(order[a.Kind], order[b.Kind]); c != 0 {
			return c
		}
		return cmp.Compare(a.Region, b.Region)
	})
}
