//go:build linux || darwin

package mpstore

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockedFile is the store's file: the lock every operation takes, and the
// source of the shared mapping.
//
// The lock is flock(2), which belongs to the open file description: the
// kernel drops it when the holder's descriptor is closed, which happens
// when the process dies however it dies, so a crashed worker never wedges
// the others. Each [Open] opens its own description, so two stores on one
// file in one process exclude each other as two processes do. POSIX fcntl
// locks would not: they belong to the process, so two stores in one process
// would share a lock, and closing either file would drop it.
type lockedFile struct {
	f  *os.File
	fd int
}

func openLockedFile(path string) (*lockedFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	return &lockedFile{f: f, fd: int(f.Fd())}, nil
}

func (f *lockedFile) lock() error { return flock(f.fd, syscall.LOCK_EX) }

func (f *lockedFile) unlock() error { return flock(f.fd, syscall.LOCK_UN) }

func flock(fd, how int) error {
	for {
		if err := syscall.Flock(fd, how); !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

func (f *lockedFile) size() (int64, error) {
	fi, err := f.f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

func (f *lockedFile) readAt(b []byte, off int64) (int, error) { return f.f.ReadAt(b, off) }

func (f *lockedFile) truncate(size int64) error { return f.f.Truncate(size) }

// reserve makes the file system back the file's first size bytes, so
// that no write to the mapping can fault for want of space. It uses
// fallocate(2); where the file system has none, a fresh file is written
// with zeros, and an existing one is taken as its creator left it (this
// package writes every byte of a file it creates). A file system without
// room is an error wrapping [ErrFull] and the system's error.
func (f *lockedFile) reserve(size int64, fresh bool) error {
	err := allocate(f.fd, size)
	if errors.Is(err, errors.ErrUnsupported) {
		err = nil
		if fresh {
			err = f.writeZeros(size)
		}
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("%w: %w", ErrFull, err)
	}
	return err
}

// writeZeros writes zeros over the file's first size bytes.
func (f *lockedFile) writeZeros(size int64) error {
	zeros := make([]byte, min(size, 1<<20))
	for off := int64(0); off < size; {
		n, err := f.f.WriteAt(zeros[:min(int64(len(zeros)), size-off)], off)
		if err != nil {
			return err
		}
		off += int64(n)
	}
	return nil
}

// mmap maps the file's first size bytes, shared with every process that
// maps it.
func (f *lockedFile) mmap(size int64) ([]byte, error) {
	return syscall.Mmap(f.fd, 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
}

func munmap(b []byte) error { return syscall.Munmap(b) }

// close closes the file, which drops the lock if it is held.
func (f *lockedFile) close() error { return f.f.Close() }
