package denialcache_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	"github.com/gorate/ratelimit/store/denialcache"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// counting is a store that counts the calls that reach it. When holding
// is set, the next Take, once decided, signals decided and waits for
// release to be closed.
type counting struct {
	ratelimit.Store
	calls            atomic.Int64
	holding          atomic.Bool
	decided, release chan struct{}
}

func (c *counting) Take(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	c.calls.Add(1)
	d, err := c.Store.Take(ctx, key, rates, n)
	if c.holding.CompareAndSwap(true, false) {
		close(c.decided)
		<-c.release
	}
	return d, err
}

func (c *counting) Check(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	c.calls.Add(1)
	return c.Store.(ratelimit.Checker).Check(ctx, key, rates, n)
}

func (c *counting) Reset(ctx context.Context, key string) error {
	return c.Store.(ratelimit.Resetter).Reset(ctx, key)
}

func (c *counting) Refund(ctx context.Context, key string, rates ratelimit.Rates, taken ratelimit.Decision, n int64) (ratelimit.Decision, error) {
	return c.Store.(ratelimit.Settler).Refund(ctx, key, rates, taken, n)
}

func (c *counting) Charge(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	return c.Store.(ratelimit.Settler).Charge(ctx, key, rates, n)
}

func (c *counting) TakeBlocking(ctx context.Context, key string, rates ratelimit.Rates, n int64, b ratelimit.Block) (ratelimit.Decision, error) {
	c.calls.Add(1)
	return c.Store.(ratelimit.Blocker).TakeBlocking(ctx, key, rates, n, b)
}

func (c *counting) Block(ctx context.Context, key string, d time.Duration) error {
	return c.Store.(ratelimit.Blocker).Block(ctx, key, d)
}

// setup returns a cache over a memory store of algorithm alg, the counting
// store between them, and the fake clock both read.
func setup(t *testing.T, alg ratelimit.Algorithm, opts ...denialcache.Option) (*denialcache.Store, *counting, *core.FakeClock) {
	t.Helper()
	clock := core.NewFakeClock(1_000_000)
	mem, err := memorystore.New(memorystore.WithAlgorithm(alg), memorystore.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	inner := &counting{Store: mem}
	s, err := denialcache.New(inner, append([]denialcache.Option{denialcache.WithClock(clock)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s, inner, clock
}

func mustRates(t *testing.T, rs ...ratelimit.Rate) ratelimit.Rates {
	t.Helper()
	list, err := ratelimit.NewRates(rs...)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func take(t *testing.T, s ratelimit.Store, key string, rates ratelimit.Rates, n int64) ratelimit.Decision {
	t.Helper()
	d, err := s.Take(t.Context(), key, rates, n)
	if err != nil {
		t.Fatalf("Take(%q, n=%d): %v", key, n, err)
	}
	return d
}

// TestServesDenials: once the store denies a weight, takes of that weight
// or more are denied without a call until the denial ends, with waits
// shortened by the time passed; smaller weights, weights above the limit
// and n = 0 still reach the store; when the denial ends, the store decides
// again.
func TestServesDenials(t *testing.T) {
	for _, alg := range []ratelimit.Algorithm{ratelimit.SlidingWindowLog, ratelimit.GCRA, ratelimit.SlidingWindowCounter} {
		t.Run(string(alg), func(t *testing.T) {
			s, inner, clock := setup(t, alg)
			rs := mustRates(t, ratelimit.PerSecond(4))
			take(t, s, "k", rs, 3)
			first := take(t, s, "k", rs, 2)
			if first.Allowed || inner.calls.Load() != 2 {
				t.Fatalf("second take = %v after %d calls; want a denial from the store", first, inner.calls.Load())
			}
			clock.Advance(100 * time.Millisecond)
			for _, n := range []int64{2, 4} {
				d := take(t, s, "k", rs, n)
				want := first
				want.RetryAfter -= 100 * time.Millisecond
				want.ResetAfter -= 100 * time.Millisecond
				if d != want || inner.calls.Load() != 2 {
					t.Fatalf("Take(n=%d) = %v after %d calls; want %v from the cache", n, d, inner.calls.Load(), want)
				}
			}
			for i, n := range []int64{1, 5, 0} {
				take(t, s, "k", rs, n)
				if got := inner.calls.Load(); got != int64(3+i) {
					t.Fatalf("Take(n=%d) made %d calls; want it to reach the store", n, got-int64(2+i))
				}
			}
			clock.Advance(first.RetryAfter - 100*time.Millisecond)
			if take(t, s, "k", rs, 2); inner.calls.Load() != 6 {
				t.Fatalf("at the retry: %d calls; want the take to reach the store", inner.calls.Load())
			}
		})
	}
}

// TestSettle: a refund drops the key's cached denial, so that the room it
// makes is seen at once; a charge keeps it, and its overdraft is denied.
func TestSettle(t *testing.T) {
	for _, alg := range []ratelimit.Algorithm{ratelimit.SlidingWindowLog, ratelimit.GCRA, ratelimit.SlidingWindowCounter} {
		t.Run(string(alg), func(t *testing.T) {
			s, inner, _ := setup(t, alg)
			rs := mustRates(t, ratelimit.PerMinute(4))
			taken := take(t, s, "k", rs, 4)
			if d := take(t, s, "k", rs, 1); d.Allowed {
				t.Fatalf("take past the limit = %v", d)
			}
			calls := inner.calls.Load()
			if d, err := s.Refund(t.Context(), "k", rs, taken, 2); err != nil || d.Remaining != 2 {
				t.Fatalf("Refund = %v, %v; want 2 left", d, err)
			}
			if d := take(t, s, "k", rs, 2); !d.Allowed || inner.calls.Load() != calls+1 {
				t.Fatalf("take after the refund = %v, %d calls; want it admitted by the store", d, inner.calls.Load()-calls)
			}
			if d, err := s.Charge(t.Context(), "k", rs, 3); err != nil || d.Allowed {
				t.Fatalf("Charge = %v, %v; want an overdrawn standing", d, err)
			}
			if d := take(t, s, "k", rs, 1); d.Allowed {
				t.Fatalf("take after an overdraft = %v; want a denial", d)
			}
		})
	}
}

// TestBlock: TakeBlocking caches a block's denial, and no other (the store
// counts them toward the block); Take is never answered with a block's
// denial; Reset lifts a cached block.
func TestBlock(t *testing.T) {
	s, inner, clock := setup(t, ratelimit.SlidingWindowLog)
	rs := mustRates(t, ratelimit.PerMinute(2))
	b := ratelimit.Block{For: 10 * time.Minute, After: 2, Within: time.Minute}
	takeBlocking := func(wantCalls int64) ratelimit.Decision {
		t.Helper()
		d, err := s.TakeBlocking(t.Context(), "k", rs, 1, b)
		if err != nil {
			t.Fatal(err)
		}
		if got := inner.calls.Load(); got != wantCalls {
			t.Fatalf("TakeBlocking = %v after %d calls to the store; want %d", d, got, wantCalls)
		}
		return d
	}
	takeBlocking(1)
	takeBlocking(2)
	if d := takeBlocking(3); d.Allowed || d.Blocked {
		t.Fatalf("3rd take = %v; want a denial by the rate", d)
	}
	if d := takeBlocking(4); !d.Blocked {
		t.Fatalf("4th take = %v; want the store's block", d)
	}
	clock.Advance(time.Minute + time.Millisecond) // the rate's units have left
	if d := takeBlocking(4); !d.Blocked || d.RetryAfter != 9*time.Minute-time.Millisecond {
		t.Fatalf("a minute later = %v; want the block from the cache, 8m59.999s left", d)
	}
	if d := take(t, s, "k", rs, 1); d.Blocked || !d.Allowed || inner.calls.Load() != 5 {
		t.Fatalf("Take of a blocked key = %v; want the store's admission (Take does not see blocks)", d)
	}
	if err := s.Reset(t.Context(), "k"); err != nil {
		t.Fatal(err)
	}
	if d := takeBlocking(6); !d.Allowed {
		t.Fatalf("after Reset = %v; want admitted", d)
	}
}

// TestNever: a weight above the limit is denied with Never, from the cache
// for as long as it is held.
func TestNever(t *testing.T) {
	s, inner, clock := setup(t, ratelimit.SlidingWindowLog)
	rs := mustRates(t, ratelimit.PerSecond(4))
	for range 3 {
		if d := take(t, s, "k", rs, 5); d.Allowed || d.RetryAfter != ratelimit.Never {
			t.Fatalf("Take(n=5) = %v; want denied, retry never", d)
		}
		clock.Advance(time.Hour)
	}
	if inner.calls.Load() != 1 {
		t.Fatalf("%d calls; want 1", inner.calls.Load())
	}
}

// TestOtherRates: a take under other rates reaches the store and drops the
// key's denial.
func TestOtherRates(t *testing.T) {
	s, inner, _ := setup(t, ratelimit.GCRA)
	a, b := mustRates(t, ratelimit.PerSecond(2)), mustRates(t, ratelimit.PerSecond(3))
	take(t, s, "k", a, 2)
	take(t, s, "k", a, 1) // denied: cached
	if d := take(t, s, "k", b, 1); !d.Allowed {
		t.Fatalf("under %v: %v; want allowed", b, d)
	}
	take(t, s, "k", a, 1)
	if inner.calls.Load() != 4 {
		t.Fatalf("%d calls; want 4: the denial under %v dropped", inner.calls.Load(), a)
	}
}

// TestOtherRatesNoUnits: a take of no units or a charge under other rates
// drops the key's denial too, under every algorithm: it may admit nothing,
// but the store keeps the key's state under the new rates (a new interval
// starts from nothing; the log drops what the new rates no longer count),
// so the old denial may no longer hold when the old rates come back.
func TestOtherRatesNoUnits(t *testing.T) {
	for _, alg := range []ratelimit.Algorithm{ratelimit.SlidingWindowLog, ratelimit.GCRA, ratelimit.SlidingWindowCounter} {
		for _, other := range []string{"take", "charge"} {
			t.Run(fmt.Sprint(alg, "/", other), func(t *testing.T) {
				s, inner, clock := setup(t, alg)
				a, b := mustRates(t, ratelimit.PerMinute(2)), mustRates(t, ratelimit.PerSecond(2))
				take(t, s, "k", a, 2)
				clock.Advance(2 * time.Second)
				if d := take(t, s, "k", a, 1); d.Allowed {
					t.Fatalf("under %v: %v; want denied", a, d)
				}
				// It drops the units two seconds old, or starts afresh.
				if other == "take" {
					take(t, s, "k", b, 0)
				} else if _, err := s.Charge(t.Context(), "k", b, 0); err != nil {
					t.Fatal(err)
				}
				if d := take(t, s, "k", a, 1); !d.Allowed {
					t.Fatalf("under %v after a %s of 0 under %v: %v; want allowed, as the store alone", a, other, b, d)
				}
				if want := map[string]int64{"take": 4, "charge": 3}[other]; inner.calls.Load() != want {
					t.Fatalf("%d takes reached the store; want %d: the denial under %v dropped", inner.calls.Load(), want, a)
				}
			})
		}
	}
}

// TestResetInFlight: a denial decided before a Reset is not cached after
// it, even when its call returns after the Reset.
func TestResetInFlight(t *testing.T) {
	s, inner, _ := setup(t, ratelimit.SlidingWindowLog)
	rs := mustRates(t, ratelimit.PerMinute(1))
	take(t, s, "k", rs, 1)
	inner.decided, inner.release = make(chan struct{}), make(chan struct{})
	inner.holding.Store(true)
	done := make(chan ratelimit.Decision)
	go func() {
		d, _ := s.Take(context.Background(), "k", rs, 1)
		done <- d
	}()
	<-inner.decided // denied, not yet cached
	if err := s.Reset(t.Context(), "k"); err != nil {
		t.Fatal(err)
	}
	close(inner.release)
	if d := <-done; d.Allowed {
		t.Fatalf("the take in flight = %v; want the denial it was decided with", d)
	}
	if d := take(t, s, "k", rs, 1); !d.Allowed {
		t.Fatalf("after Reset: %v; want allowed", d)
	}
}

// TestMaxKeys: the cache holds at most its cap of denials, whatever the
// number of keys denied.
func TestMaxKeys(t *testing.T) {
	for _, max := range []int{1, 5, 64, 100} {
		s, _, _ := setup(t, ratelimit.SlidingWindowLog, denialcache.WithMaxKeys(max))
		rs := mustRates(t, ratelimit.PerMinute(1))
		for i := range 1000 {
			take(t, s, strconv.Itoa(i), rs, 2)
		}
		if got := s.Len(); got > max || got == 0 {
			t.Fatalf("WithMaxKeys(%d): %d denials held", max, got)
		}
	}
}

// TestErrors: bad arguments to New, and a store that cannot check or reset.
func TestErrors(t *testing.T) {
	mem, err := memorystore.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		inner ratelimit.Store
		opts  []denialcache.Option
	}{
		{"nil store", nil, nil},
		{"nil option", mem, []denialcache.Option{nil}},
		{"zero cap", mem, []denialcache.Option{denialcache.WithMaxKeys(0)}},
	} {
		if _, err := denialcache.New(tt.inner, tt.opts...); !errors.Is(err, ratelimit.ErrInvalidArgument) {
			t.Errorf("%s: New error %v; want ErrInvalidArgument", tt.name, err)
		}
	}
	s, err := denialcache.New(takeOnly{mem})
	if err != nil {
		t.Fatal(err)
	}
	rs := mustRates(t, ratelimit.PerSecond(1))
	if _, err := s.Check(t.Context(), "k", rs, 1); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Check: %v; want ErrUnsupported", err)
	}
	if err := s.Reset(t.Context(), "k"); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Reset: %v; want ErrUnsupported", err)
	}
	if _, err := s.Refund(t.Context(), "k", rs, ratelimit.Decision{Allowed: true}, 1); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Refund: %v; want ErrUnsupported", err)
	}
	if _, err := s.Charge(t.Context(), "k", rs, 1); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Charge: %v; want ErrUnsupported", err)
	}
	if _, err := s.Take(t.Context(), "k", rs, -1); !errors.Is(err, ratelimit.ErrInvalidArgument) {
		t.Errorf("Take(n=-1): %v; want the store's ErrInvalidArgument", err)
	}
}

// takeOnly hides every method of a store but Take.
type takeOnly struct{ ratelimit.Store }

// TestCheck: a check is answered from the cache like a take, and its
// denial is cached.
func TestCheck(t *testing.T) {
	s, inner, _ := setup(t, ratelimit.SlidingWindowLog)
	rs := mustRates(t, ratelimit.PerSecond(1))
	take(t, s, "k", rs, 1)
	for range 2 {
		if d, err := s.Check(t.Context(), "k", rs, 1); err != nil || d.Allowed {
			t.Fatalf("Check = %v, %v; want denied", d, err)
		}
	}
	take(t, s, "k", rs, 1)
	if inner.calls.Load() != 2 {
		t.Fatalf("%d calls reached the store; want 2: a take, then one check", inner.calls.Load())
	}
}

// TestConcurrent: many goroutines on a few keys through one cache admit
// exactly what the store admits: the limit, once per key.
func TestConcurrent(t *testing.T) {
	s, _, _ := setup(t, ratelimit.SlidingWindowLog, denialcache.WithMaxKeys(2))
	rs := mustRates(t, ratelimit.PerMinute(50))
	var admitted [3]atomic.Int64
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 200 {
				k := (g + i) % 3
				d, err := s.Take(context.Background(), strconv.Itoa(k), rs, 1)
				if err != nil {
					t.Error(err)
					return
				}
				if d.Allowed {
					admitted[k].Add(1)
				}
			}
		})
	}
	wg.Wait()
	for k := range admitted {
		if got := admitted[k].Load(); got != 50 {
			t.Errorf("key %d: %d admitted; want 50", k, got)
		}
	}
}

// TestProbe: when a key's denial ends, one call goes to the store while the
// others on the key wait for it; an admission leaving no unit makes one of
// them the next probe, whose denial answers the rest from the cache; a
// waiter whose context ends returns at once with its error.
func TestProbe(t *testing.T) {
	s, inner, clock := setup(t, ratelimit.SlidingWindowLog)
	rs := mustRates(t, ratelimit.PerMinute(1))
	take(t, s, "k", rs, 1)
	d := take(t, s, "k", rs, 1) // denied, cached
	clock.Advance(d.RetryAfter)
	inner.decided, inner.release = make(chan struct{}), make(chan struct{})
	inner.holding.Store(true)
	probe := make(chan ratelimit.Decision)
	go func() {
		d, _ := s.Take(context.Background(), "k", rs, 1)
		probe <- d
	}()
	<-inner.decided // the probe: admitted, 0 left, held
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Take(ctx, "k", rs, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("a waiter with a cancelled context: %v; want context.Canceled", err)
	}
	const waiters = 8
	results := make(chan ratelimit.Decision, waiters)
	for range waiters {
		go func() {
			d, err := s.Take(context.Background(), "k", rs, 1)
			if err != nil {
				t.Error(err)
			}
			results <- d
		}()
	}
	close(inner.release)
	if d := <-probe; !d.Allowed || d.Remaining != 0 {
		t.Fatalf("the probe = %v; want allowed, 0 left", d)
	}
	for range waiters {
		if d := <-results; d.Allowed {
			t.Fatalf("a waiter = %v; want denied", d)
		}
	}
	if got := inner.calls.Load(); got != 4 {
		t.Fatalf("%d calls reached the store; want 4: two takes, the probe and one waiter", got)
	}
}
