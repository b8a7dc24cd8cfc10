package config

import (
	"flag"
	"fmt"
)

// The audit log can be switched off for one purpose only: measuring what it costs
// (`go run ./bench/load -audit-overhead`). It takes two deliberate acts, the environment
// variable AuditOffEnv=1 and the command-line flag --AuditOffFlag, so that neither a stray
// variable in a deployment's environment nor a copied command line can do it alone: either
// without the other is refused at start-up with an error naming both. The gateway then logs at
// ERROR level at start and every 10,000 unrecorded reads. There is no configuration-file or
// per-request way to do it.
const (
	AuditOffEnv  = "BIRLIK_BENCHMARK_AUDIT_OFF"
	AuditOffFlag = "benchmark-audit-off"
)

func registerBenchmarkFlags(fs *flag.FlagSet) *bool {
	return fs.Bool(AuditOffFlag, false, "BENCHMARK ONLY, never in service: serve without writing the audit log, to measure its cost; honoured only together with "+AuditOffEnv+"=1 in the environment")
}

// benchmarkAuditOff decides the switch from the environment and the flag.
func benchmarkAuditOff(getenv func(string) string, flagGiven bool) (bool, error) {
	env := getenv(AuditOffEnv)
	switch {
	case env == "" && !flagGiven:
		return false, nil
	case env == "1" && flagGiven:
		return true, nil
	case flagGiven:
		return false, fmt.Errorf("--%s: refused: the audit log is switched off only for a benchmark, with both the flag and %s=1 in the environment (got %s=%q)", AuditOffFlag, AuditOffEnv, AuditOffEnv, env)
	default:
		return false, fmt.Errorf("%s=%q: refused: the audit log is switched off only for a benchmark, with both %s=1 and the flag --%s; remove the variable from this environment", AuditOffEnv, env, AuditOffEnv, AuditOffFlag)
	}
}
