//go:build linux || darwin

package mpstore

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// takeBlocking is TakeBlocking of n units of key, failing the test on an
// error.
func takeBlocking(t testing.TB, s *Store, key string, rates ratelimit.Rates, n int64, b ratelimit.Block) ratelimit.Decision {
	t.Helper()
	d, err := s.TakeBlocking(t.Context(), key, rates, n, b)
	if err != nil {
		t.Fatalf("TakeBlocking(%q, %v, %d): %v", key, rates, n, err)
	}
	return d
}

// wantBlocked fails the test unless d is a block's denial with retry left.
func wantBlocked(t testing.TB, what string, d ratelimit.Decision, retry time.Duration) {
	t.Helper()
	if d.Allowed || !d.Blocked || d.RetryAfter != retry {
		t.Fatalf("%s = %v (blocked %v); want blocked, retry after %v", what, d, d.Blocked, retry)
	}
}

// TestBlockRestart holds the case across a restart, for every
// algorithm: at 5/min with a 10 min block, the 6th take is blocked with a
// RetryAfter of exactly 10 min, and Block blocks another key, never taken,
// for 10 min too; a store opened anew on the file finds both keys still
// blocked with the time left, and Reset lifts each block at once.
func TestBlockRestart(t *testing.T) {
	rates := mustRates(t, "5/m")
	b := ratelimit.Block{For: 10 * time.Minute}
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			path := tempPath(t)
			clock := core.NewFakeClock(1_000_000)
			s := openTest(t, path, WithAlgorithm(alg), WithClock(clock))
			for i := range 5 {
				if d := takeBlocking(t, s, "k", rates, 1, b); !d.Allowed {
					t.Fatalf("take %d = %v; want admitted", i+1, d)
				}
			}
			wantBlocked(t, "6th take", takeBlocking(t, s, "k", rates, 1, b), 10*time.Minute)
			if err := s.Block(t.Context(), "held", 10*time.Minute); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}

			clock.Advance(3 * time.Minute) // the rate's window is over; the block is not
			s = openTest(t, path, WithAlgorithm(alg), WithClock(clock))
			for _, key := range []string{"k", "held"} {
				wantBlocked(t, key+"'s take after the restart", takeBlocking(t, s, key, rates, 1, b), 7*time.Minute)
				if err := s.Reset(t.Context(), key); err != nil {
					t.Fatal(err)
				}
				if d := takeBlocking(t, s, key, rates, 1, b); !d.Allowed || d.Blocked {
					t.Fatalf("%s's take after Reset = %v (blocked %v); want admitted", key, d, d.Blocked)
				}
			}
		})
	}
}

// TestBlockKeepsSlot fills a table of 2 slots with a blocked key and
// another: the blocked key's slot is not given to a new key while its
// block matters, though its units no longer count, and is from the block
// state's Idle on, when the key starts afresh.
func TestBlockKeepsSlot(t *testing.T) {
	rates := mustRates(t, "1/s")
	b := ratelimit.Block{For: time.Hour}
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			clock := core.NewFakeClock(0)
			s := openTest(t, tempPath(t), WithAlgorithm(alg), WithClock(clock), WithMaxKeys(2))
			takeBlocking(t, s, "a", rates, 1, b)
			clock.Set(1)
			wantBlocked(t, "a's second take", takeBlocking(t, s, "a", rates, 1, b), time.Hour)
			// Blocked from 1 to 1+1h; idle from 1+2h.
			idle := 1 + 2*time.Hour.Milliseconds()
			clock.Set(idle - 1)
			take(t, s, "b", rates, 1)
			if _, err := s.Take(t.Context(), "c", rates, 1); !errors.Is(err, ErrFull) {
				t.Fatalf("a third key before a's block state is idle: err = %v, want ErrFull", err)
			}
			clock.Set(idle)
			take(t, s, "c", rates, 1)
			if d := takeBlocking(t, s, "b", rates, 1, b); d.Allowed {
				t.Fatalf("b's second take = %v; want denied", d)
			}
			clock.Set(idle + 5000) // b's block is not idle, c is
			if d, err := s.TakeBlocking(t.Context(), "a", rates, 1, b); err != nil || !d.Allowed {
				t.Fatalf("a, forgotten, takes again: %v, %v; want admitted", d, err)
			}
		})
	}
}

// TestBlockForKeepsSlot fills a table of 1 slot with a key that Block
// blocks for an hour before any take: the key holds no units, yet its slot
// is not given to a new key, whether by Take or by Block, until the block
// is over, when it is.
func TestBlockForKeepsSlot(t *testing.T) {
	rates := mustRates(t, "5/s")
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			clock := core.NewFakeClock(0)
			s := openTest(t, tempPath(t), WithAlgorithm(alg), WithClock(clock), WithMaxKeys(1))
			if err := s.Block(t.Context(), "a", time.Hour); err != nil {
				t.Fatal(err)
			}
			if d := take(t, s, "a", rates, 0); d.Remaining != 5 {
				t.Fatalf("Take(0) of the blocked key = %v; want 5 left: Block stores no unit", d)
			}
			clock.Set(time.Hour.Milliseconds() - 1)
			if _, err := s.Take(t.Context(), "b", rates, 1); !errors.Is(err, ErrFull) {
				t.Fatalf("Take of a second key while a's block lasts: err = %v, want ErrFull", err)
			}
			if err := s.Block(t.Context(), "b", time.Second); !errors.Is(err, ErrFull) {
				t.Fatalf("Block of a second key while a's block lasts: err = %v, want ErrFull", err)
			}
			clock.Set(time.Hour.Milliseconds())
			take(t, s, "b", rates, 1)
		})
	}
}

// TestBlockCrashPoints cuts short, at each crash point of its commit, the
// take whose denial blocks a key, as a process killed there would be:
// before the commit (the journal's pairs written, or a constant state's
// scratch copy) the block is wholly absent, so that the next denial blocks
// the key from its own time; once committed (the journal's first word
// written), the next lock holder writes the rest, and the block runs from
// the cut take's time.
func TestBlockCrashPoints(t *testing.T) {
	tests := []struct {
		name    string
		alg     ratelimit.Algorithm
		point   string
		present bool
	}{
		{"log journal", ratelimit.SlidingWindowLog, pointJournal, false},
		{"log replay", ratelimit.SlidingWindowLog, pointReplay, true},
		{"GCRA state", ratelimit.GCRA, pointState, false},
		{"counter state", ratelimit.SlidingWindowCounter, pointState, false},
	}
	rates := mustRates(t, "5/s")
	b := ratelimit.Block{For: 10 * time.Second}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := core.NewFakeClock(0)
			s := openTest(t, tempPath(t), WithAlgorithm(tt.alg), WithClock(clock))
			takeBlocking(t, s, "k", rates, 5, b)
			clock.Set(10)
			cut(t, tt.point, func() { s.TakeBlocking(t.Context(), "k", rates, 1, b) })
			clock.Set(20)
			retry := 10 * time.Second // blocked from 20 by the next denial
			if tt.present {
				retry -= 10 * time.Millisecond // blocked from 10 by the cut one
			}
			wantBlocked(t, "take after the crash", takeBlocking(t, s, "k", rates, 1, b), retry)
			if d := take(t, s, "k", rates, 0); d.Blocked {
				t.Fatalf("Take(0) = %v: Take sees the block", d)
			}
		})
	}
}

// TestBlockForCrashPoints cuts Block short at each crash point of its
// commit, as a process killed there would be, on a key taken before and
// on a key with no slot. Before the commit (the journal's pairs written, a
// constant state's scratch copy, or a new key's slot unpublished, or
// published with no block yet) the block is wholly absent: the next take
// is admitted. Once committed (the journal's first word written), the
// next lock holder writes the rest, and the block runs from the cut
// Block's time. Either way the file stays sound: a Block after the crash
// blocks the key from its own time.
func TestBlockForCrashPoints(t *testing.T) {
	tests := []struct {
		name    string
		alg     ratelimit.Algorithm
		point   string
		key     string
		present bool
	}{
		{"log journal", ratelimit.SlidingWindowLog, pointJournal, "k", false},
		{"log replay", ratelimit.SlidingWindowLog, pointReplay, "k", true},
		{"log claim", ratelimit.SlidingWindowLog, pointClaim, "new", false},
		{"log new key's journal", ratelimit.SlidingWindowLog, pointJournal, "new", false},
		{"log new key's replay", ratelimit.SlidingWindowLog, pointReplay, "new", true},
		{"GCRA state", ratelimit.GCRA, pointState, "k", false},
		{"GCRA claim", ratelimit.GCRA, pointClaim, "new", false},
		{"counter state", ratelimit.SlidingWindowCounter, pointState, "k", false},
		{"counter claim", ratelimit.SlidingWindowCounter, pointClaim, "new", false},
	}
	rates := mustRates(t, "5/s")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := core.NewFakeClock(0)
			s := openTest(t, tempPath(t), WithAlgorithm(tt.alg), WithClock(clock))
			take(t, s, "k", rates, 1)
			clock.Set(10)
			cut(t, tt.point, func() { s.Block(t.Context(), tt.key, time.Minute) })
			clock.Set(20)
			d := takeBlocking(t, s, tt.key, rates, 1, ratelimit.Block{})
			if tt.present {
				wantBlocked(t, "take after the crash", d, time.Minute-10*time.Millisecond)
			} else if !d.Allowed {
				t.Fatalf("take after the crash = %v; want admitted, the cut Block absent", d)
			}
			if err := s.Block(t.Context(), tt.key, time.Minute); err != nil {
				t.Fatal(err)
			}
			wantBlocked(t, "take after a Block", takeBlocking(t, s, tt.key, rates, 1, ratelimit.Block{}), time.Minute)
		})
	}
}

// TestBlockDamaged overwrites a blocked key's level with one Judge never
// writes: TakeBlocking and Block of the key are errors wrapping
// ErrDamaged, and the key's block is left as it is.
func TestBlockDamaged(t *testing.T) {
	rates := mustRates(t, "1/s")
	b := ratelimit.Block{For: time.Hour}
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			clock := core.NewFakeClock(0)
			s := openTest(t, tempPath(t), WithAlgorithm(alg), WithClock(clock))
			takeBlocking(t, s, "k", rates, 1, b)
			wantBlocked(t, "second take", takeBlocking(t, s, "k", rates, 1, b), time.Hour)
			w := locate(t, s, "k")
			level := w.log(lBlock) + 8
			if alg != ratelimit.SlidingWindowLog {
				level = w.state(w.lay.blockWord) + 8
			}
			writeWord(t, s.path, level, 65)
			if d, err := s.TakeBlocking(t.Context(), "k", rates, 1, b); !errors.Is(err, ErrDamaged) || d != (ratelimit.Decision{}) {
				t.Fatalf("TakeBlocking of the damaged key = %v, %v; want ErrDamaged", d, err)
			}
			if err := s.Block(t.Context(), "k", 2*time.Hour); !errors.Is(err, ErrDamaged) {
				t.Fatalf("Block of the damaged key: %v; want ErrDamaged", err)
			}
			if got := readWord(t, s.path, level); got != 65 {
				t.Fatalf("level word = %d after the failed take, want 65 as written", got)
			}
		})
	}
}

// TestCrossProcessBlock has 2 processes take one key 200 times each at
// 5/min under a block of an hour, from a common start, for every
// algorithm: together they admit exactly the limit, and every later take
// of either is blocked. A store on the file with a clock moved to the
// block's end admits the key again, and not a millisecond before.
func TestCrossProcessBlock(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 2 processes per algorithm")
	}
	const takes = 200
	rates := mustRates(t, "5/m")
	b := ratelimit.Block{For: time.Hour}
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			t.Setenv(envAlg, string(alg))
			path := tempPath(t)
			helpers := []*helper{
				startHelper(t, "block", path, rates.String(), fmt.Sprint(takes)),
				startHelper(t, "block", path, rates.String(), fmt.Sprint(takes)),
			}
			start := startTogether(t, helpers)
			var admitted, blocked int
			for i, h := range helpers {
				var a, bl int
				if _, err := fmt.Sscan(h.expect(t, "blocked "), &a, &bl); err != nil {
					t.Fatal(err)
				}
				t.Logf("process %d: %d admitted, %d blocked", i, a, bl)
				admitted, blocked = admitted+a, blocked+bl
			}
			if admitted != 5 || blocked != 2*takes-5 {
				t.Fatalf("%d admitted, %d blocked of %d takes; want 5 admitted and the rest blocked", admitted, blocked, 2*takes)
			}
			end := time.Now().UnixMilli()
			// The block began between the start and now: it lasts at
			// least until start+1h, and is over at end+1h.
			clock := core.NewFakeClock(start + time.Hour.Milliseconds() - 1)
			s := openTest(t, path, WithAlgorithm(alg), WithClock(clock), WithMaxEntries(helperEntries))
			if d := takeBlocking(t, s, "hot", rates, 1, b); !d.Blocked {
				t.Fatalf("take before the block can end = %v; want blocked", d)
			}
			clock.Set(end + time.Hour.Milliseconds())
			if d := takeBlocking(t, s, "hot", rates, 1, b); !d.Allowed {
				t.Fatalf("take after the block = %v; want admitted", d)
			}
		})
	}
}

// TestCrossProcessBlockFor has a process Block a key for an hour, for
// every algorithm, and 2 other processes take it 50 times each at 5/min
// under a block of an hour: every take of theirs is blocked, none
// admitted. A store on the file with a clock moved to the block's end
// admits the key again, and not a millisecond before.
func TestCrossProcessBlockFor(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 2 processes per algorithm")
	}
	const takes = 50
	rates := mustRates(t, "5/m")
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			t.Setenv(envAlg, string(alg))
			path := tempPath(t)
			s := openTest(t, path, WithAlgorithm(alg), WithMaxEntries(helperEntries))
			helpers := []*helper{
				startHelper(t, "block", path, rates.String(), fmt.Sprint(takes)),
				startHelper(t, "block", path, rates.String(), fmt.Sprint(takes)),
			}
			for _, h := range helpers {
				h.expect(t, "ready")
			}
			from := time.Now().UnixMilli()
			if err := s.Block(t.Context(), "hot", time.Hour); err != nil {
				t.Fatal(err)
			}
			to := time.Now().UnixMilli()
			for _, h := range helpers {
				h.send(t, fmt.Sprint(to))
			}
			for i, h := range helpers {
				if got := h.expect(t, "blocked "); got != fmt.Sprint(0, takes) {
					t.Fatalf("process %d: %s admitted and blocked of %d takes; want none admitted, all blocked", i, got, takes)
				}
			}
			// The block began between from and to.
			clock := core.NewFakeClock(from + time.Hour.Milliseconds() - 1)
			late := openTest(t, path, WithAlgorithm(alg), WithClock(clock), WithMaxEntries(helperEntries))
			if d := takeBlocking(t, late, "hot", rates, 1, ratelimit.Block{}); !d.Blocked {
				t.Fatalf("take before the block can end = %v; want blocked", d)
			}
			clock.Set(to + time.Hour.Milliseconds())
			if d := takeBlocking(t, late, "hot", rates, 1, ratelimit.Block{}); !d.Allowed {
				t.Fatalf("take after the block = %v; want admitted", d)
			}
		})
	}
}
