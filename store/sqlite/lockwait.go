package sqlitestore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Pauses of a lockWait: the first is about minLockPause, each next one
// twice the last, up to maxLockPause; each is drawn at random from its upper
// half, so that processes waiting for one lock do not retry in step.
const (
	minLockPause = time.Millisecond
	maxLockPause = 16 * time.Millisecond
)

// lockWait paces the attempts of a call that finds the database locked by
// another connection. SQLite's own busy handler sleeps through a cancelled
// context (an interrupt does not end its wait), so a session runs with
// busy_timeout 0 and waits here instead, between attempts: for at most
// budget from the first busy attempt in all, and never past the end of the
// call's context. A lockWait is used by one goroutine; the zero value waits
// for nothing.
type lockWait struct {
	budget time.Duration
	start  time.Time     // of the wait: set by the first pause
	last   time.Duration // the last pause
}

// next decides after an attempt that failed with err. If err is SQLite's
// busy error, it waits before the next attempt and returns nil when the
// call should try again, err itself when the budget is spent, and err with
// the context's cause (wrapping both) when the context ends first. Any
// other error, or one that already gave up on the context, it returns as
// it is.
func (w *lockWait) next(ctx context.Context, err error) error {
	if !isBusy(err) || (ctx.Err() != nil && errors.Is(err, context.Cause(ctx))) {
		return err
	}
	return w.pause(ctx, err)
}

// retry calls fn until it succeeds or reports a broken connection, pausing
// between attempts as next says, and returns what fn last returned, or the
// error next gave up with.
func (w *lockWait) retry(ctx context.Context, fn func() (broken bool, err error)) (bool, error) {
	for {
		broken, err := fn()
		if broken || err == nil {
			return broken, err
		}
		if err = w.next(ctx, err); err != nil {
			return false, err
		}
	}
}

func (w *lockWait) pause(ctx context.Context, busy error) error {
	if w.start.IsZero() {
		w.start = time.Now()
	}
	waited := time.Since(w.start)
	if ctx.Err() != nil {
		return gaveUp(ctx, busy, waited)
	}
	left := w.budget - waited
	if left <= 0 {
		return busy
	}
	w.last = min(max(2*w.last, minLockPause), maxLockPause)
	d := min(w.last/2+rand.N(w.last/2+1), left)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return gaveUp(ctx, busy, time.Since(w.start))
	case <-t.C:
		return nil
	}
}

// gaveUp is the error of a call whose context ended while it waited for
// the lock.
func gaveUp(ctx context.Context, busy error, waited time.Duration) error {
	return fmt.Errorf("%w; gave up after waiting %v for the lock: %w", busy, waited.Round(time.Millisecond), context.Cause(ctx))
}
