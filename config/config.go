// Package config reads Birlik's configuration from the environment and the command line in one
// place, and validates it at start-up with messages that name the variable to fix. Every
// subcommand reads the same configuration, so they all see the same store.
//
// config owns the plain settings (addresses, URLs, sizes, durations). Settings whose values are
// another package's types (keys, policies, limits per role) are declared by the composition root
// as extra Settings, parsed by the package that owns the type: config imports none of the
// packages it configures. config only reads and checks settings; it opens nothing.
package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration of the gateway.
type Config struct {
	Addr        string // BIRLIK_ADDR: listen address
	DatabaseURL string // DATABASE_URL: PostgreSQL; empty for SQLite in DataDir
	// DatabaseReadURL is a PostgreSQL streaming replica of DATABASE_URL (DATABASE_READ_URL):
	// read-only GraphQL queries go there; empty: every read goes to DATABASE_URL.
	DatabaseReadURL string
	RedisURL        string  // REDIS_URL: the shared cache; empty for an in-process cache
	DataDir         string  // BIRLIK_DATA: the embedded default's folder
	Sources         Sources // BIRLIK_*_URL: the ministry systems; all empty for the simulators
	Limits          Limits  // what one GraphQL request may ask, for roles without their own
	Demo            Demo    // the demo country of the embedded default
	// SyncInterval is how often sync pulls the sources after the first sync (0: only once).
	SyncInterval    time.Duration
	ShutdownTimeout time.Duration // how long in-flight requests get on SIGINT/SIGTERM
	LogFormat       string        // "text" or "json"
	LogLevel        slog.Level
	// PprofAddr, when set, serves net/http/pprof on this separate address (BIRLIK_PPROF_ADDR),
	// for profiling under load; keep it on loopback.
	PprofAddr string
	// Tracing turns OpenTelemetry tracing on (BIRLIK_OTEL): "stdout" (or "stderr") writes spans
	// as JSON lines to standard error, a file path appends them to that file; empty: off.
	Tracing string
	// DBMaxConns bounds the open PostgreSQL connections (BIRLIK_DB_MAX_CONNS); 0 picks 4 per
	// CPU, at least 8. More connections than the database has cores to run them only queue
	// inside PostgreSQL.
	DBMaxConns int
	// DBPipeline is how many of those connections carry PostgreSQL reads in pipeline mode,
	// the reads of concurrent requests together in one round trip (BIRLIK_DB_PIPELINE; 0: one
	// per CPU, at least 2; -1: off, one round trip per read). See store.Pipeline.
	DBPipeline int
	// BenchmarkAuditOff serves without writing the audit log: only for measuring its cost,
	// set only by BIRLIK_BENCHMARK_AUDIT_OFF=1 together with --benchmark-audit-off (benchmark.go).
	BenchmarkAuditOff bool
}

// Sources are the base URLs of the five ministry systems.
type Sources struct {
	Justice, Labour, Education, Finance, Health string
}

// Embedded reports whether no source URL is configured: the gateway then runs the simulators.
func (s Sources) Embedded() bool { return s == Sources{} }

// Limits bound what one GraphQL request may ask for (limits.Limits; per-role limits are the
// composition root's BIRLIK_ROLE_LIMITS).
type Limits struct {
	Depth      int // BIRLIK_MAX_DEPTH: nesting of fields
	Aliases    int // BIRLIK_MAX_ALIASES: aliased fields in one operation
	Complexity int // BIRLIK_MAX_COMPLEXITY: gqlgen complexity (lists count first/last times)
	PageSize   int // BIRLIK_MAX_PAGE: the largest first/last of a connection
}

// Demo is the size of the generated country the embedded default serves.
type Demo struct {
	Seed   int64 // BIRLIK_DEMO_SEED
	People int   // BIRLIK_DEMO_PEOPLE
}

// Defaults are the settings with nothing configured.
func Defaults() Config {
	return Config{
		Addr:            "127.0.0.1:8080",
		DataDir:         "./birlik-data",
		Limits:          Limits{Depth: 12, Aliases: 30, Complexity: 50000, PageSize: 1000},
		Demo:            Demo{Seed: 1, People: 20000},
		SyncInterval:    time.Minute,
		ShutdownTimeout: 15 * time.Second,
		LogFormat:       "text",
		LogLevel:        slog.LevelInfo,
	}
}

// Setting is one configuration value: its environment variable, its flag, its usage text, and
// the flag.Value that parses it into where it lands. A Secret setting's input is never echoed in
// an error.
type Setting struct {
	Env, Flag, Usage string
	Value            flag.Value
	Secret           bool
	Group            string // see Groups
}

// Groups of settings. A command reads only the groups it uses, so its --help lists only the
// settings it acts on, and it never demands one it does not use.
const (
	GroupServe   = "serve"   // listening, Redis, query limits, the sync interval, profiling, tracing
	GroupStore   = "store"   // DATABASE_URL, BIRLIK_DATA, the connection pool
	GroupSources = "sources" // the five source URLs, or the demo country of the simulators
	GroupLog     = "log"     // log format and level
)

func (c *Config) settings() []Setting {
	return []Setting{
		{"BIRLIK_ADDR", "addr", "listen address host:port", (*stringValue)(&c.Addr), false, GroupServe},
		{"DATABASE_URL", "database-url", "PostgreSQL URL postgres://…; empty for SQLite in the data folder", (*stringValue)(&c.DatabaseURL), false, GroupStore},
		{"DATABASE_READ_URL", "database-read-url", "PostgreSQL streaming replica of DATABASE_URL postgres://… for read-only queries (writes, the audit log, findings and a caller's reads after its own write stay on DATABASE_URL); empty: none", (*stringValue)(&c.DatabaseReadURL), false, GroupStore},
		{"REDIS_URL", "redis-url", "Redis URL redis://…; empty for an in-process cache", (*stringValue)(&c.RedisURL), false, GroupServe},
		{"BIRLIK_DATA", "data", "folder of the embedded default (SQLite store, demo key)", (*stringValue)(&c.DataDir), false, GroupStore},
		{"BIRLIK_JUSTICE_URL", "justice-url", "base URL of the Ministry of Justice's register", (*stringValue)(&c.Sources.Justice), false, GroupSources},
		{"BIRLIK_LABOUR_URL", "labour-url", "base URL of the Ministry of Labour's platform", (*stringValue)(&c.Sources.Labour), false, GroupSources},
		{"BIRLIK_EDUCATION_URL", "education-url", "base URL of the national education database", (*stringValue)(&c.Sources.Education), false, GroupSources},
		{"BIRLIK_FINANCE_URL", "finance-url", "base URL of the Ministry of Finance's OrtaBilim service", (*stringValue)(&c.Sources.Finance), false, GroupSources},
		{"BIRLIK_HEALTH_URL", "health-url", "base URL of the Ministry of Healthcare's UMIS", (*stringValue)(&c.Sources.Health), false, GroupSources},
		{"BIRLIK_MAX_DEPTH", "max-depth", "deepest field nesting of a query", (*intValue)(&c.Limits.Depth), false, GroupServe},
		{"BIRLIK_MAX_ALIASES", "max-aliases", "most aliased fields in one query", (*intValue)(&c.Limits.Aliases), false, GroupServe},
		{"BIRLIK_MAX_COMPLEXITY", "max-complexity", "highest complexity of a query (a list counts first/last times its fields)", (*intValue)(&c.Limits.Complexity), false, GroupServe},
		{"BIRLIK_MAX_PAGE", "max-page", "largest first/last of a connection", (*intValue)(&c.Limits.PageSize), false, GroupServe},
		{"BIRLIK_DEMO_SEED", "demo-seed", "seed of the embedded demo country", (*int64Value)(&c.Demo.Seed), false, GroupSources},
		{"BIRLIK_DEMO_PEOPLE", "demo-people", "people in the embedded demo country", (*intValue)(&c.Demo.People), false, GroupSources},
		{"BIRLIK_SYNC_INTERVAL", "sync-interval", "how often to sync after the first sync (0: never)", (*durationValue)(&c.SyncInterval), false, GroupServe},
		{"BIRLIK_SHUTDOWN_TIMEOUT", "shutdown-timeout", "time in-flight requests get on shutdown", (*durationValue)(&c.ShutdownTimeout), false, GroupServe},
		{"BIRLIK_LOG_FORMAT", "log-format", "log format: text or json", (*stringValue)(&c.LogFormat), false, GroupLog},
		{"BIRLIK_LOG_LEVEL", "log-level", "log level: debug, info, warn or error", (*levelValue)(&c.LogLevel), false, GroupLog},
		{"BIRLIK_DB_MAX_CONNS", "db-max-conns", "most open PostgreSQL connections of the queries, plus one the audit log keeps (0: 4 per CPU, at least 8)", (*intValue)(&c.DBMaxConns), false, GroupStore},
		{"BIRLIK_DB_PIPELINE", "db-pipeline", "connections that carry PostgreSQL reads in pipeline mode, several requests' reads per round trip (0: one per CPU, at least 2; -1: off, one round trip per read)", (*intValue)(&c.DBPipeline), false, GroupStore},
		{"BIRLIK_OTEL", "otel", "OpenTelemetry tracing: stdout (spans as JSON lines on standard error) or a file path to append them to; empty: off", (*stringValue)(&c.Tracing), false, GroupServe},
		{"BIRLIK_PPROF_ADDR", "pprof-addr", "serve Go's profiler (net/http/pprof) on this separate address, e.g. 127.0.0.1:6060; empty: off", (*stringValue)(&c.PprofAddr), false, GroupServe},
	}
}

// Load reads the configuration: the defaults, then the environment (getenv, usually
// os.Getenv), then the flags in args, which fs parses (a command adds its own flags to fs
// first). Only the settings of groups are read (nil: every group); the others keep their
// defaults. extra are settings of other packages' options, declared by the caller; they are read
// after config's own, in their order, so a setting may build on an earlier one. It validates the
// result; every error names the variable (and flag) to fix.
func Load(fs *flag.FlagSet, args []string, getenv func(string) string, groups []string, extra ...Setting) (Config, error) {
	c := Defaults()
	var settings []Setting
	for _, s := range append(c.settings(), extra...) {
		if groups == nil || slices.Contains(groups, s.Group) {
			settings = append(settings, s)
		}
	}
	var errs []error
	for _, s := range settings {
		if v := getenv(s.Env); v != "" {
			if err := s.Value.Set(v); err != nil {
				if s.Secret {
					errs = append(errs, fmt.Errorf("%s: %w", s.Env, err)) // never echo the secrets
				} else {
					errs = append(errs, fmt.Errorf("%s=%q: %w", s.Env, v, err))
				}
			}
		}
	}
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	for _, s := range settings {
		fs.Var(s.Value, s.Flag, s.Usage+" (env "+s.Env+")")
	}
	auditOff := new(bool)
	if groups == nil || slices.Contains(groups, GroupServe) {
		auditOff = registerBenchmarkFlags(fs)
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	var err error
	if c.BenchmarkAuditOff, err = benchmarkAuditOff(getenv, *auditOff); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q: settings are flags (--name=value) or environment variables", fs.Arg(0))
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// LoopbackOnly reports whether the listen address (BIRLIK_ADDR) is a loopback address only
// (127.0.0.0/8, ::1 or localhost), so that nobody on another machine can reach the gateway. An
// empty host (":8080") listens on every interface; any other name may resolve to anything.
func (c Config) LoopbackOnly() bool {
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// Validate checks every setting and joins the errors, each naming its variable.
func (c *Config) Validate() error {
	var errs []error
	bad := func(env, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", env, fmt.Sprintf(format, args...)))
	}
	if _, port, err := net.SplitHostPort(c.Addr); err != nil {
		bad("BIRLIK_ADDR", "%q is not host:port (e.g. 127.0.0.1:8080, or :8080 for every interface)", c.Addr)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		bad("BIRLIK_ADDR", "port %q is not a number from 0 to 65535", port)
	}
	if c.DatabaseURL != "" {
		if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || (u.Host == "" && u.Query().Get("host") == "") {
			bad("DATABASE_URL", "want postgres://user@host:5432/dbname?sslmode=disable (or postgres://user@/dbname?host=/var/run/postgresql for a Unix socket), or leave it unset for SQLite in BIRLIK_DATA")
		}
	}
	if c.DatabaseReadURL != "" {
		if c.DatabaseURL == "" {
			bad("DATABASE_READ_URL", "a read replica needs its primary: set DATABASE_URL to the PostgreSQL primary (postgres://…), or unset DATABASE_READ_URL (SQLite has no replicas)")
		} else if u, err := url.Parse(c.DatabaseReadURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || (u.Host == "" && u.Query().Get("host") == "") {
			bad("DATABASE_READ_URL", "want postgres://user@replica-host:5432/dbname?sslmode=disable (a streaming replica of DATABASE_URL), or leave it unset")
		}
	}
	if c.DBMaxConns < 0 {
		bad("BIRLIK_DB_MAX_CONNS", "%d is negative; want 0 (4 per CPU) or a number of connections", c.DBMaxConns)
	}
	if c.DBPipeline < -1 {
		bad("BIRLIK_DB_PIPELINE", "%d: want -1 (off), 0 (one per CPU) or a number of connections", c.DBPipeline)
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			bad("REDIS_URL", "want redis://host:6379/0 (or rediss:// for TLS), or leave it unset for an in-process cache")
		}
	}
	if strings.TrimSpace(c.DataDir) == "" {
		bad("BIRLIK_DATA", "is empty; name a folder, e.g. ./birlik-data")
	}
	errs = append(errs, c.validateSources()...)
	for _, l := range []struct {
		env string
		v   int
	}{
		{"BIRLIK_MAX_DEPTH", c.Limits.Depth},
		{"BIRLIK_MAX_ALIASES", c.Limits.Aliases},
		{"BIRLIK_MAX_COMPLEXITY", c.Limits.Complexity},
		{"BIRLIK_MAX_PAGE", c.Limits.PageSize},
	} {
		if l.v < 1 {
			bad(l.env, "%d: want a whole number of at least 1", l.v)
		}
	}
	if c.Demo.People < 1 {
		bad("BIRLIK_DEMO_PEOPLE", "%d: want at least 1 person", c.Demo.People)
	}
	if c.SyncInterval < 0 {
		bad("BIRLIK_SYNC_INTERVAL", "%v: want 0 (sync once) or a positive duration such as 1m", c.SyncInterval)
	}
	if c.ShutdownTimeout <= 0 {
		bad("BIRLIK_SHUTDOWN_TIMEOUT", "%v: want a positive duration such as 15s", c.ShutdownTimeout)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("BIRLIK_LOG_FORMAT", "%q: want text or json", c.LogFormat)
	}
	return errors.Join(errs...)
}

func (c *Config) validateSources() []error {
	if c.Sources.Embedded() {
		return nil
	}
	var errs []error
	for _, s := range []struct{ env, v string }{
		{"BIRLIK_JUSTICE_URL", c.Sources.Justice},
		{"BIRLIK_LABOUR_URL", c.Sources.Labour},
		{"BIRLIK_EDUCATION_URL", c.Sources.Education},
		{"BIRLIK_FINANCE_URL", c.Sources.Finance},
		{"BIRLIK_HEALTH_URL", c.Sources.Health},
	} {
		if s.v == "" {
			errs = append(errs, fmt.Errorf("%s: is not set; set all five source URLs, or none to run the simulators", s.env))
			continue
		}
		if u, err := url.Parse(s.v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s: %q is not an http(s) URL such as http://127.0.0.1:9001", s.env, s.v))
		}
	}
	return errs
}

// flag.Value implementations that also parse environment values.

type stringValue string

func (v *stringValue) String() string     { return string(*v) }
func (v *stringValue) Set(s string) error { *v = stringValue(s); return nil }

type intValue int

func (v *intValue) String() string { return strconv.Itoa(int(*v)) }
func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return errors.New("want a whole number")
	}
	*v = intValue(n)
	return nil
}

type int64Value int64

func (v *int64Value) String() string { return strconv.FormatInt(int64(*v), 10) }
func (v *int64Value) Set(s string) error {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return errors.New("want a whole number")
	}
	*v = int64Value(n)
	return nil
}

type durationValue time.Duration

func (v *durationValue) String() string { return time.Duration(*v).String() }
func (v *durationValue) Set(s string) error {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return errors.New("want a duration such as 30s, 5m or 1h")
	}
	*v = durationValue(d)
	return nil
}

type levelValue slog.Level

func (v *levelValue) String() string { return slog.Level(*v).String() }
func (v *levelValue) Set(s string) error {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.TrimSpace(s))); err != nil {
		return errors.New("want debug, info, warn or error")
	}
	*v = levelValue(l)
	return nil
}

// Func returns a flag.Value that parses with set and prints with get (nil: nothing), for the
// extra Settings of Load.
func Func(set func(string) error, get func() string) flag.Value { return &funcValue{set, get} }

type funcValue struct {
	set func(string) error
	get func() string
}

func (v *funcValue) String() string {
	if v == nil || v.get == nil {
		return ""
	}
	return v.get()
}
func (v *funcValue) Set(s string) error { return v.set(s) }
