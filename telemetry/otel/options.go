package otellimit

// An Option configures an [Observer] made by [New].
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	spans   bool
	buckets []float64
}

// defaultBuckets are the histogram's bucket boundaries, in seconds, unless
// [WithBuckets] says otherwise: 100µs to 1s, for stores a network round trip
// away.
var defaultBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}

// WithoutSpans keeps the Observer off the caller's span: it sets no
// attributes on it. Default: the attributes are set on a recording span.
func WithoutSpans() Option {
	return optionFunc(func(c *config) { c.spans = false })
}

// WithBuckets sets the explicit bucket boundaries, in seconds, of the
// ratelimit.store.duration histogram, as advice a view of the
// MeterProvider may override. They must be at least one, finite and
// strictly increasing; otherwise [New] returns an error naming them.
// Default: 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
// 0.05, 0.1, 0.25, 0.5, 1.
func WithBuckets(bounds ...float64) Option {
	bounds = append([]float64(nil), bounds...)
	return optionFunc(func(c *config) { c.buckets = bounds })
}
