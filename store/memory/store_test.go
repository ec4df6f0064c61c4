package memorystore_test

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

func newStore(t *testing.T, rates []ratelimit.Rate, opts ...memorystore.Option) *memorystore.Store {
	t.Helper()
	s, err := memorystore.New(rates, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestNewRejectsBadInput(t *testing.T) {
	good := []ratelimit.Rate{ratelimit.PerSecond(1)}
	tests := []struct {
		name  string
		rates []ratelimit.Rate
		opts  []memorystore.Option
		want  error
	}{
		{"no rates", nil, nil, ratelimit.ErrInvalidRates},
		{"zero limit", []ratelimit.Rate{ratelimit.PerSecond(0)}, nil, ratelimit.ErrInvalidRate},
		{"bad list", []ratelimit.Rate{ratelimit.PerMinute(3), ratelimit.PerDay(1)}, nil, ratelimit.ErrInvalidRates},
		{"nil clock", good, []memorystore.Option{memorystore.WithClock(nil)}, ratelimit.ErrInvalidArgument},
		{"zero shards", good, []memorystore.Option{memorystore.WithShards(0)}, ratelimit.ErrInvalidArgument},
		{"zero keys", good, []memorystore.Option{memorystore.WithMaxKeys(0)}, ratelimit.ErrInvalidArgument},
		{"negative sweep", good, []memorystore.Option{memorystore.WithSweepInterval(-time.Second)}, ratelimit.ErrInvalidArgument},
		{"unknown algorithm", good, []memorystore.Option{memorystore.WithAlgorithm("leaky")}, ratelimit.ErrInvalidArgument},
		{"GCRA beyond exact", []ratelimit.Rate{ratelimit.PerDay(1 << 30)}, []memorystore.Option{memorystore.WithAlgorithm(ratelimit.AlgorithmGCRA)}, ratelimit.ErrInvalidRates},
		{"counter beyond exact", []ratelimit.Rate{ratelimit.PerDay(1 << 30)}, []memorystore.Option{memorystore.WithAlgorithm(ratelimit.AlgorithmSlidingWindowCounter)}, ratelimit.ErrInvalidRates},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := memorystore.New(tt.rates, tt.opts...); !errors.Is(err, tt.want) {
				t.Fatalf("New: err = %v, want %v", err, tt.want)
			}
			if _, err := memorystore.NewBucket(tt.rates, tt.opts...); !errors.Is(err, tt.want) {
				t.Fatalf("NewBucket: err = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestMaxKeys fills a one-shard store to its cap: a new key fails while every
// key still counts, and succeeds once their units leave the largest window.
func TestMaxKeys(t *testing.T) {
	for _, c := range []struct {
		alg  ratelimit.Algorithm
		idle int64 // when a unit put at 0 stops counting under 5/s
	}{
		{ratelimit.AlgorithmSlidingWindowLog, 1001},
		{ratelimit.AlgorithmGCRA, 200},
		{ratelimit.AlgorithmSlidingWindowCounter, 2000}, // it weighs on the next window too
	} {
		t.Run(string(c.alg), func(t *testing.T) {
			clock := ratelimit.NewFakeClock(0)
			s := newStore(t, []ratelimit.Rate{ratelimit.PerSecond(5)}, memorystore.WithAlgorithm(c.alg),
				memorystore.WithClock(clock), memorystore.WithShards(1), memorystore.WithMaxKeys(3), memorystore.WithSweepInterval(0))
			ctx := t.Context()
			for i := range 3 {
				if d, err := s.Acquire(ctx, fmt.Sprint("k", i), 1); err != nil || !d.Allowed {
					t.Fatalf("Acquire k%d = %+v, %v", i, d, err)
				}
			}
			if _, err := s.Acquire(ctx, "k3", 1); !errors.Is(err, memorystore.ErrTooManyKeys) {
				t.Fatalf("Acquire past the cap: err = %v, want ErrTooManyKeys", err)
			}
			if d, err := s.Acquire(ctx, "k0", 1); err != nil || !d.Allowed {
				t.Fatalf("Acquire of a known key at the cap = %+v, %v", d, err)
			}
			clock.Set(c.idle - 1)
			if _, err := s.Acquire(ctx, "k3", 1); !errors.Is(err, memorystore.ErrTooManyKeys) {
				t.Fatalf("Acquire past the cap before any key is idle: err = %v, want ErrTooManyKeys", err)
			}
			clock.Set(c.idle + 400) // k0's second unit, at 0 too, is idle as well
			if d, err := s.Acquire(ctx, "k3", 1); err != nil || !d.Allowed {
				t.Fatalf("Acquire after the keys went idle = %+v, %v", d, err)
			}
			if n := s.Len(); n != 1 {
				t.Fatalf("Len = %d, want 1 (idle keys dropped)", n)
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
			clock := ratelimit.NewFakeClock(0)
			opts := []memorystore.Option{memorystore.WithClock(clock), memorystore.WithMaxKeys(tt.maxKeys), memorystore.WithSweepInterval(0)}
			if tt.shards > 0 {
				opts = append(opts, memorystore.WithShards(tt.shards))
			}
			s := newStore(t, []ratelimit.Rate{ratelimit.PerSecond(5)}, opts...)
			ctx := t.Context()
			var added, refused atomic.Int64
			var wg sync.WaitGroup
			const perWorker = 3000
			for w := range tt.workers {
				wg.Go(func() {
					for i := range tt.maxKeys/tt.workers + perWorker {
						_, err := s.Acquire(ctx, fmt.Sprint(w, "-", i), 1)
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
			if n := s.Len(); n != tt.maxKeys {
				t.Fatalf("Len = %d, want %d", n, tt.maxKeys)
			}
			// Once every key is idle, a new key makes room: in its own
			// shard, or when that shard holds only new keys, in the others.
			clock.Set(1001)
			for i := range tt.maxKeys {
				if d, err := s.Acquire(ctx, fmt.Sprint("fresh-", i), 1); err != nil || !d.Allowed {
					t.Fatalf("Acquire of new key %d after the old keys went idle = %+v, %v", i, d, err)
				}
			}
			if _, err := s.Acquire(ctx, "one-more", 1); !errors.Is(err, memorystore.ErrTooManyKeys) {
				t.Fatalf("Acquire past the cap of new keys: err = %v, want ErrTooManyKeys", err)
			}
		})
	}
}

// TestSweeperDropsIdleKeys runs the background sweeper in a synctest bubble:
// keys whose units all left the largest window are dropped, others kept, and
// Close stops the sweeper (the bubble would not end otherwise).
func TestSweeperDropsIdleKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, err := memorystore.New([]ratelimit.Rate{ratelimit.PerSecond(5)}, memorystore.WithSweepInterval(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		ctx := t.Context()
		for i := range 100 {
			s.Acquire(ctx, fmt.Sprint("old", i), 1)
		}
		time.Sleep(1500 * time.Millisecond)
		s.Acquire(ctx, "fresh", 1)
		time.Sleep(600 * time.Millisecond) // the sweep at 2s
		synctest.Wait()
		if n := s.Len(); n != 1 {
			t.Fatalf("Len = %d after a sweep, want 1", n)
		}
		s.Close()
		if _, err := s.Acquire(ctx, "fresh", 1); !errors.Is(err, ratelimit.ErrClosed) {
			t.Fatalf("Acquire after Close: err = %v, want ErrClosed", err)
		}
	})
}

// TestCloseLeavesNoGoroutine checks outside any bubble that a store's
// sweeper ends with Close.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 10 {
		s, err := memorystore.New([]ratelimit.Rate{ratelimit.PerSecond(5)}, memorystore.WithSweepInterval(time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		s.Acquire(t.Context(), "k", 1)
		s.Close()
		s.Close()
	}
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after Close, %d before", n, before)
	}
}

// TestManyKeysBoundedMemory puts a stream of distinct keys through a store
// capped at a few thousand: it never holds more than its cap.
func TestManyKeysBoundedMemory(t *testing.T) {
	clock := ratelimit.NewFakeClock(0)
	s := newStore(t, []ratelimit.Rate{ratelimit.Per(2, 10*time.Millisecond)},
		memorystore.WithClock(clock), memorystore.WithShards(64), memorystore.WithMaxKeys(4096), memorystore.WithSweepInterval(0))
	ctx := t.Context()
	refused := 0
	for i := range 200_000 {
		if i%1000 == 0 {
			clock.Advance(time.Millisecond)
		}
		if _, err := s.Acquire(ctx, fmt.Sprint("key-", i), 1); errors.Is(err, memorystore.ErrTooManyKeys) {
			refused++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if n := s.Len(); n > 4096 {
		t.Fatalf("Len = %d, want at most 4096", n)
	}
	if refused == 0 || refused > 150_000 {
		t.Fatalf("%d of 200000 new keys refused; want some (the cap binds) but not most (idle keys are dropped)", refused)
	}
}

func TestStoreAcquireNoAllocs(t *testing.T) {
	for _, alg := range []ratelimit.Algorithm{ratelimit.AlgorithmSlidingWindowLog, ratelimit.AlgorithmGCRA, ratelimit.AlgorithmSlidingWindowCounter} {
		s := newStore(t, []ratelimit.Rate{ratelimit.PerSecond(1 << 30)}, memorystore.WithAlgorithm(alg))
		ctx := t.Context()
		for range 10_000 {
			s.Acquire(ctx, "key", 1)
		}
		if n := testing.AllocsPerRun(1000, func() { s.Acquire(ctx, "key", 1) }); n != 0 {
			t.Fatalf("%s: Acquire allocates %v times per call, want 0", alg, n)
		}
	}
}

func TestWeightZeroAddsNoKey(t *testing.T) {
	s := newStore(t, []ratelimit.Rate{ratelimit.PerSecond(3)})
	d, err := s.Acquire(t.Context(), "ghost", 0)
	if err != nil || !d.Allowed || d.Remaining != 3 {
		t.Fatalf("Acquire weight 0 = %+v, %v; want allowed with 3 left", d, err)
	}
	if n := s.Len(); n != 0 {
		t.Fatalf("Len = %d after a weight-0 put, want 0", n)
	}
}

// TestKeyChurnBoundedMemory streams a million distinct keys through a store
// capped at 20,000 while the fake clock moves on: the heap stays bounded by
// the cap, not by the number of keys seen.
func TestKeyChurnBoundedMemory(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("streams a million keys; runs without -short and -race")
	}
	const maxKeys = 20_000
	clock := ratelimit.NewFakeClock(0)
	s := newStore(t, []ratelimit.Rate{ratelimit.Per(5, 100*time.Millisecond), ratelimit.PerSecond(20)},
		memorystore.WithClock(clock), memorystore.WithMaxKeys(maxKeys), memorystore.WithSweepInterval(0))
	ctx := t.Context()
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	keys := make([]string, 1_000_000) // made up front, so only the store's own memory is measured
	for i := range keys {
		keys[i] = fmt.Sprint("client-", i)
	}
	before := heap()
	for i, k := range keys {
		if i%100 == 0 {
			clock.Advance(time.Millisecond) // 10,000 new keys per second of store time
		}
		if _, err := s.Acquire(ctx, k, 1); err != nil && !errors.Is(err, memorystore.ErrTooManyKeys) {
			t.Fatal(err)
		}
	}
	grown := int64(heap()) - int64(before)
	runtime.KeepAlive(keys)
	perKey := grown / int64(s.Len())
	t.Logf("%d keys held after 1,000,000 seen; heap grew %d bytes, %d per key held", s.Len(), grown, perKey)
	if s.Len() > maxKeys {
		t.Fatalf("Len = %d, over the cap of %d", s.Len(), maxKeys)
	}
	if grown > maxKeys*1024 {
		t.Fatalf("heap grew by %d bytes for at most %d keys", grown, maxKeys)
	}
}

// TestStampsNeverGoBack reads a clock that goes backwards, as a put that
// read the clock before a concurrent leak but locked after it would see:
// PutNow stamps no earlier than the latest reading applied, so the leak can
// have removed nothing the put should count.
func TestStampsNeverGoBack(t *testing.T) {
	clock := ratelimit.NewFakeClock(1000)
	b, err := memorystore.NewBucket([]ratelimit.Rate{ratelimit.PerSecond(2)}, memorystore.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := b.Put(ctx, ratelimit.Item{Name: "a", Time: 0, Weight: 2}); err != nil {
		t.Fatal(err)
	}
	if n, _ := b.Leak(ctx, 1000); n != 0 {
		t.Fatalf("Leak(1000) removed %d units stamped at 0, which still count at 1000", n)
	}
	if n, _ := b.Leak(ctx, 1001); n != 2 {
		t.Fatalf("Leak(1001) removed %d units, want 2", n)
	}
	clock.Set(500) // a reading taken before the leak
	d, err := b.PutNow(ctx, "a", 1)
	if err != nil || !d.Allowed || d.Time != 1000 {
		t.Fatalf("PutNow after the leak = %+v, %v; want allowed, stamped at 1000 (the leak's clock, not the future 1001)", d, err)
	}
	d, _ = b.PutNow(ctx, "a", 1)
	if d.Time != 1000 {
		t.Fatalf("second PutNow stamped %d, want 1000", d.Time)
	}
	b.Leak(ctx, 1_000_000) // a future leak is honoured but moves no stamp past the clock
	clock.Set(2000)
	if d, _ := b.PutNow(ctx, "a", 1); d.Time != 2000 {
		t.Fatalf("PutNow after a future leak stamped %d, want the clock's 2000", d.Time)
	}
}
