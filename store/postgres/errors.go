package pgstore

import (
	"fmt"

	"github.com/gorate/ratelimit"
)

var errClosed = fmt.Errorf("%w: pgstore", ratelimit.ErrClosed)

// opError wraps a database failure of op on key, naming the key (cut to 64
// bytes).
func opError(op, key string, err error) error {
	return fmt.Errorf("pgstore: %s %.64q: %w", op, key, err)
}

// errBadRate reports a rate index out of range from a take function: a
// function installed by another version of this package.
func errBadRate(i int32) error {
	return fmt.Errorf("pgstore: take function returned rate index %d: the table's functions are another version's", i)
}

// errBadIndex reports a take index out of range, or missing, in the result
// of the batch take function: a function installed by another version of
// this package.
func errBadIndex(i int32) error {
	return fmt.Errorf("pgstore: batch take function returned no row or a wrong one for take %d: the table's functions are another version's", i)
}
