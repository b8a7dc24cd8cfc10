package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestTokenCommandRefusesPastTheRoleMaximum: `birlik token` will not issue a token that lives
// longer than its role's maximum, and the token it issues passes verification.
func TestTokenCommandRefusesPastTheRoleMaximum(t *testing.T) {
	data := t.TempDir()
	noEnv := func(string) string { return "" }
	citizen := []string{"--data=" + data, "--role=citizen", "--subject=900101300017"}

	var out bytes.Buffer
	err := runToken(append(citizen, "--ttl=2h"), noEnv, &out)
	if err == nil || !strings.Contains(err.Error(), "--ttl 2h: token lifetime 2h is longer than the citizen role's maximum of 1h (BIRLIK_TOKEN_MAX_TTL)") {
		t.Fatalf("--ttl 2h for a citizen: err = %v, output %q; want a refusal naming the role's maximum", err, out.String())
	}
	if out.Len() != 0 {
		t.Fatalf("a refused token was printed: %q", out.String())
	}
	if err := runToken(append(citizen, "--ttl=20h"), func(k string) string {
		if k == "BIRLIK_TOKEN_MAX_TTL" {
			return "citizen=24h"
		}
		return ""
	}, &out); err != nil {
		t.Fatalf("--ttl 20h with citizen=24h configured: %v", err)
	}

	// Without --ttl the token gets 8h or the role's maximum if shorter, and verifies.
	for _, args := range [][]string{citizen, {"--data=" + data, "--role=caseworker", "--subject=officer-7", "--region=710000000"}} {
		out.Reset()
		if err := runToken(args, noEnv, &out); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		cfg, err := loadOptions(flag.NewFlagSet("t", flag.ContinueOnError), []string{"--data=" + data}, noEnv, nil)
		if err != nil {
			t.Fatal(err)
		}
		tokens, err := tokenIssuer(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tokens.Authenticate(context.Background(), strings.TrimSpace(out.String())); err != nil {
			t.Errorf("%v: the printed token is refused: %v", args, err)
		}
	}
}

// TestPlaygroundShowsTheDemoKeyOnlyOnLoopback: the page at / carries the admin demo key when
// the gateway listens on loopback only; listening on every interface it carries no key and says
// how to get one.
func TestPlaygroundShowsTheDemoKeyOnlyOnLoopback(t *testing.T) {
	for _, tc := range []struct {
		addr    string
		showKey bool
	}{
		{"0.0.0.0:8080", false},
		{":8080", false},
		{"127.0.0.1:8080", true},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			cfg, err := loadOptions(fs, []string{"--addr=" + tc.addr, "--data=" + t.TempDir(), "--demo-people=1000", "--sync-interval=0"}, func(string) string { return "" }, nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			g, err := newGateway(ctx, cfg, slog.New(slog.DiscardHandler))
			if err != nil {
				cancel()
				t.Fatal(err)
			}
			g.Start(ctx)
			t.Cleanup(func() { cancel(); g.Close() })
			if g.DemoKey == "" {
				t.Fatal("the embedded default has no demo key")
			}
			rec := httptest.NewRecorder()
			g.Handler.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			body, _ := io.ReadAll(rec.Body)
			hasKey := strings.Contains(string(body), g.DemoKey)
			switch {
			case rec.Code != 200:
				t.Fatalf("GET / = %d", rec.Code)
			case tc.showKey && !hasKey:
				t.Errorf("listening on %s (loopback): the page lacks the demo key", tc.addr)
			case !tc.showKey && hasKey:
				t.Errorf("listening on %s: the page hands out the admin demo key", tc.addr)
			case !tc.showKey && !strings.Contains(string(body), "birlik token --role ROLE --subject WHO"):
				t.Errorf("listening on %s: the page does not say how to get a key", tc.addr)
			}
		})
	}
}
