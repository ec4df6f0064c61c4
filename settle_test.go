package ratelimit_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorate/ratelimit"
)

// TestLimiterRefund: a refund gives back units of an admitted take under
// the limiter's prefix; a Decision that took nothing gives back nothing.
func TestLimiterRefund(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newMemory(t)
		l := mustNew(t, s, per(3, time.Minute), ratelimit.WithPrefix("p:"))
		other := mustNew(t, s, per(3, time.Minute)) // the same store, no prefix
		other.AllowN(t.Context(), "k", 3)
		d := allow(t, l, "k", 2, true)
		allow(t, l, "k", 2, false)
		after, err := l.Refund(t.Context(), "k", d, 1)
		if err != nil || !after.Allowed || after.Remaining != 2 {
			t.Fatalf("Refund = %v, %v; want the standing with 2 left", after, err)
		}
		allow(t, l, "k", 2, true)
		allow(t, other, "k", 1, false) // the unprefixed key kept its units

		denied := allow(t, l, "k", 1, false)
		for _, tt := range []struct {
			name string
			d    ratelimit.Decision
			n    int64
		}{
			{"a denial", denied, 1},
			{"0 units", d, 0},
			{"a failed-open admission", ratelimit.Decision{Allowed: true}, 1},
		} {
			if got, err := l.Refund(t.Context(), "k", tt.d, tt.n); err != nil || got != (ratelimit.Decision{}) {
				t.Errorf("Refund of %s = %v, %v; want the zero Decision", tt.name, got, err)
			}
		}
		allow(t, l, "k", 1, false)
	})
}

// TestLimiterRefundDryRun: a dry run admits every take, but only the units
// the store took are given back.
func TestLimiterRefundDryRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newMemory(t)
		dry := mustNew(t, s, per(2, time.Minute), ratelimit.WithDryRun())
		enforced := mustNew(t, s, per(2, time.Minute))
		taken := allow(t, dry, "k", 2, true)
		notTaken := allow(t, dry, "k", 2, true) // denied by the store
		if _, err := dry.Refund(t.Context(), "k", notTaken, 2); err != nil {
			t.Fatal(err)
		}
		allow(t, enforced, "k", 1, false)
		if _, err := dry.Refund(t.Context(), "k", taken, 2); err != nil {
			t.Fatal(err)
		}
		allow(t, enforced, "k", 2, true)
	})
}

// TestLimiterCharge: a charge overdraws, and the key is denied until
// enough units have expired.
func TestLimiterCharge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := mustNew(t, newMemory(t), per(4, time.Second))
		allow(t, l, "k", 4, true)
		advance(500 * time.Millisecond)
		d, err := l.Charge(t.Context(), "k", 3)
		if err != nil || d.Allowed || d.Remaining != 0 {
			t.Fatalf("Charge = %v, %v; want not allowed (overdrawn), 0 left", d, err)
		}
		d = allow(t, l, "k", 1, false)
		if d.RetryAfter != 501*time.Millisecond {
			t.Fatalf("RetryAfter = %v, want 501ms: when the first 4 units expire, leaving the 3 charged", d.RetryAfter)
		}
		advance(d.RetryAfter)
		allow(t, l, "k", 1, true)
		allow(t, l, "k", 1, false)
	})
}

// TestLimiterSettleErrors: bad weights, stores that cannot settle, a closed
// limiter.
func TestLimiterSettleErrors(t *testing.T) {
	l := mustNew(t, newMemory(t), per(4, time.Second), per(100, time.Hour))
	d, _ := l.AllowN(t.Context(), "k", 1)
	for _, n := range []int64{-1, 5} {
		if _, err := l.Refund(t.Context(), "k", d, n); !errors.Is(err, ratelimit.ErrInvalidArgument) {
			t.Errorf("Refund(n=%d): err = %v, want ErrInvalidArgument", n, err)
		}
		if _, err := l.Charge(t.Context(), "k", n); !errors.Is(err, ratelimit.ErrInvalidArgument) {
			t.Errorf("Charge(n=%d): err = %v, want ErrInvalidArgument", n, err)
		}
	}
	plain := mustNew(t, failing{}, per(4, time.Second))
	if _, err := plain.Refund(t.Context(), "k", d, 1); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Refund on a store without Settler: err = %v, want ErrUnsupported", err)
	}
	if _, err := plain.Charge(t.Context(), "k", 1); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Charge on a store without Settler: err = %v, want ErrUnsupported", err)
	}
	l.Close()
	if _, err := l.Refund(t.Context(), "k", d, 1); !errors.Is(err, ratelimit.ErrClosed) {
		t.Errorf("Refund after Close: err = %v, want ErrClosed", err)
	}
	if _, err := l.Charge(t.Context(), "k", 1); !errors.Is(err, ratelimit.ErrClosed) {
		t.Errorf("Charge after Close: err = %v, want ErrClosed", err)
	}
}
