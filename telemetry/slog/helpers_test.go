package sloglimit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"testing"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// capture is a slog.Handler that keeps every record it is given.
type capture struct {
	level slog.Leveler
	mu    sync.Mutex
	recs  []slog.Record
}

func (h *capture) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

func (h *capture) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, r.Clone())
	return nil
}

func (h *capture) WithAttrs([]slog.Attr) slog.Handler { panic("not used") }
func (h *capture) WithGroup(string) slog.Handler      { panic("not used") }

// records returns the records kept so far and forgets them.
func (h *capture) records() []slog.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.recs
	h.recs = nil
	return r
}

// newCapture returns a logger enabled from level on and its handler.
func newCapture(level slog.Leveler) (*slog.Logger, *capture) {
	h := &capture{level: level}
	return slog.New(h), h
}

func attrsOf(r slog.Record) []slog.Attr {
	var as []slog.Attr
	r.Attrs(func(a slog.Attr) bool {
		as = append(as, a)
		return true
	})
	return as
}

// suppressedOf returns the record's suppressed attribute, 0 when absent.
func suppressedOf(r slog.Record) int64 {
	var n int64
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "suppressed" {
			n = a.Value.Int64()
		}
		return true
	})
	return n
}

// jsonLog is a logger writing JSON lines without time into a buffer.
type jsonLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *jsonLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func newJSON(level slog.Leveler) (*slog.Logger, *jsonLog) {
	out := &jsonLog{}
	h := slog.NewJSONHandler(out, &slog.HandlerOptions{Level: level, ReplaceAttr: dropTime})
	return slog.New(h), out
}

func dropTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 {
		return slog.Attr{}
	}
	return a
}

// records parses the lines written so far and forgets them.
func (l *jsonLog) records(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var recs []map[string]any
	dec := json.NewDecoder(&l.buf)
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("bad JSON log line: %v", err)
		}
		recs = append(recs, m)
	}
	l.buf.Reset()
	return recs
}

// failing is a store whose every take fails.
type failing struct{}

var errDown = errors.New("store down")

func (failing) Take(context.Context, string, ratelimit.Rates, int64) (ratelimit.Decision, error) {
	return ratelimit.Decision{}, errDown
}

// newMemory returns a memory store on a fake clock reading 0 when clock is
// true, on the monotonic clock otherwise.
func newMemory(t *testing.T, fake bool) *memorystore.Store {
	t.Helper()
	var opts []memorystore.Option
	if fake {
		opts = append(opts, memorystore.WithClock(core.NewFakeClock(0)))
	}
	s, err := memorystore.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newLimiter(t *testing.T, s ratelimit.Store, opts ...ratelimit.Option) *ratelimit.Limiter {
	t.Helper()
	l, err := ratelimit.New(s, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}
