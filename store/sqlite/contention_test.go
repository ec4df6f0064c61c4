package sqlitestore_test

import (
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorate/ratelimit/core"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
)

// TestStoresShareAFile has two Stores of one process, two connections to one
// file, take concurrently under one key at a shared time, phase after
// phase: together they admit exactly what the rate leaves, as SQLite's lock,
// not a Go mutex, serialises them.
func TestStoresShareAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	clock := core.NewFakeClock(1_000_000)
	rates := mustRates(t, per(10, time.Second))
	stores := [2]*sqlitestore.Store{}
	for i := range stores {
		stores[i] = openStore(t, path, sqlitestore.WithClock(clock))
	}
	for phase := range 6 {
		clock.Advance(1001 * time.Millisecond) // a fresh window each phase
		var admitted atomic.Int64
		var wg sync.WaitGroup
		for g := range 16 {
			wg.Go(func() {
				for range 2 {
					d, err := stores[g%2].Take(t.Context(), "hot", rates, 1)
					if err != nil {
						t.Error(err)
						return
					}
					if d.Allowed {
						admitted.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if got := admitted.Load(); got != 10 {
			t.Fatalf("phase %d: %d of 32 takes admitted, want exactly 10", phase, got)
		}
	}
}
