package sloglimit_test

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorate/ratelimit"
	sloglimit "github.com/gorate/ratelimit/telemetry/slog"
)

// Through real limiters, each kind of event gives its JSON record; allowed
// decisions give none. The memory store's clock is fake, so retry times are
// exact: a unit at 0 of 1/s is retried after 1001ms.
func TestLimiters(t *testing.T) {
	type rec = map[string]any
	const retry = float64(1001e6) // 1001ms in JSON: nanoseconds
	for _, c := range []struct {
		name  string
		limit func(t *testing.T, obs ratelimit.Observer) *ratelimit.Limiter
		n     int64 // weight of each call
		want  []rec // records of the two calls
	}{
		{
			name: "enforce",
			limit: func(t *testing.T, obs ratelimit.Observer) *ratelimit.Limiter {
				return newLimiter(t, newMemory(t, true), ratelimit.PerSecond(1), ratelimit.WithName("api"), ratelimit.WithObserver(obs), ratelimit.WithObservedKeys())
			},
			n: 1,
			want: []rec{{"level": "INFO", "msg": "rate limit exceeded", "limiter": "api", "key": "user:42", "weight": 1.0, "policy": "enforce",
				"rate": "1/s", "remaining": 0.0, "retry_after": retry}},
		},
		{
			name: "keys not observed",
			limit: func(t *testing.T, obs ratelimit.Observer) *ratelimit.Limiter {
				return newLimiter(t, newMemory(t, true), ratelimit.PerSecond(1), ratelimit.WithName("api"), ratelimit.WithObserver(obs))
			},
			n: 1,
			want: []rec{{"level": "INFO", "msg": "rate limit exceeded", "limiter": "api", "weight": 1.0, "policy": "enforce",
				"rate": "1/s", "remaining": 0.0, "retry_after": retry}},
		},
		{
			name: "weight above the limit",
			limit: func(t *testing.T, obs ratelimit.Observer) *ratelimit.Limiter {
				return newLimiter(t, newMemory(t, true), ratelimit.PerSecond(2), ratelimit.WithObserver(obs))
			},
			n: 3,
			want: []rec{
				{"level": "INFO", "msg": "rate limit exceeded", "limiter": "", "weight": 3.0, "policy": "enforce", "rate": "2/s", "remaining": 2.0},
				{"level": "INFO", "msg": "rate limit exceeded", "limiter": "", "weight": 3.0, "policy": "enforce", "rate": "2/s", "remaining": 2.0},
			},
		},
		{
			name: "dry run",
			limit: func(t *testing.T, obs ratelimit.Observer) *ratelimit.Limiter {
				return newLimiter(t, newMemory(t, true), ratelimit.PerSecond(1), ratelimit.WithName("api"), ratelimit.WithObserver(obs), ratelimit.WithDryRun())
			},
			n: 1,
			want: []rec{{"level": "INFO", "msg": "rate limit would deny", "limiter": "api", "weight": 1.0, "policy": "dry_run",
				"rate": "1/s", "remaining": 0.0, "retry_after": retry}},
		},
		{
			name: "shadow",
			limit: func(t *testing.T, obs ratelimit.Observer) *ratelimit.Limiter {
				shadow := newLimiter(t, newMemory(t, true), ratelimit.PerSecond(1), ratelimit.WithName("next"), ratelimit.WithObserver(obs), ratelimit.WithObservedKeys())
				return newLimiter(t, newMemory(t, true), ratelimit.PerSecond(100), ratelimit.WithName("api"), ratelimit.WithObserver(obs), ratelimit.WithShadow(shadow))
			},
			n: 1,
			want: []rec{{"level": "INFO", "msg": "shadow rate limit would deny", "limiter": "next", "key": "user:42", "weight": 1.0, "policy": "shadow",
				"rate": "1/s", "remaining": 0.0, "retry_after": retry}},
		},
		{
			name: "store failure",
			limit: func(t *testing.T, obs ratelimit.Observer) *ratelimit.Limiter {
				return newLimiter(t, failing{}, ratelimit.PerSecond(1), ratelimit.WithName("api"), ratelimit.WithObserver(obs))
			},
			n: 1,
			want: []rec{
				{"level": "ERROR", "msg": "rate limiter store failed", "limiter": "api", "weight": 1.0, "policy": "enforce", "error": "store down"},
				{"level": "ERROR", "msg": "rate limiter store failed", "limiter": "api", "weight": 1.0, "policy": "enforce", "error": "store down"},
			},
		},
		{
			name: "store failure, fail open",
			limit: func(t *testing.T, obs ratelimit.Observer) *ratelimit.Limiter {
				return newLimiter(t, failing{}, ratelimit.PerSecond(1), ratelimit.WithName("api"), ratelimit.WithObserver(obs), ratelimit.WithFailOpen(), ratelimit.WithObservedKeys())
			},
			n: 1,
			want: []rec{
				{"level": "WARN", "msg": "rate limiter store failed", "limiter": "api", "key": "user:42", "weight": 1.0, "policy": "fail_open", "error": "store down"},
				{"level": "WARN", "msg": "rate limiter store failed", "limiter": "api", "key": "user:42", "weight": 1.0, "policy": "fail_open", "error": "store down"},
			},
		},
		{
			name: "store failure, dry run",
			limit: func(t *testing.T, obs ratelimit.Observer) *ratelimit.Limiter {
				return newLimiter(t, failing{}, ratelimit.PerSecond(1), ratelimit.WithName("api"), ratelimit.WithObserver(obs), ratelimit.WithDryRun())
			},
			n: 1,
			want: []rec{
				{"level": "WARN", "msg": "rate limiter store failed", "limiter": "api", "weight": 1.0, "policy": "fail_open", "error": "store down"},
				{"level": "WARN", "msg": "rate limiter store failed", "limiter": "api", "weight": 1.0, "policy": "fail_open", "error": "store down"},
			},
		},
		{
			name: "rates function failure",
			limit: func(t *testing.T, obs ratelimit.Observer) *ratelimit.Limiter {
				plan := func(context.Context, string) (ratelimit.Rates, error) { return nil, errors.New("no plan") }
				return newLimiter(t, newMemory(t, true), ratelimit.WithRatesFor(plan), ratelimit.WithName("api"), ratelimit.WithObserver(obs))
			},
			n: 1,
			want: []rec{
				{"level": "ERROR", "msg": "rate limiter store failed", "limiter": "api", "weight": 1.0, "policy": "enforce", "error": `ratelimit: rates for key "user:42": no plan`},
				{"level": "ERROR", "msg": "rate limiter store failed", "limiter": "api", "weight": 1.0, "policy": "enforce", "error": `ratelimit: rates for key "user:42": no plan`},
			},
		},
		{
			name: "store failure of a shadow",
			limit: func(t *testing.T, obs ratelimit.Observer) *ratelimit.Limiter {
				shadow := newLimiter(t, failing{}, ratelimit.PerSecond(1), ratelimit.WithName("next"), ratelimit.WithObserver(obs))
				return newLimiter(t, newMemory(t, true), ratelimit.PerSecond(100), ratelimit.WithName("api"), ratelimit.WithObserver(obs), ratelimit.WithShadow(shadow))
			},
			n: 1,
			want: []rec{
				{"level": "WARN", "msg": "rate limiter store failed", "limiter": "next", "weight": 1.0, "policy": "shadow", "error": "store down"},
				{"level": "WARN", "msg": "rate limiter store failed", "limiter": "next", "weight": 1.0, "policy": "shadow", "error": "store down"},
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			logger, out := newJSON(slog.LevelDebug)
			l := c.limit(t, sloglimit.New(logger))
			ctx := t.Context()
			for range 2 {
				_, err := l.AllowN(ctx, "user:42", c.n)
				if err != nil && !errors.Is(err, errDown) && err.Error() != `ratelimit: rates for key "user:42": no plan` {
					t.Fatal(err)
				}
			}
			if got := out.records(t); !reflect.DeepEqual(got, c.want) {
				t.Errorf("records\n%v\nwant\n%v", got, c.want)
			}
		})
	}
}

// One Observer serving several limiters counts their events in one budget.
func TestSharedAcrossLimiters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logger, out := newJSON(slog.LevelInfo)
		obs := sloglimit.New(logger)
		store := newMemory(t, false)
		a := newLimiter(t, store, ratelimit.PerHour(1), ratelimit.WithName("a"), ratelimit.WithPrefix("a:"), ratelimit.WithObserver(obs))
		b := newLimiter(t, store, ratelimit.PerHour(1), ratelimit.WithName("b"), ratelimit.WithPrefix("b:"), ratelimit.WithObserver(obs))
		ctx := t.Context()
		for range 20 {
			a.Allow(ctx, "k")
			b.Allow(ctx, "k")
		}
		// Each limiter allowed its first take: 38 denials, 10 written.
		recs := out.records(t)
		if len(recs) != 10 {
			t.Fatalf("%d records, want 10", len(recs))
		}
		time.Sleep(time.Second)
		b.Allow(ctx, "k")
		if recs := out.records(t); len(recs) != 1 || recs[0]["limiter"] != "b" || recs[0]["suppressed"] != 28.0 {
			t.Errorf("next second: %v, want one record of b with suppressed 28", recs)
		}
	})
}
