package sqlitestore

import (
	"fmt"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

var errClosed = fmt.Errorf("%w: sqlitestore", ratelimit.ErrClosed)

// opError wraps a database failure of op, naming the name it was for (cut
// to 64 characters) when there is one.
func opError(op string, name *string, err error) error {
	if name == nil {
		return fmt.Errorf("sqlitestore: %s: %w", op, err)
	}
	return fmt.Errorf("sqlitestore: %s %.64q: %w", op, *name, err)
}

// pathError is Open's error for a path it cannot use as a database file:
// the path, why, and the error errors.Is finds in it.
type pathError struct {
	path, why string
	err       error
}

func (e *pathError) Error() string { return "sqlitestore: open " + e.path + ": " + e.why }
func (e *pathError) Unwrap() error { return e.err }
