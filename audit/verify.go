package audit

import (
	"context"
	"fmt"

	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/auditentry"
	"github.com/birlik/birlik/ent/privacy"
)

// Problem kinds Verify reports.
const (
	Changed   = "changed"   // the entry's content no longer matches its hash
	Removed   = "removed"   // an entry is missing before this one
	Reordered = "reordered" // the entry is not where the chain puts it
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
// that was changed, removed or reordered (nil Problem when the chain is intact). A removal of
// the newest entries leaves no trace in the chain itself: compare HeadHash with one recorded
// elsewhere.
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
		for _, e := range entries {
			rep.Entries++
			if HashOf(e) != e.Hash {
				rep.Problem = &Problem{Kind: Changed, Seq: e.Seq, Message: fmt.Sprintf("entry %d was changed: its content no longer matches its hash", e.Seq)}
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
