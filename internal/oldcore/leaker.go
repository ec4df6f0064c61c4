package ratelimit

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sync"
	"time"
)

// Leakable is what a [Leaker] needs of what it leaks: a clock and a leak at a
// reading of it. Every [Bucket] is one; so is a keyed store whose Leak covers
// all its names at once.
type Leakable interface {
	Now(ctx context.Context) (int64, error)
	Leak(ctx context.Context, now int64) (int64, error)
}

// Leaker leaks registered buckets (or any [Leakable]) in the background:
// every interval it reads each one's clock and removes the units older than
// its largest interval.
// Leaking only bounds memory; decisions never depend on it.
//
// One goroutine runs while at least one bucket is registered; Close stops it
// and waits for it to return. A failed leak is passed to the error handler and
// the leaker goes on; a bucket closed meanwhile is skipped silently. A
// Leaker is safe for concurrent use.
type Leaker struct {
	interval time.Duration
	onError  func(Leakable, error)

	mu      sync.Mutex
	buckets []Leakable
	cancel  context.CancelFunc // stops the running goroutine; nil when none runs
	done    chan struct{}      // closed when the running goroutine returns
	closed  bool
}

// NewLeaker returns a Leaker that leaks every interval and reports failures to
// onError (which may be nil to ignore them). A non-positive interval is an
// error wrapping [ErrInvalidArgument].
func NewLeaker(interval time.Duration, onError func(Leakable, error)) (*Leaker, error) {
	if interval <= 0 {
		return nil, errorf(ErrInvalidArgument, "leak interval %s must be positive", interval)
	}
	if onError == nil {
		onError = func(Leakable, error) {}
	}
	return &Leaker{interval: interval, onError: onError}, nil
}

// Register adds b and starts the goroutine if it is not running. b must be
// comparable (a pointer, typically): Unregister finds it by ==. It returns an
// error wrapping [ErrInvalidArgument] for a nil or incomparable bucket and
// [ErrClosed] after Close.
func (l *Leaker) Register(b Leakable) error {
	if b == nil || !reflect.TypeOf(b).Comparable() {
		return errorf(ErrInvalidArgument, "leaker needs a comparable bucket, got %T", b)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return errorf(ErrClosed, "leaker")
	}
	if !slices.Contains(l.buckets, b) {
		l.buckets = append(l.buckets, b)
	}
	if l.cancel == nil {
		ctx, cancel := context.WithCancel(context.Background())
		l.cancel, l.done = cancel, make(chan struct{})
		go l.run(ctx, l.done)
	}
	return nil
}

// Unregister removes b and reports whether it was registered. The goroutine
// stops when no bucket is left.
func (l *Leaker) Unregister(b Leakable) bool {
	if b == nil || !reflect.TypeOf(b).Comparable() {
		return false
	}
	l.mu.Lock()
	i := slices.Index(l.buckets, b)
	if i >= 0 {
		l.buckets = slices.Delete(l.buckets, i, i+1)
	}
	stop := len(l.buckets) == 0
	l.mu.Unlock()
	if stop {
		l.stop()
	}
	return i >= 0
}

// Buckets returns what is registered.
func (l *Leaker) Buckets() []Leakable {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.buckets)
}

// Close unregisters every bucket (without closing them), stops the goroutine
// and waits for it to return. It is idempotent and always returns nil.
func (l *Leaker) Close() error {
	l.mu.Lock()
	l.closed = true
	l.buckets = nil
	l.mu.Unlock()
	l.stop()
	return nil
}

func (l *Leaker) stop() {
	l.mu.Lock()
	cancel, done := l.cancel, l.done
	if len(l.buckets) > 0 && !l.closed {
		cancel = nil // a bucket was registered again meanwhile
	} else {
		l.cancel, l.done = nil, nil
	}
	l.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

func (l *Leaker) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(l.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, b := range l.Buckets() {
			if err := leakOnce(ctx, b); err != nil && ctx.Err() == nil && !errors.Is(err, ErrClosed) {
				l.onError(b, err)
			}
		}
	}
}

func leakOnce(ctx context.Context, b Leakable) error {
	now, err := b.Now(ctx)
	if err != nil {
		return err
	}
	_, err = b.Leak(ctx, now)
	return err
}
