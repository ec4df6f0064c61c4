package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorate/ratelimit/internal/shadowslot"
)

// Limiter admits or delays work under keys, against rates it owns or picks
// per key ([WithRatesFor]), over a [Store] that keeps each key's state.
//
// AllowN decides at once and returns a [Decision]. WaitN waits, holding no
// lock, until the work is admitted, the context is done, or the limiter's
// maximum wait would be passed; it fails at once when the wait it needs
// cannot fit. A denial is a Decision, not an error; errors are for bad input,
// store failures and waits given up.
//
// A Limiter is safe for concurrent use, SetRates included; a wait on one key
// never delays another. Use [New]; the zero value is not usable. Many
// limiters may share one store (see [WithPrefix]); a limiter never closes its
// store.
type Limiter struct {
	store    Store
	rates    atomic.Pointer[Rates] // nil until rates are set
	ratesFor func(context.Context, string) (Rates, error)
	prefix   string
	buffer   time.Duration
	maxWait  time.Duration

	// direct: no observer, policy, shadow or block, so that AllowN may
	// return the store's outcome as it is; plain: direct with no plan or
	// prefix either, so that AllowN may call the store at once.
	direct    bool
	plain     bool
	name      string
	observers []Observer
	keys      bool // WithObservedKeys
	timed     bool // observers, and a store that is not Local
	dryRun    bool
	failOpen  bool
	shadow    *Limiter
	// blocker is the store when the limiter blocks keys by block.
	blocker Blocker
	block   Block

	closed    atomic.Bool
	closing   chan struct{} // closed by Close: wakes every WaitN
	closeOnce sync.Once
}

// New returns a Limiter over store enforcing the rates among opts (each a
// [Rate] or [Rates]; together validated as [NewRates] does), configured by
// the other options. It needs rates, [WithRatesFor], or both. The error wraps
// [ErrInvalidRate] for bad rates, [ErrInvalidArgument] for a nil store or a
// bad option, and [errors.ErrUnsupported] for a [Block] over a store that
// does not implement [Blocker].
func New(store Store, opts ...Option) (*Limiter, error) {
	if store == nil {
		return nil, errorf(ErrInvalidArgument, "store is nil")
	}
	c := config{buffer: 50 * time.Millisecond}
	for _, o := range opts {
		if o == nil {
			return nil, errorf(ErrInvalidArgument, "option is nil")
		}
		o.apply(&c)
	}
	switch {
	case c.buffer < 0:
		return nil, errorf(ErrInvalidArgument, "buffer %s is negative", c.buffer)
	case c.maxWait < 0:
		return nil, errorf(ErrInvalidArgument, "maximum wait %s is negative", c.maxWait)
	case len(c.rates) == 0 && c.ratesFor == nil:
		return nil, errorf(ErrInvalidRate, "no rates: pass a Rate, Rates or WithRatesFor")
	case slices.Contains(c.observers, nil):
		return nil, errorf(ErrInvalidArgument, "observer is nil")
	}
	if s := c.shadow; s != nil && s.prefix == c.prefix && sameStore(s.store, store) {
		return nil, errorf(ErrInvalidArgument, "the shadow shares the store and the prefix %q: it would spend the enforced budget", c.prefix)
	}
	var blocker Blocker
	if c.block != nil {
		if err := c.block.Validate(); err != nil {
			return nil, err
		}
		var ok bool
		if blocker, ok = store.(Blocker); !ok {
			return nil, fmt.Errorf("ratelimit: the store (%T) cannot block keys: %w", store, errors.ErrUnsupported)
		}
	}
	_, local := store.(Local)
	l := &Limiter{
		store:     store,
		ratesFor:  c.ratesFor,
		prefix:    c.prefix,
		buffer:    c.buffer,
		maxWait:   c.maxWait,
		name:      c.name,
		observers: c.observers,
		keys:      c.keys,
		timed:     len(c.observers) > 0 && !local,
		dryRun:    c.dryRun,
		failOpen:  c.failOpen,
		shadow:    c.shadow,
		blocker:   blocker,
		closing:   make(chan struct{}),
	}
	if blocker != nil {
		l.block = *c.block
	}
	l.direct = len(l.observers) == 0 && !l.dryRun && !l.failOpen && l.shadow == nil && blocker == nil
	l.plain = l.direct && l.ratesFor == nil && l.prefix == ""
	if len(c.rates) > 0 {
		if err := l.SetRates(c.rates...); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// Rates returns the limiter's own rates, nil if it has none (it picks every
// key's rates with [WithRatesFor]).
func (l *Limiter) Rates() Rates {
	if rs := l.rates.Load(); rs != nil {
		return *rs
	}
	return nil
}

// SetRates replaces the limiter's own rates, validated as [NewRates] does;
// on error the old rates stay. Calls from then on are judged by the new
// rates against the state the store already holds: see [Store] for what a
// change means under each algorithm.
func (l *Limiter) SetRates(rates ...Rate) error {
	rs, err := NewRates(rates...)
	if err != nil {
		return err
	}
	l.rates.Store(&rs)
	return nil
}

// Allow is shorthand for AllowN(ctx, key, 1).
func (l *Limiter) Allow(ctx context.Context, key string) (Decision, error) {
	return l.AllowN(ctx, key, 1)
}

// AllowN tries to admit n units under key now, without waiting. n = 0
// consumes nothing and reports the key's standing: allowed unless the key
// is blocked ([Block]) or a rate is overdrawn ([Limiter.Charge]); a negative
// n is an error wrapping [ErrInvalidArgument]. A weight above the smallest
// limit is denied with RetryAfter [Never]. After Close it returns an error
// wrapping [ErrClosed].
func (l *Limiter) AllowN(ctx context.Context, key string, n int64) (Decision, error) {
	if rs := l.rates.Load(); rs != nil && l.plain && n >= 0 && !l.closed.Load() {
		return l.store.Take(ctx, key, *rs, n)
	}
	return l.allowN(ctx, key, n)
}

// allowN is AllowN but for the plain path, kept out of it so that the plain
// path's frame stays small: it neither zeroes nor copies an Event.
//
//go:noinline
func (l *Limiter) allowN(ctx context.Context, key string, n int64) (Decision, error) {
	if err := l.refuse(key, n); err != nil {
		return Decision{}, err
	}
	if l.direct {
		// What try and finish would return, without an Event to fill.
		rs, err := l.ratesOf(ctx, key)
		if err != nil {
			return Decision{}, err
		}
		if l.prefix != "" {
			key = l.prefix + key
		}
		return l.store.Take(ctx, key, rs, n)
	}
	var e Event
	l.try(ctx, key, n, &e)
	return l.finish(ctx, key, n, &e, nil)
}

// refuse returns the error of a call for n units under key that must not
// reach the store.
func (l *Limiter) refuse(key string, n int64) error {
	if l.closed.Load() {
		return fmt.Errorf("ratelimit: key %q: %w", key, ErrClosed)
	}
	if n < 0 {
		return errorf(ErrInvalidArgument, "weight %d for %q is negative", n, key)
	}
	return nil
}

// try takes n units under key once, setting e's Decision, Err and Latency
// to the outcome.
func (l *Limiter) try(ctx context.Context, key string, n int64, e *Event) {
	rs, err := l.ratesOf(ctx, key)
	if err != nil {
		e.Decision, e.Err, e.Latency = Decision{}, err, 0
		return
	}
	if l.prefix != "" {
		key = l.prefix + key
	}
	if !l.timed {
		e.Decision, e.Err = l.take(ctx, key, rs, n)
		return
	}
	start := time.Now()
	e.Decision, e.Err = l.take(ctx, key, rs, n)
	e.Latency = time.Since(start)
}

// take takes n units under key, a store key, against rs: through the
// store's blocks when the limiter blocks keys.
func (l *Limiter) take(ctx context.Context, key string, rs Rates, n int64) (Decision, error) {
	if l.blocker != nil {
		return l.blocker.TakeBlocking(ctx, key, rs, n, l.block)
	}
	return l.store.Take(ctx, key, rs, n)
}

// finish ends a call for n units under key whose last try was e: it applies
// the limiter's policy, reports e to the observers, runs the shadow, and
// returns what the caller gets: e's outcome, or err when not nil (a wait
// given up on the denial e).
func (l *Limiter) finish(ctx context.Context, key string, n int64, e *Event, err error) (Decision, error) {
	d := e.Decision
	if err == nil {
		err = e.Err
	}
	switch {
	case e.Err != nil && (l.dryRun || l.failOpen) && ctx.Err() == nil:
		e.Policy, d, err = FailOpen, Decision{Allowed: true}, nil
	case l.dryRun && e.Err == nil:
		e.Policy, d.Allowed, d.Blocked, d.RetryAfter, d.notTaken, err = DryRun, true, false, 0, !d.Allowed, nil
	}
	l.observe(ctx, key, n, e)
	if l.shadow != nil {
		l.runShadow(ctx, key, n)
	}
	return d, err
}

// observe completes e, the outcome of a call for n units under key, and
// tells the observers.
func (l *Limiter) observe(ctx context.Context, key string, n int64, e *Event) {
	if len(l.observers) == 0 {
		return
	}
	e.Limiter, e.Weight = l.name, n
	if l.keys {
		e.Key = key
	}
	for _, o := range l.observers {
		o.Observe(ctx, *e)
	}
}

// runShadow takes n units under key from l's shadow and reports its
// decision; the shadow's own shadow is not run. When the context holds a
// shadow slot (the HTTP engine's), the decision is put there.
func (l *Limiter) runShadow(ctx context.Context, key string, n int64) {
	s := l.shadow
	if s.refuse(key, n) != nil {
		return
	}
	var e Event
	s.try(ctx, key, n, &e)
	e.Policy = Shadow
	s.observe(ctx, key, n, &e)
	if e.Err == nil {
		if p, ok := ctx.Value(shadowslot.Key{}).(*Decision); ok {
			*p = e.Decision
		}
	}
}

// sameStore reports whether a and b are the same store, without panicking
// on stores of an incomparable type.
func sameStore(a, b Store) bool {
	ta := reflect.TypeOf(a)
	return ta == reflect.TypeOf(b) && ta.Comparable() && a == b
}

// ratesOf returns the rates key is held to.
func (l *Limiter) ratesOf(ctx context.Context, key string) (Rates, error) {
	if l.ratesFor != nil {
		rs, err := l.ratesFor(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("ratelimit: rates for key %q: %w", key, err)
		}
		if len(rs) > 0 {
			if err := rs.check(); err != nil {
				return nil, fmt.Errorf("ratelimit: rates for key %q: %w", key, err)
			}
			return rs, nil
		}
	}
	if rs := l.rates.Load(); rs != nil {
		return *rs, nil
	}
	return nil, errorf(ErrInvalidRate, "no rates for key %q", key)
}

// Check reports the store's Decision for n units under key, consuming
// nothing: what AllowN would return but for the limiter's policies
// ([WithDryRun], [WithFailOpen]), which Check does not apply. It is not
// observed and does not run the shadow. The store must implement [Checker]; otherwise the error
// wraps [errors.ErrUnsupported].
func (l *Limiter) Check(ctx context.Context, key string, n int64) (Decision, error) {
	c, ok := l.store.(Checker)
	if !ok {
		return Decision{}, fmt.Errorf("ratelimit: the store (%T) cannot check without taking: %w", l.store, errors.ErrUnsupported)
	}
	if err := l.refuse(key, n); err != nil {
		return Decision{}, err
	}
	rs, err := l.ratesOf(ctx, key)
	if err != nil {
		return Decision{}, err
	}
	key = l.prefix + key
	if l.blocker != nil {
		// A take of nothing reports a block, and counts no denial.
		if d, err := l.blocker.TakeBlocking(ctx, key, rs, 0, l.block); err != nil || d.Blocked {
			return d, err
		}
	}
	return c.Check(ctx, key, rs, n)
}

// Reset forgets key's history, so that its next take starts afresh: its
// units, and in a store that blocks keys ([Block]) its block. The
// store must implement [Resetter]; otherwise the error wraps
// [errors.ErrUnsupported].
func (l *Limiter) Reset(ctx context.Context, key string) error {
	r, ok := l.store.(Resetter)
	if !ok {
		return fmt.Errorf("ratelimit: the store (%T) cannot reset a key: %w", l.store, errors.ErrUnsupported)
	}
	if l.closed.Load() {
		return fmt.Errorf("ratelimit: key %q: %w", key, ErrClosed)
	}
	return r.Reset(ctx, l.prefix+key)
}

// Wait is shorthand for WaitN(ctx, key, 1).
func (l *Limiter) Wait(ctx context.Context, key string) (Decision, error) {
	return l.WaitN(ctx, key, 1)
}

// WaitN admits n units under key, waiting as long as needed. Each retry
// re-reads the store's clock; each wait is the denial's RetryAfter plus the
// buffer ([WithBuffer]).
//
// It returns the allowing Decision, or the last denial with an error:
//   - a [*LimitError] wrapping [ErrExceedsLimit] at once when n exceeds the
//     smallest limit;
//   - a [*LimitError] wrapping [ErrWaitTooLong] at once when the wait needed
//     would pass the context's deadline or the maximum wait ([WithMaxWait]);
//     it also wraps [context.DeadlineExceeded] when the context's deadline is
//     the bound;
//   - the context's error if it is done before or while waiting (before,
//     nothing is taken);
//   - an error wrapping [ErrClosed] at once when the limiter is closed
//     while it waits;
//   - any error of AllowN.
func (l *Limiter) WaitN(ctx context.Context, key string, n int64) (Decision, error) {
	if err := context.Cause(ctx); err != nil {
		return Decision{}, fmt.Errorf("ratelimit: waiting for %q: %w", key, err)
	}
	var deadline time.Time
	var cause error
	if l.maxWait > 0 {
		deadline = time.Now().Add(l.maxWait)
	}
	if d, ok := ctx.Deadline(); ok && (deadline.IsZero() || d.Before(deadline)) {
		deadline, cause = d, context.DeadlineExceeded
	}
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	if err := l.refuse(key, n); err != nil {
		return Decision{}, err
	}
	var e Event
	for {
		l.try(ctx, key, n, &e)
		d := e.Decision
		if e.Err != nil || d.Allowed || l.dryRun {
			return l.finish(ctx, key, n, &e, nil)
		}
		if d.RetryAfter == Never {
			return l.finish(ctx, key, n, &e, &LimitError{Key: key, Weight: n, Rate: d.Rate, RetryAfter: Never, Err: ErrExceedsLimit})
		}
		wait := d.RetryAfter + min(l.buffer, Never-d.RetryAfter) // no overflow
		now := time.Now()
		if !deadline.IsZero() {
			left := deadline.Sub(now)
			if d.RetryAfter > left {
				return l.finish(ctx, key, n, &e, &LimitError{Key: key, Weight: n, Rate: d.Rate, RetryAfter: d.RetryAfter, Err: ErrWaitTooLong, Cause: cause})
			}
			// Shorten the buffer to end just before the deadline, so that
			// the retry runs while the context is still live.
			wait = min(wait, max(d.RetryAfter, left-time.Millisecond))
		}
		if timer == nil {
			timer = time.NewTimer(wait)
		} else {
			timer.Reset(wait)
		}
		retryAt := now.Add(wait) // never after the deadline, when it fits
		select {
		case <-timer.C:
			if l.closed.Load() {
				return l.finish(ctx, key, n, &e, fmt.Errorf("ratelimit: waiting for %q: %w", key, ErrClosed))
			}
		case <-l.closing:
			return l.finish(ctx, key, n, &e, fmt.Errorf("ratelimit: waiting for %q: %w", key, ErrClosed))
		case <-ctx.Done():
			// The deadline and the retry may come at the same instant;
			// which channel a select sees first is chance, so the clock
			// decides: a wait that has run its course is retried.
			if time.Now().Before(retryAt) {
				return l.finish(ctx, key, n, &e, fmt.Errorf("ratelimit: waiting for %q: %w", key, context.Cause(ctx)))
			}
		}
	}
}

// Close wakes every WaitN in progress (they return an error wrapping
// [ErrClosed]) and makes later calls fail the same way. It does not close
// the store, which other limiters may share. It is idempotent and returns
// nil.
func (l *Limiter) Close() error {
	l.closeOnce.Do(func() {
		l.closed.Store(true)
		close(l.closing)
	})
	return nil
}
