package sloglimit_test

import (
	"errors"
	"log/slog"
	"testing"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/store/fallback"
	sloglimit "github.com/gorate/ratelimit/telemetry/slog"
)

// A fallback store's switch to local is a WARN with the error, its return
// an INFO; both carry the store's name and policy fallback, and are written
// outside the budgets.
func TestFallbackSwitches(t *testing.T) {
	logger, h := newCapture(slog.LevelInfo)
	o := sloglimit.New(logger, sloglimit.WithRate(ratelimit.PerMinute(1)))
	errDown := errors.New("dial tcp: connection refused")
	for range 5 {
		o.Observe(t.Context(), ratelimit.Event{Limiter: "redis", Policy: ratelimit.Fallback, Err: errDown})
		o.Observe(t.Context(), ratelimit.Event{Limiter: "redis", Policy: ratelimit.Fallback})
	}
	recs := h.records()
	if len(recs) != 10 {
		t.Fatalf("%d records, want all 10 switches", len(recs))
	}
	for i, r := range recs {
		want := []slog.Attr{slog.String("limiter", "redis"), slog.String("policy", "fallback")}
		level, msg := slog.LevelInfo, "rate limiter store back on its primary"
		if i%2 == 0 {
			level, msg = slog.LevelWarn, "rate limiter store switched to local limits"
			want = append(want, slog.Any("error", errDown))
		}
		got := attrsOf(r)
		if r.Level != level || r.Message != msg || len(got) != len(want) {
			t.Fatalf("record %d: %v %q %v; want %v %q %v", i, r.Level, r.Message, got, level, msg, want)
		}
		for j := range want {
			if !got[j].Equal(want[j]) {
				t.Errorf("record %d attribute %d = %v, want %v", i, j, got[j], want[j])
			}
		}
	}
	// A disabled level writes nothing.
	logger, h = newCapture(slog.LevelError)
	o = sloglimit.New(logger)
	o.Observe(t.Context(), ratelimit.Event{Limiter: "redis", Policy: ratelimit.Fallback, Err: errDown})
	o.Observe(t.Context(), ratelimit.Event{Limiter: "redis", Policy: ratelimit.Fallback})
	if n := len(h.records()); n != 0 {
		t.Errorf("%d records at level ERROR, want 0", n)
	}
}

// One Observer given to a fallback store and to the limiter above it logs
// the switch once and the local denials as the limiter's, and no failure.
func TestFallbackStore(t *testing.T) {
	logger, h := newCapture(slog.LevelInfo)
	o := sloglimit.New(logger)
	s, err := fallback.New(failing{}, 2, fallback.WithName("redis"), fallback.WithObserver(o))
	if err != nil {
		t.Fatal(err)
	}
	l, err := ratelimit.New(s, ratelimit.PerSecond(4), ratelimit.WithName("api"), ratelimit.WithObserver(o))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := l.Allow(t.Context(), "k"); err != nil {
			t.Fatal(err)
		}
	}
	recs := h.records()
	if len(recs) != 2 || recs[0].Message != "rate limiter store switched to local limits" || recs[1].Message != "rate limit exceeded" {
		t.Fatalf("records %v, want the switch then one denial", recs)
	}
}
