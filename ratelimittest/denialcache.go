package ratelimittest

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/store/denialcache"
)

// countingStore counts the takes and checks that reach a store.
type countingStore struct {
	ratelimit.Store
	calls atomic.Int64
}

func (c *countingStore) Take(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	c.calls.Add(1)
	return c.Store.Take(ctx, key, rates, n)
}

// Reset resets key in the store, which the case calls only when the store
// implements ratelimit.Resetter.
func (c *countingStore) Reset(ctx context.Context, key string) error {
	return c.Store.(ratelimit.Resetter).Reset(ctx, key)
}

// Refund and Charge make the wrapper a ratelimit.Settler to the caches in
// front of it; the case charges only when the store is one, and never
// refunds.
func (c *countingStore) Refund(ctx context.Context, key string, rates ratelimit.Rates, taken ratelimit.Decision, n int64) (ratelimit.Decision, error) {
	return c.Store.(ratelimit.Settler).Refund(ctx, key, rates, taken, n)
}

func (c *countingStore) Charge(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	return c.Store.(ratelimit.Settler).Charge(ctx, key, rates, n)
}

// testDenialCache: denial caches in front of the store, one per process
// sharing it, never change a decision. Three caches over the store take
// random weights at random times on two keys, and a store of its own takes
// the same alone: every decision admits exactly when the alone's does, and
// a cached denial's RetryAfter is positive and at most the alone's. Then one
// cache alone does the same, with the rates switching now and then, and now
// and then a key reset, or charged no units under another rate list, alone
// and through that cache (a reset through another process's cache is seen
// only when its denials end). Some denials must have been answered by the
// caches.
func testDenialCache(t *testing.T, e *env) {
	lists := ratesLists(t, e.alg)
	shared := &countingStore{Store: e.store}
	alone := e.open(e.clock)
	caches := make([]*denialcache.Store, 3)
	for i := range caches {
		c, err := denialcache.New(shared, denialcache.WithClock(e.clock), denialcache.WithMaxKeys(1+i))
		if err != nil {
			t.Fatal(err)
		}
		caches[i] = c
	}
	rng := rand.New(rand.NewPCG(13, uint64(len(e.alg))))
	rs, now, denials := lists[0], int64(0), 0
	for step := range 800 {
		if step == 400 {
			caches = caches[:1]
		}
		if step >= 400 && rng.IntN(4) == 0 {
			rs = lists[rng.IntN(len(lists))]
		}
		now += rng.Int64N(40)
		e.at(now)
		key := []string{"a", "b"}[rng.IntN(2)]
		n := rng.Int64N(rs[0].Limit + 2)
		c := caches[rng.IntN(len(caches))]
		if r, ok := alone.(ratelimit.Resetter); ok && step >= 400 && rng.IntN(30) == 0 {
			if err := r.Reset(t.Context(), key); err != nil {
				t.Fatalf("step %d: alone: Reset: %v", step, err)
			}
			if err := c.Reset(t.Context(), key); err != nil {
				t.Fatalf("step %d: Reset through a cache: %v", step, err)
			}
		}
		if st, ok := alone.(ratelimit.Settler); ok && step >= 400 && rng.IntN(10) == 0 {
			// A charge of no units under another list moves the key's
			// state to it, as a take would.
			other := lists[rng.IntN(len(lists))]
			if _, err := st.Charge(t.Context(), key, other, 0); err != nil {
				t.Fatalf("step %d: alone: Charge: %v", step, err)
			}
			if _, err := c.Charge(t.Context(), key, other, 0); err != nil {
				t.Fatalf("step %d: Charge through a cache: %v", step, err)
			}
		}
		want, err := alone.Take(t.Context(), key, rs, n)
		if err != nil {
			t.Fatalf("step %d: alone: %v", step, err)
		}
		got, err := c.Take(t.Context(), key, rs, n)
		if err != nil {
			t.Fatalf("step %d: Take(%q, %v, n=%d) at t=%d through a cache: %v", step, key, rs, n, now, err)
		}
		if got.Allowed != want.Allowed || !got.Allowed && (got.RetryAfter <= 0 || got.RetryAfter > want.RetryAfter) {
			t.Fatalf("step %d: Take(%q, %v, n=%d) at t=%d: through a cache %v, alone %v", step, key, rs, n, now, got, want)
		}
		if !want.Allowed {
			denials++
		}
	}
	if served := int64(800) - shared.calls.Load(); served <= 0 || served > int64(denials) {
		t.Fatalf("the caches answered %d of %d denials; want some, and no more than the denials", served, denials)
	}
}
