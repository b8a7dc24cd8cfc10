package config

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func TestBenchmarkAuditOffNeedsBoth(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     string
		args    []string
		want    bool
		wantErr string
	}{
		{name: "neither"},
		{name: "both", env: "1", args: []string{"--benchmark-audit-off"}, want: true},
		{name: "variable alone", env: "1", wantErr: "BIRLIK_BENCHMARK_AUDIT_OFF=\"1\": refused"},
		{name: "variable false alone", env: "0", wantErr: "refused"},
		{name: "flag alone", args: []string{"--benchmark-audit-off"}, wantErr: "--benchmark-audit-off: refused"},
		{name: "flag with another value", env: "true", args: []string{"--benchmark-audit-off"}, wantErr: "--benchmark-audit-off: refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			c, err := Load(fs, tc.args, func(k string) string {
				if k == AuditOffEnv {
					return tc.env
				}
				return ""
			}, nil)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || c.BenchmarkAuditOff != tc.want {
				t.Fatalf("BenchmarkAuditOff = %v (err %v), want %v", c.BenchmarkAuditOff, err, tc.want)
			}
		})
	}
}
