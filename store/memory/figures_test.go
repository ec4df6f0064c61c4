package memorystore_test

import (
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// TestStateBytesPerKey measures the heap one key costs under each algorithm
// at 1000/hour: 100,000 keys given 10 puts each, and 10,000 keys given
// 1000 each (a full window), the puts of a key 100 ms apart so that the log
// holds one entry per put. It prints figures and runs only with
// RATELIMIT_MEMORY_FIGURES=1.
func TestStateBytesPerKey(t *testing.T) {
	if os.Getenv("RATELIMIT_MEMORY_FIGURES") != "1" {
		t.Skip("set RATELIMIT_MEMORY_FIGURES=1 to measure bytes per key")
	}
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	for _, shape := range []struct{ keys, puts int }{{100_000, 10}, {10_000, 1000}} {
		names := make([]string, shape.keys)
		for i := range names {
			names[i] = fmt.Sprint("client-", i)
		}
		for _, alg := range algorithms {
			measure(t, heap, alg, names, shape.puts)
		}
		runtime.KeepAlive(names)
	}
}

// measure logs the heap growth per key of a store under alg after puts
// rounds over names.
func measure(t *testing.T, heap func() uint64, alg ratelimit.Algorithm, names []string, puts int) {
	clock := ratelimit.NewFakeClock(0)
	before := heap()
	s, err := memorystore.New([]ratelimit.Rate{ratelimit.PerHour(1000)}, memorystore.WithAlgorithm(alg),
		memorystore.WithClock(clock), memorystore.WithSweepInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	for range puts {
		for _, k := range names {
			s.Acquire(t.Context(), k, 1)
		}
		clock.Advance(100 * time.Millisecond)
	}
	grown := int64(heap()) - int64(before)
	t.Logf("%-22s %d keys, %d puts each: %d bytes per key", alg, s.Len(), puts, grown/int64(s.Len()))
	s.Close()
}
