package fallback

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gorate/ratelimit"
)

var (
	_ ratelimit.Settler = (*Store)(nil)
	_ ratelimit.Blocker = (*Store)(nil)
)

// Refund gives back n units of the take taken reports, as
// [ratelimit.Settler] says, on the store Take would use now, switching and
// probing as Take does. A take one store decided gets nothing back from
// the other when their clocks differ, as the primary's and the default
// local store's do (the server's Unix milliseconds, and the milliseconds
// since the process started): its At names no units there. The store used
// must implement [ratelimit.Settler]; otherwise the error wraps
// [errors.ErrUnsupported]. After Close it returns an error wrapping
// [ratelimit.ErrClosed].
func (s *Store) Refund(ctx context.Context, key string, rates ratelimit.Rates, taken ratelimit.Decision, n int64) (ratelimit.Decision, error) {
	return s.decide(ctx, key, rates, n, func(ctx context.Context, st ratelimit.Store, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
		se, err := settler(st)
		if err != nil {
			return ratelimit.Decision{}, err
		}
		return se.Refund(ctx, key, rates, taken, n)
	})
}

// Charge takes n units under key whatever rates allow, as
// [ratelimit.Settler] says, on the store Take would use now (the local
// store against the rates' share), switching and probing as Take does. Its
// errors are Refund's.
func (s *Store) Charge(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	return s.decide(ctx, key, rates, n, charge)
}

func charge(ctx context.Context, st ratelimit.Store, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	se, err := settler(st)
	if err != nil {
		return ratelimit.Decision{}, err
	}
	return se.Charge(ctx, key, rates, n)
}

// settler returns st as a ratelimit.Settler.
func settler(st ratelimit.Store) (ratelimit.Settler, error) {
	se, ok := st.(ratelimit.Settler)
	if !ok {
		return nil, fmt.Errorf("fallback: the store (%T) cannot refund or charge: %w", st, errors.ErrUnsupported)
	}
	return se, nil
}

// TakeBlocking is Take under the block b, as [ratelimit.Blocker] says, on
// the store Take would use now (the local store against the rates' share),
// switching and probing as Take does. Each store keeps its own blocks: a
// key the primary blocked is not blocked on the local store while the
// primary fails, and the other way round. The store used must implement
// [ratelimit.Blocker]; otherwise the error wraps [errors.ErrUnsupported].
// After Close it returns an error wrapping [ratelimit.ErrClosed].
func (s *Store) TakeBlocking(ctx context.Context, key string, rates ratelimit.Rates, n int64, b ratelimit.Block) (ratelimit.Decision, error) {
	return s.decide(ctx, key, rates, n, func(ctx context.Context, st ratelimit.Store, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
		bl, ok := st.(ratelimit.Blocker)
		if !ok {
			return ratelimit.Decision{}, fmt.Errorf("fallback: the store (%T) cannot block keys: %w", st, errors.ErrUnsupported)
		}
		return bl.TakeBlocking(ctx, key, rates, n, b)
	})
}

// Block blocks key for d, as [ratelimit.Blocker] says, on the local store
// and, unless the primary is failing, on the primary, so that the block
// holds whichever store decides next. A primary that fails the call leaves
// the block on the local store, which decides from then on, as Take does:
// no error is returned for it. Each store called must implement
// [ratelimit.Blocker]; otherwise the error wraps [errors.ErrUnsupported].
// After Close it returns an error wrapping [ratelimit.ErrClosed].
func (s *Store) Block(ctx context.Context, key string, d time.Duration) error {
	if s.closed.Load() {
		return fmt.Errorf("fallback: key %q: %w", key, ratelimit.ErrClosed)
	}
	block := func(ctx context.Context, st ratelimit.Store) error {
		bl, ok := st.(ratelimit.Blocker)
		if !ok {
			return fmt.Errorf("fallback: the store (%T) cannot block keys: %w", st, errors.ErrUnsupported)
		}
		return bl.Block(ctx, key, d)
	}
	if err := block(ctx, s.local); err != nil || s.onLocal.Load() {
		return err
	}
	pctx, cancel := s.bound(ctx)
	defer cancel()
	err := block(pctx, s.primary)
	if err != nil && failed(ctx, err) {
		s.toLocal(ctx, err)
		return nil
	}
	return err
}
