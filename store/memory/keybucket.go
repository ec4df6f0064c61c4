package memorystore

import (
	"context"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// keyBucket is the view of one key of a Store that Store.Bucket returns.
type keyBucket struct {
	s    *Store
	name string
}

var _ ratelimit.Bucket = (*keyBucket)(nil)

func (b *keyBucket) Rates() ratelimit.Rates { return b.s.rates }

func (b *keyBucket) Put(_ context.Context, item ratelimit.Item) (d ratelimit.Decision, err error) {
	err = b.s.put(&d, b.name, item, false)
	return
}

func (b *keyBucket) PutNow(_ context.Context, name string, weight int64) (d ratelimit.Decision, err error) {
	err = b.s.put(&d, b.name, ratelimit.Item{Name: name, Weight: weight}, true)
	return
}

func (b *keyBucket) Waiting(_ context.Context, item ratelimit.Item) (time.Duration, error) {
	if err := checkWeight(item.Name, item.Weight); err != nil {
		return 0, err
	}
	var wait time.Duration
	err := b.s.with(b.name, func(log *unitLog) {
		if log == nil {
			log = newKeyLog(b.s.alg, len(b.s.rates), b.name)
		}
		var d ratelimit.Decision
		log.decide(&d, b.s.rates, item, b.s.maxInterval, false)
		wait = d.RetryAfter
	})
	return wait, err
}

func (b *keyBucket) Leak(_ context.Context, now int64) (int64, error) {
	var n int64
	err := b.s.with(b.name, func(log *unitLog) {
		if log != nil {
			log.advance(min(now, b.s.clock.Now())) // see Bucket.Leak
			n = log.leakAt(b.s.rates, now, b.s.maxInterval)
		}
	})
	return n, err
}

func (b *keyBucket) Flush(context.Context) error {
	return b.s.with(b.name, func(log *unitLog) {
		if log != nil {
			log.flush()
		}
	})
}

func (b *keyBucket) Count(context.Context) (int64, error) {
	var n int64
	err := b.s.with(b.name, func(log *unitLog) {
		if log != nil {
			n = log.countAt(b.s.rates, b.s.clock.Now())
		}
	})
	return n, err
}

func (b *keyBucket) Peek(_ context.Context, i int64) (ratelimit.Item, bool, error) {
	if i < 0 {
		return ratelimit.Item{}, false, ratelimit.IndexError(i)
	}
	var it ratelimit.Item
	var ok bool
	var perr error
	err := b.s.with(b.name, func(log *unitLog) {
		if log == nil {
			log = newKeyLog(b.s.alg, 0, b.name)
		}
		it, ok, perr = log.peek(i)
	})
	if err != nil {
		return it, ok, err
	}
	return it, ok, perr
}

func (b *keyBucket) Now(context.Context) (int64, error) { return b.s.clock.Now(), nil }

func (b *keyBucket) Close() error { return nil }
