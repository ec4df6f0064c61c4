package sloglimit

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/gorate/ratelimit"
)

// Messages of the records; see the package documentation.
const (
	msgFailed      = "rate limiter store failed"
	msgExceeded    = "rate limit exceeded"
	msgWouldDeny   = "rate limit would deny"
	msgShadowWould = "shadow rate limit would deny"
	msgToLocal     = "rate limiter store switched to local limits"
	msgToPrimary   = "rate limiter store back on its primary"
)

// Observer is a [ratelimit.Observer] that logs the denials and store
// failures of the limiters it is given to, as the package documentation
// says, at a rate of its own. It is safe for concurrent use; one Observer
// may serve many limiters, which then share its rate. Use [New]: the zero
// value is not usable.
type Observer struct {
	logger   *slog.Logger
	origin   time.Time // of the budgets' clock
	failures budget
	denials  budget
}

var _ ratelimit.Observer = (*Observer)(nil)

// New returns an Observer writing to logger, or to [slog.Default] (as it is
// when New is called) when logger is nil. It panics if [WithRate] was given
// an invalid rate.
func New(logger *slog.Logger, opts ...Option) *Observer {
	if logger == nil {
		logger = slog.Default()
	}
	c := config{rate: defaultRate}
	for _, o := range opts {
		o.apply(&c)
	}
	if _, err := ratelimit.NewRates(c.rate); err != nil {
		panic(fmt.Sprintf("sloglimit: WithRate: %v", err))
	}
	o := &Observer{logger: logger, origin: time.Now()}
	o.failures.limit, o.failures.interval = c.rate.Limit, c.rate.Interval
	o.denials.limit, o.denials.interval = c.rate.Limit, c.rate.Interval
	return o
}

// Observe logs e if it is a denial or a failure, its level is enabled, and
// the Observer's rate admits it, or if it is a switch of a fallback store
// and its level is enabled; see the package documentation.
func (o *Observer) Observe(ctx context.Context, e ratelimit.Event) {
	if e.Policy == ratelimit.Fallback {
		o.fallback(ctx, e)
		return
	}
	var (
		level slog.Level
		msg   string
		b     *budget
	)
	switch {
	case e.Err != nil:
		level, msg, b = slog.LevelWarn, msgFailed, &o.failures
		if e.Policy == ratelimit.Enforce {
			level = slog.LevelError
		}
	case e.Decision.Allowed:
		return
	default:
		level, msg, b = slog.LevelInfo, msgExceeded, &o.denials
		switch e.Policy {
		case ratelimit.DryRun:
			msg = msgWouldDeny
		case ratelimit.Shadow:
			msg = msgShadowWould
		}
	}
	if !o.logger.Enabled(ctx, level) {
		return
	}
	suppressed, ok := b.take(time.Since(o.origin))
	if !ok {
		return
	}
	var buf [9]slog.Attr
	attrs := append(buf[:0], slog.String("limiter", e.Limiter))
	if e.Key != "" {
		attrs = append(attrs, slog.String("key", e.Key))
	}
	attrs = append(attrs, slog.Int64("weight", e.Weight), slog.String("policy", e.Policy.String()))
	if e.Err != nil {
		attrs = append(attrs, slog.Any("error", e.Err))
	} else {
		d := e.Decision
		attrs = append(attrs, slog.String("rate", d.Rate.String()), slog.Int64("remaining", d.Remaining))
		if d.RetryAfter != ratelimit.Never {
			attrs = append(attrs, slog.Duration("retry_after", d.RetryAfter))
		}
	}
	if suppressed > 0 {
		attrs = append(attrs, slog.Int64("suppressed", suppressed))
	}
	o.logger.LogAttrs(ctx, level, msg, attrs...)
}

// fallback logs e, a switch of a fallback store, outside the budgets: a
// store reports each switch once, and stays on its local store at least a
// probe interval, so switches cannot flood the log.
func (o *Observer) fallback(ctx context.Context, e ratelimit.Event) {
	level, msg := slog.LevelInfo, msgToPrimary
	if e.Err != nil {
		level, msg = slog.LevelWarn, msgToLocal
	}
	if !o.logger.Enabled(ctx, level) {
		return
	}
	var buf [3]slog.Attr
	attrs := append(buf[:0], slog.String("limiter", e.Limiter), slog.String("policy", e.Policy.String()))
	if e.Err != nil {
		attrs = append(attrs, slog.Any("error", e.Err))
	}
	o.logger.LogAttrs(ctx, level, msg, attrs...)
}
