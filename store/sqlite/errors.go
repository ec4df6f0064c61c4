package sqlitestore

import (
	"fmt"

	"github.com/gorate/ratelimit"
)

var errClosed = fmt.Errorf("%w: sqlitestore", ratelimit.ErrClosed)

// opError wraps a failure of op, naming the key it was for (cut to 64
// characters) when there is one.
func opError(op string, key *string, err error) error {
	if key == nil {
		return fmt.Errorf("sqlitestore: %s: %w", op, err)
	}
	return fmt.Errorf("sqlitestore: %s %.64q: %w", op, *key, err)
}

// pathError is Open's error for a path it cannot use as a database file:
// the path, why, and the error errors.Is finds in it.
type pathError struct {
	path, why string
	err       error
}

func (e *pathError) Error() string { return "sqlitestore: open " + e.path + ": " + e.why }
func (e *pathError) Unwrap() error { return e.err }
