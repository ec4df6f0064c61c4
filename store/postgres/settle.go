package pgstore

import (
	"context"

	"github.com/gorate/ratelimit"
)

// Refund gives back n units of the take of key that taken reports, named
// by its At, under rates, with the rules of [ratelimit.Settler], in one
// round trip: one call of a PL/pgSQL function that, in one transaction,
// takes the key's advisory lock (waiting for it as Take does, bounded by
// ctx), reads the clock and keeps the key's state to rates as a take of 0
// units does, gives the units back and reports the key's standing after
// it, the Decision a take of 0 units would return, at that same time.
// Under the log it removes n of the units of the rows stamped at taken.At,
// fewer if fewer remain (rows the log no longer holds give nothing back).
// A key the store does not hold has nothing to give back.
//
// Its errors are Take's, and an error wrapping
// [ratelimit.ErrInvalidArgument] when n is more than the smallest limit of
// rates; bad input touches nothing.
func (s *Store) Refund(ctx context.Context, key string, rates ratelimit.Rates, taken ratelimit.Decision, n int64) (ratelimit.Decision, error) {
	var d ratelimit.Decision
	err := s.call(ctx, &d, "refund", key, rates, n, taken.At, nil)
	return d, err
}

// Charge takes n units under key whatever rates allow, with the rules of
// [ratelimit.Settler], in one round trip as Refund does, and returns the
// key's standing after the charge. Under the log the units are a row
// stamped at the call's time, as an admitted take's. Its errors are
// Refund's.
func (s *Store) Charge(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	var d ratelimit.Decision
	err := s.call(ctx, &d, "charge", key, rates, n, 0, nil)
	return d, err
}
