package redisstore

import (
	"context"
	"fmt"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// Refund gives back n units of the take of key that taken reports, under
// rates, as [ratelimit.Settler] says, in one script run atomically on the
// server's clock (or the one of [WithClock]), like Take: under the log, n
// of the units stamped at taken.At, fewer if fewer remain. It returns the
// key's standing after the refund, stamped like Take's decisions. A key
// the server does not hold has nothing to give back. A refund under the log
// rewrites each run stored after taken.At, so it costs more the older the
// take. The errors are Take's, and an error wrapping
// [ratelimit.ErrInvalidArgument] when n is more than the smallest limit.
func (s *Store) Refund(ctx context.Context, key string, rates ratelimit.Rates, taken ratelimit.Decision, n int64) (ratelimit.Decision, error) {
	return s.settle(ctx, "refund", key, rates, n, taken.At)
}

// Charge takes n units under key whatever rates allow, as
// [ratelimit.Settler] says, in one script run atomically like Take's, and
// returns the key's standing after the charge. Its errors are Refund's.
func (s *Store) Charge(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	return s.settle(ctx, "charge", key, rates, n, 0)
}

// settle runs op, "refund" (of the take at at) or "charge", of n units
// under key against rates, after checking n.
func (s *Store) settle(ctx context.Context, op any, key string, rates ratelimit.Rates, n, at int64) (ratelimit.Decision, error) {
	if err := core.ValidateSettle(rates, n); err != nil {
		return ratelimit.Decision{}, fmt.Errorf("redisstore: key %.64q: %w", key, err)
	}
	return s.decide(ctx, op, key, rates, n, at)
}
