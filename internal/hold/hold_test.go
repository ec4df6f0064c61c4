package hold

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorate/ratelimit"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// limiter returns a limiter of 100/s over a new memory store, with opts.
func limiter(t *testing.T, opts ...ratelimit.Option) *ratelimit.Limiter {
	t.Helper()
	s, err := memorystore.New()
	if err != nil {
		t.Fatal(err)
	}
	l, err := ratelimit.New(s, append(opts, ratelimit.PerSecond(100), ratelimit.WithBuffer(0))...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestHoldStore: with a limiter that keeps blocks, a hold is a block in its
// store, which the limiter's waits see; nothing is held locally.
func TestHoldStore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := limiter(t, ratelimit.Block{})
		h := New(l)
		h.Hold(t.Context(), "host", 2*time.Second)
		if len(h.local) != 0 {
			t.Fatalf("local holds %v; want none: the store keeps the hold", h.local)
		}
		start := time.Now()
		if err := h.Wait(t.Context(), "host"); err != nil {
			t.Fatal(err)
		}
		if d, err := l.Wait(t.Context(), "host"); err != nil || !d.Allowed {
			t.Fatalf("the limiter's Wait = %v, %v", d, err)
		}
		if waited := time.Since(start); waited != 2*time.Second {
			t.Fatalf("waited %v; want the 2s hold", waited)
		}
	})
}

// failingBlocks is a memory store whose Block fails, as a server that is
// down would.
type failingBlocks struct{ *memorystore.Store }

func (failingBlocks) Block(context.Context, string, time.Duration) error {
	return errors.New("store down")
}

// TestHoldStoreFails: when the store fails the block, the key is held
// back locally instead.
func TestHoldStoreFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, err := memorystore.New()
		if err != nil {
			t.Fatal(err)
		}
		l, err := ratelimit.New(failingBlocks{s}, ratelimit.PerSecond(100), ratelimit.Block{})
		if err != nil {
			t.Fatal(err)
		}
		h := New(l)
		h.Hold(t.Context(), "k", time.Second)
		if h.Len() != 1 {
			t.Fatalf("%d local holds; want the key held locally", h.Len())
		}
		start := time.Now()
		if err := h.Wait(t.Context(), "k"); err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(start); waited != time.Second {
			t.Fatalf("waited %v; want the 1s hold", waited)
		}
	})
}

// TestHoldLocal: without a limiter, or with one that keeps no blocks, holds
// are local: Wait waits for the later of two holds, fails at once past the
// deadline, and ends with its context; holds of 0 or less hold nothing.
func TestHoldLocal(t *testing.T) {
	for name, l := range map[string]*ratelimit.Limiter{"nil": nil, "no blocks": limiter(t)} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := New(l)
				h.Hold(t.Context(), "k", 0)
				h.Hold(t.Context(), "k", -time.Second)
				if len(h.local) != 0 {
					t.Fatalf("holds of 0 and less: %v; want none", h.local)
				}
				h.Hold(t.Context(), "k", 3*time.Second)
				h.Hold(t.Context(), "k", time.Second) // the longer stands
				ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
				defer cancel()
				if err := h.Wait(ctx, "k"); !errors.Is(err, ratelimit.ErrWaitTooLong) {
					t.Fatalf("Wait past the deadline: %v; want ErrWaitTooLong", err)
				}
				cause := errors.New("gone")
				ctx, cancelCause := context.WithCancelCause(t.Context())
				time.AfterFunc(time.Second, func() { cancelCause(cause) })
				if err := h.Wait(ctx, "k"); err != cause {
					t.Fatalf("Wait whose context ends: %v; want its cause", err)
				}
				start := time.Now()
				if err := h.Wait(t.Context(), "k"); err != nil {
					t.Fatal(err)
				}
				if waited := time.Since(start); waited != 2*time.Second {
					t.Fatalf("waited %v; want the 2s left of the 3s hold", waited)
				}
				if err := h.Wait(t.Context(), "other"); err != nil {
					t.Fatal(err)
				}
				if err := h.Wait(t.Context(), "k"); err != nil || len(h.local) != 0 || h.held.Load() != 0 {
					t.Fatalf("Wait after the hold: %v, local %v, held %d; want the passed hold dropped", err, h.local, h.held.Load())
				}
				h.Now = func() time.Time { panic("Wait read the clock with nothing held") }
				if err := h.Wait(t.Context(), "k"); err != nil {
					t.Fatal(err)
				}
				h.Now = time.Now
				h.Hold(t.Context(), "k", 100*Max)
				if h.held.Load() != 1 {
					t.Fatalf("held %d after a hold; want 1", h.held.Load())
				}
				if got := time.Until(h.local["k"]); got != Max {
					t.Fatalf("a hold of 100 days lasts %v; want Max", got)
				}
			})
		})
	}
}

// TestHoldLocalBounded: the local holds of passed delays are dropped, so
// the map holds at most twice the keys held at once, plus sweepAt.
func TestHoldLocalBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := New(nil)
		for i := range 100 * sweepAt {
			h.Hold(t.Context(), string(rune(i)), time.Millisecond)
			if i%10 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
		if n := len(h.local); n > 2*10+sweepAt {
			t.Fatalf("%d local holds; want at most %d", n, 2*10+sweepAt)
		}
	})
}
