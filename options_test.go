package main

import (
	"bytes"
	"encoding/base64"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/birlik/birlik/ratelimit"
)

const testAPIKey = "0123456789abcdef-key"

func load(env map[string]string, args ...string) (options, error) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return loadOptions(fs, args, func(k string) string { return env[k] }, nil)
}

var realSources = map[string]string{
	"BIRLIK_JUSTICE_URL":   "http://127.0.0.1:9001",
	"BIRLIK_LABOUR_URL":    "http://127.0.0.1:9002",
	"BIRLIK_EDUCATION_URL": "http://127.0.0.1:9003",
	"BIRLIK_FINANCE_URL":   "http://127.0.0.1:9004",
	"BIRLIK_HEALTH_URL":    "https://health.example/fhir",
}

func TestAPIKeySettings(t *testing.T) {
	t.Parallel()
	env := map[string]string{"BIRLIK_API_KEYS": testAPIKey + ":health:umis"}
	for k, v := range realSources {
		env[k] = v
	}
	o, err := load(env)
	if err != nil {
		t.Fatal(err)
	}
	if o.Sources.Embedded() || len(o.Access.APIKeys) != 1 || o.Access.APIKeys[0].Client != "umis" {
		t.Errorf("options = %+v", o)
	}

	delete(env, "BIRLIK_API_KEYS")
	if _, err := load(env); err == nil || !strings.Contains(err.Error(), "BIRLIK_API_KEYS: is empty") {
		t.Errorf("real sources without keys: %v, want an error naming BIRLIK_API_KEYS", err)
	}
	_, err = load(map[string]string{"BIRLIK_API_KEYS": testAPIKey + ":root:x"})
	if err == nil || !strings.Contains(err.Error(), `BIRLIK_API_KEYS: entry 1: role "root" is unknown`) {
		t.Errorf("unknown role: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), testAPIKey) {
		t.Errorf("error %q echoes an API key", err)
	}
}

// TestRoleLimits: per-role limits start from the base limits the flags left, whatever the order
// of environment and flags, and a bad entry names the variable.
func TestRoleLimits(t *testing.T) {
	t.Parallel()
	o, err := load(map[string]string{"BIRLIK_ROLE_LIMITS": "analyst=page:50"}, "--max-depth=7")
	if err != nil {
		t.Fatal(err)
	}
	if got := o.Access.Limits.For("analyst"); got.PageSize != 50 || got.Depth != 7 {
		t.Errorf("analyst limits %+v, want page 50 over the base depth 7", got)
	}
	if got := o.Access.Limits.For("admin"); got.Depth != 7 || got.PageSize != 1000 {
		t.Errorf("admin limits %+v, want the base", got)
	}
	if got := o.Access.Limits.For("citizen"); got.PageSize != 100 {
		t.Errorf("citizen limits %+v, want the default citizen page of 100", got)
	}
	if _, err := load(map[string]string{"BIRLIK_ROLE_LIMITS": "analyst=pages:5"}); err == nil || !strings.Contains(err.Error(), "BIRLIK_ROLE_LIMITS") {
		t.Errorf("bad entry: %v, want an error naming BIRLIK_ROLE_LIMITS", err)
	}
}

func TestCredentialSettings(t *testing.T) {
	t.Parallel()
	c, err := load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Access.TokenLifetimes.Max("citizen") != time.Hour || c.Access.TokenLifetimes.Max("caseworker") != 12*time.Hour {
		t.Errorf("default token lifetimes %s", c.Access.TokenLifetimes)
	}
	if c.Access.AuthFailures != ratelimit.DefaultAuthFailures || len(c.Access.TrustedProxies) != 0 {
		t.Errorf("default failure budget %v, trusted proxies %v", c.Access.AuthFailures, c.Access.TrustedProxies)
	}

	c, err = load(map[string]string{"BIRLIK_TOKEN_MAX_TTL": "citizen=15m", "BIRLIK_AUTH_FAILURES": "off", "BIRLIK_TRUSTED_PROXIES": "10.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Access.TokenLifetimes.Max("citizen") != 15*time.Minute || c.Access.TokenLifetimes.Max("admin") != time.Hour {
		t.Errorf("token lifetimes %s", c.Access.TokenLifetimes)
	}
	if c.Access.AuthFailures != (ratelimit.Limit{}) || len(c.Access.TrustedProxies) != 1 {
		t.Errorf("failure budget %v, trusted proxies %v", c.Access.AuthFailures, c.Access.TrustedProxies)
	}

	for env, want := range map[string]string{
		"BIRLIK_TOKEN_MAX_TTL":   `BIRLIK_TOKEN_MAX_TTL="citizen=forever": entry "citizen=forever": "forever" is not a duration`,
		"BIRLIK_AUTH_FAILURES":   `BIRLIK_AUTH_FAILURES="citizen=forever"`,
		"BIRLIK_TRUSTED_PROXIES": `BIRLIK_TRUSTED_PROXIES="citizen=forever": "citizen=forever" is not an address or CIDR`,
	} {
		if _, err := load(map[string]string{env: "citizen=forever"}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want one containing %q", env, err, want)
		}
	}
}

func TestCursorKey(t *testing.T) {
	t.Parallel()
	c, err := load(nil)
	if err != nil || c.CursorKey != nil {
		t.Fatalf("unset: key %x, %v; want none (the gateway keeps one in BIRLIK_DATA)", c.CursorKey, err)
	}
	want := []byte("0123456789abcdef0123456789abcdef")
	enc := base64.StdEncoding.EncodeToString(want)
	for _, src := range []struct {
		env  map[string]string
		args []string
	}{{env: map[string]string{"BIRLIK_CURSOR_KEY": enc}}, {args: []string{"--cursor-key=" + enc}}} {
		c, err := load(src.env, src.args...)
		if err != nil || !bytes.Equal(c.CursorKey, want) {
			t.Errorf("%v %v: key %q, %v", src.env, src.args, c.CursorKey, err)
		}
	}
	short := base64.StdEncoding.EncodeToString([]byte("too short to seal anything"))
	for _, bad := range []string{"not base64 at all!", short} {
		_, err := load(map[string]string{"BIRLIK_CURSOR_KEY": bad})
		if err == nil || !strings.Contains(err.Error(), "BIRLIK_CURSOR_KEY") || !strings.Contains(err.Error(), "openssl rand -base64 32") {
			t.Errorf("BIRLIK_CURSOR_KEY=%q: %v, want an error naming the variable and how to make a key", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), bad) {
			t.Errorf("the error %q echoes the key", err)
		}
	}
}

// TestCommandsReadOnlyTheirSettings: each command lists only the settings it acts on in --help,
// sync does not demand the API keys only serve uses, and token refuses to sign what the gateway
// it would serve cannot verify.
func TestCommandsReadOnlyTheirSettings(t *testing.T) {
	help := func(groups []string) string {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		var b bytes.Buffer
		fs.SetOutput(&b)
		if _, err := loadOptions(fs, []string{"--help"}, func(string) string { return "" }, groups); !errors.Is(err, flag.ErrHelp) {
			t.Fatalf("--help: %v", err)
		}
		fs.PrintDefaults()
		return b.String()
	}
	if h := help(forSync); strings.Contains(h, "api-keys") || strings.Contains(h, "rate-limits") || strings.Contains(h, "addr") || !strings.Contains(h, "justice-url") || !strings.Contains(h, "database-url") {
		t.Errorf("sync --help lists settings it does not use, or misses its own:\n%s", h)
	}
	if h := help(forStore); strings.Contains(h, "justice-url") || strings.Contains(h, "jwt-keys") || !strings.Contains(h, "database-url") {
		t.Errorf("check --help:\n%s", h)
	}
	if h := help(nil); !strings.Contains(h, "api-keys") || !strings.Contains(h, "benchmark-audit-off") {
		t.Errorf("serve --help misses settings:\n%s", h)
	}

	env := func(k string) string { return realSources[k] }
	if _, err := loadOptions(flag.NewFlagSet("sync", flag.ContinueOnError), nil, env, forSync); err != nil {
		t.Errorf("sync with real sources and no API keys: %v", err)
	}
	if _, err := loadOptions(flag.NewFlagSet("serve", flag.ContinueOnError), nil, env, nil); err == nil {
		t.Error("serve with real sources and no API keys started")
	}
	var out bytes.Buffer
	err := runToken([]string{"--role=analyst", "--subject=a", "--data=" + t.TempDir()}, env, &out)
	if err == nil || !strings.Contains(err.Error(), "BIRLIK_JWT_KEYS") || out.Len() > 0 {
		t.Errorf("token with real sources and no BIRLIK_JWT_KEYS: %v, printed %q; want a refusal naming BIRLIK_JWT_KEYS", err, out.String())
	}
}

func TestAsOfSetting(t *testing.T) {
	t.Parallel()
	o, err := load(map[string]string{"BIRLIK_AS_OF": "2026-06"})
	if err != nil || o.AsOf.String() != "2026-06-30" {
		t.Fatalf("BIRLIK_AS_OF=2026-06: %v, %v; want 2026-06-30", o.AsOf, err)
	}
	if o, err := load(nil); err != nil || !o.AsOf.IsZero() {
		t.Errorf("unset: %v, %v; want zero (the store's latest complete month)", o.AsOf, err)
	}
	if _, err := load(map[string]string{"BIRLIK_AS_OF": "soon"}); err == nil || !strings.Contains(err.Error(), "BIRLIK_AS_OF") {
		t.Errorf("a bad day: %v, want an error naming BIRLIK_AS_OF", err)
	}
}

func TestCORSOriginsSetting(t *testing.T) {
	t.Parallel()
	o, err := load(map[string]string{"BIRLIK_CORS_ORIGINS": " https://app.example.gov, http://127.0.0.1:3000 "})
	if err != nil || strings.Join(o.CORSOrigins, " ") != "https://app.example.gov http://127.0.0.1:3000" {
		t.Fatalf("two origins: %q, %v", o.CORSOrigins, err)
	}
	if o, err := load(nil); err != nil || len(o.CORSOrigins) != 0 {
		t.Errorf("unset: %q, %v; want no origins", o.CORSOrigins, err)
	}
	for _, bad := range []string{"*", "app.example.gov", "https://app.example.gov/", "ftp://app.example.gov", "https://App.example.gov"} {
		if _, err := load(map[string]string{"BIRLIK_CORS_ORIGINS": bad}); err == nil || !strings.Contains(err.Error(), "BIRLIK_CORS_ORIGINS") {
			t.Errorf("BIRLIK_CORS_ORIGINS=%q: %v, want an error naming the variable", bad, err)
		}
	}
}

func TestCheckWorkersSetting(t *testing.T) {
	t.Parallel()
	if o, err := load(nil); err != nil || o.CheckWorkers != 1 {
		t.Errorf("unset: %d, %v; want 1 (one check at a time)", o.CheckWorkers, err)
	}
	if o, err := load(map[string]string{"BIRLIK_CHECK_WORKERS": "4"}); err != nil || o.CheckWorkers != 4 {
		t.Errorf("BIRLIK_CHECK_WORKERS=4: %d, %v", o.CheckWorkers, err)
	}
	for _, bad := range []string{"0", "-2", "many"} {
		if _, err := load(map[string]string{"BIRLIK_CHECK_WORKERS": bad}); err == nil || !strings.Contains(err.Error(), "BIRLIK_CHECK_WORKERS") {
			t.Errorf("BIRLIK_CHECK_WORKERS=%s: %v, want an error naming it", bad, err)
		}
	}
}
