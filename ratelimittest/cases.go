package ratelimittest

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
)

// ratesLists are the lists ModelAgreement switches between. The log's share
// their largest interval: a store keeps a key's units for the largest
// interval of its last take, so a longer one would see a store-dependent
// past.
func ratesLists(t *testing.T, alg ratelimit.Algorithm) []ratelimit.Rates {
	lists := []ratelimit.Rates{
		rates(t, per(3, time.Second), per(30, 10*time.Second)),
		rates(t, per(5, time.Second), per(30, 10*time.Second)),
		rates(t, per(2, 100*time.Millisecond), per(10, time.Second), per(30, 10*time.Second)),
		rates(t, per(40, 10*time.Second)),
	}
	if alg != ratelimit.SlidingWindowLog {
		lists = append(lists,
			rates(t, per(4, 2*time.Second)),
			rates(t, per(5, time.Second), per(60, time.Minute)),
		)
	}
	return lists
}

// testModelAgreement takes random weights at random times, now and then
// under another rate list, and holds every field of every decision to the
// model.
func testModelAgreement(t *testing.T, e *env) {
	lists := ratesLists(t, e.alg)
	m := newModel(e.alg)
	rng := rand.New(rand.NewPCG(7, uint64(len(e.alg))))
	rs, now := lists[0], int64(0)
	for step := range 600 {
		if rng.IntN(10) == 0 {
			rs = lists[rng.IntN(len(lists))]
		}
		now += rng.Int64N(80)
		n := rng.Int64N(rs[0].Limit + 2)
		want := m.take(rs, e.base+now, n)
		e.at(now)
		got, err := e.store.Take(t.Context(), "k", rs, n)
		if err != nil {
			t.Fatalf("step %d: Take(%v, n=%d) at t=%d: %v", step, rs, n, now, err)
		}
		if !equal(got, want) {
			t.Fatalf("step %d: Take(%v, n=%d) at t=%d = %v (%+v), want %v (%+v)", step, rs, n, now, got, got, want, want)
		}
	}
}

// testStanding: n=0 is allowed, reports the key's standing, consumes nothing.
func testStanding(t *testing.T, e *env) {
	rs := rates(t, per(4, time.Second), per(10, time.Minute))
	m := newModel(e.alg)
	for i, step := range []struct{ ms, n int64 }{{0, 0}, {0, 0}, {10, 3}, {20, 0}, {20, 0}, {30, 1}, {30, 0}, {1500, 0}, {1500, 4}} {
		want := m.take(rs, e.base+step.ms, step.n)
		if got := e.take("a", rs, step.ms, step.n, want.Allowed); !equal(got, want) {
			t.Fatalf("step %d: Take(n=%d) at t=%d = %v, want %v", i, step.n, step.ms, got, want)
		}
	}
}

// testCheck: Check returns what Take would, and consumes nothing.
func testCheck(t *testing.T, e *env) {
	c, ok := e.store.(ratelimit.Checker)
	if !ok {
		t.Skip("the store does not implement ratelimit.Checker")
	}
	rs := rates(t, per(3, time.Second), per(5, 5*time.Second))
	m := newModel(e.alg)
	rng := rand.New(rand.NewPCG(3, 5))
	now := int64(0)
	for step := range 200 {
		now += rng.Int64N(200)
		n := rng.Int64N(5)
		e.at(now)
		want := m.check(rs, e.base+now, n)
		for range 2 {
			got, err := c.Check(t.Context(), "k", rs, n)
			if err != nil || !equal(got, want) {
				t.Fatalf("step %d: Check(n=%d) at t=%d = %v, %v; want %v", step, n, now, got, err, want)
			}
		}
		if rng.IntN(2) == 0 {
			want := m.take(rs, e.base+now, n)
			if got := e.take("k", rs, now, n, want.Allowed); !equal(got, want) {
				t.Fatalf("step %d: Take(n=%d) at t=%d = %v, want %v", step, n, now, got, want)
			}
		}
	}
	if _, err := c.Check(t.Context(), "k", rs, -1); !errors.Is(err, ratelimit.ErrInvalidArgument) {
		t.Fatalf("Check(n=-1): err = %v, want ErrInvalidArgument", err)
	}
}

// testReset: a reset key starts afresh; other keys keep their state.
func testReset(t *testing.T, e *env) {
	r, ok := e.store.(ratelimit.Resetter)
	if !ok {
		t.Skip("the store does not implement ratelimit.Resetter")
	}
	rs := rates(t, per(3, time.Minute))
	e.take("a", rs, 0, 3, true)
	e.take("b", rs, 0, 3, true)
	if err := r.Reset(t.Context(), "a"); err != nil {
		t.Fatalf("Reset(a): %v", err)
	}
	if err := r.Reset(t.Context(), "never-taken"); err != nil {
		t.Fatalf("Reset of an unknown key: %v", err)
	}
	e.take("a", rs, 10, 3, true)
	e.take("a", rs, 10, 1, false)
	e.take("b", rs, 10, 1, false)
}

// testBadInput: errors, never panics, and nothing lost or added.
func testBadInput(t *testing.T, e *env) {
	rs := rates(t, per(3, time.Second))
	e.take("a", rs, 0, 1, true)
	e.at(0)
	if _, err := e.store.Take(t.Context(), "a", rs, -1); !errors.Is(err, ratelimit.ErrInvalidArgument) {
		t.Fatalf("Take(n=-1): err = %v, want ErrInvalidArgument", err)
	}
	if _, err := e.store.Take(t.Context(), "a", nil, 1); !errors.Is(err, ratelimit.ErrInvalidRate) {
		t.Fatalf("Take with no rates: err = %v, want ErrInvalidRate", err)
	}
	// Lists no constructor makes, from a caller that skipped validation:
	// an error, never a panic or a decision.
	bad := []ratelimit.Rates{
		{per(0, time.Second)}, {per(-5, time.Second)}, {per(1, 0)}, {per(1, -time.Second)},
		{per(1, time.Nanosecond)}, {per(1, 1500*time.Microsecond)}, {per(1, ratelimit.MaxInterval+time.Millisecond)},
		{per(5, time.Minute), per(3, time.Second)}, {per(3, time.Second), per(5, time.Second)},
	}
	if e.alg != ratelimit.SlidingWindowLog {
		bad = append(bad, ratelimit.Rates{per(1<<62, time.Hour)})
	}
	for _, key := range []string{"a", "fresh"} {
		for _, rs := range bad {
			if d, err := e.store.Take(t.Context(), key, rs, 1); !errors.Is(err, ratelimit.ErrInvalidRate) {
				t.Fatalf("Take(%q) with rates %#v = %v, %v; want an error wrapping ErrInvalidRate", key, rs, d, err)
			}
		}
	}
	e.take("a", rs, 0, 2, true)
	e.take("a", rs, 0, 1, false)
}

// testAnyKey: every key works, and keys that differ in any byte stay apart.
func testAnyKey(t *testing.T, e *env) {
	rs := rates(t, per(2, time.Hour))
	for i, key := range keys() {
		for range 2 {
			if d := e.take(key, rs, 0, 1, true); d.Rate != rs[0] {
				t.Fatalf("key %d: %v, want by %v", i, d, rs[0])
			}
		}
		e.take(key, rs, 0, 1, false)
	}
}

// testRateChange: a limit lowered and raised, a rate added and dropped, one
// key, decision by decision against the model; for every algorithm a lowered
// limit counts what was admitted before it.
func testRateChange(t *testing.T, e *env) {
	m := newModel(e.alg)
	ten, five, twenty := rates(t, per(10, time.Minute)), rates(t, per(5, time.Minute)), rates(t, per(20, time.Minute))
	withShort := rates(t, per(2, time.Second), per(20, time.Minute))
	for i, step := range []struct {
		ms, n int64
		rs    ratelimit.Rates
	}{
		{0, 5, ten}, {1000, 1, five}, {1000, 0, five}, // lowered: 5 of 5 used
		{2000, 15, twenty}, {2000, 1, twenty}, // raised: 15 more
		{3000, 1, withShort}, {3000, 1, withShort}, {3000, 1, withShort},
		{4500, 2, withShort}, {4500, 1, ten}, {70_000, 10, ten}, {70_000, 1, twenty},
	} {
		want := m.take(step.rs, e.base+step.ms, step.n)
		if got := e.take("k", step.rs, step.ms, step.n, want.Allowed); !equal(got, want) {
			t.Fatalf("step %d: Take(%v, n=%d) at t=%d = %v, want %v", i, step.rs, step.n, step.ms, got, want)
		}
		if i == 1 && want.Allowed || i == 3 && !want.Allowed {
			t.Fatalf("model: step %d = %v; the documented result is 5 of 5 used, then 15 left", i, want)
		}
	}
}

// keys returns keys that break stores which interpolate, split, escape,
// hash or truncate them: quotes, SQL, hash-tag braces, NUL, invalid UTF-8,
// 4 KiB, and two random 64 KiB keys that differ in their last byte.
func keys() []string {
	long := make([]byte, 64<<10)
	rng := rand.New(rand.NewPCG(10, 64))
	for i := range long {
		long[i] = byte(rng.Uint32())
	}
	long[0], long[1] = 0, 0xff
	other := append([]byte(nil), long...)
	other[len(other)-1]++
	k4 := make([]byte, 4096)
	for i := range k4 {
		k4[i] = 'k'
	}
	return []string{
		"", "a", "a\x00b", "user's-key", `'); DROP TABLE x; --`, `"); DROP TABLE "ratelimit"; --`,
		"{a}b{", "key:{slot}", "ключ/🔑/鍵", "\xff\xfe", string(k4), string(long), string(other),
	}
}
