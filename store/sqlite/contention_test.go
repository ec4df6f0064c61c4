package sqlitestore_test

import (
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
)

// TestStoresShareAFile has two Stores of one process, two connections to one
// file, put concurrently under one name at a shared timestamp, phase after
// phase: together they admit exactly what the rate leaves, as SQLite's lock,
// not a Go mutex, serialises them.
func TestStoresShareAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	rates := []ratelimit.Rate{ratelimit.Per(10, time.Second)}
	stores := [2]ratelimit.Bucket{}
	for i := range stores {
		b, err := openStore(t, path, rates, sqlitestore.WithSweepInterval(0)).Bucket(t.Context(), "hot") // explicit times
		if err != nil {
			t.Fatal(err)
		}
		stores[i] = b
	}
	for phase := range 6 {
		ts := int64(1_000_000 + phase*1001) // a fresh window each phase
		var admitted atomic.Int64
		var wg sync.WaitGroup
		for g := range 16 {
			wg.Go(func() {
				for range 2 {
					d, err := stores[g%2].Put(t.Context(), ratelimit.Item{Name: "hot", Time: ts, Weight: 1})
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
			t.Fatalf("phase %d: %d of 32 puts admitted, want exactly 10", phase, got)
		}
	}
}
