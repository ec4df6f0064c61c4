package redisstore_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	redisstore "github.com/gorate/ratelimit/store/redis"
)

// TestBatchTakesOneKey queues takes of one key, of random weights, behind
// the two lone takes in flight, at one reading of a fake clock, the key
// holding a random history under two rates: they reach the client as one
// command, and each gets the Decision the same take gets alone, one after
// another, on another key of the same history (through a Store that does
// not batch), under each algorithm. Every fourth round reads the clock
// before the key's newest take (a given time out of order): under the log
// the script then decides nothing, and the takes go again one by one,
// with the same outcome. No decision differs, and the keys end with the
// same units.
func TestBatchTakesOneKey(t *testing.T) {
	for _, alg := range algorithms {
		t.Run(fmt.Sprint(alg), func(t *testing.T) { testBatchTakesOneKey(t, alg) })
	}
}

func testBatchTakesOneKey(t *testing.T, alg ratelimit.Algorithm) {
	rs := mustRates(t, ratelimit.PerSecond(5), ratelimit.PerMinute(30)) // a weight of 5 is a k of 0
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 13))
	ctx := t.Context()
	denied := 0
	for round := range 24 {
		clock := core.NewFakeClock(time.Now().UnixMilli())
		prefix := uniquePrefix(t, newClient(t))
		s, g := gatedStore(t, redisstore.WithPrefix(prefix), redisstore.WithClock(clock), redisstore.WithAlgorithm(alg))
		alone := newStore(t, newClient(t), redisstore.WithPrefix(prefix), redisstore.WithClock(clock), redisstore.WithAlgorithm(alg), redisstore.WithMaxBatch(1))

		key, ref := "batched", "alone"
		outOfOrder := round%4 == 3
		var newest int64       // the newest run's stamp
		history := rng.IntN(8) // no history at all: no window holds a unit
		if outOfOrder {
			history++
		}
		for j := range history {
			w := int64(rng.IntN(5))
			if outOfOrder && j == 0 {
				w = 1 // a run to be older than
			}
			for _, k := range []string{key, ref} {
				d, err := alone.Take(ctx, k, rs, w)
				if err != nil {
					t.Fatal(err)
				}
				if d.Allowed && w > 0 {
					newest = d.At
				}
			}
			clock.Advance(time.Duration(rng.IntN(1500)) * time.Millisecond) // past the second's window at times
		}
		if outOfOrder {
			clock.Set(newest - 1 - int64(rng.IntN(300)))
		}

		holdTwo(t, s, g, rs)
		weights := make([]int64, 2+rng.IntN(10))
		outs := make([]chan outcome, len(weights))
		for i := range weights {
			weights[i] = int64(rng.IntN(6))
			outs[i] = make(chan outcome, 1)
			go func() {
				d, err := s.Take(ctx, key, rs, weights[i])
				outs[i] <- outcome{d, err}
			}()
			waitQueued(s, i+1) // in this order
		}
		g.release <- struct{}{} // a lone take goes
		if h := g.receive(t); h != "pipeline of 1" {
			t.Fatalf("round %d: %d takes of one key reached the client as %s, want one command", round, len(weights), h)
		}
		close(g.release)
		if outOfOrder && alg == ratelimit.SlidingWindowLog {
			if h := g.receive(t); h != fmt.Sprint("pipeline of ", len(weights)) {
				t.Fatalf("round %d: out of order, the takes went again as %s, want a pipeline of %d", round, h, len(weights))
			}
		}
		for i, w := range weights {
			got := <-outs[i]
			want, err := alone.Take(ctx, ref, rs, w)
			if got.err != nil || err != nil || got.d != want {
				t.Fatalf("round %d (out of order %v): take %d of %v = %+v, %v; alone %+v, %v", round, outOfOrder, i, weights, got.d, got.err, want, err)
			}
			if !want.Allowed {
				denied++
			}
		}
		for _, n := range []int64{0, 1, 3} {
			a, errA := alone.Check(ctx, key, rs, n)
			b, errB := alone.Check(ctx, ref, rs, n)
			if errA != nil || errB != nil || a != b {
				t.Fatalf("round %d: after the takes, check of %d = %+v, %v; alone %+v, %v", round, n, a, errA, b, errB)
			}
		}
	}
	if denied == 0 {
		t.Error("no take was denied: the rounds did not reach the limits")
	}
}
