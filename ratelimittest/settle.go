package ratelimittest

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
)

// settler returns e's store as a ratelimit.Settler, or skips the case.
func (e *env) settler() ratelimit.Settler {
	e.t.Helper()
	s, ok := e.store.(ratelimit.Settler)
	if !ok {
		e.t.Skip("the store does not implement ratelimit.Settler")
	}
	return s
}

// testSettleAgreement takes, refunds earlier takes (each once, at most what
// it took) and charges at random times, now and then under another rate
// list, and holds every field of every decision to the model, At included.
func testSettleAgreement(t *testing.T, e *env) {
	s := e.settler()
	lists := ratesLists(t, e.alg)
	m := newModel(e.alg)
	rng := rand.New(rand.NewPCG(11, uint64(len(e.alg))))
	type taken struct {
		d ratelimit.Decision
		n int64
	}
	var open []taken // admitted takes not refunded yet
	rs, now := lists[0], int64(0)
	for step := range 800 {
		if rng.IntN(12) == 0 {
			rs = lists[rng.IntN(len(lists))]
		}
		now += rng.Int64N(60)
		e.at(now)
		var got, want ratelimit.Decision
		var err error
		var op string
		switch k := rng.IntN(10); {
		case k < 5 || len(open) == 0:
			n := rng.Int64N(rs[0].Limit + 1)
			op = "Take(n=" + strconv.FormatInt(n, 10) + ")"
			want = m.take(rs, e.base+now, n)
			if got, err = e.store.Take(t.Context(), "k", rs, n); err == nil && got.Allowed && n > 0 {
				open = append(open, taken{got, n})
			}
		case k < 9:
			i := rng.IntN(len(open))
			tk := open[i]
			open = append(open[:i], open[i+1:]...)
			n := min(1+rng.Int64N(tk.n), rs[0].Limit)
			op = "Refund(n=" + strconv.FormatInt(n, 10) + " of a take at " + strconv.FormatInt(tk.d.At-e.base, 10) + ")"
			want = m.refund(rs, e.base+now, tk.d.At, n)
			got, err = s.Refund(t.Context(), "k", rs, tk.d, n)
		default:
			n := rng.Int64N(rs[0].Limit + 1)
			op = "Charge(n=" + strconv.FormatInt(n, 10) + ")"
			want = m.charge(rs, e.base+now, n)
			got, err = s.Charge(t.Context(), "k", rs, n)
		}
		if err != nil {
			t.Fatalf("step %d: %s under %v at t=%d: %v", step, op, rs, now, err)
		}
		if got != want {
			t.Fatalf("step %d: %s under %v at t=%d = %v (%+v), want %v (%+v)", step, op, rs, now, got, got, want, want)
		}
	}
}

// testCountFailures is the count-only-failures recipe at 3/min: 100 takes
// each refunded at once (successes) never deny, three kept (failures) use
// the limit, and the next take is denied.
func testCountFailures(t *testing.T, e *env) {
	s := e.settler()
	rs := rates(t, per(3, time.Minute))
	for i := range int64(100) {
		d := e.take("k", rs, i, 1, true)
		if d.At != e.base+i {
			t.Fatalf("take at t=%d: At = %d, want %d (the store's clock)", i, d.At-e.base, i)
		}
		if _, err := s.Refund(t.Context(), "k", rs, d, 1); err != nil {
			t.Fatalf("Refund at t=%d: %v", i, err)
		}
	}
	for i := range int64(3) {
		e.take("k", rs, 100+i, 1, true)
	}
	d := e.take("k", rs, 103, 1, false)
	m := newModel(e.alg)
	for i := range int64(3) {
		m.take(rs, e.base+100+i, 1)
	}
	if want := m.take(rs, e.base+103, 1); !equal(d, want) {
		t.Fatalf("the take after three failures = %v, want %v", d, want)
	}
}

// testRefundConcurrent has 16 goroutines take one unit at a time from one
// key and refund half of what they are admitted, at one instant: at no
// time may the units admitted minus those refunded exceed the limit, and
// in the end the key's standing is exactly what remains.
func testRefundConcurrent(t *testing.T, e *env) {
	s := e.settler()
	rs := rates(t, per(10, time.Second), per(40, time.Minute))
	for phase := range 6 {
		key := "hot-" + strconv.Itoa(phase)
		e.at(int64(phase) * 100)
		var (
			admitted, refunding atomic.Int64
			wg                  sync.WaitGroup
			mu                  sync.Mutex
			fail                error
		)
		report := func(err error) {
			mu.Lock()
			fail = cmpErr(fail, err)
			mu.Unlock()
		}
		start := make(chan struct{})
		for g := range 16 {
			wg.Go(func() {
				<-start
				rng := rand.New(rand.NewPCG(uint64(phase), uint64(g)))
				for range 12 {
					d, err := e.store.Take(t.Context(), key, rs, 1)
					if err != nil {
						report(err)
						return
					}
					if !d.Allowed {
						continue
					}
					// Every admission counted here is in the store, and at
					// most refunding refunds are: what it holds is at least
					// the difference.
					if held := admitted.Add(1) - refunding.Load(); held > rs[0].Limit {
						report(errors.New("admitted minus refunded units exceed the limit: " + strconv.FormatInt(held, 10)))
						return
					}
					if rng.IntN(2) == 0 {
						refunding.Add(1)
						if _, err := s.Refund(t.Context(), key, rs, d, 1); err != nil {
							report(err)
							return
						}
					}
				}
			})
		}
		close(start)
		wg.Wait()
		if fail != nil {
			t.Fatalf("phase %d: %v", phase, fail)
		}
		held := admitted.Load() - refunding.Load()
		d, err := e.store.Take(t.Context(), key, rs, 0)
		if err != nil {
			t.Fatal(err)
		}
		if left := rs[0].Limit - held; d.Remaining != left {
			t.Fatalf("phase %d: %d admitted, %d refunded: standing %v, want %d left", phase, admitted.Load(), refunding.Load(), d, left)
		}
	}
}

// testSettleBadInput: a negative n, or one above the smallest limit, is an
// error wrapping ErrInvalidArgument that changes nothing; a key never
// taken has nothing to give back.
func testSettleBadInput(t *testing.T, e *env) {
	s := e.settler()
	rs := rates(t, per(3, time.Second), per(10, time.Minute))
	d := e.take("k", rs, 0, 2, true)
	for _, n := range []int64{-1, 4} {
		if _, err := s.Refund(t.Context(), "k", rs, d, n); !errors.Is(err, ratelimit.ErrInvalidArgument) {
			t.Fatalf("Refund(n=%d): err = %v, want ErrInvalidArgument", n, err)
		}
		if _, err := s.Charge(t.Context(), "k", rs, n); !errors.Is(err, ratelimit.ErrInvalidArgument) {
			t.Fatalf("Charge(n=%d): err = %v, want ErrInvalidArgument", n, err)
		}
	}
	e.take("k", rs, 0, 1, true)
	e.take("k", rs, 0, 1, false)
	got, err := s.Refund(t.Context(), "never-taken", rs, d, 2)
	if err != nil {
		t.Fatalf("Refund of a key never taken: %v", err)
	}
	if want := newModel(e.alg).take(rs, e.base, 0); !equal(got, want) {
		t.Fatalf("Refund of a key never taken = %v, want %v", got, want)
	}
	e.take("never-taken", rs, 0, 3, true)
	e.take("never-taken", rs, 0, 1, false)
}
