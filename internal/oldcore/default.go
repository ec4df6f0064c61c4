package ratelimit

import (
	"context"
	"sync/atomic"
)

// defaultLimiter is the process-wide limiter of SetDefault, the package's one
// piece of global state.
var defaultLimiter atomic.Pointer[Limiter]

// SetDefault makes l the process-wide default limiter, for code that cannot
// be passed one (PyrateLimiter's init_global_limiter); nil clears it. It does
// not close the previous default. Safe for concurrent use.
func SetDefault(l *Limiter) { defaultLimiter.Store(l) }

// Default returns the limiter set by [SetDefault], or nil if none is set.
func Default() *Limiter { return defaultLimiter.Load() }

// AllowN calls [Limiter.AllowN] on the default limiter, or returns an error
// wrapping [ErrNoDefault] when none is set.
func AllowN(ctx context.Context, name string, n int64) (Decision, error) {
	l := Default()
	if l == nil {
		return Decision{}, ErrNoDefault
	}
	return l.AllowN(ctx, name, n)
}

// WaitN calls [Limiter.WaitN] on the default limiter, or returns an error
// wrapping [ErrNoDefault] when none is set.
func WaitN(ctx context.Context, name string, n int64) (Decision, error) {
	l := Default()
	if l == nil {
		return Decision{}, ErrNoDefault
	}
	return l.WaitN(ctx, name, n)
}
