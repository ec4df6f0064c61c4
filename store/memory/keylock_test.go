package memorystore

import (
	"slices"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// TestHeldKeySkipsShardLock holds the Store doc's promise: a take of a key
// the store holds, under the rates of the key's last take (that slice or
// equal rates in another), and a check of it, finish while another
// goroutine holds the key's shard's lock; a take under other rates waits
// for it.
func TestHeldKeySkipsShardLock(t *testing.T) {
	for _, alg := range []ratelimit.Algorithm{ratelimit.SlidingWindowLog, ratelimit.GCRA, ratelimit.SlidingWindowCounter} {
		t.Run(string(alg), func(t *testing.T) {
			// The clock stands, so no take is due to sweep the shard.
			s, err := New(WithAlgorithm(alg), WithClock(core.NewFakeClock(1000)), WithShards(1))
			if err != nil {
				t.Fatal(err)
			}
			rates := MustRates(t, ratelimit.PerSecond(10))
			ctx := t.Context()
			if _, err := s.Take(ctx, "key", rates, 1); err != nil { // adds the key
				t.Fatal(err)
			}
			sh, _ := s.locate("key")
			sh.mu.Lock()
			locked := true
			unlock := func() {
				if locked {
					locked = false
					sh.mu.Unlock()
				}
			}
			t.Cleanup(unlock)
			for name, call := range map[string]func() error{
				"take, same slice":  func() error { _, err := s.Take(ctx, "key", rates, 1); return err },
				"take, equal rates": func() error { _, err := s.Take(ctx, "key", slices.Clone(rates), 1); return err },
				"check":             func() error { _, err := s.Check(ctx, "key", rates, 1); return err },
			} {
				if err := within(t, call); err != nil {
					t.Errorf("%s: %v", name, err)
				}
			}
			other := make(chan error, 1)
			go func() { _, err := s.Take(ctx, "key", MustRates(t, ratelimit.PerMinute(100)), 1); other <- err }()
			select {
			case err := <-other:
				t.Fatalf("a take under other rates finished under the shard's lock: %v", err)
			case <-time.After(10 * time.Millisecond):
			}
			unlock()
			if err := <-other; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// within runs call and returns its error, failing t if call has not
// returned within 10 seconds (a call waiting for a lock held meanwhile).
func within(t *testing.T, call func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- call() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("the call waited for the shard's lock")
		return nil
	}
}
