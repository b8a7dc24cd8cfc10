package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/birlik/birlik/config"
	"github.com/birlik/birlik/ratelimit"
)

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
