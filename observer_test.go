package ratelimit_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorate/ratelimit"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// events is an Observer that keeps every event.
type events struct {
	mu   sync.Mutex
	list []ratelimit.Event
}

func (o *events) Observe(_ context.Context, e ratelimit.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.list = append(o.list, e)
}

// take returns the events seen so far and forgets them.
func (o *events) take() []ratelimit.Event {
	o.mu.Lock()
	defer o.mu.Unlock()
	l := o.list
	o.list = nil
	return l
}

// count returns how many events have policy p and outcome allowed, with no
// error.
func count(es []ratelimit.Event, p ratelimit.Policy, allowed bool) int {
	n := 0
	for _, e := range es {
		if e.Err == nil && e.Policy == p && e.Decision.Allowed == allowed {
			n++
		}
	}
	return n
}

// failing is a store whose every take fails, after taking d of the clock.
type failing struct{ d time.Duration }

var errDown = errors.New("store down")

func (s failing) Take(context.Context, string, ratelimit.Rates, int64) (ratelimit.Decision, error) {
	time.Sleep(s.d)
	return ratelimit.Decision{}, errDown
}

// slow is a memory store that is not Local and takes d of the clock per take.
type slow struct {
	s ratelimit.Store
	d time.Duration
}

func (s slow) Take(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	time.Sleep(s.d)
	return s.s.Take(ctx, key, rates, n)
}

func newMemory(t *testing.T) *memorystore.Store {
	t.Helper()
	s, err := memorystore.New()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustNew(t *testing.T, s ratelimit.Store, opts ...ratelimit.Option) *ratelimit.Limiter {
	t.Helper()
	l, err := ratelimit.New(s, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return l
}

func TestObserverEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var o events
		l := mustNew(t, newMemory(t), per(2, time.Second), ratelimit.WithName("api"), ratelimit.WithPrefix("p:"), ratelimit.WithObserver(&o))
		allow(t, l, "a", 2, true)
		allow(t, l, "a", 1, false)
		if _, err := l.Check(t.Context(), "a", 1); err != nil {
			t.Fatal(err)
		}
		l.AllowN(t.Context(), "a", -1) // refused: not a decision
		es := o.take()
		if len(es) != 2 {
			t.Fatalf("%d events, want 2 (Check and bad input are not observed): %+v", len(es), es)
		}
		want := ratelimit.Event{Limiter: "api", Weight: 2, Decision: ratelimit.Decision{Allowed: true, Rate: per(2, time.Second), ResetAfter: time.Second + time.Millisecond}}
		want.Decision.At = es[0].Decision.At // the store's clock: not this test's
		if es[0] != want {
			t.Errorf("allowed event = %+v, want %+v", es[0], want)
		}
		if e := es[1]; e.Decision.Allowed || e.Weight != 1 || e.Key != "" || e.Policy != ratelimit.Enforce || e.Latency != 0 || e.Decision.RetryAfter != time.Second+time.Millisecond {
			t.Errorf("denied event = %+v: want a denial of weight 1, no key, Enforce, Latency 0 (a Local store)", e)
		}
	})
}

func TestObserverKeysAndLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var o events
		l := mustNew(t, slow{newMemory(t), 3 * time.Millisecond}, per(1, time.Second), ratelimit.WithPrefix("p:"), ratelimit.WithObservedKeys(), ratelimit.WithObserver(&o))
		allow(t, l, "user:1", 1, true)
		e := o.take()[0]
		if e.Key != "user:1" || e.Latency != 3*time.Millisecond {
			t.Errorf("event Key %q Latency %v, want the caller's key \"user:1\" and the store's 3ms", e.Key, e.Latency)
		}
	})
}

func TestObserverOrderAndNil(t *testing.T) {
	var a, b events
	l := mustNew(t, newMemory(t), per(1, time.Second), ratelimit.WithObserver(&a), ratelimit.WithObserver(&b))
	allow(t, l, "k", 1, true)
	if len(a.take()) != 1 || len(b.take()) != 1 {
		t.Error("each observer given must see the decision")
	}
	_, err := ratelimit.New(newMemory(t), per(1, time.Second), ratelimit.WithObserver(nil))
	wantErrIs(t, err, ratelimit.ErrInvalidArgument, "observer is nil")
}

func TestObserverWaitN(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var o events
		l := mustNew(t, newMemory(t), per(1, time.Second), ratelimit.WithObserver(&o))
		wait(t, l, t.Context(), "k", 1)
		wait(t, l, t.Context(), "k", 1) // waits one denial out
		es := o.take()
		if len(es) != 2 || !es[1].Decision.Allowed {
			t.Fatalf("events %+v: want one per WaitN, the last allowed", es)
		}
		_, err := l.WaitN(t.Context(), "k", 2)
		wantErrIs(t, err, ratelimit.ErrExceedsLimit, "1/s")
		if es := o.take(); len(es) != 1 || es[0].Decision.Allowed || es[0].Decision.RetryAfter != ratelimit.Never {
			t.Errorf("events %+v: want the one denial WaitN gave up on", es)
		}
	})
}

func TestDryRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var o events
		l := mustNew(t, newMemory(t), per(10, time.Minute), ratelimit.WithDryRun(), ratelimit.WithObserver(&o))
		for i := range 100 {
			d, err := l.Allow(t.Context(), "k")
			if err != nil || !d.Allowed || d.RetryAfter != 0 || d.Rate != per(10, time.Minute) {
				t.Fatalf("request %d: %+v, %v: a dry run admits every request", i, d, err)
			}
		}
		// WaitN admits at once.
		start := time.Now()
		if d, err := l.WaitN(t.Context(), "k", 5); err != nil || !d.Allowed || time.Since(start) != 0 {
			t.Fatalf("WaitN = %+v, %v after %v: want allowed at once", d, err, time.Since(start))
		}
		// Check applies no policy: it tells the store's denial.
		if d, err := l.Check(t.Context(), "k", 1); err != nil || d.Allowed {
			t.Fatalf("Check = %+v, %v: want the store's denial", d, err)
		}
		es := o.take()
		if a, d := count(es, ratelimit.DryRun, true), count(es, ratelimit.DryRun, false); a != 10 || d != 91 {
			t.Errorf("dry run reported %d allowed and %d denied, want 10 and 91", a, d)
		}
		// A would-be denial consumed nothing: the budget is back after a
		// minute (and the inclusive millisecond), as when enforced.
		advance(time.Minute + time.Millisecond)
		if e := allowEvent(t, l, &o); !e.Decision.Allowed || e.Decision.Remaining != 9 {
			t.Errorf("after a minute: %+v, want allowed with 9 left", e)
		}
	})
}

// allowEvent calls Allow on key "k" and returns the event it made.
func allowEvent(t *testing.T, l *ratelimit.Limiter, o *events) ratelimit.Event {
	t.Helper()
	if _, err := l.Allow(t.Context(), "k"); err != nil {
		t.Fatal(err)
	}
	es := o.take()
	if len(es) != 1 {
		t.Fatalf("%d events, want 1", len(es))
	}
	return es[0]
}

func TestFailOpen(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, tt := range []struct {
			name   string
			opts   []ratelimit.Option
			open   bool
			policy ratelimit.Policy
		}{
			{"closed", nil, false, ratelimit.Enforce},
			{"WithFailOpen", []ratelimit.Option{ratelimit.WithFailOpen()}, true, ratelimit.FailOpen},
			{"WithDryRun", []ratelimit.Option{ratelimit.WithDryRun()}, true, ratelimit.FailOpen},
		} {
			var o events
			l := mustNew(t, failing{2 * time.Millisecond}, append(tt.opts, per(1, time.Second), ratelimit.WithObserver(&o))...)
			for _, call := range []func() (ratelimit.Decision, error){
				func() (ratelimit.Decision, error) { return l.Allow(t.Context(), "k") },
				func() (ratelimit.Decision, error) { return l.Wait(t.Context(), "k") },
			} {
				d, err := call()
				if tt.open {
					if err != nil || d != (ratelimit.Decision{Allowed: true}) {
						t.Errorf("%s: %+v, %v: want an allowing Decision with a zero Rate", tt.name, d, err)
					}
				} else if !errors.Is(err, errDown) {
					t.Errorf("%s: error %v, want the store's", tt.name, err)
				}
				e := o.take()[0]
				if !errors.Is(e.Err, errDown) || e.Policy != tt.policy || e.Decision != (ratelimit.Decision{}) || e.Latency != 2*time.Millisecond {
					t.Errorf("%s: event %+v, want the store's error, Policy %v, a zero Decision, Latency 2ms", tt.name, e, tt.policy)
				}
			}
			// A call whose context has ended gets the error.
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			if _, err := l.Allow(ctx, "k"); !errors.Is(err, errDown) {
				t.Errorf("%s with an ended context: %v, want the store's error", tt.name, err)
			}
			if e := o.take()[0]; e.Policy != ratelimit.Enforce {
				t.Errorf("%s with an ended context: Policy %v, want Enforce", tt.name, e.Policy)
			}
		}
	})
}

func TestFailOpenRatesFor(t *testing.T) {
	var o events
	boom := errors.New("no plan")
	l := mustNew(t, newMemory(t), ratelimit.WithFailOpen(), ratelimit.WithObserver(&o),
		ratelimit.WithRatesFor(func(context.Context, string) (ratelimit.Rates, error) { return nil, boom }))
	if d, err := l.Allow(t.Context(), "k"); err != nil || !d.Allowed {
		t.Errorf("Allow = %+v, %v: a failing plan lookup fails open", d, err)
	}
	if e := o.take()[0]; !errors.Is(e.Err, boom) || e.Policy != ratelimit.FailOpen {
		t.Errorf("event %+v, want the lookup's error with Policy FailOpen", e)
	}
}

func TestShadow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newMemory(t)
		var o events
		shadow := mustNew(t, s, per(2, time.Second), ratelimit.WithPrefix("next:"), ratelimit.WithName("next"), ratelimit.WithObserver(&o))
		enforced := mustNew(t, s, per(5, time.Second), ratelimit.WithShadow(shadow), ratelimit.WithName("api"), ratelimit.WithObserver(&o))
		alone := mustNew(t, newMemory(t), per(5, time.Second))
		for i := range 8 {
			d, err := enforced.Allow(t.Context(), "k")
			want, werr := alone.Allow(t.Context(), "k")
			if err != nil || werr != nil || d != want {
				t.Fatalf("request %d: %+v, %v with a shadow; %+v, %v without", i, d, err, want, werr)
			}
		}
		var api, next []ratelimit.Event
		for _, e := range o.take() {
			if e.Limiter == "next" {
				next = append(next, e)
			} else {
				api = append(api, e)
			}
		}
		if count(api, ratelimit.Enforce, true) != 5 || count(api, ratelimit.Enforce, false) != 3 {
			t.Errorf("enforced events %+v: want 5 allowed, 3 denied", api)
		}
		if count(next, ratelimit.Shadow, true) != 2 || count(next, ratelimit.Shadow, false) != 6 {
			t.Errorf("shadow events %+v: want 2 allowed, 6 denied, Policy Shadow", next)
		}
		// The shadow kept its own keys: the enforced key holds 5 units, the
		// shadow's 2.
		if d, _ := s.Check(t.Context(), "k", ratelimit.Rates{per(5, time.Second)}, 0); d.Remaining != 0 {
			t.Errorf("enforced key: %+v, want 0 left", d)
		}
		if d, _ := s.Check(t.Context(), "next:k", ratelimit.Rates{per(2, time.Second)}, 0); d.Remaining != 0 {
			t.Errorf("shadow key: %+v, want 0 left", d)
		}
		// Check neither runs the shadow nor is observed.
		if _, err := enforced.Check(t.Context(), "k", 1); err != nil {
			t.Fatal(err)
		}
		if es := o.take(); len(es) != 0 {
			t.Errorf("Check made events %+v, want none", es)
		}
		// WaitN runs the shadow once.
		advance(time.Second)
		wait(t, enforced, t.Context(), "k", 1)
		if n := len(o.take()); n != 2 {
			t.Errorf("WaitN made %d events, want 2 (enforced and shadow)", n)
		}
	})
}

func TestShadowSameStoreAndPrefix(t *testing.T) {
	s := newMemory(t)
	shadow := mustNew(t, s, per(1, time.Second), ratelimit.WithPrefix("p"))
	_, err := ratelimit.New(s, per(2, time.Second), ratelimit.WithPrefix("p"), ratelimit.WithShadow(shadow))
	wantErrIs(t, err, ratelimit.ErrInvalidArgument, `shares the store and the prefix "p"`)
	// Another prefix, or another store, is fine; so is a store of a type
	// that cannot be compared.
	mustNew(t, s, per(2, time.Second), ratelimit.WithShadow(shadow))
	mustNew(t, newMemory(t), per(2, time.Second), ratelimit.WithPrefix("p"), ratelimit.WithShadow(shadow))
	fn := storeFunc(func(context.Context, string, ratelimit.Rates, int64) (ratelimit.Decision, error) {
		return ratelimit.Decision{Allowed: true}, nil
	})
	mustNew(t, fn, per(2, time.Second), ratelimit.WithShadow(mustNew(t, fn, per(1, time.Second), ratelimit.WithPrefix("x"))))
}

type storeFunc func(context.Context, string, ratelimit.Rates, int64) (ratelimit.Decision, error)

func (f storeFunc) Take(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	return f(ctx, key, rates, n)
}

func TestPolicyString(t *testing.T) {
	for p, want := range map[ratelimit.Policy]string{
		ratelimit.Enforce: "enforce", ratelimit.DryRun: "dry_run", ratelimit.Shadow: "shadow", ratelimit.FailOpen: "fail_open", ratelimit.Fallback: "fallback", 9: "policy(9)",
	} {
		if got := p.String(); got != want {
			t.Errorf("Policy(%d).String() = %q, want %q", p, got, want)
		}
	}
}

// nop is an Observer that does nothing.
type nop struct{}

func (nop) Observe(context.Context, ratelimit.Event) {}

func TestObserverAllocs(t *testing.T) {
	l := mustNew(t, newMemory(t), ratelimit.PerSecond(1<<40), ratelimit.WithName("api"), ratelimit.WithObserver(nop{}))
	ctx := t.Context()
	if n := testing.AllocsPerRun(1000, func() { l.Allow(ctx, "k") }); n != 0 {
		t.Errorf("a decision with an observer allocates %v times, want 0", n)
	}
}
