package mpstore

import "errors"

// allocate reports [errors.ErrUnsupported]: macOS has no fallocate(2), so
// reserve writes a new file's bytes instead.
func allocate(int, int64) error { return errors.ErrUnsupported }
