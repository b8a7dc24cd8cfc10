package cursor

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeyFile is the file in the data folder that keeps the cursor key when none is configured.
const KeyFile = "cursor-key"

// ParseKey reads a cursor key written as base64 (standard alphabet, padded or not) of KeySize
// bytes, as BIRLIK_CURSOR_KEY holds it (`openssl rand -base64 32` makes one).
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(s)
	}
	if err != nil {
		return nil, errors.New("not base64: want 32 random bytes in base64, e.g. from `openssl rand -base64 32`")
	}
	if len(b) != KeySize {
		return nil, fmt.Errorf("%d bytes: want exactly %d random bytes in base64, e.g. from `openssl rand -base64 32`", len(b), KeySize)
	}
	return b, nil
}

// NewRandomSealer returns a Sealer under a random key of its own: its cursors are refused by
// every other Sealer, and die with it.
func NewRandomSealer() (*Sealer, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	return NewSealer(k)
}

// LoadOrCreateKey returns the cursor key kept in dir/KeyFile, making a random one the first
// time, so that cursors stay valid across restarts of one gateway. Gateways that serve the same
// clients (replicas) must share a configured key instead.
func LoadOrCreateKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, KeyFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		k, err := ParseKey(string(b))
		if err != nil {
			return nil, fmt.Errorf("cursor key in %s: %v: delete the file to get a new one", path, err)
		}
		return k, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("reading the cursor key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the data folder for the cursor key: %w", err)
	}
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("making a cursor key: %w", err)
	}
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(k)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("writing the cursor key: %w", err)
	}
	return k, nil
}
