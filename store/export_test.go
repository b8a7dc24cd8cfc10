package store

// Queued returns how many reads wait in p's queue.
func Queued(p *Pipeline) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.queue)
}
