package memorystore

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// TestSweepOneShard checks that a take sweeps its own shard only: with every
// key idle, a take drops the idle keys of its shard and leaves the others'.
func TestSweepOneShard(t *testing.T) {
	clock := core.NewFakeClock(0)
	s := newTestStore(t, WithClock(clock), WithShards(8))
	rates := MustRates(t, ratelimit.PerSecond(5))
	for i := range 200 {
		s.Take(t.Context(), fmt.Sprint("k", i), rates, 1)
	}
	clock.Set(5000)
	s.Take(t.Context(), "k0", rates, 1)
	sh, _ := s.locate("k0")
	for i := range s.shards {
		want := s.shards[i].size() > 0
		if &s.shards[i] == sh {
			want = s.shards[i].size() == 1 // k0 alone, afresh
		}
		if !want {
			t.Fatalf("shard %d holds %d keys after a take in shard %p", i, s.shards[i].size(), sh)
		}
	}
}

// TestSweepPeriod checks how often a take sweeps a shard that holds idle
// keys: at most once per the longest interval of its keys' last rates, but
// at least once a second and at most once a minute.
func TestSweepPeriod(t *testing.T) {
	tests := []struct {
		name   string
		longer ratelimit.Rate // the rates of a key that stays live
		period int64
	}{
		{"short intervals: 1s", ratelimit.PerSecond(5), 1000},
		{"span of 10s", ratelimit.Rate{Limit: 5, Interval: 10 * time.Second}, 10_000},
		{"span of 1h: 1min", ratelimit.PerHour(5), 60_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := core.NewFakeClock(0)
			s := newTestStore(t, WithClock(clock), WithShards(1))
			ctx, short := t.Context(), MustRates(t, ratelimit.Rate{Limit: 5, Interval: 10 * time.Millisecond})
			s.Take(ctx, "live", MustRates(t, tt.longer), 1)
			s.Take(ctx, "a", short, 1)
			clock.Set(20) // a is idle: this take sweeps at once (no sweep yet)
			s.Take(ctx, "b", short, 1)
			if n := KeyCount(s); n != 2 {
				t.Fatalf("%d keys after the first sweep, want 2 (live, b)", n)
			}
			clock.Set(20 + tt.period - 1) // b is idle, but the period has not passed
			if s.Take(ctx, "live", MustRates(t, tt.longer), 1); KeyCount(s) != 2 {
				t.Fatalf("%d keys before the period passed, want 2", KeyCount(s))
			}
			clock.Set(20 + tt.period)
			if s.Take(ctx, "live", MustRates(t, tt.longer), 0); KeyCount(s) != 1 {
				t.Fatalf("%d keys once the period passed, want 1", KeyCount(s))
			}
		})
	}
}

// TestShardsRounded checks WithShards' rounding: down to a power of two, and
// to no more than the maximum number of keys.
func TestShardsRounded(t *testing.T) {
	for _, tt := range []struct{ shards, maxKeys, want int }{{100, 1000, 64}, {64, 10, 8}, {1, 1, 1}, {1 << 16, 1 << 20, 1 << 16}} {
		s := newTestStore(t, WithShards(tt.shards), WithMaxKeys(tt.maxKeys))
		if len(s.shards) != tt.want {
			t.Errorf("WithShards(%d), WithMaxKeys(%d): %d shards, want %d", tt.shards, tt.maxKeys, len(s.shards), tt.want)
		}
	}
}

// TestSweepNoAllocs checks that a take of a held key which sweeps its shard
// allocates nothing, however many idle keys the sweep drops. The count is
// the process's, so that another goroutine's allocation (a test's left
// over) may add to it: the fewest of a few tries is the take's.
func TestSweepNoAllocs(t *testing.T) {
	fewest := uint64(1 << 63)
	for range 5 {
		clock := core.NewFakeClock(0)
		s := newTestStore(t, WithClock(clock), WithShards(1))
		ctx, rates, hour := t.Context(), MustRates(t, ratelimit.PerSecond(5)), MustRates(t, ratelimit.PerHour(5))
		s.Take(ctx, "held", hour, 1)
		for i := range 1000 {
			s.Take(ctx, fmt.Sprint("k", i), rates, 1)
		}
		clock.Set(5000)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s.Take(ctx, "held", hour, 1)
		runtime.ReadMemStats(&after)
		if n := KeyCount(s); n != 1 {
			t.Fatalf("%d keys after the sweep, want 1", n)
		}
		fewest = min(fewest, after.Mallocs-before.Mallocs)
	}
	if fewest != 0 {
		t.Fatalf("a take that swept 1000 idle keys allocated %d times, want 0", fewest)
	}
}
