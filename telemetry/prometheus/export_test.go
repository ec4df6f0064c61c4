package promlimit

import "github.com/prometheus/client_golang/prometheus"

// Collectors returns the collectors o registered, for tests to unregister.
func (o *Observer) Collectors() []prometheus.Collector {
	return []prometheus.Collector{o.decisions, o.storeErrors, o.failOpenPasses, o.duration, o.switches, o.active}
}

// CacheSizes returns the number of limiter names o keeps children for
// (other included) and the largest number of rates it keeps for one of them
// (other excluded).
func (o *Observer) CacheSizes() (limiters, rates int) {
	names := o.limiters.names.Load().all
	for _, l := range names {
		rates = max(rates, len(*l.rates.rates.Load()))
	}
	return len(names) + 1, max(rates, len(*o.limiters.other.rates.rates.Load()))
}

const (
	MaxLimiters = maxLimiters
	MaxRates    = maxRates
)

// Decisions returns the decisions counter of the given labels.
func (o *Observer) Decisions(limiter, policy, outcome, rate string) prometheus.Counter {
	return o.decisions.WithLabelValues(limiter, policy, outcome, rate)
}

// StoreErrors returns the store errors counter of the given labels.
func (o *Observer) StoreErrors(limiter, policy string) prometheus.Counter {
	return o.storeErrors.WithLabelValues(limiter, policy)
}

// FailOpenPasses returns the fail-open passes counter of limiter.
func (o *Observer) FailOpenPasses(limiter string) prometheus.Counter {
	return o.failOpenPasses.WithLabelValues(limiter)
}
