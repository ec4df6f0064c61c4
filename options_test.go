package ratelimit_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorate/ratelimit"
)

// recorder is a store that admits everything and records what it was asked.
type recorder struct {
	mu    sync.Mutex
	keys  []string
	rates []ratelimit.Rates
}

func (s *recorder) Take(_ context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, key)
	s.rates = append(s.rates, rates)
	return ratelimit.Decision{Allowed: true, Rate: rates[0], Remaining: rates[0].Limit - n}, nil
}

func (s *recorder) last(t *testing.T) (string, ratelimit.Rates) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.keys) == 0 {
		t.Fatal("the store was not called")
	}
	return s.keys[len(s.keys)-1], s.rates[len(s.rates)-1]
}

func TestLimiterPrefix(t *testing.T) {
	for _, tt := range []struct {
		prefix, key, want string
	}{{"", "user", "user"}, {"login:", "user", "login:user"}, {"api:", "", "api:"}} {
		s := &recorder{}
		l, err := ratelimit.New(s, ratelimit.PerSecond(1), ratelimit.WithPrefix(tt.prefix))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Allow(t.Context(), tt.key); err != nil {
			t.Fatal(err)
		}
		if key, _ := s.last(t); key != tt.want {
			t.Errorf("prefix %q, key %q: the store saw %q, want %q", tt.prefix, tt.key, key, tt.want)
		}
	}
}

func TestLimiterRatesFor(t *testing.T) {
	free, err := ratelimit.ParseRates("5/min")
	if err != nil {
		t.Fatal(err)
	}
	pro, err := ratelimit.ParseRates("10/s, 50/min")
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("plan lookup failed")
	plan := func(_ context.Context, key string) (ratelimit.Rates, error) {
		switch key {
		case "pro":
			return pro, nil
		case "broken":
			return nil, boom
		case "invalid":
			return ratelimit.Rates{ratelimit.PerMinute(5), ratelimit.PerSecond(1)}, nil // not sorted
		}
		return nil, nil
	}
	s := &recorder{}
	l, err := ratelimit.New(s, free, ratelimit.WithRatesFor(plan))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]ratelimit.Rates{"pro": pro, "free": free} {
		if _, err := l.Allow(t.Context(), key); err != nil {
			t.Fatalf("Allow(%q): %v", key, err)
		}
		if _, got := s.last(t); got.String() != want.String() {
			t.Errorf("Allow(%q): the store was given %v, want %v", key, got, want)
		}
	}
	calls := len(s.keys)
	if _, err := l.Allow(t.Context(), "broken"); !errors.Is(err, boom) {
		t.Errorf("Allow(broken) error = %v, want the plan's error", err)
	}
	_, err = l.Allow(t.Context(), "invalid")
	wantErrIs(t, err, ratelimit.ErrInvalidRate, "invalid", "sorted")
	if len(s.keys) != calls {
		t.Errorf("the store was called for a key whose rates failed")
	}

	// Without rates of its own, a limiter with a plan needs rates for every key.
	l, err = ratelimit.New(s, ratelimit.WithRatesFor(plan))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Allow(t.Context(), "pro"); err != nil {
		t.Errorf("Allow(pro) with no own rates: %v", err)
	}
	_, err = l.Allow(t.Context(), "free")
	wantErrIs(t, err, ratelimit.ErrInvalidRate, "free")
	if l.Rates() != nil {
		t.Errorf("Rates() = %v, want nil", l.Rates())
	}
}

func TestLimiterSetRates(t *testing.T) {
	s := &recorder{}
	l, err := ratelimit.New(s, ratelimit.PerSecond(10))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.SetRates(ratelimit.PerHour(1000), ratelimit.PerSecond(5)); err != nil {
		t.Fatal(err)
	}
	if got := l.Rates().String(); got != "5/s, 1000/h" {
		t.Errorf("Rates() = %q after SetRates, want sorted 5/s, 1000/h", got)
	}
	err = l.SetRates(ratelimit.PerSecond(5), ratelimit.PerSecond(6))
	wantErrIs(t, err, ratelimit.ErrInvalidRate, "same interval")
	if got := l.Rates().String(); got != "5/s, 1000/h" {
		t.Errorf("Rates() = %q after a failed SetRates, want the old 5/s, 1000/h", got)
	}
	if _, err := l.Allow(t.Context(), "k"); err != nil {
		t.Fatal(err)
	}
	if _, rs := s.last(t); rs.String() != "5/s, 1000/h" {
		t.Errorf("the store was given %v, want 5/s, 1000/h", rs)
	}
}

// TestLimiterSetRatesMemory raises and lowers a limit on a real store: the
// log judges the units already taken by the new limit at once.
func TestLimiterSetRatesMemory(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, []ratelimit.Rate{ratelimit.PerMinute(10)})
		allow(t, l, "k", 5, true)
		if err := l.SetRates(ratelimit.PerMinute(5)); err != nil {
			t.Fatal(err)
		}
		allow(t, l, "k", 1, false)
		if err := l.SetRates(ratelimit.PerMinute(20)); err != nil {
			t.Fatal(err)
		}
		allow(t, l, "k", 15, true)
		allow(t, l, "k", 1, false)
	})
}

func TestLimiterCheckReset(t *testing.T) {
	l := newLimiter(t, []ratelimit.Rate{ratelimit.PerMinute(3)})
	allow(t, l, "k", 2, true)
	for range 2 {
		d, err := l.Check(t.Context(), "k", 1)
		if err != nil || !d.Allowed || d.Remaining != 0 {
			t.Fatalf("Check(k, 1) = %v, %v; want allowed with 0 left, consuming nothing", d, err)
		}
	}
	if err := l.Reset(t.Context(), "k"); err != nil {
		t.Fatal(err)
	}
	allow(t, l, "k", 3, true)

	// A store without them says so.
	bare, err := ratelimit.New(&recorder{}, ratelimit.PerSecond(1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bare.Check(t.Context(), "k", 1); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Check on a store without it: %v, want errors.ErrUnsupported", err)
	}
	if err := bare.Reset(t.Context(), "k"); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Reset on a store without it: %v, want errors.ErrUnsupported", err)
	}
}

func TestDecisionString(t *testing.T) {
	for _, tt := range []struct {
		d    ratelimit.Decision
		want string
	}{
		{ratelimit.Decision{Allowed: true, Rate: ratelimit.PerSecond(10), Remaining: 7, ResetAfter: 300 * time.Millisecond}, "allowed by 10/s: 7 left, reset in 300ms"},
		{ratelimit.Decision{Rate: ratelimit.PerSecond(10), RetryAfter: 250 * time.Millisecond, ResetAfter: time.Second}, "denied by 10/s: 0 left, retry in 250ms, reset in 1s"},
		{ratelimit.Decision{Rate: ratelimit.PerMinute(3), Remaining: 3, RetryAfter: ratelimit.Never}, "denied by 3/min: 3 left, retry never, reset in 0s"},
	} {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}
