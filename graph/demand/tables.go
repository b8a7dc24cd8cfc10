package demand

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/birlik/birlik/ent/attachment"
	"github.com/birlik/birlik/ent/building"
	"github.com/birlik/birlik/ent/change"
	"github.com/birlik/birlik/ent/coverage"
	"github.com/birlik/birlik/ent/disability"
	"github.com/birlik/birlik/ent/employer"
	"github.com/birlik/birlik/ent/enrollment"
	"github.com/birlik/birlik/ent/family"
	"github.com/birlik/birlik/ent/familyassessment"
	"github.com/birlik/birlik/ent/familymembership"
	"github.com/birlik/birlik/ent/finding"
	"github.com/birlik/birlik/ent/incomereport"
	"github.com/birlik/birlik/ent/labourcontract"
	"github.com/birlik/birlik/ent/medicalinstitution"
	"github.com/birlik/birlik/ent/payment"
	"github.com/birlik/birlik/ent/person"
	"github.com/birlik/birlik/ent/quarantine"
	"github.com/birlik/birlik/ent/registerposition"
	"github.com/birlik/birlik/ent/school"
	"github.com/birlik/birlik/ent/staffingdeclaration"
	"github.com/birlik/birlik/ent/staffposition"
	"github.com/birlik/birlik/ent/synccursor"
	"github.com/birlik/birlik/ent/visit"
	"github.com/birlik/birlik/ent/voucher"
	"github.com/birlik/birlik/store"
)

// tables names the store table of every GraphQL type a filter or connection reads. A test walks
// the schema and fails on a filterable type missing here.
var tables = map[string]string{
	"Attachment":          attachment.Table,
	"Building":            building.Table,
	"Change":              change.Table,
	"Coverage":            coverage.Table,
	"Disability":          disability.Table,
	"Employer":            employer.Table,
	"Enrollment":          enrollment.Table,
	"Family":              family.Table,
	"FamilyAssessment":    familyassessment.Table,
	"FamilyMembership":    familymembership.Table,
	"Finding":             finding.Table,
	"IncomeReport":        incomereport.Table,
	"LabourContract":      labourcontract.Table,
	"MedicalInstitution":  medicalinstitution.Table,
	"Payment":             payment.Table,
	"Person":              person.Table,
	"Quarantine":          quarantine.Table,
	"RegisterPosition":    registerposition.Table,
	"School":              school.Table,
	"StaffingDeclaration": staffingdeclaration.Table,
	"StaffPosition":       staffposition.Table,
	"SyncCursor":          synccursor.Table,
	"Visit":               visit.Table,
	"Voucher":             voucher.Table,
}

// Rows estimates the rows of each GraphQL type's table.
type Rows interface {
	// Rows returns the estimated rows of typ's table (0 when unknown).
	Rows(typ string) int64
}

// FixedRows are row counts given by type name, for tests.
type FixedRows map[string]int64

// Rows implements Rows.
func (f FixedRows) Rows(typ string) int64 { return f[typ] }

// TableRows keeps the row counts of the store's tables, refreshed in the background: on
// PostgreSQL from the planner's statistics (pg_class.reltuples, which ANALYZE and autovacuum keep
// current; a table never analysed is counted), on SQLite by counting.
type TableRows struct {
	st  *store.Store
	log *slog.Logger
	mu  sync.RWMutex
	n   map[string]int64 // by table
}

// NewTableRows counts the tables of st once, then every interval until ctx ends.
func NewTableRows(ctx context.Context, st *store.Store, interval time.Duration, log *slog.Logger) *TableRows {
	t := &TableRows{st: st, log: log, n: map[string]int64{}}
	t.Refresh(ctx)
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				t.Refresh(ctx)
			}
		}
	}()
	return t
}

// Rows implements Rows.
func (t *TableRows) Rows(typ string) int64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.n[tables[typ]]
}

// Refresh counts the tables now. A table that cannot be counted keeps its last count.
func (t *TableRows) Refresh(ctx context.Context) {
	n := make(map[string]int64, len(tables))
	for _, table := range tables {
		c, err := t.count(ctx, table)
		if err != nil {
			if ctx.Err() == nil {
				t.log.Warn("counting a table's rows for query prices failed; its last count stays", "table", table, "err", err)
			}
			t.mu.RLock()
			c = t.n[table]
			t.mu.RUnlock()
		}
		n[table] = c
	}
	t.mu.Lock()
	t.n = n
	t.mu.Unlock()
}

func (t *TableRows) count(ctx context.Context, table string) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var n float64
	if t.st.Postgres() {
		// reltuples is -1 for a table never analysed (and 0 for an empty one, or one analysed
		// while empty): count those.
		err := t.st.DB.QueryRowContext(ctx, `SELECT c.reltuples FROM pg_class c WHERE c.oid = to_regclass($1)`, table).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("reading the statistics of %s: %w", table, err)
		}
		if n > 0 {
			return int64(n), nil
		}
	}
	var c int64
	if err := t.st.DB.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&c); err != nil {
		return 0, fmt.Errorf("counting %s: %w", table, err)
	}
	return c, nil
}
