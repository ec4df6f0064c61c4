package sqlitestore

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// TestStateEncoding drives random states through the core, under rates
// that change now and then, and checks that a row's encoding round-trips,
// rates included, in 32 bytes per rate for GCRA and 40 for the counter.
func TestStateEncoding(t *testing.T) {
	lists := []ratelimit.Rates{
		{{Limit: 3, Interval: 70 * time.Millisecond}, {Limit: 7, Interval: time.Second}, {Limit: 20, Interval: 7 * time.Second}},
		{{Limit: 5, Interval: time.Second}},
		{{Limit: 4, Interval: time.Second}, {Limit: 30, Interval: time.Minute}},
	}
	for _, alg := range []algorithm{algGCRA, algCounter} {
		var c keyState
		c.init(alg)
		rng := rand.New(rand.NewPCG(1, uint64(alg)))
		now := int64(1_000_000)
		for step := range 3000 {
			now += rng.Int64N(400)
			var d ratelimit.Decision
			if err := c.Decide(&d, lists[rng.IntN(len(lists))], now, rng.Int64N(4), true); err != nil {
				t.Fatal(err)
			}
			enc := c.encode()
			if want := map[algorithm]int{algGCRA: 32, algCounter: 40}[alg] * len(c.Rates); len(enc) != want {
				t.Fatalf("alg %d: %d rates encoded in %d bytes, want %d", alg, len(c.Rates), len(enc), want)
			}
			var back keyState
			back.init(alg)
			if err := back.decode(enc); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(back.Rates, c.Rates) || !slices.Equal(back.GCRA, c.GCRA) || !slices.Equal(back.Counter, c.Counter) {
				t.Fatalf("alg %d step %d: state %+v does not round-trip: %+v", alg, step, c.State, back.State)
			}
		}
	}
}

// TestStateDamaged refuses to decode states that are not whole records of
// positive rates, rather than decide on them.
func TestStateDamaged(t *testing.T) {
	for _, alg := range []algorithm{algGCRA, algCounter} {
		var c keyState
		c.init(alg)
		c.State = core.State{Algorithm: c.Algorithm}
		var d ratelimit.Decision
		if err := c.Decide(&d, ratelimit.Rates{ratelimit.PerSecond(5)}, 1000, 1, true); err != nil {
			t.Fatal(err)
		}
		good := slices.Clone(c.encode())
		zeroLimit := slices.Clone(good)
		clear(zeroLimit[:8])
		zeroInterval := slices.Clone(good)
		clear(zeroInterval[8:16])
		for name, b := range map[string][]byte{
			"empty": {}, "short": good[:len(good)-1], "long": append(slices.Clone(good), 0),
			"zero limit": zeroLimit, "zero interval": zeroInterval,
		} {
			if err := c.decode(b); err == nil {
				t.Errorf("alg %d: decoding a state with %s succeeded", alg, name)
			}
		}
		if err := c.decode(good); err != nil {
			t.Errorf("alg %d: decoding a good state: %v", alg, err)
		}
	}
}
