package ratelimit

import "context"

// Wrap returns fn guarded by l: each call first waits for weight units under
// key (as [Limiter.WaitN]) and runs fn only once they are admitted. A wait
// that fails returns its error and never runs fn.
func Wrap(l *Limiter, key string, weight int64, fn func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		if _, err := l.WaitN(ctx, key, weight); err != nil {
			return err
		}
		return fn(ctx)
	}
}

// WrapValue is [Wrap] for functions that return a value. When the wait fails
// it returns T's zero value and the error, without running fn.
func WrapValue[T any](l *Limiter, key string, weight int64, fn func(context.Context) (T, error)) func(context.Context) (T, error) {
	return func(ctx context.Context) (T, error) {
		if _, err := l.WaitN(ctx, key, weight); err != nil {
			var zero T
			return zero, err
		}
		return fn(ctx)
	}
}
