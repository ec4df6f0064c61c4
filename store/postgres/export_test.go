package pgstore

import (
	"context"
	"errors"

	"github.com/gorate/ratelimit"
)

// StoredKey is storedKey for the external tests: the bytes the tables keep
// for key.
func StoredKey(key string) string { return string(storedKey(key)) }

// Sweep runs one sweep at the Store's clock and returns the rows it deleted.
func Sweep(ctx context.Context, s *Store) (int64, error) { return s.sweep(ctx) }

// SetBatchHook makes s call f with the size of each batch of takes before
// sending it, and whether it is a busy key's (whose statement waits for
// the key's lock), on the goroutine that sends it (so f may hold the batch
// back). Set it before s's first take.
func SetBatchHook(s *Store, f func(size int, wait bool)) { s.batch.hook = f }

// Queued returns how many takes wait in s's queues, not sent yet.
func Queued(s *Store) int {
	s.batch.mu.Lock()
	defer s.batch.mu.Unlock()
	n := len(s.batch.shared.queue)
	for _, l := range s.batch.busy {
		n += len(l.queue)
	}
	return n
}

// Retried returns how many of s's batches failed with an SQL error, their
// takes then running again alone.
func Retried(s *Store) int64 { return s.batch.retried.Load() }

// TakeBatch sends takes of ns[i] units under keys[i] against rates[i] at
// nows[i] (s must have a clock) as one statement of the batch take
// function, trying the keys' locks as the shared lane does, and returns
// each take's decision and error.
func TakeBatch(ctx context.Context, s *Store, keys []string, rates []ratelimit.Rates, ns, nows []int64) ([]ratelimit.Decision, []error, error) {
	batch := make([]*pending, len(keys))
	for i, key := range keys {
		intervals, limits, err := s.input(key, rates[i], ns[i])
		if err != nil {
			return nil, nil, err
		}
		batch[i] = &pending{ctx: ctx, key: key, k: storedKey(key), rates: rates[i], n: ns[i], now: nows[i], intervals: intervals, limits: limits}
	}
	if err := s.many(ctx, batch, true); err != nil {
		return nil, nil, err
	}
	ds, errs := make([]ratelimit.Decision, len(batch)), make([]error, len(batch))
	for i, p := range batch {
		if p.busy {
			errs[i] = errors.New("busy")
		}
		ds[i], errs[i] = p.d, errors.Join(errs[i], p.err)
	}
	return ds, errs, nil
}
