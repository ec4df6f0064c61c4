package sloglimit_test

import (
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorate/ratelimit"
	sloglimit "github.com/gorate/ratelimit/telemetry/slog"
)

var failure = ratelimit.Event{Limiter: "api", Weight: 1, Err: errDown}

// 10,000 denials in one second through a real limiter give the default 10
// records; the first record of the next second counts the 9,990 others.
func TestFlood(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logger, out := newJSON(slog.LevelInfo)
		obs := sloglimit.New(logger)
		l := newLimiter(t, newMemory(t, false), ratelimit.PerHour(1), ratelimit.WithObserver(obs))
		ctx := t.Context()
		if d, err := l.Allow(ctx, "k"); err != nil || !d.Allowed {
			t.Fatalf("first take: %v, %v", d, err)
		}
		start := time.Now()
		for range 10_000 {
			if d, err := l.Allow(ctx, "k"); err != nil || d.Allowed {
				t.Fatalf("take after the first: %v, %v", d, err)
			}
			time.Sleep(100 * time.Microsecond)
		}
		if d := time.Since(start); d != time.Second {
			t.Fatalf("the flood took %s, want 1s", d)
		}
		recs := out.records(t)
		if len(recs) != 10 {
			t.Fatalf("%d records in the first second, want 10", len(recs))
		}
		for i, r := range recs {
			if _, ok := r["suppressed"]; ok {
				t.Errorf("record %d of the first second has suppressed=%v", i, r["suppressed"])
			}
		}
		for range 2 {
			l.Allow(ctx, "k")
		}
		recs = out.records(t)
		if len(recs) != 2 || recs[0]["suppressed"] != 9990.0 {
			t.Fatalf("next second: %v, want 2 records, the first with suppressed 9990", recs)
		}
		if _, ok := recs[1]["suppressed"]; ok {
			t.Errorf("the second record of the next second has suppressed=%v", recs[1]["suppressed"])
		}
	})
}

// A window is WithRate's interval long and starts with the first event
// after the previous one ended.
func TestWindows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logger, h := newCapture(slog.LevelInfo)
		obs := sloglimit.New(logger, sloglimit.WithRate(ratelimit.PerMinute(2)))
		ctx := t.Context()
		deny := ratelimit.Event{Decision: denial}
		// At each step, after sleeping, one denial: was it written, with
		// what suppressed?
		for i, step := range []struct {
			sleep      time.Duration
			written    bool
			suppressed int64
		}{
			{0, true, 0},                       // 0: opens a window [0, 60s)
			{10 * time.Second, true, 0},        // 10s
			{10 * time.Second, false, 0},       // 20s: third in the window
			{39 * time.Second, false, 0},       // 59s
			{999 * time.Millisecond, false, 0}, // 59.999s
			{time.Millisecond, true, 3},        // 60s: opens [60s, 120s)
			{70 * time.Second, true, 0},        // 130s: opens [130s, 190s)
			{59 * time.Second, true, 0},        // 189s
			{0, false, 0},                      // 189s
			{time.Second, true, 1},             // 190s: opens [190s, 250s)
		} {
			time.Sleep(step.sleep)
			obs.Observe(ctx, deny)
			recs := h.records()
			if len(recs) != map[bool]int{true: 1}[step.written] {
				t.Fatalf("step %d: %d records, want written=%v", i, len(recs), step.written)
			}
			if step.written {
				if got := suppressedOf(recs[0]); got != step.suppressed {
					t.Errorf("step %d: suppressed %d, want %d", i, got, step.suppressed)
				}
			}
		}
	})
}

// Failures and denials have a budget each: a flood of denials does not hide
// a failure, and each kind's suppressed counts its own kind.
func TestBudgets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logger, h := newCapture(slog.LevelInfo)
		obs := sloglimit.New(logger)
		ctx := t.Context()
		deny := ratelimit.Event{Decision: denial}
		for range 100 {
			obs.Observe(ctx, deny)
		}
		for range 30 {
			obs.Observe(ctx, failure)
		}
		recs := h.records()
		if n, f := count(recs, "rate limit exceeded"), count(recs, "rate limiter store failed"); n != 10 || f != 10 {
			t.Fatalf("%d denial and %d failure records, want 10 of each", n, f)
		}
		time.Sleep(time.Second)
		obs.Observe(ctx, failure)
		obs.Observe(ctx, deny)
		recs = h.records()
		if len(recs) != 2 || suppressedOf(recs[0]) != 20 || suppressedOf(recs[1]) != 90 {
			t.Errorf("next second: %d records, suppressed %v; want a failure with 20 and a denial with 90", len(recs), recs)
		}
	})
}

func count(recs []slog.Record, msg string) int {
	n := 0
	for _, r := range recs {
		if r.Message == msg {
			n++
		}
	}
	return n
}

// Events at a level the logger does not enable are neither written nor
// counted.
func TestDisabledLevel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var level slog.LevelVar
		level.Set(slog.LevelError)
		logger, h := newCapture(&level)
		obs := sloglimit.New(logger)
		ctx := t.Context()
		deny := ratelimit.Event{Decision: denial}
		for range 100 {
			obs.Observe(ctx, deny)
		}
		if recs := h.records(); len(recs) != 0 {
			t.Fatalf("%d records at a disabled level", len(recs))
		}
		level.Set(slog.LevelInfo)
		for range 10 {
			obs.Observe(ctx, deny)
		}
		time.Sleep(time.Second)
		obs.Observe(ctx, deny)
		recs := h.records()
		if len(recs) != 11 {
			t.Fatalf("%d records once enabled, want 11", len(recs))
		}
		for i, r := range recs {
			if s := suppressedOf(r); s != 0 {
				t.Errorf("record %d has suppressed %d, want none", i, s)
			}
		}
	})
}

// Under concurrent events, a window writes exactly its limit, and every
// dropped event is counted once by a later record.
func TestConcurrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logger, h := newCapture(slog.LevelInfo)
		obs := sloglimit.New(logger)
		ctx := t.Context()
		deny := ratelimit.Event{Decision: denial}
		const goroutines, each = 8, 1000
		var wg sync.WaitGroup
		for range goroutines {
			wg.Go(func() {
				for range each {
					obs.Observe(ctx, deny)
				}
			})
		}
		wg.Wait()
		written := h.records()
		if len(written) != 10 {
			t.Fatalf("%d records in one window, want 10", len(written))
		}
		time.Sleep(time.Second)
		obs.Observe(ctx, deny)
		written = append(written, h.records()...)
		var suppressed int64
		for _, r := range written {
			suppressed += suppressedOf(r)
		}
		if suppressed != goroutines*each-10 {
			t.Errorf("records count %d suppressed, want %d", suppressed, goroutines*each-10)
		}
	})
}

// Events spread over many windows from many goroutines: every event is
// written or counted once.
func TestConcurrentWindows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logger, h := newCapture(slog.LevelInfo)
		obs := sloglimit.New(logger, sloglimit.WithRate(ratelimit.Rate{Limit: 3, Interval: 250 * time.Millisecond}))
		ctx := t.Context()
		deny := ratelimit.Event{Decision: denial}
		const goroutines, each = 8, 1000
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				for i := range each {
					obs.Observe(ctx, deny)
					if i%(10+g) == 0 {
						time.Sleep(time.Duration(10+g) * time.Millisecond)
					}
				}
			})
		}
		wg.Wait()
		time.Sleep(time.Second)
		obs.Observe(ctx, deny)
		recs := h.records()
		total := int64(len(recs))
		for _, r := range recs {
			total += suppressedOf(r)
		}
		if total != goroutines*each+1 {
			t.Errorf("written plus suppressed = %d, want %d", total, goroutines*each+1)
		}
	})
}

// A dropped event and an event at a disabled level do not allocate.
func TestAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	ctx := t.Context()
	deny := ratelimit.Event{Limiter: "api", Key: "k", Weight: 1, Decision: denial}
	dropping := sloglimit.New(slog.New(slog.NewJSONHandler(discard{}, nil)), sloglimit.WithRate(ratelimit.PerHour(1)))
	dropping.Observe(ctx, deny)
	dropping.Observe(ctx, failure)
	disabled := sloglimit.New(slog.New(slog.NewJSONHandler(discard{}, &slog.HandlerOptions{Level: slog.LevelError + 1})))
	for _, c := range []struct {
		name string
		obs  *sloglimit.Observer
		e    ratelimit.Event
	}{
		{"dropped denial", dropping, deny},
		{"dropped failure", dropping, failure},
		{"disabled denial", disabled, deny},
		{"disabled failure", disabled, failure},
		{"allowed", disabled, ratelimit.Event{Decision: allow}},
	} {
		if n := testing.AllocsPerRun(1000, func() { c.obs.Observe(ctx, c.e) }); n != 0 {
			t.Errorf("%s: %v allocations, want 0", c.name, n)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
