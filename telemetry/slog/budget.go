package sloglimit

import (
	"sync"
	"sync/atomic"
	"time"
)

// budget admits at most limit events per window of interval, each window
// starting with the first event after the previous one ended, and counts
// the events it drops. Admitting and dropping take no lock: a window is
// replaced, under mu, only once it has ended.
type budget struct {
	limit    int64
	interval time.Duration
	win      atomic.Pointer[window] // nil before the first event
	mu       sync.Mutex             // held to replace win
	_        [64]byte               // keeps win, read by every event, off dropped's cache line
	dropped  atomic.Int64           // events dropped since the last admitted one
}

// window is one window of a budget: its start, as time since the Observer's
// origin, and the events counted in it (admitted or not: n may pass limit).
type window struct {
	start time.Duration
	n     atomic.Int64
}

// take counts an event at now. It reports whether the event is admitted
// and, if it is, how many events were dropped since the previous admitted
// one. A dropped event does not allocate.
func (b *budget) take(now time.Duration) (suppressed int64, ok bool) {
	w := b.win.Load()
	if w == nil || now-w.start >= b.interval {
		w = b.next(now)
	}
	// Load before Add, so that a flood of dropped events only reads w.
	if w.n.Load() >= b.limit || w.n.Add(1) > b.limit {
		b.dropped.Add(1)
		return 0, false
	}
	return b.dropped.Swap(0), true
}

// next returns the window of an event at now, starting one if the current
// window has ended. A caller that read the clock before another started the
// current window (now before its start) counts in that window.
func (b *budget) next(now time.Duration) *window {
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.win.Load()
	if w == nil || now-w.start >= b.interval {
		w = &window{start: now}
		b.win.Store(w)
	}
	return w
}
