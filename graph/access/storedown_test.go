package access

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/birlik/birlik/apperr"
	"github.com/birlik/birlik/audit"
)

// answeringStore is an audit recorder whose store answers (Available): a failed write is then
// the write's own, or its connection's.
type answeringStore struct{}

func (answeringStore) Record(context.Context, audit.Entry) error { return nil }
func (answeringStore) Available(context.Context) error           { return nil }

// TestAuditWriteOnALostConnectionIsStoreUnavailable: an audit entry that could not be written
// because PostgreSQL terminated its connection (a failover, pg_terminate_backend) withholds the
// data with STORE_UNAVAILABLE, which tells the client to retry, even though the store answers
// again by the time it is asked; any other failure of the log stays its own (nil here, then
// INTERNAL).
func TestAuditWriteOnALostConnectionIsStoreUnavailable(t *testing.T) {
	e := Extension{Audit: answeringStore{}, Logger: slog.New(slog.DiscardHandler)}
	ctx := context.Background()
	lost := fmt.Errorf("audit: append 1 entries: %w", &pgconn.PgError{Severity: "FATAL", Code: "57P01", Message: "terminating connection due to administrator command"})
	resp := e.storeDown(ctx, lost)
	if resp == nil || len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != string(apperr.StoreUnavailable) {
		t.Fatalf("a write on a terminated connection answers %+v, want STORE_UNAVAILABLE", resp)
	}
	if resp := e.storeDown(ctx, errors.New("audit: appended 1 of 2 entries")); resp != nil {
		t.Errorf("the log's own failure with the store answering gives %+v, want nil (INTERNAL)", resp)
	}
}
