//go:build linux

package mpstore

import (
	"errors"
	"os"
	"strconv"
	"syscall"
	"testing"
)

// skipUnlessCI skips the test, or fails it when CI=true: CI runs as root
// on a machine of the same kind, where what the test needs is there.
func skipUnlessCI(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// mountTmpfs mounts a tmpfs of size bytes on a new directory of the test,
// and unmounts it when the test ends. Mounting takes root: without it, or
// where mount(2) is refused, the test is skipped (skipUnlessCI).
func mountTmpfs(t *testing.T, size int64) string {
	t.Helper()
	if os.Geteuid() != 0 {
		skipUnlessCI(t, "mounting a %d-byte tmpfs takes root (uid %d)", size, os.Geteuid())
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+strconv.FormatInt(size, 10)); err != nil {
		skipUnlessCI(t, "mounting a %d-byte tmpfs on %s: %v", size, dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmounting %s: %v", dir, err)
		}
	})
	return dir
}

// freeBytes returns the bytes free on the file system holding dir.
func freeBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * st.Bsize
}

// fillFileSystem writes a file into dir until the file system is full.
func fillFileSystem(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(dir + "/filler")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	page := make([]byte, 4096)
	for {
		if _, err := f.Write(page); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling %s: %v", dir, err)
			}
			return
		}
	}
}
