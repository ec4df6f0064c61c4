package memorystore

import (
	"context"
	"sync"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// Bucket is one in-process bucket: an exact sliding-window log guarded by a
// mutex (PyrateLimiter's InMemoryBucket). A put costs O(1) amortized per rate
// and allocates nothing once the log has grown to its working size; the log
// holds at most one entry per millisecond of the largest window.
//
// Use [NewBucket]; the zero value is not usable. A Bucket is safe for
// concurrent use. Its methods never fail except for bad input and after
// Close, when they return an error wrapping [ratelimit.ErrClosed].
type Bucket struct {
	rates       ratelimit.Rates
	alg         ratelimit.Algorithm
	maxInterval int64
	clock       ratelimit.Clock

	mu     sync.Mutex
	log    *unitLog
	closed bool
}

var _ ratelimit.Bucket = (*Bucket)(nil)

// NewBucket returns an empty bucket enforcing rates, which are validated as
// [ratelimit.NewRates] does. Options: [WithClock].
func NewBucket(rates []ratelimit.Rate, opts ...Option) (*Bucket, error) {
	rs, err := ratelimit.NewRates(rates...)
	if err != nil {
		return nil, err
	}
	cfg, err := newConfig(rs, opts)
	if err != nil {
		return nil, err
	}
	return &Bucket{rates: rs, alg: cfg.algorithm, maxInterval: rs.Largest().IntervalMillis(), clock: cfg.clock, log: newKeyLog(cfg.algorithm, len(rs), "")}, nil
}

// Rates returns the rates the bucket enforces, sorted by interval.
func (b *Bucket) Rates() ratelimit.Rates { return b.rates }

// Put admits all of item's weight at item.Time, or none.
func (b *Bucket) Put(_ context.Context, item ratelimit.Item) (d ratelimit.Decision, err error) {
	err = b.put(&d, item, false)
	return
}

// PutNow is Put stamped with the bucket's clock: its reading, or the latest
// reading already applied to the bucket if that is later, so that stamps
// never go back.
func (b *Bucket) PutNow(_ context.Context, name string, weight int64) (d ratelimit.Decision, err error) {
	err = b.put(&d, ratelimit.Item{Name: name, Weight: weight}, true)
	return
}

// put judges item into d (see Store.Acquire for why d is a pointer); now
// stamps it with the bucket's clock.
func (b *Bucket) put(d *ratelimit.Decision, item ratelimit.Item, now bool) error {
	if item.Weight < 0 {
		return ratelimit.WeightError(item.Name, item.Weight)
	}
	if now {
		item.Time = b.clock.Now() // outside the lock, see Store.put
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return errClosed
	}
	if now {
		item.Time = b.log.stamp(item.Time)
	}
	b.log.decide(d, b.rates, item, b.maxInterval, true)
	return nil
}

// Waiting reports how long until item would fit.
func (b *Bucket) Waiting(_ context.Context, item ratelimit.Item) (time.Duration, error) {
	if err := checkWeight(item.Name, item.Weight); err != nil {
		return 0, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, errClosed
	}
	var d ratelimit.Decision
	b.log.decide(&d, b.rates, item, b.maxInterval, false)
	return d.RetryAfter, nil
}

// Leak removes the units older than the largest interval at now.
func (b *Bucket) Leak(_ context.Context, now int64) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, errClosed
	}
	// A leak at a reading of the clock must not remove a unit that a PutNow
	// which read the clock earlier, but locks later, would count: PutNow
	// stamps no earlier than this. A now in the future is honoured for the
	// leak, but stamps are not moved past the clock.
	b.log.advance(min(now, b.clock.Now()))
	return b.log.leakAt(b.rates, now, b.maxInterval), nil
}

// Flush removes every unit.
func (b *Bucket) Flush(context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return errClosed
	}
	b.log.flush()
	return nil
}

// Count returns the number of stored units.
func (b *Bucket) Count(context.Context) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, errClosed
	}
	return b.log.countAt(b.rates, b.clock.Now()), nil
}

// Peek returns the i-th newest unit as the item it was put with.
func (b *Bucket) Peek(_ context.Context, i int64) (ratelimit.Item, bool, error) {
	if i < 0 {
		return ratelimit.Item{}, false, ratelimit.IndexError(i)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ratelimit.Item{}, false, errClosed
	}
	return b.log.peek(i)
}

// Now returns the bucket's clock.
func (b *Bucket) Now(context.Context) (int64, error) { return b.clock.Now(), nil }

// Close drops the bucket's units; later calls fail with ErrClosed. It is
// idempotent and returns nil.
func (b *Bucket) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.closed = true
		b.log = newKeyLog(b.alg, len(b.rates), "")
	}
	return nil
}
