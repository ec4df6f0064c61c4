package ratelimit_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// countingBucket is a memory bucket that counts its leaks.
type countingBucket struct {
	*memorystore.Bucket
	leaks *atomic.Int32
}

func (b countingBucket) Leak(ctx context.Context, now int64) (int64, error) {
	b.leaks.Add(1)
	return b.Bucket.Leak(ctx, now)
}

func newCountingBucket(t *testing.T) countingBucket {
	t.Helper()
	return countingBucket{newBucket(t, ratelimit.PerSecond(10)), new(atomic.Int32)}
}

func newLeaker(t *testing.T, interval time.Duration, onError func(ratelimit.Leakable, error)) *ratelimit.Leaker {
	t.Helper()
	lk, err := ratelimit.NewLeaker(interval, onError)
	if err != nil {
		t.Fatalf("NewLeaker(%v): %v", interval, err)
	}
	return lk
}

func TestNewLeakerInvalid(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second} {
		lk, err := ratelimit.NewLeaker(d, nil)
		if lk != nil {
			t.Errorf("NewLeaker(%v) returned a leaker with its error", d)
		}
		wantErrIs(t, err, ratelimit.ErrInvalidArgument, d.String())
	}
}

func TestLeakerRegister(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lk := newLeaker(t, time.Second, nil) // a nil handler is allowed
		t.Cleanup(func() { lk.Close() })
		a, b := newCountingBucket(t), newCountingBucket(t)
		if got := lk.Buckets(); len(got) != 0 {
			t.Errorf("Buckets() = %v on a new leaker, want none", got)
		}
		for _, bk := range []ratelimit.Bucket{a, b, a} {
			if err := lk.Register(bk); err != nil {
				t.Fatalf("Register: %v", err)
			}
		}
		if got, want := lk.Buckets(), []ratelimit.Leakable{a, b}; !slices.Equal(got, want) {
			t.Errorf("Buckets() = %v, want %v (a registered once)", got, want)
		}
		// Buckets returns a copy.
		lk.Buckets()[0] = nil
		if got := lk.Buckets(); got[0] != ratelimit.Leakable(a) {
			t.Errorf("Buckets() shares the leaker's list")
		}
		if !lk.Unregister(a) {
			t.Error("Unregister(a) = false, want true")
		}
		if lk.Unregister(a) {
			t.Error("second Unregister(a) = true, want false")
		}
		if got, want := lk.Buckets(), []ratelimit.Leakable{b}; !slices.Equal(got, want) {
			t.Errorf("Buckets() = %v, want %v", got, want)
		}
		if !lk.Unregister(b) {
			t.Error("Unregister(b) = false, want true")
		}
		if got := lk.Buckets(); len(got) != 0 {
			t.Errorf("Buckets() = %v, want none", got)
		}
	})
}

func TestLeakerGoroutineLifecycle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lk := newLeaker(t, 100*time.Millisecond, nil)
		a, b := newCountingBucket(t), newCountingBucket(t)
		leaks := func() [2]int32 { return [2]int32{a.leaks.Load(), b.leaks.Load()} }

		advance(time.Second) // no bucket, no goroutine, no leak
		if err := lk.Register(a); err != nil {
			t.Fatal(err)
		}
		advance(250 * time.Millisecond)
		if got := leaks(); got != [2]int32{2, 0} {
			t.Fatalf("leaks = %v after 2.5 intervals, want [2 0]", got)
		}
		if err := lk.Register(b); err != nil {
			t.Fatal(err)
		}
		advance(100 * time.Millisecond)
		if got := leaks(); got != [2]int32{3, 1} {
			t.Fatalf("leaks = %v, want [3 1]", got)
		}

		// Unregistering the last bucket stops the goroutine; registering
		// again restarts it with a fresh ticker.
		lk.Unregister(a)
		lk.Unregister(b)
		advance(time.Second)
		if got := leaks(); got != [2]int32{3, 1} {
			t.Fatalf("leaks = %v after unregistering, want [3 1]", got)
		}
		if err := lk.Register(a); err != nil {
			t.Fatal(err)
		}
		advance(150 * time.Millisecond)
		if got := leaks(); got != [2]int32{4, 1} {
			t.Fatalf("leaks = %v after registering again, want [4 1]", got)
		}
		lk.Unregister(a)
		// No Close: synctest.Test fails unless Unregister stopped the
		// goroutine.
	})
}

func TestLeakerClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lk := newLeaker(t, 100*time.Millisecond, nil)
		a := newCountingBucket(t)
		if err := lk.Register(a); err != nil {
			t.Fatal(err)
		}
		advance(150 * time.Millisecond)
		for i := range 3 {
			if err := lk.Close(); err != nil {
				t.Errorf("Close #%d: %v", i+1, err)
			}
		}
		if got := lk.Buckets(); len(got) != 0 {
			t.Errorf("Buckets() = %v after Close, want none", got)
		}
		n := a.leaks.Load()
		advance(time.Second)
		if got := a.leaks.Load(); got != n {
			t.Errorf("%d leaks after Close, want none", got-n)
		}
		wantErrIs(t, lk.Register(a), ratelimit.ErrClosed)
		if lk.Unregister(a) {
			t.Error("Unregister after Close = true, want false")
		}
		// Close does not close the buckets.
		if _, err := a.Count(t.Context()); err != nil {
			t.Errorf("Count after the leaker's Close: %v", err)
		}
		// synctest.Test fails if Close left the goroutine running.
	})
}

func TestLeakerCloseUnused(t *testing.T) {
	lk := newLeaker(t, time.Second, nil)
	if err := lk.Close(); err != nil {
		t.Fatal(err)
	}
	if err := lk.Close(); err != nil {
		t.Fatal(err)
	}
	if err := lk.Register(newCountingBucket(t)); !errors.Is(err, ratelimit.ErrClosed) {
		t.Errorf("Register after Close = %v, want ErrClosed", err)
	}
}

func TestLeakerLeaks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lk := newLeaker(t, 500*time.Millisecond, nil)
		t.Cleanup(func() { lk.Close() })
		b := newBucket(t, ratelimit.PerSecond(10), ratelimit.PerMinute(100))
		if _, err := b.PutNow(t.Context(), "x", 4); err != nil {
			t.Fatal(err)
		}
		if err := lk.Register(b); err != nil {
			t.Fatal(err)
		}
		advance(time.Minute)
		wantCount(t, b, 4) // the unit still counts for 100/min at exactly 1min
		advance(500 * time.Millisecond)
		wantCount(t, b, 0)
	})
}

func TestLeakerErrorHandler(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("boom")
		var calls atomic.Int32
		lk := newLeaker(t, 100*time.Millisecond, func(b ratelimit.Leakable, err error) {
			if !errors.Is(err, boom) {
				t.Errorf("handler got %v, want %v", err, boom)
			}
			calls.Add(1)
		})
		t.Cleanup(func() { lk.Close() })
		good := newCountingBucket(t)
		bad := failingBucket{newBucket(t, ratelimit.PerSecond(1)), boom}
		if err := lk.Register(bad); err != nil {
			t.Fatal(err)
		}
		if err := lk.Register(good); err != nil {
			t.Fatal(err)
		}
		advance(350 * time.Millisecond)
		if n := calls.Load(); n != 3 {
			t.Errorf("handler called %d times, want 3", n)
		}
		// A failing bucket does not stop the others from being leaked.
		if n := good.leaks.Load(); n != 3 {
			t.Errorf("good bucket leaked %d times, want 3", n)
		}
	})
}

// sliceBucket is a bucket whose dynamic type cannot be compared.
type sliceBucket struct {
	ratelimit.Bucket
	_ []int
}

func TestLeakerRejectsIncomparableBucket(t *testing.T) {
	l, err := ratelimit.NewLeaker(time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Register(sliceBucket{}); !errors.Is(err, ratelimit.ErrInvalidArgument) {
		t.Fatalf("Register(incomparable) = %v, want ErrInvalidArgument", err)
	}
	if err := l.Register(nil); !errors.Is(err, ratelimit.ErrInvalidArgument) {
		t.Fatalf("Register(nil) = %v, want ErrInvalidArgument", err)
	}
	if l.Unregister(sliceBucket{}) {
		t.Fatal("Unregister(incomparable) = true")
	}
}
