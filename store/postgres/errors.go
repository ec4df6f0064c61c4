package pgstore

import (
	"fmt"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

var errClosed = fmt.Errorf("%w: pgstore", ratelimit.ErrClosed)

// opError wraps a database failure of op, naming the name it was for (cut
// to 64 characters) when there is one.
func opError(op string, name *string, err error) error {
	if name == nil {
		return fmt.Errorf("pgstore: %s: %w", op, err)
	}
	return fmt.Errorf("pgstore: %s %.64q: %w", op, *name, err)
}

// errBadRate reports a rate index out of range from the decision function:
// a function installed by another version of this package.
func errBadRate(i int32) error {
	return fmt.Errorf("pgstore: decision function returned rate index %d; run Migrate", i)
}
