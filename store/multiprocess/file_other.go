//go:build !linux && !darwin

package mpstore

import (
	"errors"
	"fmt"
	"runtime"
)

// lockedFile is the store's file on systems without the flock(2) and
// mmap(2) the store relies on: opening one fails.
type lockedFile struct{}

func openLockedFile(string) (*lockedFile, error) {
	return nil, fmt.Errorf("mpstore: shared-memory store not available on %s (Linux and macOS only): %w", runtime.GOOS, errors.ErrUnsupported)
}

func (*lockedFile) lock() error                       { return errors.ErrUnsupported }
func (*lockedFile) unlock() error                     { return errors.ErrUnsupported }
func (*lockedFile) size() (int64, error)              { return 0, errors.ErrUnsupported }
func (*lockedFile) readAt([]byte, int64) (int, error) { return 0, errors.ErrUnsupported }
func (*lockedFile) truncate(int64) error              { return errors.ErrUnsupported }
func (*lockedFile) reserve(int64, bool) error         { return errors.ErrUnsupported }
func (*lockedFile) mmap(int64) ([]byte, error)        { return nil, errors.ErrUnsupported }
func (*lockedFile) close() error                      { return nil }

func munmap([]byte) error { return errors.ErrUnsupported }
