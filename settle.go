package ratelimit

import (
	"context"
	"errors"
	"fmt"
)

// Refund gives back n units of the take under key that d reports, a
// Decision this limiter returned for key, with the rules of
// [Settler.Refund]: count only failed requests by refunding the others, or
// settle an estimate taken up front by refunding what the work did not use
// (and [Limiter.Charge] what it used beyond). n must be at most the units
// the take admitted; refund each take at most once.
//
// A refund of a Decision that took nothing — a denial, a dry run's
// admission of a denial ([WithDryRun]), a store failure passed by
// [WithFailOpen] — or of n = 0 changes nothing and returns the zero
// Decision. Otherwise it returns the key's standing after the refund. The
// shadow ([WithShadow]) is not refunded, refunds are not observed, and the
// limiter's policies do not apply: a store failure is returned. The store
// must implement [Settler]; otherwise the error wraps
// [errors.ErrUnsupported]. A negative n is an error wrapping
// [ErrInvalidArgument]; after Close, the error wraps [ErrClosed].
func (l *Limiter) Refund(ctx context.Context, key string, d Decision, n int64) (Decision, error) {
	s, rs, err := l.settler(ctx, key, n)
	if err != nil || n == 0 || !d.Allowed || d.notTaken || d.Rate.Limit == 0 {
		return Decision{}, err
	}
	return s.Refund(ctx, l.prefix+key, rs, d, n)
}

// Charge takes n units under key whatever the limits allow, with the rules
// of [Settler.Charge]: the units a piece of work used beyond the estimate
// it was admitted with. It may overdraw the key's rates, so that its next
// takes are denied until the excess has expired; the Decision returned is
// the key's standing after the charge, not allowed while a rate is
// overdrawn. Charges are not observed, the shadow is not charged, and the
// limiter's policies do not apply. The store must implement [Settler];
// otherwise the error wraps [errors.ErrUnsupported]. n must be from 0 to
// the smallest limit of the key's rates; otherwise the error wraps
// [ErrInvalidArgument]. After Close, the error wraps [ErrClosed].
func (l *Limiter) Charge(ctx context.Context, key string, n int64) (Decision, error) {
	s, rs, err := l.settler(ctx, key, n)
	if err != nil {
		return Decision{}, err
	}
	return s.Charge(ctx, l.prefix+key, rs, n)
}

// settler returns the store as a Settler and key's rates for a refund or a
// charge of n units, or the error that stops it; the store checks n
// against the rates.
func (l *Limiter) settler(ctx context.Context, key string, n int64) (Settler, Rates, error) {
	s, ok := l.store.(Settler)
	if !ok {
		return nil, nil, fmt.Errorf("ratelimit: the store (%T) cannot refund or charge: %w", l.store, errors.ErrUnsupported)
	}
	if err := l.refuse(key, n); err != nil {
		return nil, nil, err
	}
	rs, err := l.ratesOf(ctx, key)
	return s, rs, err
}
