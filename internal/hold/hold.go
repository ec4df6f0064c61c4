// Package hold holds back the keys of outbound calls that a server asked
// the client to delay, for httplimit's Transport and grpclimit's Client.
package hold

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorate/ratelimit"
)

// Max caps a hold: a server that asks for a longer delay is held back for
// a day.
const Max = 24 * time.Hour

// sweepAt is the number of local holds from which Hold drops the passed
// ones: the map holds at most twice the keys held back at once, plus this.
const sweepAt = 1024

// Holds holds back keys: through its limiter's store when the limiter
// keeps blocks ([ratelimit.Limiter.Block]), so that every process sharing
// the store holds back together and the limiter's waits see the holds, and
// in this process otherwise. It is safe for concurrent use; make it with
// [New].
type Holds struct {
	// Now is the clock of local holds (time.Now; deadlines are read on
	// the real clock); tests may set it before the first call.
	Now func() time.Time

	l *ratelimit.Limiter

	mu    sync.Mutex
	local map[string]time.Time // the end of each key's local hold
	sweep int                  // the size of local from which Hold sweeps it
	// held is len(local), written under mu: Wait reads it without the
	// lock, so that a client whose holds all live in the store, or that
	// holds nothing, waits on no lock.
	held atomic.Int64
}

// New returns Holds over l; with a nil l every hold is local.
func New(l *ratelimit.Limiter) *Holds {
	return &Holds{Now: time.Now, l: l, local: make(map[string]time.Time), sweep: sweepAt}
}

// Hold holds key back for d (at most [Max]; nothing when d is not above 0):
// in the limiter's store, unless the limiter cannot block keys or its
// store fails the call, and then in this process, until the later of the
// hold and any there. ctx bounds the store's call.
func (h *Holds) Hold(ctx context.Context, key string, d time.Duration) {
	if d <= 0 {
		return
	}
	d = min(d, Max)
	if h.l != nil && h.l.Block(ctx, key, d) == nil {
		return
	}
	now := h.Now()
	until := now.Add(d)
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.local) >= h.sweep {
		for k, t := range h.local {
			if !now.Before(t) {
				delete(h.local, k)
			}
		}
		h.sweep = max(sweepAt, 2*len(h.local))
	}
	if cur, ok := h.local[key]; !ok || cur.Before(until) {
		h.local[key] = until
	}
	h.held.Store(int64(len(h.local)))
}

// Wait waits until key's local hold has passed, bounded by ctx: it fails
// at once with an error wrapping [ratelimit.ErrWaitTooLong] when ctx's deadline comes
// before, and with ctx's cause when ctx ends. Holds kept in the limiter's
// store are the limiter's to wait for.
func (h *Holds) Wait(ctx context.Context, key string) error {
	if h.held.Load() == 0 {
		return nil
	}
	h.mu.Lock()
	until, held := h.local[key]
	var now time.Time
	if held {
		if now = h.Now(); !now.Before(until) {
			delete(h.local, key)
			h.held.Store(int64(len(h.local)))
			held = false
		}
	}
	h.mu.Unlock()
	if !held {
		return nil
	}
	wait := until.Sub(now)
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
		return fmt.Errorf("%q held back by the server for %v more, past the deadline: %w", key, wait, ratelimit.ErrWaitTooLong)
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Len returns the number of keys held back locally, passed holds not yet
// dropped included.
func (h *Holds) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.local)
}
