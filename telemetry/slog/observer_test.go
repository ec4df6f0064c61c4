package sloglimit_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	sloglimit "github.com/gorate/ratelimit/telemetry/slog"
)

var (
	denial = ratelimit.Decision{Rate: ratelimit.PerSecond(10), Remaining: 1, RetryAfter: 250 * time.Millisecond, ResetAfter: time.Second}
	never  = ratelimit.Decision{Rate: ratelimit.PerSecond(10), Remaining: 10, RetryAfter: ratelimit.Never, ResetAfter: time.Second}
	allow  = ratelimit.Decision{Allowed: true, Rate: ratelimit.PerSecond(10), Remaining: 3, ResetAfter: time.Second}
)

func TestRecords(t *testing.T) {
	for _, c := range []struct {
		name  string
		e     ratelimit.Event
		level slog.Level
		msg   string // "" for no record
		attrs []slog.Attr
	}{
		{
			name:  "failure returned",
			e:     ratelimit.Event{Limiter: "api", Weight: 1, Policy: ratelimit.Enforce, Err: errDown, Latency: time.Millisecond},
			level: slog.LevelError, msg: "rate limiter store failed",
			attrs: []slog.Attr{slog.String("limiter", "api"), slog.Int64("weight", 1), slog.String("policy", "enforce"), slog.Any("error", errDown)},
		},
		{
			name:  "failure admitted",
			e:     ratelimit.Event{Limiter: "api", Key: "user:42", Weight: 2, Policy: ratelimit.FailOpen, Err: errDown},
			level: slog.LevelWarn, msg: "rate limiter store failed",
			attrs: []slog.Attr{slog.String("limiter", "api"), slog.String("key", "user:42"), slog.Int64("weight", 2), slog.String("policy", "fail_open"), slog.Any("error", errDown)},
		},
		{
			name:  "failure of a shadow",
			e:     ratelimit.Event{Limiter: "next", Weight: 1, Policy: ratelimit.Shadow, Err: errDown},
			level: slog.LevelWarn, msg: "rate limiter store failed",
			attrs: []slog.Attr{slog.String("limiter", "next"), slog.Int64("weight", 1), slog.String("policy", "shadow"), slog.Any("error", errDown)},
		},
		{
			name:  "denial",
			e:     ratelimit.Event{Limiter: "api", Key: "user:42", Weight: 3, Decision: denial, Policy: ratelimit.Enforce},
			level: slog.LevelInfo, msg: "rate limit exceeded",
			attrs: []slog.Attr{slog.String("limiter", "api"), slog.String("key", "user:42"), slog.Int64("weight", 3), slog.String("policy", "enforce"), slog.String("rate", "10/s"), slog.Int64("remaining", 1), slog.Duration("retry_after", 250*time.Millisecond)},
		},
		{
			name:  "denial without key or name",
			e:     ratelimit.Event{Weight: 1, Decision: denial, Policy: ratelimit.Enforce},
			level: slog.LevelInfo, msg: "rate limit exceeded",
			attrs: []slog.Attr{slog.String("limiter", ""), slog.Int64("weight", 1), slog.String("policy", "enforce"), slog.String("rate", "10/s"), slog.Int64("remaining", 1), slog.Duration("retry_after", 250*time.Millisecond)},
		},
		{
			name:  "denial never",
			e:     ratelimit.Event{Limiter: "api", Weight: 11, Decision: never, Policy: ratelimit.Enforce},
			level: slog.LevelInfo, msg: "rate limit exceeded",
			attrs: []slog.Attr{slog.String("limiter", "api"), slog.Int64("weight", 11), slog.String("policy", "enforce"), slog.String("rate", "10/s"), slog.Int64("remaining", 10)},
		},
		{
			name:  "dry run",
			e:     ratelimit.Event{Limiter: "api", Weight: 1, Decision: denial, Policy: ratelimit.DryRun},
			level: slog.LevelInfo, msg: "rate limit would deny",
			attrs: []slog.Attr{slog.String("limiter", "api"), slog.Int64("weight", 1), slog.String("policy", "dry_run"), slog.String("rate", "10/s"), slog.Int64("remaining", 1), slog.Duration("retry_after", 250*time.Millisecond)},
		},
		{
			name:  "shadow",
			e:     ratelimit.Event{Limiter: "next", Weight: 1, Decision: denial, Policy: ratelimit.Shadow},
			level: slog.LevelInfo, msg: "shadow rate limit would deny",
			attrs: []slog.Attr{slog.String("limiter", "next"), slog.Int64("weight", 1), slog.String("policy", "shadow"), slog.String("rate", "10/s"), slog.Int64("remaining", 1), slog.Duration("retry_after", 250*time.Millisecond)},
		},
		{name: "allowed", e: ratelimit.Event{Limiter: "api", Weight: 1, Decision: allow, Policy: ratelimit.Enforce}},
		{name: "allowed dry run", e: ratelimit.Event{Limiter: "api", Weight: 1, Decision: allow, Policy: ratelimit.DryRun}},
		{name: "allowed shadow", e: ratelimit.Event{Limiter: "api", Weight: 1, Decision: allow, Policy: ratelimit.Shadow}},
	} {
		t.Run(c.name, func(t *testing.T) {
			logger, h := newCapture(slog.LevelDebug)
			sloglimit.New(logger).Observe(t.Context(), c.e)
			recs := h.records()
			if c.msg == "" {
				if len(recs) != 0 {
					t.Fatalf("got %d records, want none", len(recs))
				}
				return
			}
			if len(recs) != 1 {
				t.Fatalf("got %d records, want 1", len(recs))
			}
			r := recs[0]
			if r.Level != c.level || r.Message != c.msg {
				t.Errorf("got %s %q, want %s %q", r.Level, r.Message, c.level, c.msg)
			}
			got := attrsOf(r)
			if len(got) != len(c.attrs) {
				t.Fatalf("attributes %v, want %v", got, c.attrs)
			}
			for i := range got {
				if !got[i].Equal(c.attrs[i]) || got[i].Value.Kind() != c.attrs[i].Value.Kind() {
					t.Errorf("attribute %d is %v (%s), want %v (%s)", i, got[i], got[i].Value.Kind(), c.attrs[i], c.attrs[i].Value.Kind())
				}
			}
		})
	}
}

// The handler gets the limiter call's context, in Enabled and in Handle.
func TestContext(t *testing.T) {
	h := &ctxCapture{}
	obs := sloglimit.New(slog.New(h))
	ctx := context.WithValue(t.Context(), ctxKey{}, "request 7")
	obs.Observe(ctx, ratelimit.Event{Decision: denial})
	if h.handled != 1 || len(h.values) < 2 {
		t.Fatalf("%d records, %d contexts seen; want 1 record", h.handled, len(h.values))
	}
	for _, v := range h.values {
		if v != "request 7" {
			t.Errorf("the handler saw a context without the caller's value: %v", h.values)
		}
	}
}

type ctxKey struct{}

// ctxCapture records the value under ctxKey of every context it is given.
type ctxCapture struct {
	values  []any
	handled int
}

func (h *ctxCapture) Enabled(ctx context.Context, _ slog.Level) bool {
	h.values = append(h.values, ctx.Value(ctxKey{}))
	return true
}

func (h *ctxCapture) Handle(ctx context.Context, _ slog.Record) error {
	h.values = append(h.values, ctx.Value(ctxKey{}))
	h.handled++
	return nil
}

func (h *ctxCapture) WithAttrs([]slog.Attr) slog.Handler { panic("not used") }
func (h *ctxCapture) WithGroup(string) slog.Handler      { panic("not used") }

// A nil logger is slog.Default() as it is when New is called.
func TestNilLogger(t *testing.T) {
	old := slog.Default()
	t.Cleanup(func() { slog.SetDefault(old) })
	first, h1 := newCapture(slog.LevelInfo)
	slog.SetDefault(first)
	obs := sloglimit.New(nil)
	second, h2 := newCapture(slog.LevelInfo)
	slog.SetDefault(second)
	obs.Observe(t.Context(), ratelimit.Event{Decision: denial})
	if n1, n2 := len(h1.records()), len(h2.records()); n1 != 1 || n2 != 0 {
		t.Errorf("the default at New got %d records and the later default %d, want 1 and 0", n1, n2)
	}
}

func TestWithRateInvalid(t *testing.T) {
	for _, r := range []ratelimit.Rate{{}, {Limit: -1, Interval: time.Second}, {Limit: 1}, {Limit: 1, Interval: time.Microsecond}} {
		t.Run(r.String(), func(t *testing.T) {
			defer func() {
				p := recover()
				if p == nil {
					t.Fatal("New did not panic")
				}
				if s := fmt.Sprint(p); !strings.Contains(s, "sloglimit: WithRate") || !strings.Contains(s, r.String()) {
					t.Errorf("panic %q does not name the option and the rate %s", s, r)
				}
			}()
			sloglimit.New(slog.New(slog.DiscardHandler), sloglimit.WithRate(r))
		})
	}
}
