package pgstore

import (
	"context"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	"github.com/jackc/pgx/v5"
)

// put judges item against key's rows into d and stores it if allowed, in one
// call of the decision function: the one place the store applies the
// algorithm. now stamps the item with the server's clock, read under the
// name's lock. (d is an out-parameter, as in memorystore, so that no layer
// copies a Decision.)
func (s *Store) put(ctx context.Context, d *ratelimit.Decision, key string, item ratelimit.Item, now bool) error {
	if item.Weight < 0 {
		return ratelimit.WeightError(item.Name, item.Weight)
	}
	if s.closed.Load() {
		return errClosed
	}
	if err := s.call(ctx, d, key, item, now, true); err != nil {
		*d = ratelimit.Decision{}
		return opError("put", &key, err)
	}
	return nil
}

// waiting reports how long until item would fit under key, storing nothing.
func (s *Store) waiting(ctx context.Context, key string, item ratelimit.Item) (time.Duration, error) {
	if item.Weight < 0 {
		return 0, ratelimit.WeightError(item.Name, item.Weight)
	}
	if s.closed.Load() {
		return 0, errClosed
	}
	var d ratelimit.Decision
	if err := s.call(ctx, &d, key, item, false, false); err != nil {
		return 0, opError("waiting", &key, err)
	}
	return d.RetryAfter, nil
}

// call runs the decision function of the store's algorithm for item under
// key and fills d from its result.
func (s *Store) call(ctx context.Context, d *ratelimit.Decision, key string, item ratelimit.Item, now, store bool) error {
	var ts any // NULL: the server's clock
	if !now {
		ts = item.Time
	}
	var row pgx.Row
	if s.alg == algLog {
		var itemName []byte // NULL: the item's name is the key
		if item.Name != key {
			itemName = bytea(item.Name)
		}
		row = s.pool.QueryRow(ctx, s.q.call, storedName(key), itemName, item.Weight, ts, s.intervals, s.limits, store, s.async)
	} else {
		// The constant-state algorithms keep no items: only the key's state.
		row = s.pool.QueryRow(ctx, s.q.decideCall, storedName(key), int16(s.alg), item.Weight, ts, s.intervals, s.limits, store, s.async)
	}
	var (
		rate                    int32
		remaining, retry, reset int64
	)
	err := row.Scan(&d.Allowed, &rate, &remaining, &retry, &reset, &d.Time)
	if err != nil {
		return err
	}
	if rate < 0 || int(rate) >= len(s.rates) {
		return errBadRate(rate)
	}
	d.Rate, d.Remaining, d.ResetAfter = s.rates[rate], remaining, millis(reset)
	d.RetryAfter = millis(retry)
	if retry < 0 {
		d.RetryAfter = ratelimit.Never
	}
	return nil
}

func millis(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }

// bytea returns name as the bytes bound to a bytea parameter: never nil,
// which pgx would send as NULL.
func bytea(name string) []byte {
	if name == "" {
		return []byte{}
	}
	return []byte(name)
}
