package promlimit

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gorate/ratelimit"
)

// Observer counts the decisions of the limiters it is given to (with
// ratelimit.WithObserver) in the metrics the package documents. One
// Observer serves any number of limiters, told apart by their names. It is
// safe for concurrent use. Once a series exists, observing an event of it
// allocates nothing. Use [New]; the zero value is not usable.
type Observer struct {
	decisions      *prometheus.CounterVec
	storeErrors    *prometheus.CounterVec
	failOpenPasses *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	switches       *prometheus.CounterVec
	active         *prometheus.GaugeVec

	limiters limiterCache
}

var _ ratelimit.Observer = (*Observer)(nil)

// New returns an Observer whose metrics are registered on reg, or on
// prometheus.DefaultRegisterer when reg is nil. The error names a bad
// option, or wraps reg's registration error (such as a
// prometheus.AlreadyRegisteredError when reg already holds an Observer's
// metrics); then New registers nothing.
func New(reg prometheus.Registerer, opts ...Option) (*Observer, error) {
	c := config{buckets: defaultBuckets}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("promlimit: option is nil")
		}
		o.apply(&c)
	}
	if err := checkBuckets(c.buckets); err != nil {
		return nil, err
	}
	if reg == nil {
		reg = prometheus.DefaultRegisterer
	}
	o := &Observer{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ratelimit_decisions_total",
			Help: "Decisions made by the store of a rate limiter, by limiter, policy (enforce, dry_run, shadow), outcome (allowed, denied) and deciding rate.",
		}, []string{"limiter", "policy", "outcome", "rate"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ratelimit_store_errors_total",
			Help: "Rate limiter calls whose store or rates lookup failed, by limiter and policy (enforce: error returned, fail_open: caller admitted, shadow: no effect).",
		}, []string{"limiter", "policy"}),
		failOpenPasses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ratelimit_fail_open_passes_total",
			Help: "Callers a rate limiter admitted although its store or rates lookup failed, by limiter.",
		}, []string{"limiter"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ratelimit_store_duration_seconds",
			Help:    "Time a rate limiter's store took to answer, failures included, by limiter; in-memory stores are not timed.",
			Buckets: c.buckets,
		}, []string{"limiter"}),
		switches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ratelimit_fallback_switches_total",
			Help: "Switches of a fallback store, by name and direction (to local: its primary store failed; to primary: it came back).",
		}, []string{"limiter", "to"}),
		active: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ratelimit_fallback_active",
			Help: "1 while a fallback store decides with its local store because its primary failed, else 0, by name.",
		}, []string{"limiter"}),
	}
	o.limiters.init(o)
	cs := []prometheus.Collector{o.decisions, o.storeErrors, o.failOpenPasses, o.duration, o.switches, o.active}
	for i, col := range cs {
		if err := reg.Register(col); err != nil {
			for _, done := range cs[:i] {
				reg.Unregister(done)
			}
			return nil, fmt.Errorf("promlimit: registering the metrics: %w", err)
		}
	}
	return o, nil
}

// Observe counts e in the series of its limiter, policy and outcome, and
// its store latency when it has one (Latency > 0). Its key is ignored. A
// switch of a fallback store (Policy ratelimit.Fallback) is counted in the
// fallback series alone.
func (o *Observer) Observe(_ context.Context, e ratelimit.Event) {
	l := o.limiters.get(e.Limiter)
	if e.Policy == ratelimit.Fallback {
		o.fallback(l.name, e.Err != nil)
		return
	}
	if e.Err != nil {
		l.storeError(e.Policy).Inc()
		if e.Policy == ratelimit.FailOpen {
			l.failOpenPass().Inc()
		}
	} else {
		l.rates.get(e.Decision.Rate).decision(e.Policy, e.Decision.Allowed).Inc()
	}
	if e.Latency > 0 {
		l.duration().Observe(e.Latency.Seconds())
	}
}

// fallback counts a switch of the fallback store named limiter, to its
// local store or back to its primary. Switches are rare: their children are
// not cached.
func (o *Observer) fallback(limiter string, toLocal bool) {
	to, active := "primary", 0.0
	if toLocal {
		to, active = "local", 1
	}
	o.switches.WithLabelValues(limiter, to).Inc()
	o.active.WithLabelValues(limiter).Set(active)
}
