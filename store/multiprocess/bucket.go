package mpstore

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
	if item.Weight < 0 {
		return 0, ratelimit.WeightError(item.Name, item.Weight)
	}
	if b.s.alg != algLog {
		return b.waitingConst(item)
	}
	var wait time.Duration
	err := b.s.with(b.name, func(l *slotLog) {
		var log ratelimit.WindowLog = emptyLog{}
		if l != nil {
			log = l
		}
		wait = ratelimit.SlidingWindowLog{}.Decide(b.s.rates, item, log).RetryAfter
	})
	if err != nil {
		return 0, err
	}
	return wait, nil
}

func (b *keyBucket) Leak(_ context.Context, now int64) (int64, error) {
	if b.s.alg != algLog {
		return 0, b.leakConst(now)
	}
	var n int64
	err := b.s.with(b.name, func(l *slotLog) {
		b.s.advance(min(now, b.s.clock.Now())) // see memorystore's Bucket.Leak
		if l != nil {
			n = l.leak(now - b.s.maxInterval)
		}
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

func (b *keyBucket) Flush(context.Context) error {
	if b.s.alg != algLog {
		return b.flushConst()
	}
	return b.s.with(b.name, func(l *slotLog) {
		if l != nil {
			l.flush()
		}
	})
}

func (b *keyBucket) Count(context.Context) (int64, error) {
	if b.s.alg != algLog {
		return b.countConst()
	}
	var n int64
	err := b.s.with(b.name, func(l *slotLog) {
		if l != nil {
			n = l.count()
		}
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

func (b *keyBucket) Peek(_ context.Context, i int64) (ratelimit.Item, bool, error) {
	if i < 0 {
		return ratelimit.Item{}, false, ratelimit.IndexError(i)
	}
	if b.s.alg != algLog {
		return b.peekConst(i)
	}
	var it ratelimit.Item
	var ok bool
	err := b.s.with(b.name, func(l *slotLog) {
		if l == nil {
			return
		}
		var seq int64
		if seq, ok = l.find(i); ok {
			it = ratelimit.Item{Name: l.name(*l.tag(seq), b.name), Time: l.tsAt(seq), Weight: l.weight(seq)}
		}
	})
	if err != nil {
		return ratelimit.Item{}, false, err
	}
	return it, ok, nil
}

// Now returns the store's time: the clock, or the latest stamp any process
// gave if the clock has gone back since.
func (b *keyBucket) Now(context.Context) (int64, error) { return b.s.time() }

func (b *keyBucket) Close() error { return nil }
