package config_test

import (
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
	return config.Load(fs, args, func(k string) string { return env[k] }, nil)
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
				if c.Sources.Embedded() || c.Sources.Health != "https://health.example/fhir" {
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
		{name: "read replica without a primary", env: map[string]string{"DATABASE_READ_URL": "postgres://postgres@127.0.0.1:5433/test"}, wantErr: []string{"DATABASE_READ_URL: a read replica needs its primary", "DATABASE_URL"}},
		{name: "bad read replica url", env: map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test", "DATABASE_READ_URL": "mysql://x"}, wantErr: []string{"DATABASE_READ_URL: want postgres://"}},
		{name: "read replica", env: map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test", "DATABASE_READ_URL": "postgres://postgres@127.0.0.1:5433/test"},
			check: func(t *testing.T, c config.Config) {
				if c.DatabaseReadURL != "postgres://postgres@127.0.0.1:5433/test" {
					t.Errorf("DatabaseReadURL = %q", c.DatabaseReadURL)
				}
			}},
		{name: "bad redis url", env: map[string]string{"REDIS_URL": "127.0.0.1:6379"}, wantErr: []string{"REDIS_URL: want redis://"}},
		{name: "some sources only", env: map[string]string{"BIRLIK_JUSTICE_URL": "http://127.0.0.1:9001"},
			wantErr: []string{"BIRLIK_LABOUR_URL: is not set", "BIRLIK_HEALTH_URL: is not set"}},
		{name: "source not a URL", env: with(map[string]string{"BIRLIK_FINANCE_URL": "finance:9004"}), wantErr: []string{`BIRLIK_FINANCE_URL: "finance:9004" is not an http(s) URL`}},
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
func TestLoopbackOnly(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"127.0.0.1:8080":   true,
		"127.0.0.2:8080":   true,
		"[::1]:8080":       true,
		"localhost:8080":   true,
		"LOCALHOST:0":      true,
		":8080":            false,
		"0.0.0.0:8080":     false,
		"[::]:8080":        false,
		"10.0.0.5:8080":    false,
		"gateway.lan:8080": false,
	} {
		if got := (config.Config{Addr: addr}).LoopbackOnly(); got != want {
			t.Errorf("LoopbackOnly(%s) = %v, want %v", addr, got, want)
		}
	}
	if !config.Defaults().LoopbackOnly() {
		t.Error("the default listen address is not loopback: a first run would be reachable from the network")
	}
}
