package redisstore

import (
	"context"
	"time"

	ratelimit "github.com/gorate/ratelimit/core"
)

// keyBucket is the view of one name of a Store that Store.Bucket returns.
type keyBucket struct {
	s    *Store
	name string
}

var _ ratelimit.Bucket = (*keyBucket)(nil)

func (b *keyBucket) Rates() ratelimit.Rates { return b.s.rates }

func (b *keyBucket) Put(ctx context.Context, item ratelimit.Item) (d ratelimit.Decision, err error) {
	err = b.s.put(ctx, &d, b.name, modePut, item)
	return
}

func (b *keyBucket) PutNow(ctx context.Context, name string, weight int64) (d ratelimit.Decision, err error) {
	err = b.s.put(ctx, &d, b.name, modeNow, ratelimit.Item{Name: name, Weight: weight})
	return
}

func (b *keyBucket) Waiting(ctx context.Context, item ratelimit.Item) (time.Duration, error) {
	return b.s.waiting(ctx, b.name, item)
}

func (b *keyBucket) Leak(ctx context.Context, now int64) (int64, error) {
	return b.s.leak(ctx, b.name, now)
}

func (b *keyBucket) Flush(ctx context.Context) error { return b.s.flush(ctx, b.name) }

func (b *keyBucket) Count(ctx context.Context) (int64, error) { return b.s.count(ctx, b.name) }

func (b *keyBucket) Peek(ctx context.Context, i int64) (ratelimit.Item, bool, error) {
	return b.s.peek(ctx, b.name, i)
}

func (b *keyBucket) Now(ctx context.Context) (int64, error) { return b.s.now(ctx, b.name) }

func (b *keyBucket) Close() error { return nil }
