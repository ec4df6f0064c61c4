package fallback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorate/ratelimit"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// Store is a [ratelimit.Store] that passes every call to a primary store
// and, while the primary fails, decides with a local store under a share of
// the limits; see the package documentation. It is safe for concurrent use.
// Use [New]; the zero value is not usable.
type Store struct {
	primary   ratelimit.Store
	local     ratelimit.Store
	shares    divisions
	timeout   time.Duration
	probe     time.Duration
	observers []ratelimit.Observer
	name      string
	origin    time.Time // of the probe clock

	onLocal   atomic.Bool
	nextProbe atomic.Int64 // time since origin after which the primary is tried again
	closed    atomic.Bool
	mu        sync.Mutex // serialises switches, so that reports come in order
}

var (
	_ ratelimit.Store    = (*Store)(nil)
	_ ratelimit.Checker  = (*Store)(nil)
	_ ratelimit.Resetter = (*Store)(nil)
	_ io.Closer          = (*Store)(nil)
)

// New returns a Store over primary, shared by instances processes (each
// with a Store of its own over the same primary state): while primary fails,
// each rate's limit is divided by instances (see the package
// documentation). The error wraps [ratelimit.ErrInvalidArgument] for a nil
// primary, instances below 1 or a bad option, and names the value.
func New(primary ratelimit.Store, instances int, opts ...Option) (*Store, error) {
	if primary == nil {
		return nil, fmt.Errorf("%w: fallback: primary store is nil", ratelimit.ErrInvalidArgument)
	}
	if instances < 1 {
		return nil, fmt.Errorf("%w: fallback: %d instances: at least 1", ratelimit.ErrInvalidArgument, instances)
	}
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if c.local == nil {
		if c.local, err = memorystore.New(); err != nil {
			return nil, fmt.Errorf("fallback: local store: %w", err)
		}
	}
	s := &Store{
		primary:   primary,
		local:     c.local,
		timeout:   c.timeout,
		probe:     c.probe,
		observers: c.observers,
		name:      c.name,
		origin:    time.Now(),
	}
	s.shares.instances = instances
	return s, nil
}

// Take takes n units under key against rates from the primary store or,
// while it fails, from the local store against the rates' share, as the
// package documentation says. After Close it returns an error wrapping
// [ratelimit.ErrClosed].
func (s *Store) Take(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	return s.decide(ctx, key, rates, n, take)
}

// Check returns what Take would return, consuming nothing, from the store
// Take would use; it switches and probes as Take does. The primary store,
// and while it fails the local store, must implement [ratelimit.Checker];
// otherwise the error wraps [errors.ErrUnsupported].
func (s *Store) Check(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	if _, ok := s.primary.(ratelimit.Checker); !ok {
		return ratelimit.Decision{}, fmt.Errorf("fallback: the primary store (%T) cannot check without taking: %w", s.primary, errors.ErrUnsupported)
	}
	return s.decide(ctx, key, rates, n, check)
}

// An op is one kind of call decide makes on the store it uses, st (the
// primary, or the local one under the rates' share).
type op func(ctx context.Context, st ratelimit.Store, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error)

func take(ctx context.Context, st ratelimit.Store, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	return st.Take(ctx, key, rates, n)
}

func check(ctx context.Context, st ratelimit.Store, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	c, ok := st.(ratelimit.Checker)
	if !ok {
		return ratelimit.Decision{}, fmt.Errorf("fallback: the store (%T) cannot check without taking: %w", st, errors.ErrUnsupported)
	}
	return c.Check(ctx, key, rates, n)
}

// decide makes the call op for n units under key against rates on the
// primary store or, while it fails, on the local store against the rates'
// share, switching and probing as the package documentation says.
func (s *Store) decide(ctx context.Context, key string, rates ratelimit.Rates, n int64, op op) (ratelimit.Decision, error) {
	if s.closed.Load() {
		return ratelimit.Decision{}, fmt.Errorf("fallback: key %q: %w", key, ratelimit.ErrClosed)
	}
	if !s.onLocal.Load() {
		d, err := s.callPrimary(ctx, key, rates, n, op)
		if err == nil || !failed(ctx, err) {
			return d, err
		}
		s.toLocal(ctx, err)
	} else if s.probeDue() {
		d, err := s.callPrimary(ctx, key, rates, n, op)
		if err == nil {
			s.toPrimary(ctx)
			return d, nil
		}
		if !failed(ctx, err) {
			return d, err
		}
	}
	return op(ctx, s.local, key, s.shares.of(rates), n)
}

// callPrimary makes the call op on the primary, bounded by the timeout.
func (s *Store) callPrimary(ctx context.Context, key string, rates ratelimit.Rates, n int64, op op) (ratelimit.Decision, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return op(ctx, s.primary, key, rates, n)
}

// bound returns ctx bounded by the timeout, unless its own deadline is
// sooner: then ctx itself, so that the caller's deadline costs nothing.
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= s.timeout {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.timeout)
}

// failed reports whether err, returned by the primary to a caller whose
// context is ctx, is a failure of the primary the local store answers for:
// not bad input, not a call the store does not support, not a closed store,
// not the caller's own context ending.
func failed(ctx context.Context, err error) bool {
	return ctx.Err() == nil &&
		!errors.Is(err, ratelimit.ErrInvalidArgument) &&
		!errors.Is(err, ratelimit.ErrInvalidRate) &&
		!errors.Is(err, ratelimit.ErrClosed) &&
		!errors.Is(err, errors.ErrUnsupported)
}

// now returns the time on the probe clock.
func (s *Store) now() int64 { return int64(time.Since(s.origin)) }

// probeDue reports whether the caller is to try the primary: the first
// caller after each probe interval is.
func (s *Store) probeDue() bool {
	next, now := s.nextProbe.Load(), s.now()
	return now >= next && s.nextProbe.CompareAndSwap(next, now+int64(s.probe))
}

// toLocal switches to the local store, unless another caller did, and
// reports the switch with err, the primary's failure.
func (s *Store) toLocal(ctx context.Context, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.onLocal.Load() {
		return
	}
	s.nextProbe.Store(s.now() + int64(s.probe))
	s.onLocal.Store(true)
	s.report(ctx, err)
}

// toPrimary returns to the primary store, unless another caller did, and
// reports it.
func (s *Store) toPrimary(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.onLocal.Load() {
		return
	}
	s.onLocal.Store(false)
	s.report(ctx, nil)
}

func (s *Store) report(ctx context.Context, err error) {
	e := ratelimit.Event{Limiter: s.name, Policy: ratelimit.Fallback, Err: err}
	for _, o := range s.observers {
		o.Observe(ctx, e)
	}
}

// Reset forgets key in the local store and, unless the primary is failing,
// in the primary (bounded by the timeout; a failure switches to the local
// store and is returned). While the primary fails it is not called, and
// keeps key's history. Both stores must implement [ratelimit.Resetter];
// otherwise the error wraps [errors.ErrUnsupported] and nothing is reset.
// After Close it returns an error wrapping [ratelimit.ErrClosed].
func (s *Store) Reset(ctx context.Context, key string) error {
	p, ok := s.primary.(ratelimit.Resetter)
	if !ok {
		return fmt.Errorf("fallback: the primary store (%T) cannot reset a key: %w", s.primary, errors.ErrUnsupported)
	}
	l, ok := s.local.(ratelimit.Resetter)
	if !ok {
		return fmt.Errorf("fallback: the local store (%T) cannot reset a key: %w", s.local, errors.ErrUnsupported)
	}
	if s.closed.Load() {
		return fmt.Errorf("fallback: key %q: %w", key, ratelimit.ErrClosed)
	}
	if err := l.Reset(ctx, key); err != nil {
		return err
	}
	if s.onLocal.Load() {
		return nil
	}
	pctx, cancel := s.bound(ctx)
	defer cancel()
	err := p.Reset(pctx, key)
	if err != nil && failed(ctx, err) {
		s.toLocal(ctx, err)
	}
	return err
}

// Close makes later calls fail with an error wrapping [ratelimit.ErrClosed].
// It closes neither the primary store nor a local store given
// [WithLocal] (the default local store holds nothing to release). It starts
// no goroutine and waits for none: the Store has none. It is idempotent and
// returns nil.
func (s *Store) Close() error {
	s.closed.Store(true)
	return nil
}
