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
		{"zero", newMemory(t), ratelimit.Block{}, ratelimit.ErrInvalidArgument},
		{"sub-millisecond", newMemory(t), ratelimit.Block{For: time.Second + time.Microsecond}, ratelimit.ErrInvalidArgument},
		{"count without window", newMemory(t), ratelimit.Block{For: time.Second, After: 3}, ratelimit.ErrInvalidArgument},
		{"cap without factor", newMemory(t), ratelimit.Block{For: time.Second, Max: time.Hour}, ratelimit.ErrInvalidArgument},
		{"store without blocks", takeOnly{newMemory(t)}, ratelimit.Block{For: time.Second}, errors.ErrUnsupported},
	} {
		if _, err := ratelimit.New(tt.store, per(1, time.Second), tt.b); !errors.Is(err, tt.want) {
			t.Errorf("%s: New with %+v: %v; want %v", tt.name, tt.b, err, tt.want)
		}
	}
}

// takeOnly hides every method of a store but Take.
type takeOnly struct{ s ratelimit.Store }

func (s takeOnly) Take(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	return s.s.Take(ctx, key, rates, n)
}
