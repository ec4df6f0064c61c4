package memorystore

import (
	"testing"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// BenchmarkInternal times the layers of a take under the log, one rate, one
// key: the decision alone, the log's take, and the store's with a clock
// that costs nothing (Take/OneKeyOneRate in bench_test.go adds the
// monotonic clock).
func BenchmarkInternal(b *testing.B) {
	rates := MustRates(b, ratelimit.PerSecond(1<<40))
	b.Run("Decide", func(b *testing.B) {
		l := newUnitLog(ratelimit.SlidingWindowLog, "k", minTime, nil)
		var d ratelimit.Decision
		l.take(&d, rates, 5, 1)
		for b.Loop() {
			core.DecideLog(&d, rates, 5, 1, l)
		}
	})
	b.Run("LogTake", func(b *testing.B) {
		l := newUnitLog(ratelimit.SlidingWindowLog, "k", minTime, nil)
		var d ratelimit.Decision
		for b.Loop() {
			l.take(&d, rates, 5, 1)
		}
	})
	b.Run("StoreTakeFakeClock", func(b *testing.B) {
		s, err := New(WithClock(core.NewFakeClock(5)))
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			s.Take(b.Context(), "key", rates, 1)
		}
	})
}
