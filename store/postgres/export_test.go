package pgstore

import "context"

// StoredKey is storedKey for the external tests: the bytes the tables keep
// for key.
func StoredKey(key string) string { return string(storedKey(key)) }

// Sweep runs one sweep at the Store's clock and returns the rows it deleted.
func Sweep(ctx context.Context, s *Store) (int64, error) { return s.sweep(ctx) }
