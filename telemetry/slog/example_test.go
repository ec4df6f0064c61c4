package sloglimit_test

import (
	"context"
	"errors"
	"log/slog"
	"os"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	memorystore "github.com/gorate/ratelimit/store/memory"
	sloglimit "github.com/gorate/ratelimit/telemetry/slog"
)

// noTime drops the time from records, so that the output is stable.
func noTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 {
		return slog.Attr{}
	}
	return a
}

func Example() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: noTime}))
	obs := sloglimit.New(logger)

	// A fake clock keeps the retry time in the output exact.
	store, _ := memorystore.New(memorystore.WithClock(core.NewFakeClock(0)))
	login, _ := ratelimit.New(store, ratelimit.PerMinute(2),
		ratelimit.WithName("login"), ratelimit.WithObserver(obs), ratelimit.WithObservedKeys())
	ctx := context.Background()
	for range 3 {
		login.Allow(ctx, "alice") // the third is denied, and logged
	}
	login.AllowN(ctx, "bob", 3) // 3 never fits in 2/min: no retry_after
	// Output:
	// level=INFO msg="rate limit exceeded" limiter=login key=alice weight=1 policy=enforce rate=2/min remaining=0 retry_after=1m0.001s
	// level=INFO msg="rate limit exceeded" limiter=login key=bob weight=3 policy=enforce rate=2/min remaining=2
}

// down is a store that always fails.
type down struct{}

func (down) Take(context.Context, string, ratelimit.Rates, int64) (ratelimit.Decision, error) {
	return ratelimit.Decision{}, errors.New("connection refused")
}

// A failure the caller is admitted through is a warning; one returned to
// the caller is an error.
func Example_failures() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: noTime}))
	obs := sloglimit.New(logger)
	ctx := context.Background()

	open, _ := ratelimit.New(down{}, ratelimit.PerSecond(10), ratelimit.WithName("search"), ratelimit.WithObserver(obs), ratelimit.WithFailOpen())
	open.Allow(ctx, "alice")
	closed, _ := ratelimit.New(down{}, ratelimit.PerSecond(10), ratelimit.WithName("payments"), ratelimit.WithObserver(obs))
	closed.Allow(ctx, "alice")
	// Output:
	// level=WARN msg="rate limiter store failed" limiter=search weight=1 policy=fail_open error="connection refused"
	// level=ERROR msg="rate limiter store failed" limiter=payments weight=1 policy=enforce error="connection refused"
}

// WithRate sets the Observer's own limit: here 1 record of each kind per
// minute. The dropped events are counted by the next record of their kind.
func ExampleWithRate() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: noTime}))
	obs := sloglimit.New(logger, sloglimit.WithRate(ratelimit.PerMinute(1)))
	store, _ := memorystore.New()
	api, _ := ratelimit.New(store, ratelimit.PerHour(1), ratelimit.WithName("api"), ratelimit.WithObserver(obs))
	ctx := context.Background()
	for range 5 {
		api.AllowN(ctx, "bob", 2) // denied, never fits: the first is logged
	}
	// Output:
	// level=INFO msg="rate limit exceeded" limiter=api weight=2 policy=enforce rate=1/h remaining=1
}
