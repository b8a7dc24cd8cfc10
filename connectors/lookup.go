package connectors

import (
	"context"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// Lookup asks a source for many keys in batches of at most size (the source's MaxBatch), with
// up to workers batches in flight at once (the connector's BatchWorkers; 1 asks them one after
// the other, in key order). Repeated keys are asked once and the zero key not at all.
//
// ask sends one batch and decodes the answer; it may run concurrently with other batches.
// collect receives each batch with its answer, one batch at a time, so it may write to the
// caller's map without a lock. The first error stops the batches not yet sent and is returned;
// what was collected before it stays collected.
func Lookup[K comparable, R any](ctx context.Context, keys []K, size, workers int,
	ask func(ctx context.Context, batch []K) (R, error), collect func(batch []K, answer R)) error {
	keys = distinct(keys)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(workers, 1))
	var mu sync.Mutex
	for len(keys) > 0 && gctx.Err() == nil {
		n := min(len(keys), max(size, 1))
		batch := keys[:n:n]
		keys = keys[n:]
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err // an earlier batch failed while this one waited for its turn
			}
			answer, err := ask(gctx, batch)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			collect(batch, answer)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// distinct returns keys without repeats and without the zero key, in first-seen order.
func distinct[K comparable](keys []K) []K {
	var zero K
	out := make([]K, 0, len(keys))
	seen := make(map[K]bool, len(keys))
	for _, k := range keys {
		if k != zero && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// Reject is what a connector does with the records a look-up refused: it adds them to its
// count n and hands each to on, when set. (A feed page carries its refused records in
// Page.Quarantined, and the connector only counts them.)
func Reject(n *atomic.Int64, on func(Quarantined), qs []Quarantined) {
	n.Add(int64(len(qs)))
	if on != nil {
		for _, q := range qs {
			on(q)
		}
	}
}
