package mpstore

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"unsafe"
)

// A file truncated under the processes that map it (by anyone: flock is
// advisory) leaves pages of the mapping with no file behind them, and a
// load or store there raises SIGBUS, which kills a Go program. Every access
// to the mapping therefore runs with debug.SetPanicOnFault set, which makes
// the runtime panic in the faulting goroutine instead, and under a deferred
// recover that turns a fault inside the mapping into an error wrapping
// ErrDamaged, restores the goroutine's setting and releases the locks. A
// panic that is not a fault inside the mapping is passed on, after the
// locks are released.

// faultError returns the error for r, a recovered panic value, if it is a
// memory fault inside data, the mapping of the file at path; nil otherwise.
func faultError(r any, data []byte, path string) error {
	e, ok := r.(interface {
		runtime.Error
		Addr() uintptr
	})
	if !ok || len(data) == 0 {
		return nil
	}
	base := uintptr(unsafe.Pointer(&data[0]))
	if a := e.Addr(); a < base || a-base >= uintptr(len(data)) {
		return nil
	}
	return fmt.Errorf("%w: %s: access to byte %d of its mapping faulted: the file is shorter than its header says (truncated?)",
		ErrDamaged, path, e.Addr()-base)
}

// catchFault runs fn, which accesses data, the mapping of the file at path,
// and returns the error for a fault inside data (see faultError); any other
// panic goes on.
func catchFault(data []byte, path string, fn func()) (err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			if err = faultError(r, data, path); err == nil {
				panic(r)
			}
		}
	}()
	fn()
	return nil
}
