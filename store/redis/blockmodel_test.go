package redisstore_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	redisstore "github.com/gorate/ratelimit/store/redis"
)

// randomBlock returns a valid Block of a few seconds at most: the zero
// Block, which counts no denial, one time in five; else blocking at the
// first denial or after up to 3 within a window, escalating by 2 or 3 or
// not, capped or not; with huge, one of 3s at the first denial whose second
// level is 100 years, the cap.
func randomBlock(rng *rand.Rand, huge bool) ratelimit.Block {
	if huge {
		return ratelimit.Block{For: 3 * time.Second, Factor: 1 << 40}
	}
	if rng.IntN(5) == 0 {
		return ratelimit.Block{}
	}
	b := ratelimit.Block{For: time.Duration(1+rng.Int64N(3000)) * time.Millisecond, After: rng.Int64N(4)}
	if b.After > 1 {
		b.Within = time.Duration(1+rng.Int64N(5000)) * time.Millisecond
	}
	if b.Factor = rng.Int64N(4); b.Factor > 1 && rng.IntN(2) == 0 {
		b.Max = b.For + time.Duration(rng.Int64N(7*b.For.Milliseconds()+1))*time.Millisecond
	}
	return b
}

// blockStep moves now on as step does, or now and then to one of bs's
// edges under b (its end, the end of its count's window, its Idle) or the
// millisecond before, when that is later than now.
func blockStep(rng *rand.Rand, rs ratelimit.Rates, now int64, back bool, bs *core.BlockState, b ratelimit.Block) int64 {
	if rng.IntN(6) == 0 {
		edges := []int64{bs.Until, bs.Since + b.Within.Milliseconds(), bs.Idle}
		if at := edges[rng.IntN(len(edges))] - rng.Int64N(2); at > now {
			return at
		}
	}
	return step(rng, rs, now, back)
}

// TestBlockModel holds block.lua to core.BlockState, for every algorithm:
// over random takes at random times (the log's also out of order, and
// often at the block's edges) under rate lists and Blocks (the zero Block
// too) that change at random, each TakeBlocking's decision is the model's
// (a check while core.BlockState.Blocks, a take otherwise, then Judge),
// each Block of up to 5s does what Hold does, and the block state stored
// after either is the model's, field by field; plain takes and checks
// between them see no block. The last 900 steps block for 3s, escalating
// to 100 years, the cap.
func TestBlockModel(t *testing.T) {
	c := newClient(t)
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(14, uint64(len(alg))))
			start := time.Now().UnixMilli()
			clock := core.NewFakeClock(start)
			s := newStore(t, c, redisstore.WithAlgorithm(alg), redisstore.WithClock(clock))
			lists := []ratelimit.Rates{randomRates(rng), randomRates(rng), randomRates(rng)}
			m, bs := newModel(alg), core.BlockState{}
			rs, now, b := lists[0], start, randomBlock(rng, false)
			const steps = 3000
			var longest int64 // ms, the longest block begun
			for i := range steps {
				if rng.IntN(3) == 0 {
					rs = lists[rng.IntN(len(lists))]
				}
				if i%300 == 299 {
					b = randomBlock(rng, i >= steps-1000)
				}
				now = blockStep(rng, rs, now, alg == ratelimit.SlidingWindowLog, &bs, b)
				clock.Set(now)
				n := rng.Int64N(rs[0].Limit + 2)
				switch k := rng.IntN(8); {
				case k == 0:
					want := m.decide(t, rs, now, n, false)
					if got, err := s.Check(t.Context(), "k", rs, n); err != nil || got != want {
						t.Fatalf("step %d: Check(%v, n=%d) at +%d = %v, %v;\nwant %v", i, rs, n, now-start, got, err, want)
					}
				case k == 1:
					want := m.decide(t, rs, now, n, true)
					if got, err := s.Take(t.Context(), "k", rs, n); err != nil || got != want {
						t.Fatalf("step %d: Take(%v, n=%d) at +%d = %v, %v;\nwant %v", i, rs, n, now-start, got, err, want)
					}
				case k == 2:
					d := 1 + rng.Int64N(5000)
					bs.Hold(now, d)
					if err := s.Block(t.Context(), "k", time.Duration(d)*time.Millisecond); err != nil {
						t.Fatalf("step %d: Block(%dms) at +%d: %v", i, d, now-start, err)
					}
				default:
					want := m.decide(t, rs, now, n, !bs.Blocks(now))
					until := bs.Until
					if bs.Judge(&want, b, now, n); bs.Until != until {
						longest = max(longest, bs.Until-now)
					}
					got, err := s.TakeBlocking(t.Context(), "k", rs, n, b)
					if err != nil || got != want {
						t.Fatalf("step %d: TakeBlocking(%v, n=%d, %+v) at +%d = %v (blocked %v), %v;\nwant %v (blocked %v)",
							i, rs, n, b, now-start, got, got.Blocked, err, want, want.Blocked)
					}
				}
				if got := blockState(t, c, s, "k"); got != bs {
					t.Fatalf("step %d at +%d: block state %+v, want %+v", i, now-start, got, bs)
				}
			}
			if longest != ratelimit.MaxInterval.Milliseconds() {
				t.Fatalf("the longest block lasted %dms; want one capped at 100 years", longest)
			}
		})
	}
}
