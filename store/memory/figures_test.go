package memorystore_test

import (
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// TestStateBytesPerKey measures the heap one key costs under each algorithm
// at 1000/hour: 100,000 keys given 10 takes each, and 10,000 keys given
// 1000 each (a full window), the takes of a key 100 ms apart so that the log
// holds one entry per take. It prints figures and runs only with
// RATELIMIT_MEMORY_FIGURES=1.
func TestStateBytesPerKey(t *testing.T) {
	if os.Getenv("RATELIMIT_MEMORY_FIGURES") != "1" {
		t.Skip("set RATELIMIT_MEMORY_FIGURES=1 to measure bytes per key")
	}
	for _, shape := range []struct{ keys, takes int }{{100_000, 10}, {10_000, 1000}} {
		keys := make([]string, shape.keys)
		for i := range keys {
			keys[i] = fmt.Sprint("client-", i)
		}
		for _, alg := range algs {
			measure(t, alg, keys, shape.takes)
		}
		runtime.KeepAlive(keys)
	}
}

// measure logs the heap growth per key of a store under alg after takes
// rounds over keys.
func measure(t *testing.T, alg ratelimit.Algorithm, keys []string, takes int) {
	clock := core.NewFakeClock(0)
	before := heap()
	s := newStore(t, memorystore.WithAlgorithm(alg), memorystore.WithClock(clock))
	rates := mustRates(t, ratelimit.PerHour(1000))
	for range takes {
		for _, k := range keys {
			s.Take(t.Context(), k, rates, 1)
		}
		clock.Advance(100 * time.Millisecond)
	}
	grown := int64(heap()) - int64(before)
	n := memorystore.KeyCount(s)
	t.Logf("%-22s %d keys, %d takes each: %d bytes per key", alg, n, takes, grown/int64(n))
	runtime.KeepAlive(s)
}
