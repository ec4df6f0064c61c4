package ratelimit

import (
	"context"
	"time"
)

// Bucket is the state of one limited resource: a log of admitted units checked
// against a list of rates. It has the operations of PyrateLimiter's
// AbstractBucket, with a context and an error on each; there is no separate
// async form, so PyrateLimiter's BucketAsyncWrapper has no counterpart.
//
// Implementations must be safe for concurrent use, and each of Put and PutNow
// must be atomic: concurrent puts, from any goroutine, process or host that
// shares the bucket's state, never admit more than every rate allows. Every
// store in this module and its siblings passes package ratelimittest.
//
// Errors are for bad input (wrapping [ErrInvalidWeight], [ErrInvalidArgument])
// and store failures; a denial is a [Decision]. After Close, methods return
// an error wrapping [ErrClosed].
type Bucket interface {
	// Rates returns the rates the bucket enforces, sorted by interval.
	Rates() Rates
	// Put admits all of item.Weight units stamped at item.Time, or none, and
	// reports the decision. Weight 0 is admitted and stores nothing.
	Put(ctx context.Context, item Item) (Decision, error)
	// PutNow is Put with the time read from the bucket's own clock in the same
	// atomic step (for a server store: the server's clock, inside the one
	// round trip).
	PutNow(ctx context.Context, name string, weight int64) (Decision, error)
	// Waiting reports how long until item would fit if nothing else were
	// admitted: 0 if it fits now, [Never] if its weight exceeds the smallest
	// limit. It stores nothing.
	Waiting(ctx context.Context, item Item) (time.Duration, error)
	// Leak removes the units older than the largest interval as seen at now
	// (a unit at exactly now minus that interval is kept, since it still
	// counts) and returns how many it removed. It never changes a decision.
	Leak(ctx context.Context, now int64) (int64, error)
	// Flush removes every unit.
	Flush(ctx context.Context) error
	// Count returns the number of units stored, inside a window or not yet
	// leaked.
	Count(ctx context.Context) (int64, error)
	// Peek returns the i-th newest stored unit (0 is the newest) as the item it
	// was put with, and false when fewer than i+1 units are stored.
	Peek(ctx context.Context, i int64) (Item, bool, error)
	// Now returns the bucket's clock, in milliseconds.
	Now(ctx context.Context) (int64, error)
	// Close releases what the bucket holds. It is idempotent. It never closes
	// a client or pool the caller passed in.
	Close() error
}

// Factory routes names to buckets, creating them on demand: PyrateLimiter's
// BucketFactory with wrap_item, get and put fused into one atomic Acquire, so
// that a server store needs one round trip and no Go object per name.
//
// Implementations must be safe for concurrent use. Close closes the buckets
// the factory created and stops its background work; it is idempotent.
type Factory interface {
	// Acquire puts weight units under name into the bucket name routes to,
	// stamped with that bucket's clock, and reports the decision.
	Acquire(ctx context.Context, name string, weight int64) (Decision, error)
	// Bucket returns the bucket name routes to, for inspection and the
	// seed's per-bucket operations.
	Bucket(ctx context.Context, name string) (Bucket, error)
	// Close releases the factory's buckets and background work.
	Close() error
}
