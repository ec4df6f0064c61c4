package ratelimit_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorate/ratelimit"
)

// TestLimiterBlock: a limiter with a Block blocks a key under its prefix
// at its first denial, Check and takes of 0 units see the block, WaitN
// fails at once when the block outlasts its bound, and Reset lifts it.
func TestLimiterBlock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newMemory(t)
		l := mustNew(t, s, per(5, time.Minute), ratelimit.Block{For: 10 * time.Minute}, ratelimit.WithPrefix("p:"), ratelimit.WithMaxWait(time.Minute))
		plain := mustNew(t, s, per(5, time.Minute)) // the same store, no prefix, no block
		for range 5 {
			allow(t, l, "k", 1, true)
		}
		d := allow(t, l, "k", 1, false)
		if !d.Blocked || d.RetryAfter != 10*time.Minute || d.Remaining != 0 {
			t.Fatalf("6th take = %v (blocked %v); want blocked for 10m0s", d, d.Blocked)
		}
		if d := allow(t, l, "k", 0, false); !d.Blocked {
			t.Fatalf("a take of 0 units while blocked = %v; want blocked", d)
		}
		if d, err := l.Check(t.Context(), "k", 1); err != nil || !d.Blocked || d.RetryAfter != 10*time.Minute {
			t.Fatalf("Check while blocked = %v, %v; want blocked for 10m0s", d, err)
		}
		if _, err := l.WaitN(t.Context(), "k", 1); !errors.Is(err, ratelimit.ErrWaitTooLong) {
			t.Fatalf("WaitN while blocked for longer than the maximum wait: %v; want ErrWaitTooLong", err)
		}
		allow(t, plain, "k", 1, true) // another key: p:k is blocked, k is not

		time.Sleep(time.Minute)
		if d := allow(t, l, "k", 1, false); !d.Blocked || d.RetryAfter != 9*time.Minute {
			t.Fatalf("a minute later = %v; want blocked for 9m0s more", d)
		}
		if err := l.Reset(t.Context(), "k"); err != nil {
			t.Fatal(err)
		}
		allow(t, l, "k", 5, true)
	})
}

// TestLimiterBlockDryRun: a dry run admits a blocked key's takes and
// reports the block to its observers.
func TestLimiterBlockDryRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var o events
		l := mustNew(t, newMemory(t), per(1, time.Minute), ratelimit.Block{For: time.Hour}, ratelimit.WithDryRun(), ratelimit.WithObserver(&o))
		allow(t, l, "k", 1, true)
		allow(t, l, "k", 1, true)
		if d := allow(t, l, "k", 1, true); d.Blocked {
			t.Fatalf("a dry run's admission = %v (blocked); want it admitted", d)
		}
		if list := o.take(); len(list) == 0 {
			t.Fatal("nothing observed")
		} else if got := list[len(list)-1]; !got.Decision.Blocked || got.Policy != ratelimit.DryRun {
			t.Fatalf("observed %+v; want the block's denial, passed by the dry run", got)
		}
	})
}

// TestNewBlock: New refuses a bad Block, naming it, and a Block over a store
// that cannot keep blocks.
func TestNewBlock(t *testing.T) {
	for _, tt := range []struct {
		name  string
		store ratelimit.Store
		b     ratelimit.Block
		want  error
	}{
		{"sub-millisecond", newMemory(t), ratelimit.Block{For: time.Second + time.Microsecond}, ratelimit.ErrInvalidArgument},
		{"count without window", newMemory(t), ratelimit.Block{For: time.Second, After: 3}, ratelimit.ErrInvalidArgument},
		{"cap without factor", newMemory(t), ratelimit.Block{For: time.Second, Max: time.Hour}, ratelimit.ErrInvalidArgument},
		{"store without blocks", takeOnly{newMemory(t)}, ratelimit.Block{For: time.Second}, errors.ErrUnsupported},
		{"zero, store without blocks", takeOnly{newMemory(t)}, ratelimit.Block{}, errors.ErrUnsupported},
	} {
		if _, err := ratelimit.New(tt.store, per(1, time.Second), tt.b); !errors.Is(err, tt.want) {
			t.Errorf("%s: New with %+v: %v; want %v", tt.name, tt.b, err, tt.want)
		}
	}
}

// TestLimiterBlockFor: Limiter.Block blocks a key for a set time under a
// limiter with the zero Block, which blocks nothing on its own: takes,
// checks and waits see the block to the millisecond, a longer block stands
// against a shorter one, Reset lifts it, and bad calls are refused.
func TestLimiterBlockFor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := mustNew(t, newMemory(t), per(2, time.Minute), ratelimit.Block{}, ratelimit.WithPrefix("p:"), ratelimit.WithBuffer(0))
		allow(t, l, "k", 2, true)
		if d := allow(t, l, "k", 1, false); d.Blocked {
			t.Fatalf("a denial under the zero Block = %v; want it not blocked", d)
		}
		if err := l.Block(t.Context(), "k", 2*time.Second+time.Microsecond); err != nil {
			t.Fatal(err)
		}
		if d := allow(t, l, "other", 1, true); d.Blocked {
			t.Fatalf("another key = %v; want it not blocked", d)
		}
		d := allow(t, l, "k", 0, false)
		if !d.Blocked || d.RetryAfter < 2001*time.Millisecond {
			t.Fatalf("a take of 0 units after Block(2.000001s) = %v; want blocked for at least 2.001s", d)
		}
		if err := l.Block(t.Context(), "k", time.Second); err != nil {
			t.Fatal(err)
		}
		if d, err := l.Check(t.Context(), "k", 1); err != nil || !d.Blocked || d.RetryAfter != 2001*time.Millisecond {
			t.Fatalf("Check after a shorter Block = %v, %v; want the longer block's 2.001s", d, err)
		}
		time.Sleep(time.Minute) // the units have expired: only a block denies now
		if err := l.Block(t.Context(), "k", 3*time.Second); err != nil {
			t.Fatal(err)
		}
		if err := l.Block(t.Context(), "k", time.Second); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if d, err := l.Wait(t.Context(), "k"); err != nil || !d.Allowed {
			t.Fatalf("Wait on a blocked key = %v, %v; want allowed at the block's end", d, err)
		}
		if waited := time.Since(start); waited != 3*time.Second {
			t.Fatalf("Wait waited %v; want the 3s block", waited)
		}
		if err := l.Block(t.Context(), "k", time.Hour); err != nil {
			t.Fatal(err)
		}
		if err := l.Reset(t.Context(), "k"); err != nil {
			t.Fatal(err)
		}
		allow(t, l, "k", 2, true)
	})
	for _, tt := range []struct {
		name string
		opts []ratelimit.Option
		d    time.Duration
		want error
	}{
		{"no Block option", nil, time.Second, errors.ErrUnsupported},
		{"zero length", []ratelimit.Option{ratelimit.Block{}}, 0, ratelimit.ErrInvalidArgument},
		{"negative", []ratelimit.Option{ratelimit.Block{}}, -time.Second, ratelimit.ErrInvalidArgument},
		{"over MaxInterval", []ratelimit.Option{ratelimit.Block{}}, ratelimit.MaxInterval + 1, ratelimit.ErrInvalidArgument},
	} {
		l := mustNew(t, newMemory(t), append(tt.opts, per(1, time.Second))...)
		if err := l.Block(t.Context(), "k", tt.d); !errors.Is(err, tt.want) {
			t.Errorf("%s: Block(%v): %v; want %v", tt.name, tt.d, err, tt.want)
		}
	}
	l := mustNew(t, newMemory(t), per(1, time.Second), ratelimit.Block{})
	l.Close()
	if err := l.Block(t.Context(), "k", time.Second); !errors.Is(err, ratelimit.ErrClosed) {
		t.Errorf("Block after Close: %v; want ErrClosed", err)
	}
}

// takeOnly hides every method of a store but Take.
type takeOnly struct{ s ratelimit.Store }

func (s takeOnly) Take(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	return s.s.Take(ctx, key, rates, n)
}
