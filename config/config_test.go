package config_test

import (
	"bytes"
	"encoding/base64"
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/birlik/birlik/config"
)

const key = "0123456789abcdef-key"

func load(env map[string]string, args ...string) (config.Config, error) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return config.Load(fs, args, func(k string) string { return env[k] })
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c, err := load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DataDir != "./birlik-data" || !c.Sources.Embedded() || c.Demo.People != 20000 || c.Demo.Seed != 1 {
		t.Fatalf("defaults = %+v", c)
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	sources := map[string]string{
		"BIRLIK_JUSTICE_URL":   "http://127.0.0.1:9001",
		"BIRLIK_LABOUR_URL":    "http://127.0.0.1:9002",
		"BIRLIK_EDUCATION_URL": "http://127.0.0.1:9003",
		"BIRLIK_FINANCE_URL":   "http://127.0.0.1:9004",
		"BIRLIK_HEALTH_URL":    "https://health.example/fhir",
		"BIRLIK_API_KEYS":      key + ":health:umis",
	}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range sources {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		check   func(t *testing.T, c config.Config)
		wantErr []string // every one must appear
	}{
		{name: "env values", env: map[string]string{"BIRLIK_ADDR": ":9090", "BIRLIK_MAX_PAGE": "50", "BIRLIK_SYNC_INTERVAL": "0", "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"},
			check: func(t *testing.T, c config.Config) {
				if c.Addr != ":9090" || c.Limits.PageSize != 50 || c.SyncInterval != 0 || c.DatabaseURL == "" {
					t.Errorf("config = %+v", c)
				}
			}},
		{name: "flags override env", env: map[string]string{"BIRLIK_ADDR": ":9090"}, args: []string{"--addr=127.0.0.1:0", "--demo-people", "300"},
			check: func(t *testing.T, c config.Config) {
				if c.Addr != "127.0.0.1:0" || c.Demo.People != 300 {
					t.Errorf("config = %+v", c)
				}
			}},
		{name: "real sources", env: sources,
			check: func(t *testing.T, c config.Config) {
				if c.Sources.Embedded() || c.Sources.Health != "https://health.example/fhir" || len(c.APIKeys) != 1 || c.APIKeys[0].Client != "umis" {
					t.Errorf("config = %+v", c)
				}
			}},
		{name: "bad address", env: map[string]string{"BIRLIK_ADDR": "localhost"}, wantErr: []string{"BIRLIK_ADDR", "not host:port"}},
		{name: "negative pool", env: map[string]string{"BIRLIK_DB_MAX_CONNS": "-1"}, wantErr: []string{"BIRLIK_DB_MAX_CONNS", "negative"}},
		{name: "pipeline below off", env: map[string]string{"BIRLIK_DB_PIPELINE": "-2"}, wantErr: []string{"BIRLIK_DB_PIPELINE", "-1 (off)"}},
		{name: "bad number", env: map[string]string{"BIRLIK_MAX_DEPTH": "deep"}, wantErr: []string{`BIRLIK_MAX_DEPTH="deep": want a whole number`}},
		{name: "zero limit", env: map[string]string{"BIRLIK_MAX_COMPLEXITY": "0"}, wantErr: []string{"BIRLIK_MAX_COMPLEXITY: 0: want a whole number of at least 1"}},
		{name: "bad database url", env: map[string]string{"DATABASE_URL": "mysql://x"}, wantErr: []string{"DATABASE_URL: want postgres://"}},
		{name: "database on a unix socket", env: map[string]string{"DATABASE_URL": "postgres://postgres@/test?host=/var/run/postgresql&sslmode=disable"},
			check: func(t *testing.T, c config.Config) {
				if c.DatabaseURL != "postgres://postgres@/test?host=/var/run/postgresql&sslmode=disable" {
					t.Errorf("DatabaseURL = %q", c.DatabaseURL)
				}
			}},
		{name: "database url without a host", env: map[string]string{"DATABASE_URL": "postgres:///test"}, wantErr: []string{"DATABASE_URL: want postgres://", "host=/var/run/postgresql"}},
		{name: "bad redis url", env: map[string]string{"REDIS_URL": "127.0.0.1:6379"}, wantErr: []string{"REDIS_URL: want redis://"}},
		{name: "some sources only", env: map[string]string{"BIRLIK_JUSTICE_URL": "http://127.0.0.1:9001"},
			wantErr: []string{"BIRLIK_LABOUR_URL: is not set", "BIRLIK_HEALTH_URL: is not set"}},
		{name: "source not a URL", env: with(map[string]string{"BIRLIK_FINANCE_URL": "finance:9004"}), wantErr: []string{`BIRLIK_FINANCE_URL: "finance:9004" is not an http(s) URL`}},
		{name: "real sources need keys", env: with(map[string]string{"BIRLIK_API_KEYS": ""}), wantErr: []string{"BIRLIK_API_KEYS: is empty"}},
		{name: "bad key does not echo secrets", env: map[string]string{"BIRLIK_API_KEYS": key + ":root:x"}, wantErr: []string{`BIRLIK_API_KEYS: entry 1: role "root" is unknown`}},
		{name: "bad duration", env: map[string]string{"BIRLIK_SYNC_INTERVAL": "often"}, wantErr: []string{"BIRLIK_SYNC_INTERVAL", "30s"}},
		{name: "bad log format", env: map[string]string{"BIRLIK_LOG_FORMAT": "xml"}, wantErr: []string{"BIRLIK_LOG_FORMAT"}},
		{name: "bad flag", args: []string{"--max-page=lots"}, wantErr: []string{"max-page"}},
		{name: "stray argument", args: []string{"extra"}, wantErr: []string{`unexpected argument "extra"`}},
		{name: "errors are joined", env: map[string]string{"BIRLIK_ADDR": "x", "BIRLIK_DEMO_PEOPLE": "0"}, wantErr: []string{"BIRLIK_ADDR", "BIRLIK_DEMO_PEOPLE"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := load(tc.env, tc.args...)
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("no error, want one naming %v", tc.wantErr)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				if strings.Contains(err.Error(), key) {
					t.Errorf("error %q echoes an API key", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func TestDurations(t *testing.T) {
	t.Parallel()
	c, err := load(map[string]string{"BIRLIK_SHUTDOWN_TIMEOUT": "3s", "BIRLIK_LOG_LEVEL": "debug"})
	if err != nil {
		t.Fatal(err)
	}
	if c.ShutdownTimeout != 3*time.Second || c.LogLevel.String() != "DEBUG" {
		t.Fatalf("config = %+v", c)
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
