package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/birlik/birlik/apperr"
	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/domain"
)

const (
	adminKey  = "0123456789abcdef-admin"
	healthKey = "0123456789abcdef-health"
	caseKey   = "0123456789abcdef-case"
)

func TestParseAPIKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    []auth.APIKey
		wantErr string
	}{
		{name: "empty", in: " ", want: nil},
		{name: "two keys", in: adminKey + ":admin:ops, " + healthKey + ":health:umis", want: []auth.APIKey{
			{Key: adminKey, Role: "admin", Client: "ops"},
			{Key: healthKey, Role: "health", Client: "umis"},
		}},
		{name: "region scope", in: caseKey + ":caseworker:akimat:710000000|750000000", want: []auth.APIKey{
			{Key: caseKey, Role: "caseworker", Client: "akimat", Regions: []domain.KATO{"710000000", "750000000"}},
		}},
		{name: "missing client", in: adminKey + ":admin", wantErr: "entry 1 has 2 colon-separated parts"},
		{name: "short key", in: "abc:admin:ops", wantErr: "entry 1: the key is 3 characters; use at least 16"},
		{name: "unknown role", in: adminKey + ":root:ops", wantErr: `role "root" is unknown; use one of citizen`},
		{name: "empty client", in: adminKey + ":admin:", wantErr: "client name is empty"},
		{name: "bad region", in: caseKey + ":caseworker:akimat:123", wantErr: `KATO "123" is not one of the 20`},
		{name: "duplicate key", in: adminKey + ":admin:a," + adminKey + ":health:b", wantErr: "entries 1 and 2 have the same key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := auth.ParseAPIKeys(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d keys, want %d", len(got), len(tc.want))
			}
			for i := range got {
				g, w := got[i], tc.want[i]
				if g.Key != w.Key || g.Role != w.Role || g.Client != w.Client || !slices.Equal(g.Regions, w.Regions) {
					t.Errorf("key %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func TestMiddleware(t *testing.T) {
	t.Parallel()
	keys, err := auth.ParseAPIKeys(adminKey + ":admin:ops," + caseKey + ":caseworker:akimat:710000000")
	if err != nil {
		t.Fatal(err)
	}
	var reached auth.Identity
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := auth.FromContext(r.Context())
		if !ok {
			t.Error("the next handler ran without an identity")
		}
		reached = id
	})
	h := auth.Middleware(auth.NewAPIKeys(keys), slog.New(slog.DiscardHandler))(next)

	tests := []struct {
		name       string
		header     string
		wantStatus int
		wantMsg    string
		wantRole   string
		wantScope  []domain.KATO
	}{
		{name: "no header", wantStatus: 401, wantMsg: "missing Authorization header"},
		{name: "basic scheme", header: "Basic dXNlcjpwYXNz", wantStatus: 401, wantMsg: "must use the Bearer scheme"},
		{name: "empty bearer", header: "Bearer  ", wantStatus: 401, wantMsg: "bearer credential is empty"},
		{name: "unknown key", header: "Bearer 0123456789abcdef-nope", wantStatus: 401, wantMsg: "not known to this gateway"},
		{name: "admin key", header: "Bearer " + adminKey, wantStatus: 200, wantRole: "admin"},
		{name: "scheme is case-insensitive", header: "bearer " + adminKey, wantStatus: 200, wantRole: "admin"},
		{name: "regional key", header: "Bearer " + caseKey, wantStatus: 200, wantRole: "caseworker", wantScope: []domain.KATO{"710000000"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reached = auth.Identity{}
			req := httptest.NewRequest("POST", "/query", nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", rec.Code, tc.wantStatus, rec.Body)
			}
			if tc.wantStatus == 401 {
				var body struct {
					Errors []struct {
						Message    string
						Extensions map[string]string
					}
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
					t.Fatalf("401 body is not JSON: %v: %s", err, rec.Body)
				}
				if len(body.Errors) != 1 || body.Errors[0].Extensions["code"] != "UNAUTHENTICATED" || !strings.Contains(body.Errors[0].Message, tc.wantMsg) {
					t.Errorf("401 body = %s, want code UNAUTHENTICATED and a message containing %q", rec.Body, tc.wantMsg)
				}
				if rec.Header().Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
				if reached.Role != "" {
					t.Error("the next handler ran for a refused request")
				}
				return
			}
			if reached.Role != tc.wantRole || !slices.Equal(reached.Regions, tc.wantScope) {
				t.Errorf("identity = %+v, want role %s scope %v", reached, tc.wantRole, tc.wantScope)
			}
		})
	}
}

type refusing struct{}

func (refusing) Authenticate(context.Context, string) (auth.Identity, error) {
	return auth.Identity{}, apperr.New(apperr.Unauthenticated, "token expired at 10:00")
}

func TestChain(t *testing.T) {
	t.Parallel()
	keys := auth.NewAPIKeys([]auth.APIKey{{Key: adminKey, Role: "admin", Client: "ops"}})
	chain := auth.Chain{keys, refusing{}}
	if id, err := chain.Authenticate(context.Background(), adminKey); err != nil || id.Role != "admin" {
		t.Errorf("known key: %+v, %v", id, err)
	}
	// The API keys do not know this credential, so the second authenticator decides.
	if _, err := chain.Authenticate(context.Background(), "some.jwt.token"); apperr.CodeOf(err) != apperr.Unauthenticated || !strings.Contains(err.Error(), "expired") {
		t.Errorf("refused token: err = %v, want the second authenticator's error", err)
	}
	if _, err := (auth.Chain{keys}).Authenticate(context.Background(), "x"); !errors.Is(err, auth.ErrUnknownCredential) {
		t.Errorf("unknown everywhere: err = %v, want ErrUnknownCredential", err)
	}
}

func TestDemoKeyIsStable(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	first, err := auth.LoadOrCreateDemoKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	second, err := auth.LoadOrCreateDemoKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if first.Key != second.Key || len(first.Key) < auth.MinAPIKeyLength || first.Role != auth.RoleAdmin {
		t.Fatalf("demo keys %q and %q (role %s): want one stable admin key", first.Key, second.Key, first.Role)
	}
	info, err := os.Stat(filepath.Join(dir, auth.DemoKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		t.Errorf("demo key file mode %v: want it readable by its owner only", info.Mode().Perm())
	}
	other, err := auth.LoadOrCreateDemoKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if other.Key == first.Key {
		t.Error("two data folders got the same demo key: keys must be random")
	}
}

func TestInScope(t *testing.T) {
	t.Parallel()
	all := auth.Identity{Role: "analyst"}
	astana := auth.Identity{Role: "caseworker", Regions: []domain.KATO{"710000000"}}
	if !all.InScope("750000000") || !astana.InScope("710000000") || astana.InScope("750000000") {
		t.Error("InScope: want every region for an empty scope, only the listed ones otherwise")
	}
}
