package pgstore

import (
	"context"

	"github.com/gorate/ratelimit"
)

// StoredKey is storedKey for the external tests: the bytes the tables keep
// for key.
func StoredKey(key string) string { return string(storedKey(key)) }

// TakeAt is Take that also returns the time the take was judged at.
func TakeAt(ctx context.Context, s *Store, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, int64, error) {
	var d ratelimit.Decision
	ts, err := s.call(ctx, &d, "take", key, rates, n, true)
	return d, ts, err
}

// Sweep runs one sweep at the Store's clock and returns the rows it deleted.
func Sweep(ctx context.Context, s *Store) (int64, error) { return s.sweep(ctx) }
