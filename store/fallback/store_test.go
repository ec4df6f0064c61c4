package fallback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorate/ratelimit"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// A denial is a decision: it never switches, however many there are.
func TestDenialDoesNotSwitch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p, l, rec := newPair(t, 2)
		rs := mustRates(t, ratelimit.PerSecond(2))
		var allowed int
		for range 10 {
			d, err := s.Take(t.Context(), "k", rs, 1)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed {
				allowed++
			}
			if d.Rate != rs[0] {
				t.Fatalf("decided by %v, want the primary's 2/s", d.Rate)
			}
		}
		if allowed != 2 || p.calls.Load() != 10 || l.calls.Load() != 0 {
			t.Errorf("allowed %d, primary calls %d, local calls %d; want 2, 10, 0", allowed, p.calls.Load(), l.calls.Load())
		}
		checkEvents(t, rec, nil)
	})
}

// A failure of the primary switches to the local store, which decides the
// failed call; bad input, a closed primary and the caller's own context are
// returned as they are.
func TestWhichErrorsSwitch(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name     string
		err      error
		ctx      context.Context
		switches bool
	}{
		{"failure", errDown, nil, true},
		{"wrapped failure", fmt.Errorf("redis: %w", errDown), nil, true},
		{"primary's own deadline", fmt.Errorf("dial: %w", context.DeadlineExceeded), nil, true},
		{"EOF", io.ErrUnexpectedEOF, nil, true},
		{"invalid argument", fmt.Errorf("%w: weight -1", ratelimit.ErrInvalidArgument), nil, false},
		{"invalid rate", fmt.Errorf("%w: 0/s", ratelimit.ErrInvalidRate), nil, false},
		{"closed", fmt.Errorf("store: %w", ratelimit.ErrClosed), nil, false},
		{"caller canceled", context.Canceled, canceled, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, p, l, rec := newPair(t, 1)
			p.fail(tc.err)
			ctx := tc.ctx
			if ctx == nil {
				ctx = t.Context()
			}
			rs := mustRates(t, ratelimit.PerSecond(5))
			d, err := s.Take(ctx, "k", rs, 1)
			if !tc.switches {
				if !errors.Is(err, tc.err) || l.calls.Load() != 0 {
					t.Errorf("Take = %v, %v with %d local calls; want the primary's error %v and none", d, err, l.calls.Load(), tc.err)
				}
				checkEvents(t, rec, nil)
				return
			}
			if err != nil || !d.Allowed || l.calls.Load() != 1 {
				t.Errorf("Take = %v, %v with %d local calls; want a local admission", d, err, l.calls.Load())
			}
			checkEvents(t, rec, tc.err, true)
		})
	}
}

// A hung primary fails a call after the timeout, and the local store
// decides it; the caller's sooner deadline wins and switches nothing.
func TestTimeout(t *testing.T) {
	rs := mustRates(t, ratelimit.PerSecond(5))
	t.Run("timeout", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s, p, _, rec := newPair(t, 1, WithTimeout(40*time.Millisecond))
			p.setHang(true)
			start := time.Now()
			d, err := s.Take(t.Context(), "k", rs, 1)
			if el := time.Since(start); err != nil || !d.Allowed || el != 40*time.Millisecond {
				t.Errorf("Take = %v, %v after %v; want a local admission after 40ms", d, err, el)
			}
			checkEvents(t, rec, context.DeadlineExceeded, true)
			// On the local store, calls no longer wait.
			start = time.Now()
			if _, err := s.Take(t.Context(), "k", rs, 1); err != nil || time.Since(start) != 0 {
				t.Errorf("next Take: %v after %v; want at once", err, time.Since(start))
			}
		})
	})
	t.Run("default", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s, p, _, _ := newPair(t, 1)
			p.setHang(true)
			start := time.Now()
			if _, err := s.Take(t.Context(), "k", rs, 1); err != nil || time.Since(start) != DefaultTimeout {
				t.Errorf("Take: %v after %v; want a local decision after %v", err, time.Since(start), DefaultTimeout)
			}
		})
	})
	t.Run("caller's deadline", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s, p, l, rec := newPair(t, 1, WithTimeout(40*time.Millisecond))
			p.setHang(true)
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := s.Take(ctx, "k", rs, 1)
			if el := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || el != 10*time.Millisecond || l.calls.Load() != 0 {
				t.Errorf("Take: %v after %v, %d local calls; want the caller's deadline after 10ms, none", err, el, l.calls.Load())
			}
			checkEvents(t, rec, nil)
		})
	})
}

// A call the primary took but answered too late counts there and in the
// local store that decided it; the caller gets the local decision alone.
func TestLateAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p, l, _ := newPair(t, 1)
		p.mu.Lock()
		p.late = true
		p.mu.Unlock()
		rs := mustRates(t, ratelimit.PerMinute(10))
		d, err := s.Take(t.Context(), "k", rs, 3)
		if err != nil || !d.Allowed || d.Remaining != 7 {
			t.Fatalf("Take = %v, %v; want the local admission (7 left)", d, err)
		}
		pd, _ := p.inner.Check(t.Context(), "k", rs, 0)
		ld, _ := l.inner.Check(t.Context(), "k", rs, 0)
		if pd.Remaining != 7 || ld.Remaining != 7 {
			t.Errorf("left: %d on the primary, %d locally; want 7 on both", pd.Remaining, ld.Remaining)
		}
	})
}

// A caller whose deadline is sooner than the timeout gets its context
// passed as it is: no allocation over a memory primary.
func TestSoonerDeadlineAllocs(t *testing.T) {
	m, err := memorystore.New()
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(m, 2)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), DefaultTimeout/2)
	defer cancel()
	rs := mustRates(t, ratelimit.PerSecond(1_000_000_000))
	s.Take(ctx, "k", rs, 1)
	if n := testing.AllocsPerRun(100, func() { s.Take(ctx, "k", rs, 1) }); n != 0 {
		t.Errorf("Take under a sooner deadline: %v allocations, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { s.Take(t.Context(), "k", rs, 1) }); n == 0 {
		t.Errorf("Take with no deadline: no allocation; is the call bounded?")
	}
}

// Once failed, the store calls the primary only once per probe interval,
// from the first call after it; a failed probe is decided locally, a
// successful one returns its decision and the store to the primary.
func TestProbe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = 300 * time.Millisecond
		s, p, l, rec := newPair(t, 1, WithProbeInterval(interval))
		rs := mustRates(t, ratelimit.PerSecond(1000))
		take := func() ratelimit.Decision {
			t.Helper()
			d, err := s.Take(t.Context(), "k", rs, 1)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		p.fail(errDown)
		take()
		for range 5 { // within the interval: no primary call
			time.Sleep(interval / 10)
			take()
		}
		if p.calls.Load() != 1 {
			t.Fatalf("primary called %d times within the interval, want 1", p.calls.Load())
		}
		time.Sleep(interval) // a failed probe, decided locally
		localBefore := l.calls.Load()
		take()
		if p.calls.Load() != 2 || l.calls.Load() != localBefore+1 {
			t.Fatalf("after the interval: %d primary calls, %d local; want 2 and %d", p.calls.Load(), l.calls.Load(), localBefore+1)
		}
		take()
		if p.calls.Load() != 2 {
			t.Fatalf("a failed probe starts a new interval; primary called %d times, want 2", p.calls.Load())
		}
		time.Sleep(interval)
		localBefore = l.calls.Load()
		// Probes from many callers at once: exactly one reaches the
		// primary; all are decided locally.
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() { take() })
		}
		wg.Wait()
		if p.calls.Load() != 3 || l.calls.Load() != localBefore+8 {
			t.Fatalf("8 calls after the interval: %d primary calls, %d local; want 3 and %d", p.calls.Load(), l.calls.Load(), localBefore+8)
		}
		p.fail(nil)
		time.Sleep(interval - time.Millisecond)
		take()
		if p.calls.Load() != 3 {
			t.Fatalf("probed before the interval")
		}
		time.Sleep(time.Millisecond)
		localBefore = l.calls.Load()
		take()
		take()
		if p.calls.Load() != 5 || l.calls.Load() != localBefore {
			t.Fatalf("after a successful probe: %d primary calls, %d local; want 5 and %d", p.calls.Load(), l.calls.Load(), localBefore)
		}
		checkEvents(t, rec, errDown, true, false)
	})
}

// A successful probe's decision is the primary's, and the probe is the
// call's only take: nothing is taken from the local store for it.
func TestProbeIsTheTake(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p, l, _ := newPair(t, 1, WithProbeInterval(time.Second))
		rs := mustRates(t, ratelimit.PerMinute(10))
		p.fail(errDown)
		s.Take(t.Context(), "k", rs, 1)
		p.fail(nil)
		time.Sleep(time.Second)
		d, err := s.Take(t.Context(), "k", rs, 3)
		if err != nil || !d.Allowed || d.Remaining != 7 {
			t.Fatalf("probe = %v, %v; want the primary's admission of 3 (7 left)", d, err)
		}
		if ld, _ := l.inner.Check(t.Context(), "k", rs, 0); ld.Remaining != 9 {
			t.Errorf("local store has %d left, want 9: the probe's units taken locally too", ld.Remaining)
		}
		if pd, _ := p.inner.Check(t.Context(), "k", rs, 0); pd.Remaining != 7 {
			t.Errorf("primary has %d left, want 7", pd.Remaining)
		}
	})
}

// Many callers failing at once, then a return: each switch is reported
// exactly once, in order.
func TestSwitchesReportedOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p, _, rec := newPair(t, 1, WithProbeInterval(100*time.Millisecond))
		rs := mustRates(t, ratelimit.PerSecond(1000))
		for round := range 3 {
			p.fail(errDown)
			var wg sync.WaitGroup
			for range 32 {
				wg.Go(func() {
					if _, err := s.Take(t.Context(), "k", rs, 1); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			p.fail(nil)
			time.Sleep(100 * time.Millisecond)
			for range 32 {
				wg.Go(func() {
					if _, err := s.Take(t.Context(), "k", rs, 1); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			want := make([]bool, 0, 2*(round+1))
			for range round + 1 {
				want = append(want, true, false)
			}
			checkEvents(t, rec, errDown, want...)
		}
	})
}

// While failing, the local store decides against the limits divided by
// the number of instances.
func TestLimitsDivided(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p, _, _ := newPair(t, 3)
		rs := mustRates(t, ratelimit.PerSecond(10), ratelimit.PerMinute(100))
		p.fail(errDown)
		var allowed int
		var last ratelimit.Decision
		for range 10 {
			d, err := s.Take(t.Context(), "k", rs, 1)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed {
				allowed++
			}
			last = d
		}
		if want := (ratelimit.Rate{Limit: 3, Interval: time.Second}); allowed != 3 || last.Rate != want {
			t.Errorf("allowed %d, last decided by %v; want 3 by %v", allowed, last.Rate, want)
		}
	})
}

// Check asks the store Take would use; Reset forgets the key in both
// stores, or the local one alone while the primary fails.
func TestCheckAndReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p, l, rec := newPair(t, 2)
		ctx := t.Context()
		rs := mustRates(t, ratelimit.PerSecond(10))
		s.Take(ctx, "k", rs, 4)
		if d, err := s.Check(ctx, "k", rs, 1); err != nil || d.Remaining != 5 || l.calls.Load() != 0 {
			t.Fatalf("Check = %v, %v; want the primary's 5 left after 1", d, err)
		}
		if err := s.Reset(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		if d, _ := p.inner.Check(ctx, "k", rs, 0); d.Remaining != 10 {
			t.Errorf("primary not reset: %v", d)
		}
		p.fail(errDown)
		if d, err := s.Check(ctx, "k", rs, 1); err != nil || d.Remaining != 4 || d.Rate.Limit != 5 {
			t.Fatalf("Check while failing = %v, %v; want the local share's 4 left of 5/s", d, err)
		}
		checkEvents(t, rec, errDown, true)
		s.Take(ctx, "k", rs, 5)
		pc := p.calls.Load()
		if err := s.Reset(ctx, "k"); err != nil || p.calls.Load() != pc {
			t.Fatalf("Reset while failing: %v, %d primary calls; want nil and none", err, p.calls.Load()-pc)
		}
		if d, _ := l.inner.Check(ctx, "k", rs, 0); d.Remaining != 10 {
			t.Errorf("local store not reset: %v", d)
		}
	})
}

// A failed Reset of the primary switches and is returned.
func TestResetFails(t *testing.T) {
	s, p, _, rec := newPair(t, 1)
	p.fail(errDown)
	if err := s.Reset(t.Context(), "k"); !errors.Is(err, errDown) {
		t.Fatalf("Reset = %v, want errDown", err)
	}
	checkEvents(t, rec, errDown, true)
}

// Check and Reset need stores that can: otherwise ErrUnsupported.
func TestUnsupported(t *testing.T) {
	ctx := t.Context()
	rs := mustRates(t, ratelimit.PerSecond(1))
	bare, err := New(takeOnly{newFake(t)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bare.Check(ctx, "k", rs, 1); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Check over a primary without Check: %v", err)
	}
	if err := bare.Reset(ctx, "k"); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Reset over a primary without Reset: %v", err)
	}
	// A call the primary does not support is not a failure: no switch.
	if _, err := bare.Charge(ctx, "k", rs, 1); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Charge over a primary without Settler: %v", err)
	}
	if _, err := bare.TakeBlocking(ctx, "k", rs, 1, ratelimit.Block{For: time.Second}); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("TakeBlocking over a primary without Blocker: %v", err)
	}
	if bare.onLocal.Load() {
		t.Error("an unsupported call switched to the local store")
	}
	p := newFake(t)
	s, err := New(p, 1, WithLocal(takeOnly{newFake(t)}))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Reset(ctx, "k"); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Reset with a local store without Reset: %v", err)
	}
	p.fail(errDown)
	if _, err := s.Check(ctx, "k", rs, 1); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Check while failing, local store without Check: %v", err)
	}
}

// closer is a store that counts its Close calls.
type closer struct {
	*fake
	closed int
}

func (c *closer) Close() error { c.closed++; return nil }

// After Close every call fails with ErrClosed; Close closes no store.
func TestClose(t *testing.T) {
	ctx := t.Context()
	p, l := &closer{fake: newFake(t)}, &closer{fake: newFake(t)}
	s, err := New(p, 1, WithLocal(l))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	rs := mustRates(t, ratelimit.PerSecond(1))
	if _, err := s.Take(ctx, "k", rs, 1); !errors.Is(err, ratelimit.ErrClosed) {
		t.Errorf("Take after Close: %v", err)
	}
	if _, err := s.Check(ctx, "k", rs, 1); !errors.Is(err, ratelimit.ErrClosed) {
		t.Errorf("Check after Close: %v", err)
	}
	if err := s.Reset(ctx, "k"); !errors.Is(err, ratelimit.ErrClosed) {
		t.Errorf("Reset after Close: %v", err)
	}
	if p.closed != 0 || l.closed != 0 || p.calls.Load() != 0 {
		t.Errorf("Close closed the primary %d times, the local store %d times; primary called %d times", p.closed, l.closed, p.calls.Load())
	}
}

// Bad arguments and options are errors wrapping ErrInvalidArgument that name
// the value.
func TestNewErrors(t *testing.T) {
	p := newFake(t)
	for _, tc := range []struct {
		name      string
		primary   ratelimit.Store
		instances int
		opts      []Option
		want      string
	}{
		{"nil primary", nil, 1, nil, "primary store is nil"},
		{"no instances", p, 0, nil, "0 instances"},
		{"negative instances", p, -2, nil, "-2 instances"},
		{"nil option", p, 1, []Option{nil}, "option is nil"},
		{"nil local", p, 1, []Option{WithLocal(nil)}, "local store is nil"},
		{"zero timeout", p, 1, []Option{WithTimeout(0)}, "timeout 0s"},
		{"negative timeout", p, 1, []Option{WithTimeout(-time.Second)}, "timeout -1s"},
		{"zero probe", p, 1, []Option{WithProbeInterval(0)}, "probe interval 0s"},
		{"negative probe", p, 1, []Option{WithProbeInterval(-time.Millisecond)}, "probe interval -1ms"},
		{"nil observer", p, 1, []Option{WithObserver(&recorder{}), WithObserver(nil)}, "observer 2 is nil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.primary, tc.instances, tc.opts...)
			if !errors.Is(err, ratelimit.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v; want ErrInvalidArgument naming %q", err, tc.want)
			}
		})
	}
}

// A limiter over a fallback store sees the local decisions as ordinary
// decisions: no error, Policy Enforce.
func TestLimiterSeesLocalDecisions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p, _, _ := newPair(t, 2)
		rec := &recorder{}
		lim, err := ratelimit.New(s, ratelimit.PerSecond(4), ratelimit.WithObserver(rec))
		if err != nil {
			t.Fatal(err)
		}
		p.fail(errDown)
		for i := range 3 {
			d, err := lim.Allow(t.Context(), "k")
			if err != nil || d.Allowed != (i < 2) {
				t.Fatalf("Allow %d = %v, %v; want the share of 2/s", i, d, err)
			}
		}
		for i, e := range rec.all() {
			if e.Policy != ratelimit.Enforce || e.Err != nil || e.Decision.Rate.Limit != 2 {
				t.Errorf("limiter event %d = %+v, want an enforced decision by 2/s", i, e)
			}
		}
	})
}
