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

	"github.com/gorate/ratelimit"
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
// through a change (an entry written, the tail not moved; a new key's slot
// written but not published), and kills it with SIGKILL. The kernel drops
// its lock: a take the parent had waiting goes through, the parent and
// another child take within a second, and the log holds exactly what was
// admitted: the killed take is absent.
func TestCrashHoldingLock(t *testing.T) {
	const limit = 100
	rates := mustRates(t, "100/h")
	tests := []struct {
		name string
		hang string // point key: the child's take
	}{
		{"append", pointAppend + " k"},
		{"new key", pointClaim + " new"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			path := tempPath(t)
			s := openTest(t, path, WithMaxEntries(helperEntries))
			take(t, s, "k", rates, 8)
			want := int64(8)

			child := startHelper(t, "hang", path, rates.String(), tt.hang)
			child.expect(t, "locked")
			waiting := make(chan error, 1)
			go func() { // blocks on the child's lock
				_, err := s.Take(ctx, "k", rates, 1)
				waiting <- err
			}()
			select {
			case err := <-waiting:
				t.Fatalf("Take went through while the child held the lock: %v", err)
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
				t.Fatalf("the waiting Take took %v after the kill", took)
			}
			child.cmd.Wait()
			want++

			other := startHelper(t, "take", path, rates.String(), "2")
			other.expect(t, "ready")
			other.send(t, "go")
			if us, _ := strconv.Atoi(other.expect(t, "took true ")); us > 1_000_000 {
				t.Fatalf("another child's Take took %dµs", us)
			}
			want += 2
			if d := take(t, s, "k", rates, 1); !d.Allowed {
				t.Fatalf("Take after the crash = %v", d)
			}
			want++

			// The key holds exactly what was admitted: the rest fits, one
			// more does not.
			if d := take(t, s, "k", rates, 0); d.Remaining != limit-want {
				t.Fatalf("Take(0) = %v; want %d left, %d units admitted", d, limit-want, want)
			}
			if n := keysInUse(t, s); n != 1 {
				t.Fatalf("%d keys in use, want 1: the killed claim left none", n)
			}
		})
	}
}

// hammerProcesses starts procs helper processes on one new store file, has
// them take at 50/s from a common start for run milliseconds, and returns
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

// TestCrossProcessRefund has 2 processes take one unit at a time from one
// key at 2000 per 1000h (nothing is emitted or expires meanwhile) for
// 300ms from a common start, refunding seven of every eight units they
// are admitted, under each algorithm. The units admitted minus those
// refunded never exceed the limit, and the key's standing counts each of
// them exactly, none lost to a refund or take of the other process. Under
// GCRA each refund falls short by the time since its take, so one unit
// less may fit.
func TestCrossProcessRefund(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 2 processes for 300ms per algorithm")
	}
	const limit = 2000
	rates := mustRates(t, "2000/1000h")
	for _, alg := range []ratelimit.Algorithm{ratelimit.SlidingWindowLog, ratelimit.GCRA, ratelimit.SlidingWindowCounter} {
		t.Run(string(alg), func(t *testing.T) {
			t.Setenv(envAlg, string(alg))
			path := tempPath(t)
			s := openTest(t, path, WithAlgorithm(alg), WithMaxEntries(helperEntries))
			helpers := []*helper{
				startHelper(t, "settle", path, rates.String(), "300"),
				startHelper(t, "settle", path, rates.String(), "300"),
			}
			startTogether(t, helpers)
			var admitted, refunded int64
			for i, h := range helpers {
				var a, r int64
				if _, err := fmt.Sscan(h.expect(t, "settled "), &a, &r); err != nil {
					t.Fatal(err)
				}
				t.Logf("process %d: %d admitted, %d refunded", i, a, r)
				admitted, refunded = admitted+a, refunded+r
			}
			held := admitted - refunded
			d := take(t, s, "hot", rates, 0)
			least := limit - held
			if alg == ratelimit.GCRA {
				least--
			}
			if held > limit || d.Remaining > limit-held || d.Remaining < least {
				t.Fatalf("%d admitted, %d refunded, standing %v; want at most %d held, and the standing to count them", admitted, refunded, d, limit)
			}
		})
	}
}
