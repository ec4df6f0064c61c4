package sloglimit

import "github.com/gorate/ratelimit"

// An Option configures an [Observer] made by [New].
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	rate ratelimit.Rate
}

// defaultRate is the Observer's own rate unless [WithRate] says otherwise.
var defaultRate = ratelimit.PerSecond(10)

// WithRate sets the Observer's own rate limit: at most r.Limit records of
// failures and r.Limit records of denials per window of r.Interval (see the
// package documentation). r must be valid as [ratelimit.NewRates] says (a
// positive limit, an interval of whole milliseconds); otherwise [New]
// panics. Default: ratelimit.PerSecond(10).
func WithRate(r ratelimit.Rate) Option {
	return optionFunc(func(c *config) { c.rate = r })
}
