package store

import "time"

// Queued returns how many reads wait in p's queue.
func Queued(p *Pipeline) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.queue)
}

// SetSlow sets how long a batch runs before its sender's place goes to another.
func SetSlow(p *Pipeline, d time.Duration) { p.slow = d }

// ReadOnly is readOnly, for tests.
var ReadOnly = readOnly
