package memorystore_test

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// algs are the algorithms the store offers.
var algs = []ratelimit.Algorithm{ratelimit.SlidingWindowLog, ratelimit.GCRA, ratelimit.SlidingWindowCounter}

func newStore(t *testing.T, opts ...memorystore.Option) *memorystore.Store {
	t.Helper()
	s, err := memorystore.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// eachAlgorithm runs fn in a subtest for every algorithm, with a new store
// of it, made with opts, on a fake clock reading 0.
func eachAlgorithm(t *testing.T, fn func(t *testing.T, s *memorystore.Store, clock *core.FakeClock), opts ...memorystore.Option) {
	t.Helper()
	for _, alg := range algs {
		t.Run(string(alg), func(t *testing.T) {
			clock := core.NewFakeClock(0)
			fn(t, newStore(t, append([]memorystore.Option{memorystore.WithAlgorithm(alg), memorystore.WithClock(clock)}, opts...)...), clock)
		})
	}
}

// mustRates and per are the package's test helpers.
var mustRates, per = memorystore.MustRates, memorystore.Per

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts []memorystore.Option
	}{
		{"nil option", []memorystore.Option{nil}},
		{"zero shards", []memorystore.Option{memorystore.WithShards(0)}},
		{"too many shards", []memorystore.Option{memorystore.WithShards(1<<16 + 1)}},
		{"zero keys", []memorystore.Option{memorystore.WithMaxKeys(0)}},
		{"unknown algorithm", []memorystore.Option{memorystore.WithAlgorithm("leaky")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := memorystore.New(tt.opts...); !errors.Is(err, ratelimit.ErrInvalidArgument) {
				t.Fatalf("New: err = %v, want ErrInvalidArgument", err)
			}
		})
	}
}

// TestDefaults checks the defaults the options promise: the log for "", a
// working clock for nil.
func TestDefaults(t *testing.T) {
	s := newStore(t, memorystore.WithAlgorithm(""), memorystore.WithClock(nil))
	rates := mustRates(t, ratelimit.PerHour(2))
	ctx := t.Context()
	for _, want := range []bool{true, true, false} {
		if d, err := s.Take(ctx, "k", rates, 1); err != nil || d.Allowed != want {
			t.Fatalf("Take = %+v, %v; want allowed %v", d, err, want)
		}
	}
	// Only the log reports a denial's retry from the oldest unit: about an
	// hour, not GCRA's half hour nor the counter's next window.
	if d, _ := s.Take(ctx, "k", rates, 1); d.RetryAfter < 59*time.Minute {
		t.Fatalf("RetryAfter = %v, want about an hour (the log)", d.RetryAfter)
	}
}

func TestTakeRejectsBadInput(t *testing.T) {
	for _, alg := range algs {
		t.Run(string(alg), func(t *testing.T) {
			s := newStore(t, memorystore.WithAlgorithm(alg))
			ctx, good := t.Context(), mustRates(t, ratelimit.PerSecond(5))
			tests := []struct {
				name  string
				rates ratelimit.Rates
				n     int64
				want  error
			}{
				{"negative n", good, -1, ratelimit.ErrInvalidArgument},
				{"no rates", nil, 1, ratelimit.ErrInvalidRate},
				{"empty rates", ratelimit.Rates{}, 0, ratelimit.ErrInvalidRate},
			}
			if alg != ratelimit.SlidingWindowLog {
				tests = append(tests, struct {
					name  string
					rates ratelimit.Rates
					n     int64
					want  error
				}{"beyond exact", mustRates(t, ratelimit.PerDay(1<<30)), 1, ratelimit.ErrInvalidRate})
			}
			for _, tt := range tests {
				if _, err := s.Take(ctx, "k", tt.rates, tt.n); !errors.Is(err, tt.want) {
					t.Errorf("%s: Take err = %v, want %v", tt.name, err, tt.want)
				}
				if _, err := s.Check(ctx, "k", tt.rates, tt.n); !errors.Is(err, tt.want) {
					t.Errorf("%s: Check err = %v, want %v", tt.name, err, tt.want)
				}
			}
			if n := memorystore.KeyCount(s); n != 0 {
				t.Fatalf("%d keys after failed takes, want 0", n)
			}
			if alg == ratelimit.SlidingWindowLog {
				return
			}
			// A key moved to rates beyond exact arithmetic fails and keeps
			// its state.
			for range 5 {
				s.Take(ctx, "k", good, 1)
			}
			if _, err := s.Take(ctx, "k", mustRates(t, ratelimit.PerDay(1<<30)), 1); !errors.Is(err, ratelimit.ErrInvalidRate) {
				t.Fatalf("Take with rates beyond exact: err = %v, want ErrInvalidRate", err)
			}
			if d, err := s.Take(ctx, "k", good, 1); err != nil || d.Allowed {
				t.Fatalf("Take after the failed change = %+v, %v; want denied (5 of 5 taken)", d, err)
			}
		})
	}
}

// TestOneStoreManyRates serves two plans from one store, under different
// keys, and two limiters with their own rates and prefixes.
func TestOneStoreManyRates(t *testing.T) {
	eachAlgorithm(t, func(t *testing.T, s *memorystore.Store, _ *core.FakeClock) {
		ctx := t.Context()
		free, pro := mustRates(t, ratelimit.PerMinute(5)), mustRates(t, ratelimit.PerMinute(50))
		for i := range 60 {
			for _, c := range []struct {
				key   string
				rates ratelimit.Rates
			}{{"free:1", free}, {"pro:1", pro}, {"free:2", free}} {
				d, err := s.Take(ctx, c.key, c.rates, 1)
				if want := int64(i) < c.rates[0].Limit; err != nil || d.Allowed != want || d.Rate != c.rates[0] {
					t.Fatalf("take %d of %s = %+v, %v; want allowed %v under %v", i, c.key, d, err, want, c.rates[0])
				}
			}
		}
		api, err := ratelimit.New(s, ratelimit.PerSecond(2), ratelimit.WithPrefix("api"))
		if err != nil {
			t.Fatal(err)
		}
		login, err := ratelimit.New(s, ratelimit.PerMinute(3), ratelimit.WithPrefix("login"))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 4 {
			a, _ := api.Allow(ctx, "u")
			l, _ := login.Allow(ctx, "u")
			if a.Allowed != (i < 2) || l.Allowed != (i < 3) {
				t.Fatalf("take %d: api %v, login %v", i, a, l)
			}
		}
	})
}

// TestMaxKeys fills a one-shard store to its cap: a new key fails while every
// key still counts, and succeeds once they count nothing.
func TestMaxKeys(t *testing.T) {
	for _, c := range []struct {
		alg  ratelimit.Algorithm
		idle int64 // when a unit taken at 0 stops counting under 5/s
	}{
		{ratelimit.SlidingWindowLog, 1001},
		{ratelimit.GCRA, 200},
		{ratelimit.SlidingWindowCounter, 2000}, // it weighs on the next window too
	} {
		t.Run(string(c.alg), func(t *testing.T) {
			clock := core.NewFakeClock(0)
			s := newStore(t, memorystore.WithAlgorithm(c.alg), memorystore.WithClock(clock),
				memorystore.WithShards(1), memorystore.WithMaxKeys(3))
			ctx, rates := t.Context(), mustRates(t, ratelimit.PerSecond(5))
			for i := range 3 {
				if d, err := s.Take(ctx, fmt.Sprint("k", i), rates, 1); err != nil || !d.Allowed {
					t.Fatalf("Take k%d = %+v, %v", i, d, err)
				}
			}
			if _, err := s.Take(ctx, "k3", rates, 1); !errors.Is(err, memorystore.ErrTooManyKeys) {
				t.Fatalf("Take past the cap: err = %v, want ErrTooManyKeys", err)
			}
			if d, err := s.Take(ctx, "k0", rates, 1); err != nil || !d.Allowed {
				t.Fatalf("Take of a known key at the cap = %+v, %v", d, err)
			}
			clock.Set(c.idle - 1)
			if _, err := s.Take(ctx, "k3", rates, 1); !errors.Is(err, memorystore.ErrTooManyKeys) {
				t.Fatalf("Take past the cap before any key is idle: err = %v, want ErrTooManyKeys", err)
			}
			clock.Set(c.idle + 400) // k0's second unit, at 0 too, is idle as well
			if d, err := s.Take(ctx, "k3", rates, 1); err != nil || !d.Allowed {
				t.Fatalf("Take after the keys went idle = %+v, %v", d, err)
			}
			if n := memorystore.KeyCount(s); n != 1 {
				t.Fatalf("%d keys, want 1 (idle keys dropped)", n)
			}
		})
	}
}

// TestMaxKeysTotal checks that the cap holds for the store as a whole: with
// many shards, ErrTooManyKeys comes at the cap and not before, from one
// goroutine or many, and once the keys are idle any new key makes room,
// whichever shard the idle keys are in.
func TestMaxKeysTotal(t *testing.T) {
	for _, tt := range []struct {
		maxKeys, shards, workers int
	}{
		{1000, 0, 1},
		{10_000, 0, 1},
		{1000, 64, 1},
		{10_000, 1024, 8},
		{997, 16, 8},
	} {
		t.Run(fmt.Sprintf("%d keys %d shards %d goroutines", tt.maxKeys, tt.shards, tt.workers), func(t *testing.T) {
			clock := core.NewFakeClock(0)
			opts := []memorystore.Option{memorystore.WithClock(clock), memorystore.WithMaxKeys(tt.maxKeys)}
			if tt.shards > 0 {
				opts = append(opts, memorystore.WithShards(tt.shards))
			}
			s := newStore(t, opts...)
			ctx, rates := t.Context(), mustRates(t, ratelimit.PerSecond(5))
			var added, refused atomic.Int64
			var wg sync.WaitGroup
			const perWorker = 3000
			for w := range tt.workers {
				wg.Go(func() {
					for i := range tt.maxKeys/tt.workers + perWorker {
						_, err := s.Take(ctx, fmt.Sprint(w, "-", i), rates, 1)
						switch {
						case err == nil:
							added.Add(1)
						case errors.Is(err, memorystore.ErrTooManyKeys):
							refused.Add(1)
						default:
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			if got := added.Load(); got != int64(tt.maxKeys) {
				t.Fatalf("%d keys added before ErrTooManyKeys (%d refused), want exactly the cap %d", got, refused.Load(), tt.maxKeys)
			}
			if n := memorystore.KeyCount(s); n != tt.maxKeys {
				t.Fatalf("%d keys, want %d", n, tt.maxKeys)
			}
			// Once every key is idle, a new key makes room: in its own
			// shard, or when that shard holds only new keys, in the others.
			clock.Set(1001)
			for i := range tt.maxKeys {
				if d, err := s.Take(ctx, fmt.Sprint("fresh-", i), rates, 1); err != nil || !d.Allowed {
					t.Fatalf("Take of new key %d after the old keys went idle = %+v, %v", i, d, err)
				}
			}
			if _, err := s.Take(ctx, "one-more", rates, 1); !errors.Is(err, memorystore.ErrTooManyKeys) {
				t.Fatalf("Take past the cap of new keys: err = %v, want ErrTooManyKeys", err)
			}
		})
	}
}

// TestIdleKeysDropped checks that takes drop idle keys with no goroutine:
// a shard is swept by a take once its keys are idle and its span (here 1s)
// has passed since its last sweep, keys that still count are kept, and a
// known key that went idle starts afresh.
func TestIdleKeysDropped(t *testing.T) {
	eachAlgorithm(t, func(t *testing.T, s *memorystore.Store, clock *core.FakeClock) {
		ctx := t.Context()
		short, long := mustRates(t, ratelimit.PerSecond(5)), mustRates(t, ratelimit.PerMinute(5))
		for i := range 10 {
			s.Take(ctx, fmt.Sprint("old", i), short, 1)
		}
		s.Take(ctx, "long", long, 1)
		clock.Set(2500) // every short key is idle, the long one is not
		s.Take(ctx, "old0", short, 1)
		if n := memorystore.KeyCount(s); n != 2 {
			t.Fatalf("%d keys after a take at 2.5s, want 2 (old0 afresh, long)", n)
		}
		clock.Set(3 * 60_000)
		s.Take(ctx, "new", short, 0) // n = 0 adds no key but sweeps
		if n := memorystore.KeyCount(s); n != 0 {
			t.Fatalf("%d keys after every key went idle, want 0", n)
		}
	}, memorystore.WithShards(1))
}

// TestNoGoroutine checks that a store starts no goroutine: it needs no
// Close.
func TestNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	stores := make([]*memorystore.Store, 10)
	for i := range stores {
		stores[i] = newStore(t)
		stores[i].Take(t.Context(), "k", mustRates(t, ratelimit.PerSecond(5)), 1)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines with 10 stores, %d before", n, before)
	}
	runtime.KeepAlive(stores)
}

// TestManyKeysBoundedMemory takes a stream of distinct keys through a store
// capped at a few thousand: it never holds more than its cap.
func TestManyKeysBoundedMemory(t *testing.T) {
	clock := core.NewFakeClock(0)
	s := newStore(t, memorystore.WithClock(clock), memorystore.WithShards(64), memorystore.WithMaxKeys(4096))
	ctx, rates := t.Context(), mustRates(t, per(2, 10*time.Millisecond))
	refused := 0
	for i := range 200_000 {
		if i%1000 == 0 {
			clock.Advance(time.Millisecond)
		}
		if _, err := s.Take(ctx, fmt.Sprint("key-", i), rates, 1); errors.Is(err, memorystore.ErrTooManyKeys) {
			refused++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if n := memorystore.KeyCount(s); n > 4096 {
		t.Fatalf("%d keys, want at most 4096", n)
	}
	if refused == 0 || refused > 150_000 {
		t.Fatalf("%d of 200000 new keys refused; want some (the cap binds) but not most (idle keys are dropped)", refused)
	}
}

// TestKeyChurnBoundedMemory streams a million distinct keys through a store
// with the default cap, 10 new keys per millisecond of fake time: with no
// goroutine and no Close, the store never holds more keys than were taken
// within a key's idle time and a shard's sweep period (1s here), and its
// heap stays bounded by that.
func TestKeyChurnBoundedMemory(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("streams a million keys; runs without -short and -race")
	}
	const perMilli, shards = 10, 64
	for _, c := range []struct {
		alg  ratelimit.Algorithm
		idle int64 // ms from a key's take until it counts nothing under 5/100ms and 20/s
	}{
		{ratelimit.SlidingWindowLog, 1001},
		{ratelimit.GCRA, 50},
		{ratelimit.SlidingWindowCounter, 2000}, // at most: the end of the next window
	} {
		t.Run(string(c.alg), func(t *testing.T) {
			clock := core.NewFakeClock(0)
			s := newStore(t, memorystore.WithAlgorithm(c.alg), memorystore.WithClock(clock), memorystore.WithShards(shards))
			ctx, rates := t.Context(), mustRates(t, per(5, 100*time.Millisecond), ratelimit.PerSecond(20))
			keys := make([]string, 1_000_000) // made up front, so only the store's own memory is measured
			for i := range keys {
				keys[i] = fmt.Sprint("client-", i)
			}
			before := heap()
			most := 0
			for i, k := range keys {
				if i%perMilli == 0 {
					clock.Advance(time.Millisecond)
				}
				if d, err := s.Take(ctx, k, rates, 1); err != nil || !d.Allowed {
					t.Fatalf("Take of new key %d = %+v, %v", i, d, err)
				}
				if i%1000 == 0 {
					most = max(most, memorystore.KeyCount(s))
				}
			}
			grown := int64(heap()) - int64(before)
			runtime.KeepAlive(keys)
			held := memorystore.KeyCount(s)
			bound := perMilli * int(c.idle+1000+100) // 100ms for the shards' turns
			t.Logf("at most %d keys held of 1,000,000 seen (bound %d); heap grew %d bytes with %d keys held", most, bound, grown, held)
			if most > bound {
				t.Fatalf("held %d keys, over %d", most, bound)
			}
			if grown > int64(held)*1024 {
				t.Fatalf("heap grew by %d bytes for %d keys", grown, held)
			}
		})
	}
}

func heap() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func TestTakeNoAllocs(t *testing.T) {
	for _, alg := range algs {
		for _, n := range []int{1, 2, 3} {
			s := newStore(t, memorystore.WithAlgorithm(alg))
			ctx, rates := t.Context(), mustRates(t, ratesFor(alg, n)...)
			for range 10_000 {
				s.Take(ctx, "key", rates, 1)
			}
			if a := testing.AllocsPerRun(1000, func() { s.Take(ctx, "key", rates, 1) }); a != 0 {
				t.Errorf("%s, %d rates: Take allocates %v times per call, want 0", alg, n, a)
			}
			// The same rates in another slice: one comparison, no allocation.
			other := append(ratelimit.Rates(nil), rates...)
			if a := testing.AllocsPerRun(1000, func() { s.Take(ctx, "key", other, 1) }); a != 0 {
				t.Errorf("%s, %d rates: Take with an equal slice allocates %v times per call, want 0", alg, n, a)
			}
			denied := mustRates(t, ratelimit.PerHour(1))
			s.Take(ctx, "full", denied, 1)
			if a := testing.AllocsPerRun(1000, func() { s.Take(ctx, "full", denied, 1) }); a != 0 {
				t.Errorf("%s: a denied Take allocates %v times per call, want 0", alg, a)
			}
		}
	}
}

// TestNewKeyAllocs bounds what a new key costs beyond the table insert:
// under the log two allocations, the key and its first ring; under GCRA and
// the counter (one rate) one, the key with its state.
func TestNewKeyAllocs(t *testing.T) {
	for _, c := range []struct {
		alg  ratelimit.Algorithm
		want float64
	}{{ratelimit.SlidingWindowLog, 2}, {ratelimit.GCRA, 1}, {ratelimit.SlidingWindowCounter, 1}} {
		s := newStore(t, memorystore.WithAlgorithm(c.alg), memorystore.WithShards(1))
		ctx, rates := t.Context(), mustRates(t, ratelimit.PerSecond(5))
		keys := make([]string, 3000)
		for i := range keys {
			keys[i] = fmt.Sprint("k", i)
		}
		// Grow the shard's table once, then empty it: the inserts measured
		// below do not grow it.
		for _, k := range keys {
			s.Take(ctx, k, rates, 1)
		}
		for _, k := range keys {
			s.Reset(ctx, k)
		}
		i := 0
		if a := testing.AllocsPerRun(len(keys)-1, func() { s.Take(ctx, keys[i], rates, 1); i++ }); a > c.want {
			t.Errorf("%s: a new key allocates %v times, want at most %v", c.alg, a, c.want)
		}
	}
}

// TestWeightZeroAndCheckAddNoKey checks that n = 0 and Check judge an
// unknown key as one with no history without adding it.
func TestWeightZeroAndCheckAddNoKey(t *testing.T) {
	for _, alg := range algs {
		s := newStore(t, memorystore.WithAlgorithm(alg))
		ctx, rates := t.Context(), mustRates(t, ratelimit.PerSecond(3))
		d, err := s.Take(ctx, "ghost", rates, 0)
		if err != nil || !d.Allowed || d.Remaining != 3 {
			t.Fatalf("%s: Take of 0 = %+v, %v; want allowed with 3 left", alg, d, err)
		}
		d, err = s.Check(ctx, "ghost", rates, 2)
		if err != nil || !d.Allowed || d.Remaining != 1 {
			t.Fatalf("%s: Check of 2 = %+v, %v; want allowed with 1 left", alg, d, err)
		}
		if n := memorystore.KeyCount(s); n != 0 {
			t.Fatalf("%s: %d keys after a take of 0 and a check, want 0", alg, n)
		}
	}
}

// TestRatesChangeLog raises and lowers a key's limit under the log: the new
// limit judges the units already taken at once.
func TestRatesChangeLog(t *testing.T) {
	clock := core.NewFakeClock(0)
	s := newStore(t, memorystore.WithClock(clock))
	ctx := t.Context()
	five, ten, three := mustRates(t, ratelimit.PerSecond(5)), mustRates(t, ratelimit.PerSecond(10)), mustRates(t, ratelimit.PerSecond(3))
	for i := range 5 {
		clock.Set(int64(i) * 100)
		s.Take(ctx, "k", five, 1)
	}
	clock.Set(500)
	if d, _ := s.Take(ctx, "k", five, 1); d.Allowed {
		t.Fatalf("sixth take under 5/s = %v, want denied", d)
	}
	if d, _ := s.Take(ctx, "k", ten, 1); !d.Allowed || d.Remaining != 4 {
		t.Fatalf("take under 10/s after 5 = %v, want allowed with 4 left", d)
	}
	// Lowered to 3/s: 6 units count; the take fits once the third newest,
	// taken at 300, has left the window.
	if d, _ := s.Take(ctx, "k", three, 1); d.Allowed || d.Remaining != 0 || d.RetryAfter != 801*time.Millisecond {
		t.Fatalf("take under 3/s after 6 = %v, want denied, retry in 801ms", d)
	}
	// A longer interval counts every unit the key still holds.
	if d, _ := s.Take(ctx, "k", mustRates(t, ratelimit.PerMinute(7)), 1); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("take under 7/min after 6 = %v, want allowed with 0 left", d)
	}
}

// TestRatesChangeConstant raises and lowers a key's limit under GCRA and the
// counter, by the rules of ratelimit.Store.
func TestRatesChangeConstant(t *testing.T) {
	five, ten, three := ratelimit.PerSecond(5), ratelimit.PerSecond(10), ratelimit.PerSecond(3)
	tests := []struct {
		alg   ratelimit.Algorithm
		rates ratelimit.Rate
		at    int64
		want  string
	}{
		// GCRA: 5 taken at 0 under 5/s are owed until 1000; at 10/s they
		// are owed until 500, so 5 more fit at once; at 3/s the 5 owed are
		// emitted by 1667, and one more fits once 1000ms is left: at 1000.
		{ratelimit.GCRA, ten, 0, "allowed by 10/s: 4 left, reset in 600ms"},
		{ratelimit.GCRA, three, 0, "denied by 3/s: 0 left, retry in 1s, reset in 1.667s"},
		// The counter keeps the 5 units in the window and judges them by
		// the new limit: under 3/s one more fits 600ms into the next
		// window, where the 5 weigh 2.
		{ratelimit.SlidingWindowCounter, ten, 0, "allowed by 10/s: 4 left, reset in 2s"},
		{ratelimit.SlidingWindowCounter, three, 0, "denied by 3/s: 0 left, retry in 1.6s, reset in 2s"},
		// A rate with another interval starts with no history.
		{ratelimit.GCRA, ratelimit.PerMinute(7), 0, "allowed by 7/min: 6 left, reset in 8.572s"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.alg, " ", tt.rates), func(t *testing.T) {
			clock := core.NewFakeClock(0)
			s := newStore(t, memorystore.WithAlgorithm(tt.alg), memorystore.WithClock(clock))
			ctx := t.Context()
			s.Take(ctx, "k", mustRates(t, five), 5)
			clock.Set(tt.at)
			d, err := s.Take(ctx, "k", mustRates(t, tt.rates), 1)
			if err != nil || d.String() != tt.want {
				t.Fatalf("Take = %v, %v; want %s", d, err, tt.want)
			}
		})
	}
}

// TestConcurrentRatesMix has 16 goroutines take from four keys, each take
// under one of two limits: every key admits at least the low limit and at
// most the high one, and counts all it admitted.
func TestConcurrentRatesMix(t *testing.T) {
	eachAlgorithm(t, func(t *testing.T, s *memorystore.Store, _ *core.FakeClock) {
		ctx := t.Context()
		low, high := mustRates(t, ratelimit.PerHour(100)), mustRates(t, ratelimit.PerHour(300))
		var admitted [4]atomic.Int64
		var wg sync.WaitGroup
		for g := range 16 {
			wg.Go(func() {
				for i := range 200 {
					rates := low
					if (g+i)%3 == 0 {
						rates = high
					}
					k := (g + i) % 4
					if d, err := s.Take(ctx, fmt.Sprint("k", k), rates, 1); err != nil {
						t.Error(err)
					} else if d.Allowed {
						admitted[k].Add(1)
					}
				}
			})
		}
		wg.Wait()
		for k := range admitted {
			if n := admitted[k].Load(); n > 300 || n < 100 {
				t.Errorf("key %d: %d admitted, want 100 to 300", k, n)
			}
			d, _ := s.Check(ctx, fmt.Sprint("k", k), high, 0)
			if d.Remaining != 300-admitted[k].Load() {
				t.Errorf("key %d: %d left under 300/h after %d admitted", k, d.Remaining, admitted[k].Load())
			}
		}
	})
}
