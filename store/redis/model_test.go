package redisstore_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// modelLog is the plainest log there is: one slot per unit, sorted by time
// (a put out of order lands after the units of its own millisecond).
type modelLog struct {
	ts    []int64
	names []string
}

func (m *modelLog) CountSince(_ int, since int64) int64 {
	n := int64(0)
	for _, ts := range m.ts {
		if ts >= since {
			n++
		}
	}
	return n
}

func (m *modelLog) NthNewest(k int64) (int64, bool) {
	if k < 0 || k >= int64(len(m.ts)) {
		return 0, false
	}
	return m.ts[int64(len(m.ts))-1-k], true
}

func (m *modelLog) insert(name string, ts, weight int64) {
	i := len(m.ts)
	for i > 0 && m.ts[i-1] > ts {
		i--
	}
	for range weight {
		m.ts = slices.Insert(m.ts, i, ts)
		m.names = slices.Insert(m.names, i, name)
	}
}

// TestModel puts random weights at random times, in and out of order, under
// a few item names, and checks every decision against
// ratelimit.SlidingWindowLog over a one-slot-per-unit log, and Count and
// Peek against that log.
func TestModel(t *testing.T) {
	c := newClient(t)
	rates := []ratelimit.Rate{ratelimit.Per(5, 100*time.Millisecond), ratelimit.Per(12, 400*time.Millisecond), ratelimit.Per(20, time.Second)}
	rs, _ := ratelimit.NewRates(rates...)
	tests := []struct {
		name     string
		disorder int64 // how far back a put may go, in ms
	}{
		{"InOrder", 0},
		{"OutOfOrder", 300},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t, c, rates...)
			b, _ := s.Bucket(t.Context(), "model")
			m := &modelLog{}
			rng := rand.New(rand.NewPCG(1, uint64(tt.disorder)))
			now := int64(1_000_000)
			for i := range 400 {
				now += rng.Int64N(40)
				item := ratelimit.Item{Name: []string{"x", "y", "z"}[rng.IntN(3)], Time: now - rng.Int64N(tt.disorder+1), Weight: rng.Int64N(7)}
				want := ratelimit.SlidingWindowLog{}.Decide(rs, item, m)
				got, err := b.Put(t.Context(), item)
				if err != nil {
					t.Fatalf("put %d %v: %v", i, item, err)
				}
				if got != want {
					t.Fatalf("put %d %v:\n got %+v\nwant %+v", i, item, got, want)
				}
				if want.Allowed && item.Weight > 0 {
					m.insert(item.Name, item.Time, item.Weight)
				}
				if i%10 != 0 {
					continue
				}
				if n, err := b.Count(t.Context()); err != nil || n != int64(len(m.ts)) {
					t.Fatalf("after put %d: Count = %d, %v; want %d", i, n, err, len(m.ts))
				}
				for k := range int64(len(m.ts)) {
					it, ok, err := b.Peek(t.Context(), k)
					j := int64(len(m.ts)) - 1 - k
					if err != nil || !ok || it.Time != m.ts[j] || it.Name != m.names[j] || it.Weight < 1 {
						t.Fatalf("after put %d: Peek(%d) = %v, %v, %v; want %s at %d", i, k, it, ok, err, m.names[j], m.ts[j])
					}
				}
				// Leak now and then, as a leaker would, at the newest time.
				if i%50 == 0 {
					bound := now - rs.Largest().IntervalMillis()
					var keep int
					for keep < len(m.ts) && m.ts[keep] < bound {
						keep++
					}
					n, err := b.Leak(t.Context(), now)
					if err != nil || n != int64(keep) {
						t.Fatalf("Leak(%d) = %d, %v; want %d", now, n, err, keep)
					}
					m.ts, m.names = m.ts[keep:], m.names[keep:]
				}
			}
		})
	}
}
