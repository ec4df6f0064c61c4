package ratelimittest

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// Harness makes fresh, empty stores for the suite. The suite closes what it
// is given.
type Harness struct {
	// NewBucket returns an empty bucket enforcing rates. Required. The suite
	// drives it with explicit timestamps (Put) and with its own clock
	// (PutNow).
	NewBucket func(t *testing.T, rates ratelimit.Rates) ratelimit.Bucket
	// NewFactory returns an empty factory enforcing rates on every name.
	// Optional: without it the factory cases are skipped.
	NewFactory func(t *testing.T, rates ratelimit.Rates) ratelimit.Factory

	// Algorithm is the algorithm the buckets and factories enforce. The zero
	// value means [ratelimit.AlgorithmSlidingWindowLog]. GCRA and the
	// sliding-window counter run their own cases, which hold every decision
	// to the core's model of the algorithm, plus the store-independent ones.
	Algorithm ratelimit.Algorithm

	// base is the first timestamp the explicit-time cases use, set by Run.
	base int64
}

// Run runs every conformance case against the stores h makes, each as a
// subtest. A store that passes enforces the exact sliding-window log of
// [ratelimit.SlidingWindowLog] with the same window edges, retry-afters,
// weights and concurrency guarantees as every other store.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.NewBucket == nil {
		t.Fatal("ratelimittest: Harness.NewBucket is required")
	}
	// Explicit timestamps start at the wall clock's current second: a store
	// whose sweeper leaks by wall-clock time keeps them for the run, and a
	// store with its own clock domain does not care.
	h.base = time.Now().Truncate(time.Second).UnixMilli()
	var cases []suiteCase
	switch h.Algorithm {
	case "", ratelimit.AlgorithmSlidingWindowLog:
		h.Algorithm = ratelimit.AlgorithmSlidingWindowLog
		cases = logCases()
	case ratelimit.AlgorithmGCRA, ratelimit.AlgorithmSlidingWindowCounter:
		cases = constantCases()
	default:
		t.Fatalf("ratelimittest: unknown algorithm %q", h.Algorithm)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, h) })
	}
}

// suiteCase is one conformance case.
type suiteCase struct {
	name string
	fn   func(*testing.T, Harness)
}

// logCases are the cases of the exact sliding-window log.
func logCases() []suiteCase {
	return []suiteCase{
		{"WindowEdge", testWindowEdge},
		{"RetryAfter", testRetryAfter},
		{"MultiRate", testMultiRate},
		{"Weights", testWeights},
		{"Leak", testLeak},
		{"Flush", testFlush},
		{"Peek", testPeek},
		{"BadInput", testBadInput},
		{"PutNow", testPutNow},
		{"Close", testCloseBucket},
		{"ConcurrentExact", testConcurrentExact},
		{"ConcurrentRealClock", testConcurrentRealClock},
		{"FactoryNames", testFactoryNames},
		{"FactoryAnyName", testFactoryAnyName},
		{"FactoryClose", testFactoryClose},
	}
}

// logged reports whether h's algorithm keeps a log of units (Peek works).
func (h Harness) logged() bool { return h.Algorithm == ratelimit.AlgorithmSlidingWindowLog }

func newBucket(t *testing.T, h Harness, rates ...ratelimit.Rate) ratelimit.Bucket {
	t.Helper()
	rs, err := ratelimit.NewRates(rates...)
	if err != nil {
		t.Fatalf("NewRates(%v): %v", rates, err)
	}
	b := h.NewBucket(t, rs)
	t.Cleanup(func() { b.Close() })
	return b
}

func newFactory(t *testing.T, h Harness, rates ...ratelimit.Rate) ratelimit.Factory {
	t.Helper()
	if h.NewFactory == nil {
		t.Skip("ratelimittest: Harness.NewFactory not set")
	}
	rs, err := ratelimit.NewRates(rates...)
	if err != nil {
		t.Fatalf("NewRates(%v): %v", rates, err)
	}
	f := h.NewFactory(t, rs)
	t.Cleanup(func() { f.Close() })
	return f
}

// put puts weight units of name at ts and checks the outcome.
func put(t *testing.T, b ratelimit.Bucket, name string, ts, weight int64, allowed bool) ratelimit.Decision {
	t.Helper()
	d, err := b.Put(t.Context(), ratelimit.Item{Name: name, Time: ts, Weight: weight})
	if err != nil {
		t.Fatalf("Put(%s, t=%d, w=%d): %v", name, ts, weight, err)
	}
	if d.Allowed != allowed {
		t.Fatalf("Put(%s, t=%d, w=%d).Allowed = %v, want %v (decision %+v)", name, ts, weight, d.Allowed, allowed, d)
	}
	return d
}

func count(t *testing.T, b ratelimit.Bucket) int64 {
	t.Helper()
	n, err := b.Count(t.Context())
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	return n
}

func wantCount(t *testing.T, b ratelimit.Bucket, want int64) {
	t.Helper()
	if n := count(t, b); n != want {
		t.Fatalf("Count = %d, want %d", n, want)
	}
}

func testWindowEdge(t *testing.T, h Harness) {
	b := newBucket(t, h, ratelimit.Per(3, time.Second))
	for _, ts := range []int64{0, 300, 600} {
		put(t, b, "a", h.base+ts, 1, true)
	}
	put(t, b, "a", h.base+600, 1, false)
	put(t, b, "a", h.base+1000, 1, false) // the unit at 0 is still inside [0, 1000]
	put(t, b, "a", h.base+1001, 1, true)
	wantCount(t, b, 4)
}

func testRetryAfter(t *testing.T, h Harness) {
	tests := []struct {
		weight int64
		want   time.Duration
	}{
		{1, 401 * time.Millisecond},
		{2, 701 * time.Millisecond},
		{3, 1001 * time.Millisecond},
		{4, ratelimit.Never},
	}
	for _, tt := range tests {
		b := newBucket(t, h, ratelimit.Per(3, time.Second))
		w, err := b.Waiting(t.Context(), ratelimit.Item{Name: "a", Time: h.base, Weight: tt.weight})
		if err != nil || (tt.weight <= 3 && w != 0) {
			t.Fatalf("Waiting on an empty bucket, weight %d = %v, %v; want 0", tt.weight, w, err)
		}
		for _, ts := range []int64{0, 300, 600} {
			put(t, b, "a", h.base+ts, 1, true)
		}
		d := put(t, b, "a", h.base+600, tt.weight, false)
		if d.RetryAfter != tt.want {
			t.Fatalf("weight %d: RetryAfter = %v, want %v", tt.weight, d.RetryAfter, tt.want)
		}
		w, err = b.Waiting(t.Context(), ratelimit.Item{Name: "a", Time: h.base + 600, Weight: tt.weight})
		if err != nil || w != tt.want {
			t.Fatalf("weight %d: Waiting = %v, %v; want %v", tt.weight, w, err, tt.want)
		}
		if tt.want == ratelimit.Never {
			continue
		}
		at := h.base + 600 + tt.want.Milliseconds()
		put(t, b, "a", at-1, tt.weight, false)
		put(t, b, "a", at, tt.weight, true)
	}
}

func testMultiRate(t *testing.T, h Harness) {
	short, long := ratelimit.Per(3, time.Second), ratelimit.Per(5, 5*time.Second)
	b := newBucket(t, h, long, short) // given out of order on purpose
	if rs := b.Rates(); len(rs) != 2 || rs[0] != short || rs[1] != long {
		t.Fatalf("Rates = %v, want [%v %v]", rs, short, long)
	}
	for range 3 {
		put(t, b, "a", h.base, 1, true)
	}
	d := put(t, b, "a", h.base, 1, false)
	if d.Rate != short || d.RetryAfter != 1001*time.Millisecond || d.Remaining != 0 {
		t.Fatalf("short rate full: %+v, want Rate %v, RetryAfter 1.001s, Remaining 0", d, short)
	}
	put(t, b, "a", h.base+1001, 1, true)
	put(t, b, "a", h.base+1001, 1, true)
	d = put(t, b, "a", h.base+1001, 1, false)
	// The short rate has room (2 of 3 used): the long one denies. Its bound is
	// the 4th newest unit, stamped at h.base.
	if d.Rate != long || d.RetryAfter != 4000*time.Millisecond {
		t.Fatalf("long rate full: %+v, want Rate %v, RetryAfter 4s", d, long)
	}
	// Both full: the first (shortest) denying rate is reported, and the wait
	// satisfies both.
	b2 := newBucket(t, h, short, long)
	for range 2 {
		put(t, b2, "a", h.base, 1, true)
	}
	put(t, b2, "a", h.base+2000, 1, true)
	put(t, b2, "a", h.base+2000, 1, true)
	put(t, b2, "a", h.base+2500, 1, true)
	d = put(t, b2, "a", h.base+2500, 2, false)
	// The short rate alone would wait 501ms; the long one needs 2501ms.
	if d.Rate != short || d.RetryAfter != 2501*time.Millisecond {
		t.Fatalf("both full: %+v, want Rate %v, RetryAfter 2.501s", d, short)
	}
	put(t, b2, "a", h.base+2500+2500, 2, false)
	put(t, b2, "a", h.base+2500+2501, 2, true)

	// An allowed decision reports the tightest rate and what it has left.
	b3 := newBucket(t, h, short, long)
	d = put(t, b3, "a", h.base, 2, true)
	if d.Rate != short || d.Remaining != 1 || d.ResetAfter != 1001*time.Millisecond || d.Time != h.base {
		t.Fatalf("allowed: %+v, want Rate %v, Remaining 1, ResetAfter 1.001s, Time h.base", d, short)
	}
}

func testWeights(t *testing.T, h Harness) {
	b := newBucket(t, h, ratelimit.Per(20, time.Second))
	put(t, b, "a", h.base, 1, true)
	wantCount(t, b, 1)
	put(t, b, "a", h.base, 10, true)
	wantCount(t, b, 11)
	d := put(t, b, "a", h.base, 20, false) // all or nothing
	if d.Remaining != 9 || d.Rate != ratelimit.Per(20, time.Second) {
		t.Fatalf("partial denial: %+v, want Remaining 9", d)
	}
	wantCount(t, b, 11)
	put(t, b, "a", h.base, 9, true) // an exact fill fits
	wantCount(t, b, 20)
	put(t, b, "a", h.base, 1, false)
	d = put(t, b, "a", h.base, 0, true) // weight 0 always fits, stores nothing
	if d.Remaining != 0 {
		t.Fatalf("weight 0 on a full bucket: %+v, want Remaining 0", d)
	}
	wantCount(t, b, 20)
	d = put(t, b, "a", h.base+5000, 21, false) // can never fit
	if d.RetryAfter != ratelimit.Never {
		t.Fatalf("weight above the limit: RetryAfter = %v, want Never", d.RetryAfter)
	}
	put(t, b, "a", h.base+5000, 20, true)
	wantCount(t, b, 40)
}

func testLeak(t *testing.T, h Harness) {
	ctx := t.Context()
	b := newBucket(t, h, ratelimit.Per(2, time.Second), ratelimit.Per(4, 3*time.Second))
	put(t, b, "a", h.base, 1, true)
	put(t, b, "a", h.base+1001, 2, true)
	put(t, b, "a", h.base+2500, 1, true)
	n, err := b.Leak(ctx, h.base+3000) // bound base+0: the unit at base is kept
	if err != nil || n != 0 {
		t.Fatalf("Leak at the inclusive edge = %d, %v; want 0", n, err)
	}
	wantCount(t, b, 4)
	n, err = b.Leak(ctx, h.base+3001)
	if err != nil || n != 1 {
		t.Fatalf("Leak past the edge = %d, %v; want 1", n, err)
	}
	wantCount(t, b, 3)
	// Units only older than the short window still count for the long one.
	n, err = b.Leak(ctx, h.base+3500)
	if err != nil || n != 0 {
		t.Fatalf("Leak keeping the long window = %d, %v; want 0", n, err)
	}
	put(t, b, "a", h.base+3500, 1, true)
	put(t, b, "a", h.base+3500, 1, false)
	n, err = b.Leak(ctx, h.base+10_000)
	if err != nil || n != 4 {
		t.Fatalf("Leak of everything = %d, %v; want 4", n, err)
	}
	wantCount(t, b, 0)
	if n, _ := b.Leak(ctx, h.base+10_000); n != 0 {
		t.Fatalf("second Leak = %d, want 0", n)
	}
}

func testFlush(t *testing.T, h Harness) {
	b := newBucket(t, h, ratelimit.Per(5, time.Second))
	for range 5 {
		put(t, b, "a", h.base, 1, true)
	}
	put(t, b, "a", h.base, 1, false)
	if err := b.Flush(t.Context()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	wantCount(t, b, 0)
	put(t, b, "a", h.base, 5, true)
}

func testPeek(t *testing.T, h Harness) {
	ctx := t.Context()
	b := newBucket(t, h, ratelimit.Per(10, time.Second))
	if _, ok, err := b.Peek(ctx, 0); ok || err != nil {
		t.Fatalf("Peek(0) on an empty bucket = %v, %v; want nothing", ok, err)
	}
	put(t, b, "first", h.base, 1, true)
	put(t, b, "second", h.base+10, 2, true)
	put(t, b, "third", h.base+20, 1, true)
	want := []struct {
		name string
		ts   int64
	}{{"third", 20}, {"second", 10}, {"second", 10}, {"first", 0}}
	for i, w := range want {
		it, ok, err := b.Peek(ctx, int64(i))
		if err != nil || !ok || it.Name != w.name || it.Time != h.base+w.ts || it.Weight < 1 {
			t.Fatalf("Peek(%d) = %v, %v, %v; want %s at %d", i, it, ok, err, w.name, w.ts)
		}
	}
	if _, ok, err := b.Peek(ctx, 4); ok || err != nil {
		t.Fatalf("Peek past the oldest = %v, %v; want nothing", ok, err)
	}
}

func testBadInput(t *testing.T, h Harness) {
	ctx := t.Context()
	b := newBucket(t, h, ratelimit.Per(3, time.Second))
	put(t, b, "a", h.base, 1, true)
	if _, err := b.Put(ctx, ratelimit.Item{Name: "a", Time: h.base, Weight: -1}); !errors.Is(err, ratelimit.ErrInvalidWeight) {
		t.Fatalf("Put weight -1: err = %v, want ErrInvalidWeight", err)
	}
	if _, err := b.PutNow(ctx, "a", -2); !errors.Is(err, ratelimit.ErrInvalidWeight) {
		t.Fatalf("PutNow weight -2: err = %v, want ErrInvalidWeight", err)
	}
	if _, err := b.Waiting(ctx, ratelimit.Item{Name: "a", Time: h.base, Weight: -1}); !errors.Is(err, ratelimit.ErrInvalidWeight) {
		t.Fatalf("Waiting weight -1: err = %v, want ErrInvalidWeight", err)
	}
	if _, _, err := b.Peek(ctx, -1); !errors.Is(err, ratelimit.ErrInvalidArgument) {
		t.Fatalf("Peek(-1): err = %v, want ErrInvalidArgument", err)
	}
	if !h.logged() {
		// Nothing lost, nothing added: the second unit of 3 still fits, the
		// fourth does not.
		put(t, b, "a", h.base, 2, true)
		put(t, b, "a", h.base, 1, false)
		return
	}
	wantCount(t, b, 1) // nothing lost, nothing added
	for _, name := range []string{"", "user's-key", "x', 1); DROP TABLE foo; --", "ключ/🔑", "a\x00b"} {
		put(t, b, name, h.base+10_000, 1, true)
		it, ok, err := b.Peek(ctx, 0)
		if err != nil || !ok || it.Name != name {
			t.Fatalf("Peek after a put under %q = %v, %v, %v", name, it, ok, err)
		}
		if err := b.Flush(ctx); err != nil {
			t.Fatalf("Flush: %v", err)
		}
	}
}

func testPutNow(t *testing.T, h Harness) {
	ctx := t.Context()
	b := newBucket(t, h, ratelimit.Per(2, time.Hour))
	before, err := b.Now(ctx)
	if err != nil {
		t.Fatalf("Now: %v", err)
	}
	d, err := b.PutNow(ctx, "a", 2)
	if err != nil || !d.Allowed {
		t.Fatalf("PutNow = %+v, %v; want allowed", d, err)
	}
	after, _ := b.Now(ctx)
	if d.Time < before || d.Time > after {
		t.Fatalf("PutNow stamped %d, outside the bucket clock's [%d, %d]", d.Time, before, after)
	}
	d, err = b.PutNow(ctx, "a", 1)
	within := time.Hour + time.Millisecond
	if h.Algorithm == ratelimit.AlgorithmSlidingWindowCounter {
		within = 2 * time.Hour // the units weigh on the next fixed window too
	}
	if err != nil || d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > within {
		t.Fatalf("PutNow on a full bucket = %+v, %v; want a denial within the hour", d, err)
	}
	if !h.logged() {
		return
	}
	it, ok, err := b.Peek(ctx, 0)
	if err != nil || !ok || it.Name != "a" || it.Time < before || it.Time > after {
		t.Fatalf("Peek after PutNow = %v, %v, %v", it, ok, err)
	}
}

func testCloseBucket(t *testing.T, h Harness) {
	ctx := t.Context()
	rs, _ := ratelimit.NewRates(ratelimit.Per(3, time.Second))
	b := h.NewBucket(t, rs)
	put(t, b, "a", h.base, 1, true)
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := b.Put(ctx, ratelimit.Item{Name: "a", Time: h.base, Weight: 1}); !errors.Is(err, ratelimit.ErrClosed) {
		t.Fatalf("Put after Close: err = %v, want ErrClosed", err)
	}
	if _, err := b.PutNow(ctx, "a", 1); !errors.Is(err, ratelimit.ErrClosed) {
		t.Fatalf("PutNow after Close: err = %v, want ErrClosed", err)
	}
}

func testFactoryNames(t *testing.T, h Harness) {
	ctx := t.Context()
	f := newFactory(t, h, ratelimit.Per(3, time.Hour))
	for i := range 3 {
		if d, err := f.Acquire(ctx, "a", 1); err != nil || !d.Allowed || d.Remaining != int64(2-i) {
			t.Fatalf("Acquire a #%d = %+v, %v; want allowed, Remaining %d", i, d, err, 2-i)
		}
	}
	if d, err := f.Acquire(ctx, "a", 1); err != nil || d.Allowed {
		t.Fatalf("4th Acquire a = %+v, %v; want denied", d, err)
	}
	if d, err := f.Acquire(ctx, "b", 3); err != nil || !d.Allowed {
		t.Fatalf("Acquire b = %+v, %v; want allowed (names are isolated)", d, err)
	}
	if d, err := f.Acquire(ctx, "a", -1); !errors.Is(err, ratelimit.ErrInvalidWeight) {
		t.Fatalf("Acquire weight -1 = %+v, %v; want ErrInvalidWeight", d, err)
	}
	for name, want := range map[string]int64{"a": 3, "b": 3, "c": 0} {
		b, err := f.Bucket(ctx, name)
		if err != nil {
			t.Fatalf("Bucket(%q): %v", name, err)
		}
		if n := count(t, b); n != want {
			t.Fatalf("Bucket(%q).Count = %d, want %d", name, n, want)
		}
	}
	b, _ := f.Bucket(ctx, "a")
	if err := b.Flush(ctx); err != nil {
		t.Fatalf("Flush a: %v", err)
	}
	if d, err := f.Acquire(ctx, "a", 3); err != nil || !d.Allowed {
		t.Fatalf("Acquire a after Flush = %+v, %v; want allowed", d, err)
	}
}

func testFactoryClose(t *testing.T, h Harness) {
	if h.NewFactory == nil {
		t.Skip("ratelimittest: Harness.NewFactory not set")
	}
	ctx := t.Context()
	rs, _ := ratelimit.NewRates(ratelimit.Per(3, time.Second))
	f := h.NewFactory(t, rs)
	if _, err := f.Acquire(ctx, "a", 1); err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := f.Acquire(ctx, "a", 1); !errors.Is(err, ratelimit.ErrClosed) {
		t.Fatalf("Acquire after Close: err = %v, want ErrClosed", err)
	}
}

// Names returns names that break stores which interpolate, split, escape or
// truncate them: quotes, SQL, hash-tag braces, NUL, invalid UTF-8, 4 KB, and
// two random 64 KiB names that differ in their last byte. "a" and "a\x00b"
// must stay apart, and so must the two long ones. Stores use it for their
// own name tests.
func Names() []string {
	// 64 KiB of random bytes (NULs and invalid UTF-8 among them), twice,
	// differing in the last byte only: long keys must stay apart.
	long := make([]byte, 64<<10)
	rng := rand.New(rand.NewPCG(10, 64))
	for i := range long {
		long[i] = byte(rng.Uint32())
	}
	long[0], long[1] = 0, 0xff
	other := slices.Clone(long)
	other[len(other)-1]++
	return []string{
		"", "a", "a\x00b", "user's-key", `'); DROP TABLE x; --`, `"); DROP TABLE "ratelimit"; --`,
		"{a}b{", "key:{slot}", "ключ/🔑/鍵", "\xff\xfe", strings.Repeat("k", 4096), string(long), string(other),
	}
}

// testFactoryAnyName routes every name of Names through a factory (see
// RoundTripNames).
func testFactoryAnyName(t *testing.T, h Harness) {
	RoundTripNames(t, newFactory(t, h, ratelimit.Per(2, time.Hour)), Names(), h.logged())
}

// RoundTripNames routes each of names through f, which must hold every name
// to 2 units per hour, each in a subtest named by its index: the name admits
// two units and denies a third (names are isolated), its bucket counts 2,
// and, when the algorithm keeps a log (logged), its newest unit comes back
// under it. Stores run it with names of their own (their table's name in an
// injection, say) before checking their storage.
func RoundTripNames(t *testing.T, f ratelimit.Factory, names []string, logged bool) {
	t.Helper()
	for i, name := range names {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			ctx := t.Context()
			for range 2 {
				if d, err := f.Acquire(ctx, name, 1); err != nil || !d.Allowed {
					t.Fatalf("Acquire = %+v, %v; want allowed", d, err)
				}
			}
			if d, err := f.Acquire(ctx, name, 1); err != nil || d.Allowed {
				t.Fatalf("third Acquire = %+v, %v; want denied (2/h, names isolated)", d, err)
			}
			b, err := f.Bucket(ctx, name)
			if err != nil {
				t.Fatalf("Bucket: %v", err)
			}
			if n := count(t, b); n != 2 {
				t.Fatalf("Count = %d, want 2", n)
			}
			if it, ok, err := b.Peek(ctx, 0); logged && (err != nil || !ok || it.Name != name) {
				t.Fatalf("Peek(0) = %v, %v, %v; want a unit under %q", it, ok, err, name)
			}
		})
	}
}

// StoreView returns b, a per-name view of a store, with a Close that closes
// the store behind it: a Harness.NewBucket over a factory's Bucket, whose own
// Close does nothing, hands the suite something that releases the store.
func StoreView(b ratelimit.Bucket, store interface{ Close() error }) ratelimit.Bucket {
	return storeView{b, store}
}

type storeView struct {
	ratelimit.Bucket
	store interface{ Close() error }
}

func (v storeView) Close() error { return v.store.Close() }
