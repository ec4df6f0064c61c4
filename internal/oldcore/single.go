package ratelimit

import (
	"context"
	"sync"
)

// SingleFactory routes every name to one bucket (PyrateLimiter's
// SingleBucketFactory). It is safe for concurrent use if the bucket is.
type SingleFactory struct {
	bucket Bucket
	once   sync.Once
	err    error
}

var _ Factory = (*SingleFactory)(nil)

// Single returns a factory that routes every name to b. Closing the factory
// closes b.
func Single(b Bucket) *SingleFactory { return &SingleFactory{bucket: b} }

// Acquire puts weight units under name into the bucket, stamped with its clock.
func (f *SingleFactory) Acquire(ctx context.Context, name string, weight int64) (Decision, error) {
	return f.bucket.PutNow(ctx, name, weight)
}

// Bucket returns the bucket, whatever the name.
func (f *SingleFactory) Bucket(context.Context, string) (Bucket, error) { return f.bucket, nil }

// Rates returns the bucket's rates.
func (f *SingleFactory) Rates() Rates { return f.bucket.Rates() }

// Close closes the bucket once and returns its error.
func (f *SingleFactory) Close() error {
	f.once.Do(func() { f.err = f.bucket.Close() })
	return f.err
}
