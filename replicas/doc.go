// Package replicas holds the end-to-end test of several `birlik serve` processes sharing one
// PostgreSQL store and one Redis, as behind a load balancer: one of them (the lease holder)
// syncs, another takes over when it is killed, the store ends equal to a clean sync, the audit
// log stays one chain, and a client's rate limit is one limit across them. It has no code of its
// own; the test builds the gateway and runs it as separate processes.
package replicas
