package promlimit

import (
	"fmt"
	"math"
	"slices"
)

// An Option configures an [Observer] made by [New].
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	buckets []float64
}

// defaultBuckets are the upper bounds, in seconds, of the store duration
// histogram's buckets: store round trips, from 100µs to 1s.
var defaultBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}

// WithBuckets sets the upper bounds, in seconds, of the buckets of the
// ratelimit_store_duration_seconds histogram. They must be non-empty and
// strictly increasing, with no NaN; otherwise [New] returns an error naming
// them. The slice is copied. Default: 0.0001, 0.00025, 0.0005, 0.001,
// 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5 and 1 (100µs to 1s).
func WithBuckets(buckets []float64) Option {
	buckets = slices.Clone(buckets)
	return optionFunc(func(c *config) { c.buckets = buckets })
}

// checkBuckets reports whether bs can be a histogram's bucket bounds.
func checkBuckets(bs []float64) error {
	if len(bs) == 0 {
		return fmt.Errorf("promlimit: no histogram buckets")
	}
	for i, b := range bs {
		if math.IsNaN(b) || (i > 0 && b <= bs[i-1]) {
			return fmt.Errorf("promlimit: histogram buckets %v are not strictly increasing", bs)
		}
	}
	return nil
}
