package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	"github.com/redis/go-redis/v9"
)

// The modes of put.lua.
const (
	modeNow     = "n" // PutNow: stamped with the server's clock
	modePut     = "p" // Put at the item's time
	modeWaiting = "w" // judge at the item's time, store nothing
)

// put runs the put script of the Store's algorithm for item under name's
// key into d: the one place the store applies the algorithm. (d is an
// out-parameter, as in memorystore.)
func (s *Store) put(ctx context.Context, d *ratelimit.Decision, name, mode string, item ratelimit.Item) error {
	if item.Weight < 0 {
		return ratelimit.WeightError(item.Name, item.Weight)
	}
	if s.closed.Load() {
		return errClosed
	}
	if mode != modeNow && (item.Time > maxExact || item.Time < -maxExact) {
		return errTimeRange(item.Time)
	}
	// A weight above the smallest limit never fits; any such weight gives
	// the same decision, so the script sees one it can hold exactly.
	weight := min(item.Weight, s.smallest+1)
	var res putReply
	if err := s.runPut(ctx, &res, name, mode, item.Time, weight, item.Name); err != nil {
		*d = ratelimit.Decision{}
		return opError("put", name, err)
	}
	i := int(res[1]) - 1
	if i < 0 || i >= len(s.rates) {
		*d = ratelimit.Decision{}
		return opError("put", name, errors.New("put script returned no rate"))
	}
	retry := ratelimit.Never
	if res[3] >= 0 {
		retry = time.Duration(res[3]) * time.Millisecond
	}
	d.Allowed = res[0] == 1
	d.Rate = s.rates[i]
	d.Remaining = res[2]
	d.RetryAfter = retry
	d.ResetAfter = time.Duration(res[4]) * time.Millisecond
	d.Time = res[5]
	return nil
}

// waiting reports how long until item would fit under name, storing nothing.
func (s *Store) waiting(ctx context.Context, name string, item ratelimit.Item) (time.Duration, error) {
	var d ratelimit.Decision
	if err := s.put(ctx, &d, name, modeWaiting, item); err != nil {
		return 0, err
	}
	return d.RetryAfter, nil
}

// leak removes the runs of name stamped before now minus the largest
// interval and returns their units (GCRA and the counter: see constLeak).
func (s *Store) leak(ctx context.Context, name string, now int64) (int64, error) {
	if s.closed.Load() {
		return 0, errClosed
	}
	if now > maxExact || now < -maxExact {
		return 0, errTimeRange(now)
	}
	if s.alg != algLog {
		return s.constLeak(ctx, name, now)
	}
	n, err := s.eval(ctx, leakScript, s.key(name), now-s.maxInterval).Int64()
	if err != nil {
		return 0, opError("leak", name, err)
	}
	return n, nil
}

func (s *Store) flush(ctx context.Context, name string) error {
	if s.closed.Load() {
		return errClosed
	}
	if err := s.eval(ctx, flushScript, s.key(name)).Err(); err != nil {
		return opError("flush", name, err)
	}
	return nil
}

func (s *Store) count(ctx context.Context, name string) (int64, error) {
	if s.closed.Load() {
		return 0, errClosed
	}
	if s.alg != algLog {
		return s.constCount(ctx, name)
	}
	n, err := s.eval(ctx, countScript, s.key(name)).Int64()
	if err != nil {
		return 0, opError("count", name, err)
	}
	return n, nil
}

func (s *Store) peek(ctx context.Context, name string, i int64) (ratelimit.Item, bool, error) {
	if i < 0 {
		return ratelimit.Item{}, false, ratelimit.IndexError(i)
	}
	if s.closed.Load() {
		return ratelimit.Item{}, false, errClosed
	}
	if s.alg != algLog {
		return ratelimit.Item{}, false, fmt.Errorf("redisstore: Peek(%d): %w", i, ratelimit.ErrNoHistory)
	}
	if i >= maxExact { // more units than a log can hold
		return ratelimit.Item{}, false, nil
	}
	res, err := s.eval(ctx, peekScript, s.key(name), i).Slice()
	if errors.Is(err, redis.Nil) {
		return ratelimit.Item{}, false, nil
	}
	if err == nil && len(res) != 3 {
		err = errors.New("unexpected reply from peek script")
	}
	if err != nil {
		return ratelimit.Item{}, false, opError("peek", name, err)
	}
	ts, ok1 := res[0].(int64)
	w, ok2 := res[1].(int64)
	n, ok3 := res[2].(string)
	if !ok1 || !ok2 || !ok3 {
		return ratelimit.Item{}, false, opError("peek", name, errors.New("unexpected reply from peek script"))
	}
	return ratelimit.Item{Name: n, Time: ts, Weight: w}, true, nil
}

func (s *Store) now(ctx context.Context, name string) (int64, error) {
	if s.closed.Load() {
		return 0, errClosed
	}
	ms, err := s.eval(ctx, nowScript, s.key(name)).Int64()
	if err != nil {
		return 0, opError("now", name, err)
	}
	return ms, nil
}
