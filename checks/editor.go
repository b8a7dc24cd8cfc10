package checks

import (
	"context"

	"github.com/birlik/birlik/apperr"
	"github.com/birlik/birlik/auth"
)

// Editor is who the caller of ctx is, as recorded on a status change ("role:subject@client"
// trimmed of empty parts). Callers without an identity are UNAUTHENTICATED. Whether the caller
// may change a finding at all (its role, auth.FindingEditors, and its region scope) is the
// store's write rule (ent/schema/writes.go), applied to the UPDATE itself.
func Editor(ctx context.Context) (string, error) {
	id, ok := auth.FromContext(ctx)
	if !ok || id.Subject == "" {
		return "", apperr.New(apperr.Unauthenticated, "confirming or dismissing a finding needs a caller: send Authorization: Bearer <key>")
	}
	who := id.Role + ":" + id.Subject
	if id.Client != "" && id.Client != id.Subject {
		who += "@" + id.Client
	}
	return who, nil
}

// Note is the note of a status change ("" when none is given).
func Note(n *string) string {
	if n == nil {
		return ""
	}
	return *n
}

// SubjectKey checks a subject filter: an IIN or a BIN, 12 digits.
func SubjectKey(s string) (string, error) {
	if len(s) != 12 {
		return "", apperr.New(apperr.BadInput, "subject %q: want a 12-digit IIN or BIN", s)
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return "", apperr.New(apperr.BadInput, "subject %q: want a 12-digit IIN or BIN (digits only)", s)
		}
	}
	return s, nil
}
