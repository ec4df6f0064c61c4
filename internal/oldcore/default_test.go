package ratelimit_test

import (
	"errors"
	"testing"
	"testing/synctest"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// setDefault makes l the default limiter for the rest of t and restores the
// previous one at cleanup.
func setDefault(t *testing.T, l *ratelimit.Limiter) {
	t.Helper()
	prev := ratelimit.Default()
	t.Cleanup(func() { ratelimit.SetDefault(prev) })
	ratelimit.SetDefault(l)
}

func TestDefaultUnset(t *testing.T) {
	setDefault(t, nil)
	if l := ratelimit.Default(); l != nil {
		t.Fatalf("Default() = %v after SetDefault(nil), want nil", l)
	}
	if _, err := ratelimit.AllowN(t.Context(), "a", 1); !errors.Is(err, ratelimit.ErrNoDefault) {
		t.Errorf("AllowN without a default: %v, want ErrNoDefault", err)
	}
	if _, err := ratelimit.WaitN(t.Context(), "a", 1); !errors.Is(err, ratelimit.ErrNoDefault) {
		t.Errorf("WaitN without a default: %v, want ErrNoDefault", err)
	}
}

func TestDefaultSet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, []ratelimit.Rate{ratelimit.PerSecond(2)})
		setDefault(t, l)
		if got := ratelimit.Default(); got != l {
			t.Fatalf("Default() = %p, want %p", got, l)
		}
		if d, err := ratelimit.AllowN(t.Context(), "a", 1); err != nil || !d.Allowed {
			t.Errorf("AllowN = %+v, %v; want allowed", d, err)
		}
		if d, err := ratelimit.WaitN(t.Context(), "a", 1); err != nil || !d.Allowed {
			t.Errorf("WaitN = %+v, %v; want allowed", d, err)
		}
		// The default limiter holds the state: its own AllowN sees both units.
		allow(t, l, "a", 1, false)
		if _, err := ratelimit.AllowN(t.Context(), "a", -1); !errors.Is(err, ratelimit.ErrInvalidWeight) {
			t.Errorf("AllowN(-1) = %v, want ErrInvalidWeight", err)
		}

		ratelimit.SetDefault(nil)
		if got := ratelimit.Default(); got != nil {
			t.Errorf("Default() = %p after SetDefault(nil), want nil", got)
		}
		if _, err := ratelimit.AllowN(t.Context(), "a", 1); !errors.Is(err, ratelimit.ErrNoDefault) {
			t.Errorf("AllowN after SetDefault(nil): %v, want ErrNoDefault", err)
		}
	})
}
