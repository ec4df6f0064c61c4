package memorystore_test

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// TestTakesBesideTableChanges has takes find their keys without the shard's
// lock while the one shard's table changes under them: a goroutine adds
// keys (the table grows), resets them (later slots move back), and moves
// the clock past their rates so that sweeps drop them. The hot keys' rates
// come in two slices, as a plan lookup that makes them afresh would pass
// them. Each hot key must admit exactly its limit, and end with none left:
// a take that found its key in a moving table, or on a log a reset or a
// sweep had dropped, would be lost or counted twice.
func TestTakesBesideTableChanges(t *testing.T) {
	eachAlgorithm(t, func(t *testing.T, s *memorystore.Store, clock *core.FakeClock) {
		ctx := t.Context()
		const limit, hot, takers = 300, 6, 6
		// The hot keys' window outlasts the clock's moves, which are under a
		// minute in all: under GCRA too, none of their units is back.
		day, second := mustRates(t, per(limit, 24*time.Hour)), mustRates(t, ratelimit.PerSecond(1))
		days := []ratelimit.Rates{day, slices.Clone(day)} // the same rates in two slices
		var admitted [hot]atomic.Int64
		var wg sync.WaitGroup
		done := make(chan struct{})
		wg.Go(func() {
			for round := 0; ; round++ {
				select {
				case <-done:
					return
				default:
				}
				for i := range 40 {
					if _, err := s.Take(ctx, fmt.Sprint("churn-", round, "-", i), second, 1); err != nil {
						t.Error(err)
						return
					}
				}
				for i := 0; i < 40; i += 2 {
					s.Reset(ctx, fmt.Sprint("churn-", round, "-", i))
				}
				if round%4 == 3 && round < 200 {
					clock.Advance(1100 * time.Millisecond)
				}
			}
		})
		var takes sync.WaitGroup
		for g := range takers {
			takes.Go(func() {
				for i := range 2 * limit {
					k := (g + i) % hot
					d, err := s.Take(ctx, fmt.Sprint("hot-", k), days[i%2], 1)
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
		takes.Wait()
		close(done)
		wg.Wait()
		for k := range admitted {
			d, err := s.Check(ctx, fmt.Sprint("hot-", k), day, 0)
			if n := admitted[k].Load(); n != limit || err != nil || d.Remaining != 0 {
				t.Errorf("hot key %d: %d admitted of %d, %d left (%v), want all and none", k, n, limit, d.Remaining, err)
			}
		}
	}, memorystore.WithShards(1))
}

// TestTakesBesideSweeps has takes of one key race the sweeps that drop it:
// the clock moves past the key's window once the key has denied a take, so
// the next take to lock the shard sweeps the key away while others, which
// read the clock before it moved, are about to lock the key's old log. They
// must take from the key's new log: each window (each stamp, d.At) admits
// at most the limit, and exactly the limit once it has denied a take.
func TestTakesBesideSweeps(t *testing.T) {
	eachAlgorithm(t, func(t *testing.T, s *memorystore.Store, clock *core.FakeClock) {
		ctx := t.Context()
		const limit, windows, takers = 20, 300, 4
		rates := mustRates(t, ratelimit.PerSecond(limit))
		var mu sync.Mutex
		admitted, denied := map[int64]int{}, map[int64]bool{}
		var wg sync.WaitGroup
		for range takers {
			wg.Go(func() {
				for clock.Now() < windows*2100 {
					d, err := s.Take(ctx, "key", rates, 1)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					if d.Allowed {
						admitted[d.At]++
					} else if !denied[d.At] {
						denied[d.At] = true
						if d.At == clock.Now() {
							clock.Advance(2100 * time.Millisecond) // past two windows: the key goes idle
						}
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		for at, n := range admitted {
			if n > limit || denied[at] && n != limit {
				t.Errorf("window at %d: %d admitted, denied %v, want at most %d, all once denied", at, n, denied[at], limit)
			}
		}
		if len(denied) < windows {
			t.Errorf("%d windows denied a take, want %d", len(denied), windows)
		}
	}, memorystore.WithShards(1))
}
