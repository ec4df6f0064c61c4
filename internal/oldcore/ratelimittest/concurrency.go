package ratelimittest

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

const goroutines = 64

// testConcurrentExact drives one key from 64 goroutines at once, phase after
// phase of explicit timestamps over several windows of two rates. Within a
// phase every put carries the same timestamp, so the number admitted has one
// right answer: exactly the capacity left (never more, and no denial while
// capacity remained).
func testConcurrentExact(t *testing.T, h Harness) {
	rates := []ratelimit.Rate{ratelimit.Per(10, time.Second), ratelimit.Per(30, 5*time.Second)}
	b := newBucket(t, h, rates...)
	var admitted []int64 // timestamps of admitted units, the reference log
	for phase := range 48 {
		ts := h.base + int64(phase)*250
		got, err := putConcurrently(t.Context(), goroutines, 2, func(ctx context.Context) (ratelimit.Decision, error) {
			return b.Put(ctx, ratelimit.Item{Name: "hot", Time: ts, Weight: 1})
		})
		if err != nil {
			t.Fatalf("phase %d: Put: %v", phase, err)
		}
		want := capacity(rates, admitted, ts)
		if int64(len(got)) != want {
			t.Fatalf("phase %d (t=%d): %d units admitted, want exactly %d", phase, ts-h.base, len(got), want)
		}
		for range want {
			admitted = append(admitted, ts)
		}
	}
	if len(admitted) == 0 {
		t.Fatal("nothing admitted")
	}
}

// capacity returns how many units rates still admit at ts, given the log.
func capacity(rates []ratelimit.Rate, log []int64, ts int64) int64 {
	left := int64(1 << 62)
	for _, r := range rates {
		n := int64(0)
		for _, u := range log {
			if u >= ts-r.IntervalMillis() {
				n++
			}
		}
		left = min(left, r.Limit-n)
	}
	return max(left, 0)
}

// testConcurrentRealClock has 64 goroutines hammer one key through the
// store's own clock (PutNow, and the factory's Acquire when there is one) for
// a few windows, then checks the admitted decisions: no window of any rate
// ever holds more than its limit, and no denial happened while the window had
// room.
func testConcurrentRealClock(t *testing.T, h Harness) {
	rate := ratelimit.Per(20, 100*time.Millisecond)
	b := newBucket(t, h, rate)
	check := func(name string, put func(context.Context) (ratelimit.Decision, error)) {
		t.Helper()
		var (
			mu            sync.Mutex
			allow, denied []int64
		)
		// A few windows, and on a slow or loaded machine as long as it
		// takes to see both an admission and a denial.
		start := time.Now()
		var seenDenial atomic.Bool
		busy := func() bool {
			elapsed := time.Since(start)
			return elapsed < 350*time.Millisecond || (!seenDenial.Load() && elapsed < 20*time.Second)
		}
		_, err := putConcurrently(t.Context(), goroutines, 1, func(ctx context.Context) (ratelimit.Decision, error) {
			for busy() {
				d, err := put(ctx)
				if err != nil {
					return d, err
				}
				mu.Lock()
				if d.Allowed {
					allow = append(allow, d.Time)
				} else {
					denied = append(denied, d.Time)
					seenDenial.Store(true)
				}
				mu.Unlock()
			}
			return ratelimit.Decision{}, nil
		})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(allow) == 0 || len(denied) == 0 {
			t.Fatalf("%s: %d admitted, %d denied; want both", name, len(allow), len(denied))
		}
		slices.Sort(allow)
		iv := rate.IntervalMillis()
		for i, ts := range allow {
			lo, _ := slices.BinarySearch(allow, ts-iv)
			if n := i + 1 - lo; n > int(rate.Limit) {
				t.Fatalf("%s: %d units admitted in [%d, %d], over the limit of %s", name, n, ts-iv, ts, rate)
			}
		}
		for _, ts := range denied {
			lo, _ := slices.BinarySearch(allow, ts-iv)
			hi, found := slices.BinarySearch(allow, ts)
			for found && hi < len(allow) && allow[hi] == ts {
				hi++
			}
			if n := hi - lo; n < int(rate.Limit) {
				t.Fatalf("%s: denied at %d while [%d, %d] held only %d of %s", name, ts, ts-iv, ts, n, rate)
			}
		}
	}
	check("Bucket.PutNow", func(ctx context.Context) (ratelimit.Decision, error) { return b.PutNow(ctx, "hot", 1) })
	if h.NewFactory != nil {
		f := newFactory(t, h, rate)
		check("Factory.Acquire", func(ctx context.Context) (ratelimit.Decision, error) { return f.Acquire(ctx, "hot", 1) })
	}
}

// putConcurrently releases n goroutines at once, each calling put per times,
// and returns the allowed decisions and the first error.
func putConcurrently(ctx context.Context, n, per int, put func(context.Context) (ratelimit.Decision, error)) ([]ratelimit.Decision, error) {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		allowed  []ratelimit.Decision
		firstErr error
	)
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for range per {
				d, err := put(ctx)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if err == nil && d.Allowed {
					allowed = append(allowed, d)
				}
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	return allowed, firstErr
}
