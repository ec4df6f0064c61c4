package pgstore

import "context"

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
