// Package keyview is the per-name [ratelimit.Bucket] that the keyed server
// stores (sqlite, postgres, redis) hand out from Store.Bucket: a view that
// holds no state of its own and forwards each call to the store's
// operations on one name.
package keyview

import (
	"context"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// Ops are a store's operations on one name, built once per store. Put's now
// says whether to stamp the item with the store's clock (PutNow) or keep
// its time (Put).
type Ops struct {
	Rates   ratelimit.Rates
	Put     func(ctx context.Context, d *ratelimit.Decision, name string, item ratelimit.Item, now bool) error
	Waiting func(ctx context.Context, name string, item ratelimit.Item) (time.Duration, error)
	Leak    func(ctx context.Context, name string, now int64) (int64, error)
	Flush   func(ctx context.Context, name string) error
	Count   func(ctx context.Context, name string) (int64, error)
	Peek    func(ctx context.Context, name string, i int64) (ratelimit.Item, bool, error)
	Now     func(ctx context.Context, name string) (int64, error)
}

// Bucket is the view of one name. Close does nothing: the store owns what
// the view reaches.
type Bucket struct {
	ops  *Ops
	name string
}

var _ ratelimit.Bucket = (*Bucket)(nil)

// New returns the view of name over ops.
func New(ops *Ops, name string) *Bucket { return &Bucket{ops: ops, name: name} }

// Rates returns the store's rates.
func (b *Bucket) Rates() ratelimit.Rates { return b.ops.Rates }

// Put admits item under the view's name at item.Time, or not.
func (b *Bucket) Put(ctx context.Context, item ratelimit.Item) (d ratelimit.Decision, err error) {
	err = b.ops.Put(ctx, &d, b.name, item, false)
	return
}

// PutNow is Put stamped with the store's clock, the item named name.
func (b *Bucket) PutNow(ctx context.Context, name string, weight int64) (d ratelimit.Decision, err error) {
	err = b.ops.Put(ctx, &d, b.name, ratelimit.Item{Name: name, Weight: weight}, true)
	return
}

// Waiting reports how long until item would fit, storing nothing.
func (b *Bucket) Waiting(ctx context.Context, item ratelimit.Item) (time.Duration, error) {
	return b.ops.Waiting(ctx, b.name, item)
}

// Leak removes what no longer counts at now.
func (b *Bucket) Leak(ctx context.Context, now int64) (int64, error) {
	return b.ops.Leak(ctx, b.name, now)
}

// Flush removes everything stored under the name.
func (b *Bucket) Flush(ctx context.Context) error { return b.ops.Flush(ctx, b.name) }

// Count returns the units the name holds.
func (b *Bucket) Count(ctx context.Context) (int64, error) { return b.ops.Count(ctx, b.name) }

// Peek returns the i-th newest unit.
func (b *Bucket) Peek(ctx context.Context, i int64) (ratelimit.Item, bool, error) {
	return b.ops.Peek(ctx, b.name, i)
}

// Now returns the store's clock for the name.
func (b *Bucket) Now(ctx context.Context) (int64, error) { return b.ops.Now(ctx, b.name) }

// Close does nothing; close the store.
func (b *Bucket) Close() error { return nil }
