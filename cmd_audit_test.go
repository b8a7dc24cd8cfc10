package main

import (
	"context"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/birlik/birlik/audit"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/store/storetest"
)

// TestAuditVerifyCommand runs `audit verify` on a store whose audit log is intact, then after
// one entry's subject row was deleted past the triggers: the command fails naming that entry.
func TestAuditVerifyCommand(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	l := audit.New(s.Store)
	for i := range 3 {
		var v domain.IIN
		for n := 100 * (i + 1); v == ""; n++ { // a serial number with a valid check digit
			v, _ = domain.MakeIIN(domain.MustDate("1980-05-06"), domain.Male, n)
		}
		if err := l.Record(ctx, audit.Entry{Subject: "officer", Role: "caseworker", Client: "akimat", Purpose: "case-management",
			QueryHash: audit.QueryHash("{ person }"), IINs: []domain.IIN{v}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	args := []string{"verify", "--data", s.DataDir}
	if s.URL != "" {
		args = []string{"verify", "--database-url", s.URL}
	}
	if err := commands["audit"].run(ctx, args); err != nil {
		t.Fatalf("intact log: %v", err)
	}
	tamper := []string{`DROP TRIGGER audit_subjects_no_delete`}
	if s.Dialect == dialect.Postgres {
		tamper = []string{`ALTER TABLE audit_subjects DISABLE TRIGGER USER`}
	}
	tamper = append(tamper, `DELETE FROM audit_subjects WHERE entry_id IN (SELECT id FROM audit_entries WHERE seq = 2)`)
	for _, q := range tamper {
		if _, err := s.DB.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	err := commands["audit"].run(ctx, args)
	if err == nil || !strings.Contains(err.Error(), "entry 2's subject rows were changed") {
		t.Fatalf("after deleting entry 2's subject row: err = %v, want it named", err)
	}
}
