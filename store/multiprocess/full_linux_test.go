//go:build linux

package mpstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/gorate/ratelimit"
)

// TestFullFileSystemFirstTake opens a store on a 64 KiB tmpfs that cannot
// hold its file. Created sparse, the file would open, and the first take,
// writing to a page the tmpfs could not back, would kill the process with
// SIGBUS; Open reserves the file's space instead and fails with ErrFull
// (and ENOSPC), gives the space back, and a store that fits opens on the
// same tmpfs and works.
func TestFullFileSystemFirstTake(t *testing.T) {
	dir := mountTmpfs(t, 64<<10)
	path := filepath.Join(dir, "store")
	rates := ratelimit.Rates{ratelimit.PerSecond(10)}
	free := freeBytes(t, dir)
	s, err := Open(path)
	if err == nil {
		s.Take(t.Context(), "k", rates, 1) // sparse: SIGBUS
		s.Close()
		t.Fatalf("Open of a store of %d keys on a 64 KiB tmpfs succeeded", DefaultMaxKeys)
	}
	if !errors.Is(err, ErrFull) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Open on a full tmpfs: err = %v, want ErrFull and ENOSPC", err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != 0 {
		t.Fatalf("the refused file: %v, %v; want it left empty", fi, err)
	}
	if got := freeBytes(t, dir); got != free {
		t.Fatalf("%d bytes free after the refused Open, %d before: the space was not given back", got, free)
	}

	s = openTest(t, path, WithMaxKeys(4))
	for i := range 4 {
		if d := take(t, s, fmt.Sprint("k", i), rates, 1); !d.Allowed {
			t.Fatalf("Take k%d on a store that fits = %v", i, d)
		}
	}
}

// TestFullFileSystemManyKeys opens a store for 1000/h logs (2000 entries
// per key, 32 KB per slot) on a 16 MiB tmpfs. Its 4096 slots need 131 MB;
// a sparse file would open, and a take would fault (SIGBUS) once the keys
// touched more pages than the tmpfs holds. Open says ErrFull instead. A
// store sized to fit (400 keys, 13 MB) opens, every slot of it fills even
// once the rest of the tmpfs is taken, the next key is ErrFull (no slot),
// and the file reopens on the full tmpfs.
func TestFullFileSystemManyKeys(t *testing.T) {
	dir := mountTmpfs(t, 16<<20)
	path := filepath.Join(dir, "store")
	rates := ratelimit.Rates{ratelimit.PerHour(1000)}
	if s, err := Open(path, WithMaxEntries(2000)); !errors.Is(err, ErrFull) || !errors.Is(err, syscall.ENOSPC) {
		if err == nil {
			s.Close()
		}
		t.Fatalf("Open of a 131 MB store on a 16 MiB tmpfs: err = %v, want ErrFull and ENOSPC", err)
	}

	const keys = 400
	s := openTest(t, path, WithMaxKeys(keys), WithMaxEntries(2000))
	fillFileSystem(t, dir)
	ctx := t.Context()
	for i := range keys {
		if d := take(t, s, fmt.Sprint("key-", i), rates, 1); !d.Allowed {
			t.Fatalf("Take key-%d on a full tmpfs = %v", i, d)
		}
	}
	if _, err := s.Take(ctx, "one more", rates, 1); !errors.Is(err, ErrFull) {
		t.Fatalf("Take of key %d into %d slots: err = %v, want ErrFull", keys+1, keys, err)
	}
	again := openTest(t, path, WithMaxKeys(keys), WithMaxEntries(2000))
	if n := keysInUse(t, again); n != keys {
		t.Fatalf("%d keys in use through the store reopened on the full tmpfs, want %d", n, keys)
	}
}

// TestReserveFallback writes a new file's bytes where the file system has
// no fallocate: a full tmpfs is then ENOSPC, never a fault later, and
// ramfs, which has no fallocate, gets a store that works.
func TestReserveFallback(t *testing.T) {
	t.Run("full", func(t *testing.T) {
		dir := mountTmpfs(t, 64<<10)
		f, err := openLockedFile(filepath.Join(dir, "f"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.close()
		if err := f.truncate(1 << 20); err != nil {
			t.Fatal(err)
		}
		if err := f.writeZeros(1 << 20); !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("writeZeros of 1 MiB on a 64 KiB tmpfs: err = %v, want ENOSPC", err)
		}
	})
	t.Run("ramfs", func(t *testing.T) {
		dir := t.TempDir()
		if err := syscall.Mount("ramfs", dir, "ramfs", 0, ""); err != nil {
			skipUnlessCI(t, "mounting ramfs: %v", err)
		}
		t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
		f, err := openLockedFile(filepath.Join(dir, "probe"))
		if err != nil {
			t.Fatal(err)
		}
		err = allocate(f.fd, 4096)
		f.close()
		if !errors.Is(err, errors.ErrUnsupported) {
			skipUnlessCI(t, "ramfs has fallocate here (%v): nothing to fall back from", err)
		}
		path := filepath.Join(dir, "store")
		s := openTest(t, path, WithMaxKeys(8))
		for i := range 3 {
			if d := take(t, s, "k", ratelimit.Rates{ratelimit.PerSecond(2)}, 1); d.Allowed != (i < 2) {
				t.Fatalf("Take #%d on ramfs = %v", i, d)
			}
		}
		if n, size := blocks(t, path), s.m.lay.size; n*512 < size {
			t.Fatalf("the file holds %d bytes in %d blocks: not all written", size, n)
		}
	})
}

// TestOpenReservesExistingFile punches holes into a store file, as a file
// created sparse has: the next Open reserves them again.
func TestOpenReservesExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store")
	s := openTest(t, path, WithMaxKeys(64))
	full := blocks(t, path)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	const punchHole, keepSize = 0x02, 0x01 // FALLOC_FL_PUNCH_HOLE, FALLOC_FL_KEEP_SIZE
	err = syscall.Fallocate(int(f.Fd()), punchHole|keepSize, s.m.lay.slotsOff, s.m.lay.size-s.m.lay.slotsOff)
	f.Close()
	if err != nil {
		skipUnlessCI(t, "punching holes: %v", err)
	}
	if sparse := blocks(t, path); sparse >= full {
		t.Fatalf("%d blocks after punching holes, %d before", sparse, full)
	}
	openTest(t, path, WithMaxKeys(64))
	if got := blocks(t, path); got < full {
		t.Fatalf("%d blocks after Open, %d when created: the holes were not reserved", got, full)
	}
	if d := take(t, s, "k", ratelimit.Rates{ratelimit.PerSecond(10)}, 1); !d.Allowed {
		t.Fatalf("Take = %v", d)
	}
}

// blocks returns the 512-byte blocks the file at path holds.
func blocks(t *testing.T, path string) int64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Blocks
}
