package audit_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/birlik/birlik/audit"
	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/store"
	"github.com/birlik/birlik/store/storetest"
)

func iin(t testing.TB, n int) domain.IIN {
	t.Helper()
	for s := n; ; s++ {
		if v, ok := domain.MakeIIN(domain.MustDate("1990-01-01"), domain.Female, s); ok {
			return v
		}
	}
}

// record writes n entries concurrently and returns the store.
func record(t *testing.T, n int) *storetest.Store {
	t.Helper()
	s := storetest.Open(t)
	l := audit.New(s.Store)
	t.Cleanup(func() { l.Close() })
	recordOn(t, l, n)
	return s
}

// recordOn writes n entries to l concurrently, each naming one person twice.
func recordOn(t *testing.T, l *audit.Log, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- l.Record(context.Background(), audit.Entry{
				Subject: fmt.Sprintf("officer-%d", i), Role: "caseworker", Client: "akimat",
				Purpose: "case-management", Operation: "Person", QueryHash: audit.QueryHash("{ person }"),
				IINs: []domain.IIN{iin(t, 100+i), iin(t, 100+i)},
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestChainIntact(t *testing.T) {
	s := record(t, 40)
	rep, err := audit.Verify(context.Background(), s.Client)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Problem != nil || rep.Entries != 40 {
		t.Fatalf("report %+v, problem %v: want 40 intact entries", rep, rep.Problem)
	}
	// Each entry lists its IIN once, and is indexed by it.
	n, err := s.Client.AuditSubject.Query().Count(context.Background())
	if err != nil || n != 40 {
		t.Errorf("audit subjects = %d (%v), want 40 (one per distinct IIN)", n, err)
	}
	// The store refuses updates and deletes through Ent.
	if err := s.Client.AuditEntry.Update().Exec(context.Background()); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("update through Ent: err = %v, want the append-only refusal", err)
	}
	if _, err := s.Client.AuditEntry.Delete().Exec(context.Background()); err == nil {
		t.Error("delete through Ent succeeded")
	}
}

// TestVerifyNamesTampering changes, removes and reorders entries directly in the store (past
// the triggers, as someone with the database's keys could) and checks audit verify names each.
func TestVerifyNamesTampering(t *testing.T) {
	other := iin(t, 900) // named by no entry
	tests := []struct {
		name     string
		sql      []string
		inserts  bool // the first statement only inserts: the append-only store takes it
		wantKind string
		wantSeq  int64
		wantMsg  string
	}{
		{name: "changed", sql: []string{`UPDATE audit_entries SET purpose = 'statistics' WHERE seq = 5`},
			wantKind: audit.Changed, wantSeq: 5, wantMsg: "entry 5 was changed"},
		{name: "IIN list changed", sql: []string{`UPDATE audit_entries SET iins = '' WHERE seq = 7`},
			wantKind: audit.Changed, wantSeq: 7, wantMsg: "entry 7 was changed"},
		{name: "removed", sql: []string{
			`DELETE FROM audit_subjects WHERE entry_id IN (SELECT id FROM audit_entries WHERE seq = 4)`,
			`DELETE FROM audit_entries WHERE seq = 4`},
			wantKind: audit.Removed, wantSeq: 4, wantMsg: "entry 4 was removed"},
		{name: "removed and renumbered", sql: []string{
			`DELETE FROM audit_subjects WHERE entry_id IN (SELECT id FROM audit_entries WHERE seq = 4)`,
			`DELETE FROM audit_entries WHERE seq = 4`,
			`UPDATE audit_entries SET seq = seq - 1 WHERE seq > 4`},
			wantKind: audit.Removed, wantSeq: 4, wantMsg: "before entry 4 was removed"},
		{name: "reordered", sql: []string{
			`UPDATE audit_entries SET seq = -1 WHERE seq = 6`,
			`UPDATE audit_entries SET seq = 6 WHERE seq = 7`,
			`UPDATE audit_entries SET seq = 7 WHERE seq = -1`},
			wantKind: audit.Reordered, wantSeq: 6, wantMsg: "entry 6 was reordered"},
		// The subject rows (the index myDataAccess reads) are covered by the entry's hash too.
		{name: "subject row removed", sql: []string{
			`DELETE FROM audit_subjects WHERE entry_id IN (SELECT id FROM audit_entries WHERE seq = 3)`},
			wantKind: audit.SubjectsChanged, wantSeq: 3, wantMsg: "entry 3's subject rows were changed: 1 IIN its hash covers has no subject row"},
		{name: "subject row added", inserts: true, sql: []string{
			`INSERT INTO audit_subjects (iin, entry_id) SELECT '` + string(other) + `', id FROM audit_entries WHERE seq = 8`},
			wantKind: audit.SubjectsChanged, wantSeq: 8, wantMsg: "entry 8's subject rows were changed: 1 subject row names an IIN its hash does not cover"},
		{name: "subject row repeated", inserts: true, sql: []string{
			`INSERT INTO audit_subjects (iin, entry_id) SELECT iin, entry_id FROM audit_subjects WHERE entry_id IN (SELECT id FROM audit_entries WHERE seq = 9)`},
			wantKind: audit.SubjectsChanged, wantSeq: 9, wantMsg: "entry 9's subject rows were changed: 1 subject row repeats an IIN"},
		{name: "subject row altered", sql: []string{
			`UPDATE audit_subjects SET iin = '` + string(other) + `' WHERE entry_id IN (SELECT id FROM audit_entries WHERE seq = 6)`},
			wantKind: audit.SubjectsChanged, wantSeq: 6, wantMsg: "entry 6's subject rows were changed: 1 IIN its hash covers has no subject row, 1 subject row names an IIN its hash does not cover"},
		{name: "subject row moved to another entry", sql: []string{
			`UPDATE audit_subjects SET entry_id = (SELECT id FROM audit_entries WHERE seq = 2) WHERE entry_id IN (SELECT id FROM audit_entries WHERE seq = 5)`},
			wantKind: audit.SubjectsChanged, wantSeq: 2, wantMsg: "entry 2's subject rows were changed: 1 subject row names an IIN its hash does not cover"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := record(t, 10)
			ctx := context.Background()
			// The store itself refuses the change first.
			if tc.inserts {
				// ...except an insert: the log only grows, and a forged subject row is found by
				// verify alone.
			} else if _, err := s.DB.ExecContext(ctx, tc.sql[0]); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Fatalf("%s: err = %v, want the append-only trigger to refuse it", tc.sql[0], err)
			}
			disable := []string{`DROP TRIGGER audit_entries_no_update`, `DROP TRIGGER audit_entries_no_delete`, `DROP TRIGGER audit_subjects_no_update`, `DROP TRIGGER audit_subjects_no_delete`}
			if s.Dialect == dialect.Postgres {
				disable = []string{`ALTER TABLE audit_entries DISABLE TRIGGER USER`, `ALTER TABLE audit_subjects DISABLE TRIGGER USER`}
			}
			for _, q := range append(disable, tc.sql...) {
				if _, err := s.DB.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			rep, err := audit.Verify(ctx, s.Client)
			if err != nil {
				t.Fatal(err)
			}
			p := rep.Problem
			if p == nil || p.Kind != tc.wantKind || p.Seq != tc.wantSeq || !strings.Contains(p.Message, tc.wantMsg) {
				t.Fatalf("problem = %+v, want %s at %d with a message containing %q", p, tc.wantKind, tc.wantSeq, tc.wantMsg)
			}
		})
	}
}

// TestSeveralWriters runs three logs over one store, as three gateway replicas would (each
// keeps the chain's head in memory): their batches interleave, each notices the others'
// appends, and the chain stays one intact sequence with every entry indexed by its IINs.
func TestSeveralWriters(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	logs := []*audit.Log{audit.New(s.Store), audit.New(s.Store), audit.New(s.Store)}
	for _, l := range logs {
		t.Cleanup(func() { l.Close() })
	}
	const perLog = 30
	var wg sync.WaitGroup
	errs := make(chan error, perLog*len(logs))
	for w, l := range logs {
		for i := range perLog {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- l.Record(ctx, audit.Entry{Subject: fmt.Sprintf("replica-%d", w), Role: "health", Client: "umis",
					Purpose: "medical-care", QueryHash: audit.QueryHash("{ person }"), IINs: []domain.IIN{iin(t, 1000+w*perLog+i)}})
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// And once more, one after another: each writer's cached head is stale by now.
	for w, l := range logs {
		if err := l.Record(ctx, audit.Entry{Subject: fmt.Sprintf("replica-%d", w), Role: "admin", Client: "ops", QueryHash: "x", Aggregate: true}); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := audit.Verify(ctx, s.Client)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(perLog*len(logs) + len(logs)); rep.Problem != nil || rep.Entries != want {
		t.Fatalf("report %+v (problem %v): want %d intact entries", rep, rep.Problem, want)
	}
	if n := s.Client.AuditSubject.Query().CountX(ctx); n != perLog*len(logs) {
		t.Errorf("%d subjects, want %d", n, perLog*len(logs))
	}
}

// TestEntriesKeepTheirSubjects checks each entry's subjects point at that entry (the batch
// insert maps the store's ids back to the right entries).
func TestEntriesKeepTheirSubjects(t *testing.T) {
	s := record(t, 50)
	ctx := context.Background()
	entries := s.Client.AuditEntry.Query().WithSubjects().AllX(ctx)
	if len(entries) != 50 {
		t.Fatalf("%d entries", len(entries))
	}
	for _, e := range entries {
		if len(e.Edges.Subjects) != 1 || string(e.Edges.Subjects[0].Iin) != e.Iins {
			t.Errorf("entry %d lists %q but is indexed under %v", e.Seq, e.Iins, e.Edges.Subjects)
		}
	}
}

// TestManyConcurrentRecords sends many entries at once (on PostgreSQL several batches are in
// flight together, each committing after the one before it): the chain stays intact and in
// order, every entry indexed.
func TestManyConcurrentRecords(t *testing.T) {
	s := record(t, 400)
	rep, err := audit.Verify(context.Background(), s.Client)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Problem != nil || rep.Entries != 400 {
		t.Fatalf("report %+v (problem %v): want 400 intact entries", rep, rep.Problem)
	}
	if n := s.Client.AuditSubject.Query().CountX(context.Background()); n != 400 {
		t.Errorf("%d subjects, want 400", n)
	}
}

// The log's metrics account for every entry: each one waited, was queued and was written in a
// batch.
func TestMetrics(t *testing.T) {
	s := storetest.Open(t)
	l := audit.New(s.Store)
	defer l.Close()
	const n = 30
	recordOn(t, l, n)
	reg := prometheus.NewRegistry()
	reg.MustRegister(l.Collectors()...)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			h := m.GetHistogram()
			got[f.GetName()+"_count"] += float64(h.GetSampleCount())
			got[f.GetName()+"_sum"] += h.GetSampleSum()
		}
	}
	if got["birlik_audit_wait_seconds_count"] != n || got["birlik_audit_queue_seconds_count"] != n {
		t.Errorf("wait and queue observations: %v and %v, want %d each", got["birlik_audit_wait_seconds_count"], got["birlik_audit_queue_seconds_count"], n)
	}
	if got["birlik_audit_batch_entries_sum"] != n {
		t.Errorf("entries in batches: %v, want %d", got["birlik_audit_batch_entries_sum"], n)
	}
	if b := got["birlik_audit_batch_entries_count"]; b < 1 || got["birlik_audit_write_seconds_count"] != b {
		t.Errorf("%v batches, %v writes: want as many writes as batches", b, got["birlik_audit_write_seconds_count"])
	}
}

// TestIndexTamperingShows removes a citizen's rows from the subject index (past the triggers):
// their myDataAccess no longer lists the reads of their data, and audit verify names the first
// entry that lost its row.
func TestIndexTamperingShows(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	l := audit.New(s.Store)
	t.Cleanup(func() { l.Close() })
	citizen, other := iin(t, 500), iin(t, 600)
	// An aggregate first, so that the first entry naming the citizen is entry 2.
	if err := l.Record(ctx, audit.Entry{Subject: "analyst", Role: "analyst", Client: "stat", QueryHash: "x", Aggregate: true}); err != nil {
		t.Fatal(err)
	}
	const reads = 150
	for i := range reads {
		if err := l.Record(ctx, audit.Entry{Subject: fmt.Sprintf("officer-%d", i), Role: "caseworker", Client: "akimat",
			Purpose: "case-management", QueryHash: audit.QueryHash("{ family }"), IINs: []domain.IIN{citizen, other}}); err != nil {
			t.Fatal(err)
		}
	}
	admin := auth.NewContext(ctx, auth.Identity{Subject: "admin", Role: auth.RoleAdmin, Client: "ops"})
	count := func() int {
		t.Helper()
		p, err := audit.ForPerson(admin, s.Client, citizen, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		return p.TotalCount
	}
	if n := count(); n != reads {
		t.Fatalf("the citizen's reads: %d, want %d", n, reads)
	}
	if rep, err := audit.Verify(ctx, s.Client); err != nil || rep.Problem != nil {
		t.Fatalf("before: %+v, %v: want intact", rep.Problem, err)
	}
	disable := []string{`DROP TRIGGER audit_subjects_no_delete`}
	if s.Dialect == dialect.Postgres {
		disable = []string{`ALTER TABLE audit_subjects DISABLE TRIGGER USER`}
	}
	for _, q := range append(disable, `DELETE FROM audit_subjects WHERE iin = '`+string(citizen)+`'`) {
		if _, err := s.DB.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if n := count(); n != 0 {
		t.Fatalf("after deleting the citizen's subject rows their reads are %d: the test shows nothing", n)
	}
	rep, err := audit.Verify(ctx, s.Client)
	if err != nil {
		t.Fatal(err)
	}
	if p := rep.Problem; p == nil || p.Kind != audit.SubjectsChanged || p.Seq != 2 || !strings.Contains(p.Message, "entry 2's subject rows were changed") {
		t.Fatalf("problem = %+v, want the subject rows of entry 2 named", p)
	}
}

// TestRecordSurvivesATerminatedConnection: when PostgreSQL terminates the log's connections (a
// failover, pg_terminate_backend), the next entry is still recorded, on another connection,
// and the chain stays intact.
func TestRecordSurvivesATerminatedConnection(t *testing.T) {
	s := storetest.Open(t)
	if s.URL == "" {
		t.Skip("terminating connections is tested against a real PostgreSQL: set DATABASE_URL")
	}
	ctx := context.Background()
	app := fmt.Sprintf("birlik_audit_test_%d", os.Getpid())
	st, err := store.Open(ctx, s.URL+"&application_name="+app, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	l := audit.New(st)
	defer l.Close()
	entry := audit.Entry{Subject: "officer", Role: "caseworker", Client: "akimat", Purpose: "case-management",
		Operation: "Person", QueryHash: audit.QueryHash("{ person }"), IINs: []domain.IIN{iin(t, 7)}}
	if err := l.Record(ctx, entry); err != nil {
		t.Fatal(err)
	}
	var killed int
	if err := s.DB.QueryRowContext(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed == 0 {
		t.Fatal("no connection of the log to terminate")
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var n int
		if err := s.DB.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the terminated connections are still listed after 10 s")
		}
	}
	if err := l.Record(ctx, entry); err != nil {
		t.Fatalf("recording after the log's connections were terminated: %v", err)
	}
	rep, err := audit.Verify(ctx, s.Client)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Problem != nil || rep.Entries != 2 {
		t.Fatalf("report %+v (problem %v): want 2 intact entries", rep, rep.Problem)
	}
}
