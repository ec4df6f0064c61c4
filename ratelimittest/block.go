package ratelimittest

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
)

// blocker returns e's store as a ratelimit.Blocker, or skips the case.
func (e *env) blocker() ratelimit.Blocker {
	e.t.Helper()
	b, ok := e.store.(ratelimit.Blocker)
	if !ok {
		e.t.Skip("the store does not implement ratelimit.Blocker")
	}
	return b
}

// blockStep is one take of a block case: n units at ms, and the outcome
// wanted.
type blockStep struct {
	ms, n   int64
	allowed bool
	blocked bool
	retry   time.Duration // checked when blocked
}

// runBlock takes each step under key against rs and b, and checks its outcome.
func (e *env) runBlock(key string, rs ratelimit.Rates, b ratelimit.Block, steps []blockStep) {
	e.t.Helper()
	s := e.blocker()
	for i, st := range steps {
		e.at(st.ms)
		d, err := s.TakeBlocking(e.t.Context(), key, rs, st.n, b)
		if err != nil {
			e.t.Fatalf("step %d: TakeBlocking(%q, n=%d) at t=%d: %v", i, key, st.n, st.ms, err)
		}
		bad := d.Allowed != st.allowed || d.Blocked != st.blocked || (st.blocked && d.RetryAfter != st.retry) ||
			(d.Blocked && (d.Remaining != 0 || d.ResetAfter < d.RetryAfter))
		if bad {
			e.t.Fatalf("step %d: TakeBlocking(%q, n=%d) at t=%d = %v (blocked %v); want allowed=%v blocked=%v retry %v",
				i, key, st.n, st.ms, d, d.Blocked, st.allowed, st.blocked, st.retry)
		}
	}
}

// testBlock holds the case: at 5/min with a 10 min block, the 6th
// take is denied with a RetryAfter of exactly 10 min, the key stays blocked
// to the millisecond, takes of 0 units see the block, Take does not, and
// Reset lifts it.
func testBlock(t *testing.T, e *env) {
	rs := rates(t, per(5, time.Minute))
	b := ratelimit.Block{For: 10 * time.Minute}
	const block = 10 * time.Minute
	e.runBlock("k", rs, b, []blockStep{
		{ms: 0, n: 1, allowed: true}, {ms: 1, n: 1, allowed: true}, {ms: 2, n: 1, allowed: true},
		{ms: 3, n: 1, allowed: true}, {ms: 4, n: 1, allowed: true},
		{ms: 5, n: 1, blocked: true, retry: block},
		{ms: 6, n: 0, blocked: true, retry: block - time.Millisecond},
		{ms: 60_000, n: 1, blocked: true, retry: block - 59_995*time.Millisecond},
		{ms: 600_004, n: 1, blocked: true, retry: time.Millisecond},
		{ms: 600_005, n: 1, allowed: true},
	})
	// Blocks are kept apart from the units: Take does not see them.
	e.runBlock("r", rs, b, []blockStep{
		{ms: 700_000, n: 5, allowed: true},
		{ms: 700_001, n: 1, blocked: true, retry: block},
	})
	e.at(830_000) // both of the counter's windows have passed
	if d, err := e.store.Take(t.Context(), "r", rs, 1); err != nil || !d.Allowed || d.Blocked {
		t.Fatalf("Take of a blocked key = %v, %v; want allowed: Take does not see blocks", d, err)
	}
	// Reset lifts a block at once.
	r, ok := e.store.(ratelimit.Resetter)
	if !ok {
		return
	}
	e.runBlock("u", rs, b, []blockStep{
		{ms: 900_000, n: 5, allowed: true},
		{ms: 900_001, n: 1, blocked: true, retry: block},
	})
	if err := r.Reset(t.Context(), "u"); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	e.runBlock("u", rs, b, []blockStep{
		{ms: 900_002, n: 5, allowed: true},
		// A fresh start: no escalation, no count carried over.
		{ms: 900_003, n: 1, blocked: true, retry: block},
	})
}

// testBlockAfter counts denials within a window: the key is blocked at the
// After-th denial within Within of the first, and a count whose window has
// passed starts again. Denials before the block are the rates' own.
func testBlockAfter(t *testing.T, e *env) {
	rs := rates(t, per(1, time.Second))
	b := ratelimit.Block{For: time.Minute, After: 3, Within: 10 * time.Second}
	e.runBlock("k", rs, b, []blockStep{
		{ms: 0, n: 1, allowed: true},
		{ms: 100, n: 1},
		{ms: 200, n: 0, allowed: true}, // a take of nothing counts no denial
		{ms: 300, n: 2},                // nor does one no wait can cure
		{ms: 400, n: 1},
		{ms: 500, n: 1, blocked: true, retry: time.Minute},
		{ms: 60_499, n: 1, blocked: true, retry: time.Millisecond},
		{ms: 60_500, n: 1, allowed: true},
	})
	// Two denials, then the window passes: the count starts again.
	e.runBlock("w", rs, b, []blockStep{
		{ms: 100_000, n: 1, allowed: true},
		{ms: 100_100, n: 1},
		{ms: 100_200, n: 1},
		{ms: 110_100, n: 1, allowed: true},
		{ms: 110_200, n: 1}, // the window from 100_100 has passed: the 1st
		{ms: 110_300, n: 1},
		{ms: 110_400, n: 1, blocked: true, retry: time.Minute},
	})
}

// testBlockEscalate escalates blocks that begin less than the previous
// block's length after its end, up to the cap, and starts over after a
// quiet spell; a block's RetryAfter is never sooner than the rates'.
func testBlockEscalate(t *testing.T, e *env) {
	rs := rates(t, per(1, 100*time.Millisecond))
	b := ratelimit.Block{For: time.Second, Factor: 2, Max: 3 * time.Second}
	e.runBlock("k", rs, b, []blockStep{
		{ms: 0, n: 1, allowed: true},
		{ms: 1, n: 1, blocked: true, retry: time.Second}, // until 1001
		{ms: 1001, n: 1, allowed: true},
		{ms: 1002, n: 1, blocked: true, retry: 2 * time.Second}, // until 3002
		{ms: 3002, n: 1, allowed: true},
		{ms: 3003, n: 1, blocked: true, retry: 3 * time.Second}, // 4s, capped: until 6003
		{ms: 6003, n: 1, allowed: true},
		{ms: 6004, n: 1, blocked: true, retry: 3 * time.Second}, // until 9004
		{ms: 12_004, n: 1, allowed: true},                       // 3s after the end: over
		{ms: 12_005, n: 1, blocked: true, retry: time.Second},
	})
	// A block shorter than the rates' own wait (under the log, exact to
	// the millisecond): RetryAfter is the rates'.
	if e.alg != ratelimit.SlidingWindowLog {
		return
	}
	slow := rates(t, per(1, time.Minute))
	e.runBlock("s", slow, ratelimit.Block{For: time.Second}, []blockStep{
		{ms: 20_000, n: 1, allowed: true},
		{ms: 20_010, n: 1, blocked: true, retry: 59_991 * time.Millisecond},
		{ms: 21_009, n: 1, blocked: true, retry: 58_992 * time.Millisecond},
		// The block is over; the rate still denies, and blocks again.
		{ms: 21_010, n: 1, blocked: true, retry: 58_991 * time.Millisecond},
	})
}

// testBlockConcurrent takes from 16 goroutines on one key under a block:
// once the key is blocked, no take is admitted until the block ends, and
// exactly the limit is admitted before.
func testBlockConcurrent(t *testing.T, e *env) {
	s := e.blocker()
	rs := rates(t, per(10, time.Minute))
	b := ratelimit.Block{For: time.Hour}
	e.at(0)
	var admitted, blocked atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			for range 20 {
				d, err := s.TakeBlocking(t.Context(), "k", rs, 1, b)
				switch {
				case err != nil:
					errc <- err
					return
				case d.Allowed:
					admitted.Add(1)
				case d.Blocked:
					blocked.Add(1)
				default:
					errc <- errors.New("a denial that did not block: " + d.String())
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	if admitted.Load() != 10 || blocked.Load() != 16*20-10 {
		t.Fatalf("admitted %d, blocked %d of %d; want 10 and the rest", admitted.Load(), blocked.Load(), 16*20)
	}
	e.at(time.Hour.Milliseconds())
	if d, err := s.TakeBlocking(t.Context(), "k", rs, 1, b); err != nil || !d.Allowed {
		t.Fatalf("after the block: %v, %v; want allowed", d, err)
	}
}

// block blocks key for d at ms with the store's Block.
func (e *env) block(key string, ms int64, d time.Duration) {
	e.t.Helper()
	e.at(ms)
	if err := e.blocker().Block(e.t.Context(), key, d); err != nil {
		e.t.Fatalf("Block(%q, %v) at t=%d: %v", key, d, ms, err)
	}
}

// testBlockFor holds Blocker.Block: a key is blocked for the time given,
// to the millisecond, under any block (the zero Block, which blocks no key
// on its own, too); a longer block stands against a shorter one and a
// longer one extends it; Take does not see it, Reset lifts it, a block it
// sets escalates no later block, and a bad length is refused.
func testBlockFor(t *testing.T, e *env) {
	rs := rates(t, per(1, time.Second))
	zero := ratelimit.Block{}
	e.block("k", 0, 2*time.Second)
	e.runBlock("k", rs, zero, []blockStep{
		{ms: 0, n: 1, blocked: true, retry: 2 * time.Second},
		{ms: 1999, n: 0, blocked: true, retry: time.Millisecond},
		{ms: 2000, n: 1, allowed: true},
		{ms: 2001, n: 1}, // the zero Block blocks nothing on its own
		{ms: 2002, n: 1},
	})
	e.block("k", 10_000, 10*time.Second)
	e.block("k", 10_001, time.Second)
	e.runBlock("k", rs, zero, []blockStep{{ms: 10_002, n: 1, blocked: true, retry: 9998 * time.Millisecond}})
	e.block("k", 10_003, 20*time.Second)
	e.runBlock("k", rs, zero, []blockStep{{ms: 10_004, n: 1, blocked: true, retry: 19_999 * time.Millisecond}})
	if d, err := e.store.Take(t.Context(), "k", rs, 1); err != nil || !d.Allowed || d.Blocked {
		t.Fatalf("Take of a key blocked by Block = %v, %v; want allowed: Take does not see blocks", d, err)
	}
	if r, ok := e.store.(ratelimit.Resetter); ok {
		if err := r.Reset(t.Context(), "k"); err != nil {
			t.Fatal(err)
		}
		e.runBlock("k", rs, zero, []blockStep{{ms: 10_005, n: 1, allowed: true}})
	}

	// Under an escalating block, a block set by Block escalates nothing:
	// the first block after it lasts For.
	b := ratelimit.Block{For: time.Minute, Factor: 2}
	e.block("e", 100_000, time.Second)
	e.runBlock("e", rs, b, []blockStep{
		{ms: 100_999, n: 1, blocked: true, retry: time.Millisecond},
		{ms: 101_000, n: 1, allowed: true},
		{ms: 101_001, n: 1, blocked: true, retry: time.Minute},
		// and it does not cut short a block that escalation made longer
	})
	e.block("e", 102_000, time.Second)
	e.runBlock("e", rs, b, []blockStep{{ms: 102_001, n: 1, blocked: true, retry: 59 * time.Second}})

	for _, d := range []time.Duration{0, -time.Second, time.Microsecond, 1500 * time.Microsecond, ratelimit.MaxInterval + time.Millisecond} {
		e.at(200_000)
		if err := e.blocker().Block(t.Context(), "bad", d); !errors.Is(err, ratelimit.ErrInvalidArgument) {
			t.Fatalf("Block for %v: error %v; want ErrInvalidArgument", d, err)
		}
	}
	e.runBlock("bad", rs, zero, []blockStep{{ms: 200_001, n: 1, allowed: true}})
}

// testBlockBadInput refuses a bad block, changing nothing.
func testBlockBadInput(t *testing.T, e *env) {
	s := e.blocker()
	rs := rates(t, per(1, time.Minute))
	for _, b := range []ratelimit.Block{
		{For: time.Microsecond},
		{For: ratelimit.MaxInterval + time.Millisecond},
		{For: time.Second, After: -1},
		{For: time.Second, After: 2},
		{For: time.Second, Within: time.Second},
		{For: time.Second, Factor: -2},
		{For: time.Second, Max: time.Minute},
		{For: time.Second, Factor: 2, Max: time.Millisecond},
	} {
		e.at(0)
		if _, err := s.TakeBlocking(t.Context(), "k", rs, 1, b); !errors.Is(err, ratelimit.ErrInvalidArgument) {
			t.Fatalf("TakeBlocking with %+v: error %v; want ErrInvalidArgument", b, err)
		}
	}
	// Nothing was taken: the key admits its limit.
	e.runBlock("k", rs, ratelimit.Block{For: time.Second}, []blockStep{{ms: 1, n: 1, allowed: true}})
}
