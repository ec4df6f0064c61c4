package otellimit

import (
	"context"
	"fmt"
	"math"

	"github.com/gorate/ratelimit"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

const (
	meterName   = "github.com/gorate/ratelimit/telemetry/otel"
	maxLimiters = 64 // distinct limiter names with a value of their own
	maxRates    = 32 // distinct rates per limiter name with a value of their own

	keyLimiter = attribute.Key("ratelimit.limiter")
	keyPolicy  = attribute.Key("ratelimit.policy")
	keyOutcome = attribute.Key("ratelimit.outcome")
	keyRate    = attribute.Key("ratelimit.rate")
	keyTo      = attribute.Key("ratelimit.to")
)

// policies is the number of policies whose attribute sets are cached: every
// [ratelimit.Policy] the root package defines.
const policies = int(ratelimit.FailOpen) + 1

// Observer is a [ratelimit.Observer] that records the decisions of the
// limiters it is given to as OpenTelemetry metrics and span attributes (see
// the package documentation). One Observer serves any number of limiters.
// It is safe for concurrent use; use [New], the zero value is not usable.
//
// Observe does not allocate for an attribute set it has seen before when the
// context's span is not recording (beyond what the MeterProvider's
// instruments allocate, which the SDK's do not).
type Observer struct {
	decisions metric.Int64Counter
	errors    metric.Int64Counter
	passes    metric.Int64Counter
	duration  metric.Float64Histogram
	switches  metric.Int64Counter
	active    metric.Int64UpDownCounter
	spans     bool
	limiters  bounded[string, limiterAttrs]
}

var _ ratelimit.Observer = (*Observer)(nil)

// limiterAttrs holds the measurement options of one limiter name.
type limiterAttrs struct {
	name     string // the ratelimit.limiter value: the name, or "other"
	errors   [policies][]metric.AddOption
	passes   []metric.AddOption
	duration []metric.RecordOption
	rates    bounded[ratelimit.Rate, rateAttrs]
}

// rateAttrs holds the ratelimit.decisions options of one limiter and rate,
// by policy and outcome (0 denied, 1 allowed).
type rateAttrs struct {
	rate string // the ratelimit.rate value: the rate, or "other"
	opts [policies][2][]metric.AddOption
}

// New returns an Observer recording to instruments of mp's meter
// "github.com/gorate/ratelimit/telemetry/otel"; a nil mp means the global
// MeterProvider, [otel.GetMeterProvider]. The error wraps the meter's when
// an instrument cannot be made; a nil option, or [WithBuckets] with bad
// boundaries, is an error naming it.
func New(mp metric.MeterProvider, opts ...Option) (*Observer, error) {
	c := config{spans: true, buckets: defaultBuckets}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("otellimit: option is nil")
		}
		o.apply(&c)
	}
	if err := checkBuckets(c.buckets); err != nil {
		return nil, err
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter(meterName)
	o := &Observer{spans: c.spans}
	var err error
	if o.decisions, err = m.Int64Counter("ratelimit.decisions",
		metric.WithUnit("{decision}"),
		metric.WithDescription("Takes a rate limiter's store decided, by limiter, policy, outcome and deciding rate.")); err != nil {
		return nil, fmt.Errorf("otellimit: ratelimit.decisions: %w", err)
	}
	if o.errors, err = m.Int64Counter("ratelimit.store.errors",
		metric.WithUnit("{error}"),
		metric.WithDescription("Takes of a rate limiter that failed, by limiter and policy.")); err != nil {
		return nil, fmt.Errorf("otellimit: ratelimit.store.errors: %w", err)
	}
	if o.passes, err = m.Int64Counter("ratelimit.fail_open.passes",
		metric.WithUnit("{request}"),
		metric.WithDescription("Requests a rate limiter admitted because its store failed, by limiter.")); err != nil {
		return nil, fmt.Errorf("otellimit: ratelimit.fail_open.passes: %w", err)
	}
	if o.duration, err = m.Float64Histogram("ratelimit.store.duration",
		metric.WithUnit("s"),
		metric.WithDescription("Time a rate limiter's store took to answer a take, by limiter."),
		metric.WithExplicitBucketBoundaries(c.buckets...)); err != nil {
		return nil, fmt.Errorf("otellimit: ratelimit.store.duration: %w", err)
	}
	if o.switches, err = m.Int64Counter("ratelimit.fallback.switches",
		metric.WithUnit("{switch}"),
		metric.WithDescription("Switches of a fallback store, by name and direction (to local: its primary failed; to primary: it came back).")); err != nil {
		return nil, fmt.Errorf("otellimit: ratelimit.fallback.switches: %w", err)
	}
	if o.active, err = m.Int64UpDownCounter("ratelimit.fallback.active",
		metric.WithUnit("{store}"),
		metric.WithDescription("Fallback stores deciding with their local store because their primary failed, by name.")); err != nil {
		return nil, fmt.Errorf("otellimit: ratelimit.fallback.active: %w", err)
	}
	o.limiters = bounded[string, limiterAttrs]{max: maxLimiters, newValue: newLimiterAttrs}
	return o, nil
}

func checkBuckets(b []float64) error {
	if len(b) == 0 {
		return fmt.Errorf("otellimit: no bucket boundaries")
	}
	for i, v := range b {
		if math.IsNaN(v) || math.IsInf(v, 0) || i > 0 && v <= b[i-1] {
			return fmt.Errorf("otellimit: bucket boundaries %v are not finite and strictly increasing", b)
		}
	}
	return nil
}

func newLimiterAttrs(name string, overflow bool) *limiterAttrs {
	if overflow {
		name = other
	}
	l := &limiterAttrs{name: name}
	lim := keyLimiter.String(name)
	set := attribute.NewSet(lim)
	l.passes = []metric.AddOption{metric.WithAttributeSet(set)}
	l.duration = []metric.RecordOption{metric.WithAttributeSet(set)}
	for p := range l.errors {
		s := attribute.NewSet(lim, keyPolicy.String(ratelimit.Policy(p).String()))
		l.errors[p] = []metric.AddOption{metric.WithAttributeSet(s)}
	}
	l.rates = bounded[ratelimit.Rate, rateAttrs]{max: maxRates, newValue: func(r ratelimit.Rate, overflow bool) *rateAttrs {
		return newRateAttrs(name, r, overflow)
	}}
	return l
}

func newRateAttrs(limiter string, r ratelimit.Rate, overflow bool) *rateAttrs {
	rate := other
	if !overflow {
		rate = r.String()
	}
	a := rateAttrs{rate: rate}
	for p := range a.opts {
		for allowed := range a.opts[p] {
			a.opts[p][allowed] = []metric.AddOption{metric.WithAttributeSet(decisionSet(limiter, rate, ratelimit.Policy(p), allowed == 1))}
		}
	}
	return &a
}

func decisionSet(limiter, rate string, p ratelimit.Policy, allowed bool) attribute.Set {
	outcome := "denied"
	if allowed {
		outcome = "allowed"
	}
	return attribute.NewSet(keyLimiter.String(limiter), keyPolicy.String(p.String()), keyOutcome.String(outcome), keyRate.String(rate))
}

// Observe records e: it implements [ratelimit.Observer]. A switch of a
// fallback store (Policy [ratelimit.Fallback]) is recorded in the fallback
// instruments alone, and not on the span.
func (o *Observer) Observe(ctx context.Context, e ratelimit.Event) {
	l := o.limiters.get(e.Limiter)
	if e.Policy == ratelimit.Fallback {
		o.fallback(ctx, l.name, e.Err != nil)
		return
	}
	known := int(e.Policy) < policies
	if e.Err == nil {
		r := l.rates.get(e.Decision.Rate)
		if known {
			allowed := 0
			if e.Decision.Allowed {
				allowed = 1
			}
			o.decisions.Add(ctx, 1, r.opts[e.Policy][allowed]...)
		} else { // a policy this package does not know: not cached
			o.decisions.Add(ctx, 1, metric.WithAttributeSet(decisionSet(l.name, r.rate, e.Policy, e.Decision.Allowed)))
		}
	} else {
		if known {
			o.errors.Add(ctx, 1, l.errors[e.Policy]...)
		} else {
			o.errors.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(keyLimiter.String(l.name), keyPolicy.String(e.Policy.String()))))
		}
		if e.Policy == ratelimit.FailOpen {
			o.passes.Add(ctx, 1, l.passes...)
		}
	}
	if e.Latency > 0 {
		o.duration.Record(ctx, e.Latency.Seconds(), l.duration...)
	}
	if o.spans && e.Policy != ratelimit.Shadow {
		annotate(ctx, &e)
	}
}

// fallback records a switch of the fallback store named limiter, to its
// local store or back to its primary. Switches are rare: their attribute
// sets are not cached.
func (o *Observer) fallback(ctx context.Context, limiter string, toLocal bool) {
	to, delta := "primary", int64(-1)
	if toLocal {
		to, delta = "local", 1
	}
	lim := keyLimiter.String(limiter)
	o.switches.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(lim, keyTo.String(to))))
	o.active.Add(ctx, delta, metric.WithAttributeSet(attribute.NewSet(lim)))
}
