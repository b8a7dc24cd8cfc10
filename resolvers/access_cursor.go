package resolvers

import (
	"encoding/base64"
	"strconv"
)

// encodeAccessCursor is myDataAccess's opaque cursor of an audit entry (its sequence number).
func encodeAccessCursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("a:" + strconv.FormatInt(seq, 10)))
}

func decodeAccessCursor(s string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 3 || string(b[:2]) != "a:" {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseInt(string(b[2:]), 10, 64)
}
