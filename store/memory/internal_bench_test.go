package memorystore

import (
	"testing"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

func BenchmarkInternal(b *testing.B) {
	rates, _ := ratelimit.NewRates(ratelimit.PerSecond(1 << 40))
	b.Run("Decide", func(b *testing.B) {
		l := newUnitLog(1, "k")
		l.insert("k", 5, 1, 0)
		for b.Loop() {
			ratelimit.SlidingWindowLog{}.Decide(rates, ratelimit.Item{Name: "k", Time: 5, Weight: 1}, l)
		}
	})
	b.Run("LogPut", func(b *testing.B) {
		l := newUnitLog(1, "k")
		for b.Loop() {
			var d ratelimit.Decision
			l.put(&d, rates, ratelimit.Item{Name: "k", Time: 5, Weight: 1}, 1000)
		}
	})
	b.Run("StorePutFakeClock", func(b *testing.B) {
		s, _ := New(rates, WithClock(ratelimit.NewFakeClock(5)))
		defer s.Close()
		for b.Loop() {
			s.Acquire(b.Context(), "key", 1)
		}
	})
}

func BenchmarkInternalClock(b *testing.B) {
	rates, _ := ratelimit.NewRates(ratelimit.PerSecond(1 << 40))
	b.Run("StoreAcquire", func(b *testing.B) {
		s, _ := New(rates)
		defer s.Close()
		for b.Loop() {
			s.Acquire(b.Context(), "key", 1)
		}
	})
	b.Run("LimiterAllowN", func(b *testing.B) {
		s, _ := New(rates)
		l, _ := ratelimit.New(s)
		defer l.Close()
		for b.Loop() {
			l.AllowN(b.Context(), "key", 1)
		}
	})
}
