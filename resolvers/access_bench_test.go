package resolvers_test

import (
	"runtime"
	"testing"

	"github.com/birlik/birlik/auth"
	"github.com/birlik/birlik/store/storetest"
)

// BenchmarkCitizenQueryAudit measures what the audit log costs the citizen query at
// concurrency 16 (RunParallel with 16 goroutines per GOMAXPROCS... set by SetParallelism so
// that 16 requests are in flight on any machine): "off" records nothing, "on" writes every
// entry durably before answering. The budget allows "on" at most 20% slower.
//
//	go test -run '^$' -bench CitizenQueryAudit -benchtime 3s ./resolvers/
func BenchmarkCitizenQueryAudit(b *testing.B) {
	for _, mode := range []struct {
		name    string
		noAudit bool
	}{{"off", true}, {"on", false}} {
		b.Run(mode.name, func(b *testing.B) {
			st := storetest.Open(b)
			w := seed(&testing.T{}, st.Client)
			url, tokens, _ := accessServer(b, st, w.parent, mode.noAudit)
			vars := map[string]any{"iin": string(w.child)}
			b.SetParallelism((16 + parallelDivisor() - 1) / parallelDivisor())
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					_, r := ask(b, url, tokens[auth.RoleCitizen], "own-data", citizenQuery, vars)
					if len(r.Errors) > 0 {
						b.Errorf("errors: %+v", r.Errors)
						return
					}
				}
			})
		})
	}
}

func parallelDivisor() int { return max(1, runtimeGOMAXPROCS()) }

func runtimeGOMAXPROCS() int { return runtime.GOMAXPROCS(0) }
