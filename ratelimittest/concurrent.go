package ratelimittest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
)

// goroutines is how many goroutines the concurrent cases release at once.
const goroutines = 64

// concurrently releases n goroutines at once, each calling take per times,
// and returns how many calls were allowed, or the first error.
func concurrently(ctx context.Context, n, per int, take func(context.Context) (ratelimit.Decision, error)) (int, error) {
	var (
		wg       sync.WaitGroup
		allowed  atomic.Int64
		mu       sync.Mutex
		firstErr error
	)
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			for range per {
				d, err := take(ctx)
				if err != nil {
					mu.Lock()
					firstErr = cmpErr(firstErr, err)
					mu.Unlock()
					return
				}
				if d.Allowed {
					allowed.Add(1)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	return int(allowed.Load()), firstErr
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// testConcurrentExact drives one key from 64 goroutines at once, phase after
// phase over several windows of two rates. Within a phase every take is at
// the same time, so the number admitted has one right answer, the model's:
// never more, and no denial while there was room.
func testConcurrentExact(t *testing.T, e *env) {
	rs := rates(t, per(10, time.Second), per(30, 5*time.Second))
	m := newModel(e.alg)
	for phase := range 48 {
		ms := int64(phase) * 250
		e.at(ms)
		got, err := concurrently(t.Context(), goroutines, 2, func(ctx context.Context) (ratelimit.Decision, error) {
			return e.store.Take(ctx, "hot", rs, 1)
		})
		if err != nil {
			t.Fatalf("phase %d: %v", phase, err)
		}
		if want := m.fits(rs, e.base+ms); got != want {
			t.Fatalf("phase %d (t=%d): %d admitted, want exactly %d", phase, ms, got, want)
		}
	}
}

// testRateChangeConcurrent changes a limiter's rates between phases while 16
// goroutines take from one key: each phase admits exactly what the model
// does under the new rates, given everything admitted before.
func testRateChangeConcurrent(t *testing.T, e *env) {
	lists := []ratelimit.Rates{
		rates(t, per(10, time.Second), per(30, 5*time.Second)),
		rates(t, per(4, time.Second), per(15, 5*time.Second)),  // lowered
		rates(t, per(20, time.Second), per(40, 5*time.Second)), // raised
		rates(t, per(6, time.Second), per(12, 5*time.Second)),  // lowered again
	}
	l, err := ratelimit.New(e.store, lists[0])
	if err != nil {
		t.Fatal(err)
	}
	m := newModel(e.alg)
	for phase := range 32 {
		rs := lists[phase%len(lists)]
		if err := l.SetRates(rs...); err != nil {
			t.Fatal(err)
		}
		ms := int64(phase) * 300
		e.at(ms)
		got, err := concurrently(t.Context(), 16, 4, func(ctx context.Context) (ratelimit.Decision, error) {
			return l.Allow(ctx, "hot")
		})
		if err != nil {
			t.Fatalf("phase %d: %v", phase, err)
		}
		if want := m.fits(rs, e.base+ms); got != want {
			t.Fatalf("phase %d (t=%d, %v): %d admitted, want exactly %d", phase, ms, rs, got, want)
		}
	}
}

// testPlans: free (5/min) and pro (50/min) keys share one store through one
// limiter, each gets exactly its limit, and a key moved to pro at run time
// gets pro's limit at once, counting what it took as free.
func testPlans(t *testing.T, e *env) {
	free, pro := rates(t, per(5, time.Minute)), rates(t, per(50, time.Minute))
	var plans sync.Map // key → ratelimit.Rates
	plans.Store("p1", pro)
	l, err := ratelimit.New(e.store, free, ratelimit.WithRatesFor(func(_ context.Context, key string) (ratelimit.Rates, error) {
		if rs, ok := plans.Load(key); ok {
			return rs.(ratelimit.Rates), nil
		}
		return nil, nil // the limiter's own: free
	}))
	if err != nil {
		t.Fatal(err)
	}
	models := map[string]*model{"f1": newModel(e.alg), "f2": newModel(e.alg), "p1": newModel(e.alg)}
	check := func(ms int64, key string, rs ratelimit.Rates) {
		t.Helper()
		e.at(ms)
		got, err := concurrently(t.Context(), 16, 5, func(ctx context.Context) (ratelimit.Decision, error) {
			return l.Allow(ctx, key)
		})
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		want := models[key].fits(rs, e.base+ms)
		if got != want || ms == 0 && want != int(rs[0].Limit) {
			t.Fatalf("%s at t=%d under %v: %d admitted, want exactly %d (the limit on a fresh key)", key, ms, rs, got, want)
		}
	}
	check(0, "f1", free)
	check(0, "f2", free)
	check(0, "p1", pro)
	plans.Store("f1", pro) // an upgrade
	check(1000, "f1", pro)
	check(1000, "f2", free)
}

// testSharedStore: limiters with different rates and prefixes share one
// store without sharing state; limiters with the same prefix share it.
func testSharedStore(t *testing.T, e *env) {
	newLimiter := func(opts ...ratelimit.Option) *ratelimit.Limiter {
		t.Helper()
		l, err := ratelimit.New(e.store, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	api := newLimiter(per(5, time.Second), ratelimit.WithPrefix("api:"))
	login := newLimiter(per(3, time.Minute), ratelimit.WithPrefix("login:"))
	a, b := newLimiter(per(4, time.Second)), newLimiter(per(4, time.Second))
	e.at(0)
	for _, tt := range []struct {
		name string
		l    *ratelimit.Limiter
		want int
	}{{"api", api, 5}, {"login", login, 3}, {"a", a, 4}, {"b, sharing a's state", b, 0}} {
		got := 0
		for range 10 {
			d, err := tt.l.Allow(t.Context(), "user")
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if d.Allowed {
				got++
			}
		}
		if got != tt.want {
			t.Fatalf("%s: %d admitted, want %d", tt.name, got, tt.want)
		}
	}
	// The store sees the prefix followed by the key.
	d, err := e.store.Take(t.Context(), "login:user", rates(t, per(3, time.Minute)), 0)
	if err != nil || d.Remaining != 0 {
		t.Fatalf("Take(login:user, n=0) = %v, %v; want 0 left", d, err)
	}
}

// testConcurrentOwnClock has 64 goroutines hammer one key of a store on its
// own clock (a server store's: the server's) for a few windows and checks
// that it admits and denies, never more than any algorithm's bound over the
// time it ran: limit per window, twice that for GCRA's burst and the
// counter's previous window.
func testConcurrentOwnClock(t *testing.T, e *env) {
	s := e.open(nil)
	r := per(20, 100*time.Millisecond)
	rs := rates(t, r)
	var admitted, denied atomic.Int64
	start := time.Now()
	_, err := concurrently(t.Context(), goroutines, 1, func(ctx context.Context) (ratelimit.Decision, error) {
		// A few windows, and on a slow machine as long as it takes to see a
		// denial.
		for time.Since(start) < 350*time.Millisecond || (denied.Load() == 0 && time.Since(start) < 20*time.Second) {
			d, err := s.Take(ctx, "hot", rs, 1)
			if err != nil {
				return d, err
			}
			if d.Allowed {
				admitted.Add(1)
			} else {
				denied.Add(1)
			}
		}
		return ratelimit.Decision{}, nil
	})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if admitted.Load() == 0 || denied.Load() == 0 {
		t.Fatalf("%d admitted, %d denied; want both", admitted.Load(), denied.Load())
	}
	if bound := 2 * r.Limit * (int64(elapsed/r.Interval) + 2); admitted.Load() > bound {
		t.Fatalf("%d admitted in %s, over the bound of %d for %v", admitted.Load(), elapsed, bound, r)
	}
}
