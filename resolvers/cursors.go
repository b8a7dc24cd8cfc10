package resolvers

import (
	"context"
	"strconv"

	"github.com/birlik/birlik/apperr"
	"github.com/birlik/birlik/graph/cursor"
)

// The kinds of the hand-made cursors (String fields): each list's cursors are sealed apart from
// every other list's, so that one list refuses another's cursor.
const (
	accessCursorKind     = "myDataAccess"       // an audit entry's sequence number
	transitionCursorKind = "welfareTransitions" // familycard.TransitionCursor's String
)

// encodeAccessCursor is myDataAccess's cursor of an audit entry: its sequence number, sealed
// with the gateway's cursor key like every cursor (graph/cursor).
func encodeAccessCursor(ctx context.Context, seq int64) (string, error) {
	return cursor.Seal(ctx, accessCursorKind, strconv.AppendInt(nil, seq, 10))
}

// decodeAccessCursor opens a cursor encodeAccessCursor made; any other string is BAD_INPUT.
func decodeAccessCursor(ctx context.Context, s string) (int64, error) {
	b, err := cursor.Open(ctx, accessCursorKind, s)
	if err != nil {
		return 0, err
	}
	seq, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, apperr.Wrap(apperr.BadInput, err, "myDataAccess: after is not a cursor of this list: pass endCursor as it was given")
	}
	return seq, nil
}
