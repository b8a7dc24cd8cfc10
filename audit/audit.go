// Package audit owns the gateway's audit log: every read of a person's data becomes one entry
// (who: subject, role, client; when; the purpose; the operation and a hash of the query; the
// IINs whose data was returned, or only the query for aggregates), chained by SHA-256 to the
// entry before it so that a change, a removal or a reordering shows. Verify walks the chain.
//
// Writes are durable before the answer leaves: Log.Record blocks until the entry is committed,
// and the request fails when it cannot be. Concurrent requests are committed together (group
// commit: one transaction per batch), so the log costs little at high concurrency.
//
// audit only appends and reads: it has no path that updates or deletes an entry (the store's
// privacy policy and, on PostgreSQL, a trigger refuse them). It does not decide what a caller
// may see; graph/access tells it what was read.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent"
	"github.com/birlik/birlik/ent/auditentry"
	"github.com/birlik/birlik/ent/auditsubject"
	"github.com/birlik/birlik/ent/privacy"
)

// GenesisHash is the prev_hash of the first entry.
var GenesisHash = strings.Repeat("0", 64)

// Entry is one read to record.
type Entry struct {
	At        time.Time
	Subject   string
	Role      string
	Client    string
	Purpose   string
	Operation string
	QueryHash string
	RequestID string
	Aggregate bool
	IINs      []domain.IIN
}

// QueryHash is the hex SHA-256 of a query's text.
func QueryHash(query string) string {
	h := sha256.Sum256([]byte(query))
	return hex.EncodeToString(h[:])
}

// canonical is the content an entry's hash covers, in a fixed order. The sequence number is not
// part of it: the chain (prev_hash) fixes the order, and Verify checks the numbering apart.
type canonical struct {
	V         int    `json:"v"`
	Prev      string `json:"prev"`
	At        string `json:"at"`
	Subject   string `json:"subject"`
	Role      string `json:"role"`
	Client    string `json:"client"`
	Purpose   string `json:"purpose"`
	Operation string `json:"operation"`
	QueryHash string `json:"query_hash"`
	Aggregate bool   `json:"aggregate"`
	IINs      string `json:"iins"`
	RequestID string `json:"request_id"`
}

// Hash returns the hash of an entry with the given content and previous hash.
func Hash(prev string, at time.Time, subject, role, client, purpose, operation, queryHash string, aggregate bool, iins, requestID string) string {
	b, _ := json.Marshal(canonical{
		V: 1, Prev: prev, At: at.UTC().Format(time.RFC3339Nano), Subject: subject, Role: role,
		Client: client, Purpose: purpose, Operation: operation, QueryHash: queryHash,
		Aggregate: aggregate, IINs: iins, RequestID: requestID,
	})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// HashOf recomputes the hash of a stored entry.
func HashOf(e *ent.AuditEntry) string {
	return Hash(e.PrevHash, e.At, e.Subject, e.Role, e.Client, e.Purpose, e.Operation, e.QueryHash, e.Aggregate, e.Iins, e.RequestID)
}

// joinIINs sorts, deduplicates and joins IINs.
func joinIINs(iins []domain.IIN) []string {
	s := make([]string, len(iins))
	for i, v := range iins {
		s[i] = string(v)
	}
	slices.Sort(s)
	return slices.Compact(s)
}

// Log appends entries to the store's audit log with group commit.
type Log struct {
	client  *ent.Client
	dialect string
	reqs    chan *pending
	done    chan struct{}
	closing sync.Once
	wg      sync.WaitGroup
	// MaxBatch is the most entries committed in one transaction.
	maxBatch int
}

type pending struct {
	e   Entry
	err chan error
}

// New starts a Log writing with client; d is the store's dialect (dialect.SQLite or
// dialect.Postgres). Close it when done.
func New(client *ent.Client, d string) *Log {
	l := &Log{client: client, dialect: d, reqs: make(chan *pending, 1024), done: make(chan struct{}), maxBatch: 256}
	l.wg.Add(1)
	go l.run()
	return l
}

// ErrClosed is returned by Record after Close.
var ErrClosed = errors.New("audit: the log is closed")

// Record appends e and returns once it is committed (or ctx ends, or the write fails: then the
// caller must not answer with the data).
func (l *Log) Record(ctx context.Context, e Entry) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	p := &pending{e: e, err: make(chan error, 1)}
	select {
	case l.reqs <- p:
	case <-l.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-p.err:
		return err
	case <-ctx.Done():
		// The entry may still be committed; the data is not returned either way.
		return ctx.Err()
	}
}

// Close stops the writer after the entries already queued.
func (l *Log) Close() error {
	l.closing.Do(func() { close(l.done) })
	l.wg.Wait()
	return nil
}

func (l *Log) run() {
	defer l.wg.Done()
	for {
		var first *pending
		select {
		case first = <-l.reqs:
		case <-l.done:
			// Drain what was queued before Close.
			for {
				select {
				case p := <-l.reqs:
					l.commit([]*pending{p})
				default:
					return
				}
			}
		}
		batch := []*pending{first}
	fill:
		for len(batch) < l.maxBatch {
			select {
			case p := <-l.reqs:
				batch = append(batch, p)
			default:
				break fill
			}
		}
		l.commit(batch)
	}
}

func (l *Log) commit(batch []*pending) {
	err := l.write(context.Background(), batch)
	for _, p := range batch {
		p.err <- err
	}
}

// appendLockKey is the PostgreSQL advisory lock that serialises appends across replicas.
const appendLockKey = 7235002

func (l *Log) write(ctx context.Context, batch []*pending) (err error) {
	ctx = privacy.DecisionContext(ctx, privacy.Allow) // the writer reads the chain's head
	tx, err := l.client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("audit: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if l.dialect == dialect.Postgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", appendLockKey); err != nil {
			return fmt.Errorf("audit: lock the chain: %w", err)
		}
	}
	prev, seq := GenesisHash, int64(0)
	head, err := tx.AuditEntry.Query().Order(ent.Desc(auditentry.FieldSeq)).First(ctx)
	switch {
	case err == nil:
		prev, seq = head.Hash, head.Seq
	case !ent.IsNotFound(err):
		return fmt.Errorf("audit: read the chain's head: %w", err)
	}
	creates := make([]*ent.AuditEntryCreate, len(batch))
	iinsOf := make([][]string, len(batch))
	for i, p := range batch {
		e := p.e
		at := e.At.UTC().Truncate(time.Microsecond) // PostgreSQL keeps microseconds
		iins := joinIINs(e.IINs)
		iinsOf[i] = iins
		joined := strings.Join(iins, ",")
		seq++
		h := Hash(prev, at, e.Subject, e.Role, e.Client, e.Purpose, e.Operation, e.QueryHash, e.Aggregate, joined, e.RequestID)
		creates[i] = tx.AuditEntry.Create().SetSeq(seq).SetAt(at).SetSubject(e.Subject).SetRole(e.Role).
			SetClient(e.Client).SetPurpose(e.Purpose).SetOperation(e.Operation).SetQueryHash(e.QueryHash).
			SetAggregate(e.Aggregate).SetIins(joined).SetRequestID(e.RequestID).SetPrevHash(prev).SetHash(h)
		prev = h
	}
	saved, err := tx.AuditEntry.CreateBulk(creates...).Save(ctx)
	if err != nil {
		return fmt.Errorf("audit: append %d entries: %w", len(creates), err)
	}
	var subjects []*ent.AuditSubjectCreate
	for i, s := range saved {
		for _, iin := range iinsOf[i] {
			subjects = append(subjects, tx.AuditSubject.Create().SetEntryID(s.ID).SetIin(domain.IIN(iin)))
		}
	}
	for start := 0; start < len(subjects); start += 500 {
		end := min(start+500, len(subjects))
		if err := tx.AuditSubject.CreateBulk(subjects[start:end]...).Exec(ctx); err != nil {
			return fmt.Errorf("audit: index the entries by IIN: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("audit: commit: %w", err)
	}
	return nil
}

// Page is a page of the entries naming one person, newest first.
type Page struct {
	Entries     []*ent.AuditEntry
	HasNextPage bool
	TotalCount  int
}

// ForPerson returns up to first entries naming iin, newest first, older than the entry with
// sequence number before (0: from the newest). It reads with ctx's identity, so the store's
// policy applies: a citizen reads only the entries naming them.
func ForPerson(ctx context.Context, client *ent.Client, iin domain.IIN, first int, before int64) (Page, error) {
	base := client.AuditEntry.Query().Where(auditentry.HasSubjectsWith(auditsubject.Iin(iin)))
	total, err := base.Clone().Count(ctx)
	if err != nil {
		return Page{}, fmt.Errorf("audit: count the reads of a person: %w", err)
	}
	q := base.Clone()
	if before > 0 {
		q = q.Where(auditentry.SeqLT(before))
	}
	entries, err := q.Order(ent.Desc(auditentry.FieldSeq)).Limit(first + 1).All(ctx)
	if err != nil {
		return Page{}, fmt.Errorf("audit: read the reads of a person: %w", err)
	}
	p := Page{TotalCount: total}
	if len(entries) > first {
		p.HasNextPage = true
		entries = entries[:first]
	}
	p.Entries = entries
	return p, nil
}
