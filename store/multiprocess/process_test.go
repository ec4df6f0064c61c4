//go:build linux || darwin

package mpstore

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// TestCrossProcessExact has 4 processes hammer one key of one file with
// 50/s for 3 seconds of real time. The merged stamps of the units they were
// admitted never put more than 50 in any window [t-1000ms, t], and add up
// to at least 95% of what the limit allows over the run: contention for
// the lock causes no false denial.
func TestCrossProcessExact(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for 3 seconds of real time")
	}
	const (
		procs    = 4
		limit    = 50
		interval = int64(1000)
		run      = int64(3000)
	)
	stamps := hammerProcesses(t, procs, run)
	start := stamps[0]
	for i, ts := range stamps {
		lo, _ := slices.BinarySearch(stamps, ts-interval)
		if n := i + 1 - lo; n > limit {
			t.Fatalf("%d units admitted in [%d, %d], over the limit of %d", n, ts-interval-start, ts-start, limit)
		}
	}
	// The most the limit admits in [start, start+run]: a full window at
	// start, then another each interval+1 ms.
	allowed := limit * ((run + interval) / (interval + 1))
	t.Logf("%d admitted across %d processes, the limit allows %d", len(stamps), procs, allowed)
	if float64(len(stamps)) < 0.95*float64(allowed) {
		t.Fatalf("%d admitted, under 95%% of the %d the limit allows", len(stamps), allowed)
	}
}

// TestCrashHoldingLock stops a child process inside the lock, halfway
// through a change (entry written, tail not moved; an out-of-order insert
// half shifted; a new key's slot written but not published), and kills it
// with SIGKILL. The kernel drops its lock: a put the parent had waiting
// goes through, the parent and another child acquire within a second, and
// the log holds exactly what was admitted.
func TestCrashHoldingLock(t *testing.T) {
	const rates = "100/h"
	now := time.Now().UnixMilli()
	tests := []struct {
		name     string
		hang     string // point key name ts: the child's put
		applied  bool   // whether the killed put is in the log after repair
		wantKeys int
	}{
		{"append", fmt.Sprint(pointAppend, " k k 0"), false, 1},
		{"out-of-order insert", fmt.Sprint(pointShift, " k k ", now-25), true, 1},
		{"new key", fmt.Sprint(pointClaim, " new new 0"), false, 1},
		{"new name", fmt.Sprint(pointAlias, " k other 0"), false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			path := filepath.Join(t.TempDir(), "store")
			rs, _ := ratelimit.ParseRates(rates)
			s, err := Open(path, rs)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			b, _ := s.Bucket(ctx, "k")
			for _, ts := range []int64{now - 40, now - 30, now - 20, now - 10} {
				if _, err := b.Put(ctx, ratelimit.Item{Name: "k", Time: ts, Weight: 2}); err != nil {
					t.Fatal(err)
				}
			}
			want := int64(8)

			child := startHelper(t, "hang", path, rates, tt.hang)
			child.expect(t, "locked")
			waiting := make(chan error, 1)
			go func() { // blocks on the child's lock
				_, err := s.Acquire(ctx, "k", 1)
				waiting <- err
			}()
			select {
			case err := <-waiting:
				t.Fatalf("Acquire went through while the child held the lock: %v", err)
			case <-time.After(100 * time.Millisecond):
			}
			killed := time.Now()
			if err := child.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-waiting:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(time.Second):
				t.Fatal("the lock was not released within 1s of the kill")
			}
			if took := time.Since(killed); took > time.Second {
				t.Fatalf("the waiting Acquire took %v after the kill", took)
			}
			child.cmd.Wait()
			want++
			if tt.applied {
				want++
			}

			other := startHelper(t, "acquire", path, rates, "2")
			other.expect(t, "ready")
			other.send(t, "go")
			res := other.expect(t, "acquired true ")
			if us, _ := strconv.Atoi(res); us > 1_000_000 {
				t.Fatalf("another child's Acquire took %dµs", us)
			}
			want += 2
			if d, err := s.Acquire(ctx, "k", 1); err != nil || !d.Allowed {
				t.Fatalf("Acquire after the crash = %+v, %v", d, err)
			}
			want++

			if n, err := b.Count(ctx); err != nil || n != want {
				t.Fatalf("Count = %d, %v; want %d, the units admitted", n, err, want)
			}
			var sum int64
			prev := int64(1<<63 - 1)
			for i := int64(0); ; {
				it, ok, err := b.Peek(ctx, i)
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					break
				}
				if it.Time > prev || it.Weight < 1 || (it.Name != "k" && it.Name != "other") {
					t.Fatalf("Peek(%d) = %v after %d: log out of order or garbled", i, it, prev)
				}
				prev, sum, i = it.Time, sum+it.Weight, i+it.Weight
			}
			if sum != want {
				t.Fatalf("entries hold %d units, want %d", sum, want)
			}
			if n, _ := s.Len(); n != tt.wantKeys {
				t.Fatalf("Len = %d, want %d", n, tt.wantKeys)
			}
		})
	}
}

// hammerProcesses starts procs helper processes on one new store file, has
// them put at 50/s from a common start for run milliseconds, and returns
// every admitted stamp, sorted.
func hammerProcesses(t *testing.T, procs int, run int64) []int64 {
	t.Helper()
	path := filepath.Join(t.TempDir(), "store")
	helpers := make([]*helper, procs)
	for i := range helpers {
		helpers[i] = startHelper(t, "hammer", path, "50/s", "")
	}
	for _, h := range helpers {
		h.expect(t, "ready")
	}
	start := time.Now().UnixMilli() + 100
	for _, h := range helpers {
		h.send(t, fmt.Sprint(start, start+run))
	}
	var stamps []int64
	for i, h := range helpers {
		n := 0
		for h.out.Scan() && h.out.Text() != "done" {
			var ts int64
			if _, err := fmt.Sscanf(h.out.Text(), "admitted %d", &ts); err != nil {
				t.Fatalf("helper %d said %q: %v; stderr:\n%s", i, h.out.Text(), err, h.stderr.String())
			}
			stamps = append(stamps, ts)
			n++
		}
		if err := h.cmd.Wait(); err != nil {
			t.Fatalf("helper %d: %v; stderr:\n%s", i, err, h.stderr.String())
		}
		t.Logf("process %d: %d admitted", i, n)
	}
	slices.Sort(stamps)
	if len(stamps) == 0 {
		t.Fatal("nothing admitted")
	}
	return stamps
}
