package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/birlik/birlik/domain"
)

// MinAPIKeyLength is the shortest API key accepted: keys are secrets, not passwords to remember.
const MinAPIKeyLength = 16

// APIKey is one configured API key: the secret, the role and client it stands for, and an
// optional region scope (empty: every region).
type APIKey struct {
	Key     string
	Role    string
	Client  string
	Regions []domain.KATO
}

// ParseAPIKeys reads a comma-separated list of `key:role:client` entries, each optionally
// followed by `:KATO|KATO…` for a region scope, e.g.
// `3f9a…:admin:ops,7c21…:health:umis,9be0…:caseworker:akimat-astana:710000000`.
// The error names the entry and says what to fix (the caller adds the variable's name).
func ParseAPIKeys(s string) ([]APIKey, error) {
	var keys []APIKey
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	seen := map[string]int{}
	for i, entry := range strings.Split(s, ",") {
		n := i + 1
		parts := strings.Split(strings.TrimSpace(entry), ":")
		if len(parts) != 3 && len(parts) != 4 {
			return nil, fmt.Errorf("entry %d has %d colon-separated parts; want key:role:client or key:role:client:KATO|KATO", n, len(parts))
		}
		k := APIKey{Key: parts[0], Role: parts[1], Client: parts[2]}
		if len(k.Key) < MinAPIKeyLength {
			return nil, fmt.Errorf("entry %d: the key is %d characters; use at least %d random characters (e.g. openssl rand -hex 16)", n, len(k.Key), MinAPIKeyLength)
		}
		if !ValidRole(k.Role) {
			return nil, fmt.Errorf("entry %d: role %q is unknown; use one of %s", n, k.Role, strings.Join(Roles, ", "))
		}
		if k.Client == "" {
			return nil, fmt.Errorf("entry %d: the client name is empty; name the calling system, e.g. umis", n)
		}
		if len(parts) == 4 {
			for _, r := range strings.Split(parts[3], "|") {
				kato, err := domain.ParseKATO(r)
				if err != nil {
					return nil, fmt.Errorf("entry %d: %w", n, err)
				}
				k.Regions = append(k.Regions, kato)
			}
		}
		if prev, dup := seen[k.Key]; dup {
			return nil, fmt.Errorf("entries %d and %d have the same key; every client needs its own", prev, n)
		}
		seen[k.Key] = n
		keys = append(keys, k)
	}
	return keys, nil
}

// APIKeys authenticates the configured API keys. Keys are held only as SHA-256 digests.
type APIKeys struct {
	byDigest map[[sha256.Size]byte]Identity
}

// NewAPIKeys returns an authenticator for keys.
func NewAPIKeys(keys []APIKey) *APIKeys {
	a := &APIKeys{byDigest: make(map[[sha256.Size]byte]Identity, len(keys))}
	for _, k := range keys {
		a.byDigest[sha256.Sum256([]byte(k.Key))] = Identity{
			Subject: k.Client,
			Role:    k.Role,
			Client:  k.Client,
			Regions: k.Regions,
		}
	}
	return a
}

// Authenticate implements Authenticator: ErrUnknownCredential for a key not configured.
func (a *APIKeys) Authenticate(_ context.Context, credential string) (Identity, error) {
	id, ok := a.byDigest[sha256.Sum256([]byte(credential))]
	if !ok {
		return Identity{}, ErrUnknownCredential
	}
	return id, nil
}

// DemoKeyFile is the file in the data folder that keeps the embedded default's demo key.
const DemoKeyFile = "demo-api-key"

// DemoClient is the client name of the demo key.
const DemoClient = "demo"

// LoadOrCreateDemoKey returns the embedded default's demo API key (role admin), kept in
// dir/demo-api-key so it stays the same across restarts; it creates a random one on first use.
func LoadOrCreateDemoKey(dir string) (APIKey, error) {
	path := filepath.Join(dir, DemoKeyFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		key := strings.TrimSpace(string(b))
		if len(key) < MinAPIKeyLength {
			return APIKey{}, fmt.Errorf("demo key in %s is shorter than %d characters: delete the file to get a new one", path, MinAPIKeyLength)
		}
		return APIKey{Key: key, Role: RoleAdmin, Client: DemoClient}, nil
	case !errors.Is(err, fs.ErrNotExist):
		return APIKey{}, fmt.Errorf("reading the demo key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return APIKey{}, fmt.Errorf("creating the data folder for the demo key: %w", err)
	}
	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		return APIKey{}, fmt.Errorf("making a demo key: %w", err)
	}
	key := "demo-" + hex.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return APIKey{}, fmt.Errorf("writing the demo key: %w", err)
	}
	return APIKey{Key: key, Role: RoleAdmin, Client: DemoClient}, nil
}
