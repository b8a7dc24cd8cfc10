package audit

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/auditentry"
	"github.com/birlik/birlik/ent/auditsubject"
	"github.com/birlik/birlik/ent/privacy"
)

// Problem kinds Verify reports.
const (
	Changed   = "changed"   // the entry's content no longer matches its hash
	Removed   = "removed"   // an entry is missing before this one
	Reordered = "reordered" // the entry is not where the chain puts it
	// SubjectsChanged: the entry's subject rows (the index by IIN that myDataAccess reads) no
	// longer list exactly the IINs its hash covers.
	SubjectsChanged = "subjects"
)

// Problem is the first break Verify found in the chain.
type Problem struct {
	Kind string
	Seq  int64 // the entry at which the chain breaks
	// Message says what was found, naming the entries.
	Message string
}

func (p *Problem) Error() string { return p.Message }

// Report is the result of a verification.
type Report struct {
	Entries  int64  // entries walked
	HeadHash string // the last entry's hash: publish it elsewhere to detect a cut tail
	Problem  *Problem
}

// Verify walks the whole chain in sequence order, page by page, and reports the first entry
// that was changed, removed or reordered, or whose subject rows were (nil Problem when the
// chain is intact). Each entry's hash is recomputed twice: from the entry as stored, and with
// the IINs of its subject rows in place of its IIN list; the hash covers the sorted,
// deduplicated IINs, so a subject row removed, added, repeated, altered or moved to another
// entry no longer hashes to it. A removal of the newest entries leaves no trace in the chain
// itself: compare HeadHash with one recorded elsewhere.
func Verify(ctx context.Context, client *ent.Client) (Report, error) {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	const page = 2000
	var (
		rep      = Report{HeadHash: GenesisHash}
		prevHash = GenesisHash
		prevSeq  int64
		started  bool
	)
	// byHash finds an entry by its stored hash (to tell a reordering from a removal).
	byHash := func(h string) (*ent.AuditEntry, error) {
		e, err := client.AuditEntry.Query().Where(auditentry.Hash(h)).Only(ctx)
		if ent.IsNotFound(err) {
			return nil, nil
		}
		return e, err
	}
	afterSeq := int64(-1 << 62)
	for {
		entries, err := client.AuditEntry.Query().
			Where(auditentry.SeqGT(afterSeq)).
			Order(ent.Asc(auditentry.FieldSeq)).
			Limit(page).All(ctx)
		if err != nil {
			return rep, fmt.Errorf("audit verify: read entries after %d: %w", afterSeq, err)
		}
		subjects, err := subjectsOf(ctx, client, entries)
		if err != nil {
			return rep, err
		}
		for _, e := range entries {
			rep.Entries++
			if HashOf(e) != e.Hash {
				rep.Problem = &Problem{Kind: Changed, Seq: e.Seq, Message: fmt.Sprintf("entry %d was changed: its content no longer matches its hash", e.Seq)}
				return rep, nil
			}
			rows := subjects[e.ID]
			slices.Sort(rows)
			if hashWithIINs(e, strings.Join(rows, ",")) != e.Hash {
				rep.Problem = subjectsProblem(e, rows)
				return rep, nil
			}
			expectSeq := prevSeq + 1
			if !started {
				expectSeq = 1
			}
			if e.PrevHash != prevHash {
				// Which entry does this one say came before it?
				before, err := byHash(e.PrevHash)
				if err != nil {
					return rep, fmt.Errorf("audit verify: %w", err)
				}
				switch {
				case before != nil:
					rep.Problem = &Problem{Kind: Reordered, Seq: e.Seq, Message: fmt.Sprintf("entry %d was reordered: the chain puts it right after entry %d, not after %d", e.Seq, before.Seq, prevSeq)}
				case e.Seq > expectSeq:
					rep.Problem = &Problem{Kind: Removed, Seq: expectSeq, Message: fmt.Sprintf("entry %d was removed: entry %d follows %d", expectSeq, e.Seq, prevSeq)}
				default:
					rep.Problem = &Problem{Kind: Removed, Seq: e.Seq, Message: fmt.Sprintf("an entry before entry %d was removed and the rest renumbered: the entry it follows in the chain is missing", e.Seq)}
				}
				return rep, nil
			}
			if e.Seq != expectSeq {
				rep.Problem = &Problem{Kind: Removed, Seq: e.Seq, Message: fmt.Sprintf("entries %d to %d were removed or renumbered: entry %d follows %d", expectSeq, e.Seq-1, e.Seq, prevSeq)}
				return rep, nil
			}
			started = true
			prevHash, prevSeq = e.Hash, e.Seq
			rep.HeadHash = e.Hash
		}
		if len(entries) < page {
			return rep, nil
		}
		afterSeq = entries[len(entries)-1].Seq
	}
}

// subjectsOf reads the subject rows of entries (one statement, by the subjects' entry_id index)
// and returns their IINs by entry ID, one element per row.
func subjectsOf(ctx context.Context, client *ent.Client, entries []*ent.AuditEntry) (map[int][]string, error) {
	out := make(map[int][]string, len(entries))
	if len(entries) == 0 {
		return out, nil
	}
	ids := make([]int, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	var rows []struct {
		EntryID int    `json:"entry_id"`
		Iin     string `json:"iin"`
	}
	err := client.AuditSubject.Query().
		Where(auditsubject.EntryIDIn(ids...)).
		Select(auditsubject.FieldEntryID, auditsubject.FieldIin).
		Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("audit verify: read the subject rows of entries %d to %d: %w", entries[0].Seq, entries[len(entries)-1].Seq, err)
	}
	for _, r := range rows {
		out[r.EntryID] = append(out[r.EntryID], r.Iin)
	}
	return out, nil
}

// hashWithIINs recomputes e's hash with iins (sorted, comma-joined) as its IIN list.
func hashWithIINs(e *ent.AuditEntry, iins string) string {
	return Hash(e.PrevHash, e.At, e.Subject, e.Role, e.Client, e.Purpose, e.Operation, e.QueryHash, e.Aggregate, iins, e.RequestID)
}

// subjectsProblem says how e's subject rows (their IINs) differ from the IIN list its hash
// covers: IINs without a row (that person's myDataAccess no longer lists the entry), rows
// naming an IIN the entry does not, rows repeating one. It counts them and names no IIN: the
// message goes to terminals and logs.
func subjectsProblem(e *ent.AuditEntry, rows []string) *Problem {
	covered := map[string]bool{}
	for _, v := range strings.Split(e.Iins, ",") {
		if v != "" {
			covered[v] = true
		}
	}
	seen := map[string]bool{}
	var foreign, repeated int
	for _, v := range rows {
		switch {
		case !covered[v]:
			foreign++
		case seen[v]:
			repeated++
		}
		seen[v] = true
	}
	var missing int
	for v := range covered {
		if !seen[v] {
			missing++
		}
	}
	var parts []string
	if missing > 0 {
		parts = append(parts, fmt.Sprintf("%d %s its hash covers %s no subject row", missing, plural(missing, "IIN", "IINs"), plural(missing, "has", "have")))
	}
	if foreign > 0 {
		parts = append(parts, fmt.Sprintf("%d subject %s an IIN its hash does not cover", foreign, plural(foreign, "row names", "rows name")))
	}
	if repeated > 0 {
		parts = append(parts, fmt.Sprintf("%d subject %s an IIN", repeated, plural(repeated, "row repeats", "rows repeat")))
	}
	return &Problem{Kind: SubjectsChanged, Seq: e.Seq, Message: fmt.Sprintf("entry %d's subject rows were changed: %s", e.Seq, strings.Join(parts, ", "))}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
