package mpstore

import (
	"errors"
	"syscall"
)

// allocate reserves the first size bytes of the file fd on the file
// system (fallocate(2), mode 0), growing the file if it is shorter. A
// file system without fallocate answers EOPNOTSUPP, which matches
// [errors.ErrUnsupported].
func allocate(fd int, size int64) error {
	for {
		if err := syscall.Fallocate(fd, 0, 0, size); !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
