//go:build linux || darwin

package mpstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
)

// TestTruncatedFile cuts a store's file, from this process or another,
// while a goroutine takes from it. An access beyond the new end raises
// SIGBUS, which would kill the process a few milliseconds later; instead
// the take returns an error wrapping ErrDamaged, the process and a store over
// another file go on, and the file lock is free. A file emptied is created
// again by the next Open, and the damaged store sees the new one; a file
// cut short is refused by Open as damaged.
func TestTruncatedFile(t *testing.T) {
	tests := []struct {
		name  string
		cut   func(l layout) int64 // the file's new size, at a page's edge
		child bool                 // cut by another process
	}{
		{"emptied", func(layout) int64 { return 0 }, false},
		{"emptied by another process", func(layout) int64 { return 0 }, true},
		{"cut after the header", func(layout) int64 { return headerSize }, false},
		{"cut after the header by another process", func(layout) int64 { return headerSize }, true},
	}
	rates := ratelimit.Rates{{Limit: 1 << 40, Interval: 100 * time.Millisecond}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			path := filepath.Join(t.TempDir(), "store")
			s := openTest(t, path, WithMaxKeys(64))
			other := openTest(t, filepath.Join(t.TempDir(), "other"), WithMaxKeys(64))
			started, done := make(chan struct{}), make(chan error, 1)
			go func() {
				deadline := time.Now().Add(5 * time.Second)
				for i := 0; time.Now().Before(deadline); i++ {
					if _, err := s.Take(ctx, fmt.Sprint("k", i%32), rates, 1); err != nil {
						done <- err
						return
					}
					if i == 100 {
						close(started)
					}
				}
				done <- errors.New("no error within 5s of takes")
			}()
			<-started
			size := tt.cut(s.m.lay)
			if tt.child {
				h := startHelper(t, "truncate", path, "1/s", strconv.FormatInt(size, 10))
				if err := h.cmd.Wait(); err != nil {
					t.Fatalf("the truncating process: %v; stderr:\n%s", err, h.stderr.String())
				}
			} else if err := os.Truncate(path, size); err != nil {
				t.Fatal(err)
			}
			if err := <-done; !errors.Is(err, ErrDamaged) {
				t.Fatalf("take from a file cut to %d bytes: err = %v, want ErrDamaged", size, err)
			}
			for name, call := range map[string]func() (ratelimit.Decision, error){
				"Take":  func() (ratelimit.Decision, error) { return s.Take(ctx, "k1", rates, 1) },
				"Check": func() (ratelimit.Decision, error) { return s.Check(ctx, "k1", rates, 1) },
				"Reset": func() (ratelimit.Decision, error) { return ratelimit.Decision{}, s.Reset(ctx, "k1") },
			} {
				if d, err := call(); !errors.Is(err, ErrDamaged) || d != (ratelimit.Decision{}) {
					t.Fatalf("%s after the cut = %+v, %v; want ErrDamaged and no decision", name, d, err)
				}
			}
			assertUnlocked(t, path)
			if d := take(t, other, "k1", rates, 1); !d.Allowed {
				t.Fatalf("Take from another file = %v", d)
			}

			again, err := Open(path, WithMaxKeys(64))
			if size != 0 {
				if !errors.Is(err, ErrDamaged) {
					t.Fatalf("Open of the file cut short: err = %v, want ErrDamaged", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open of the emptied file: %v", err)
			}
			defer again.Close()
			small := ratelimit.Rates{ratelimit.PerMinute(3)}
			for _, st := range []*Store{again, s} { // s maps the same file, created again
				if d := take(t, st, "k1", small, 1); !d.Allowed {
					t.Fatalf("Take once the file is created again = %v", d)
				}
			}
			if d := take(t, s, "k1", small, 0); d.Remaining != 1 {
				t.Fatalf("Take(0) once the file is created again = %v; want 1 left, both takes counted", d)
			}
		})
	}
}

// assertUnlocked fails unless the file at path can be locked at once: no
// store kept its lock after a fault.
func assertUnlocked(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatalf("the file's lock is held after the fault: %v", err)
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}

// TestOpenFileCutInsideHeader cuts a closed store's file inside its
// header, keeping its magic word: Open refuses it as damaged, not as a
// file that is not a store.
func TestOpenFileCutInsideHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store")
	s, err := Open(path, WithMaxKeys(16))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.Truncate(path, 64); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(path, WithMaxKeys(16)); !errors.Is(err, ErrDamaged) {
		if err == nil {
			s.Close()
		}
		t.Fatalf("Open of a file cut inside its header: err = %v, want ErrDamaged", err)
	}
}
