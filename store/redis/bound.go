package redisstore

import "context"

// bounded runs call on a goroutine of its own and returns what it returns,
// or ctx's error as soon as ctx is done (at its deadline or a
// cancellation), whichever comes first: a Reset, and a decision under
// WithMaxBatch(1), under a context with a deadline goes through it, so
// that the deadline bounds the call whatever the client's options (a
// batched decision waits on its own channel instead, see batch.go, which
// bounds it the same way). go-redis bounds a command by its
// context only in part: with ContextTimeoutEnabled false (its default) a
// read waits out ReadTimeout (3s) and a new connection DialTimeout (5s),
// whatever the deadline; with it true, a cancellation interrupts no read.
//
// An abandoned call ends with its command, which go-redis no longer
// retries (its backoff returns at once on a done context) and which waits
// for a pool connection no longer than the context: it ends when the
// server answers, at the client's ReadTimeout or DialTimeout, or when the
// client is closed, holding at most one pooled connection until then; so
// there are never more of them than the client's PoolSize. A command the
// server had received may still take effect.
//
// A call under a context without a deadline (see unbounded) runs on the
// caller's goroutine instead, bounded by the client's own timeouts as any
// go-redis command is, a cancellation stopping it between the client's
// steps (a pool wait, a retry): handing a call to another goroutine and
// back costs wakeups that, on a host whose cores the server shares, nearly
// doubled a serial round trip. The callers check before they build call,
// which escapes to the heap.
func bounded[T any](ctx context.Context, call func(context.Context) (T, error)) (T, error) {
	done := ctx.Done()
	if err := ctx.Err(); err != nil {
		var zero T
		return zero, err
	}
	type outcome struct {
		v   T
		err error
	}
	ch := make(chan outcome, 1) // buffered: an abandoned call never blocks
	go func() {
		v, err := call(ctx)
		ch <- outcome{v, err}
	}()
	select {
	case o := <-ch:
		return o.v, o.err
	case <-done:
		select {
		case o := <-ch: // finished too: keep its answer
			return o.v, o.err
		default:
		}
		var zero T
		return zero, ctx.Err()
	}
}

// unbounded reports whether ctx has no deadline, so that a call under it
// runs on the caller's goroutine (see bounded).
func unbounded(ctx context.Context) bool {
	_, ok := ctx.Deadline()
	return !ok
}
