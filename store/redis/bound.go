package redisstore

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// bounded returns what call returns, or ctx's error as soon as ctx is done,
// whichever comes first, when ctx has a deadline: every call to the server
// goes through it, so that the deadline bounds the call whatever the
// client's options. go-redis bounds a command by its context only in part:
// with ContextTimeoutEnabled false (its default) a read waits out
// ReadTimeout (3s) and a new connection DialTimeout (5s), whatever the
// deadline; with it true, a cancellation interrupts no read.
//
// So under a deadline, call runs on a goroutine of its own, abandoned if
// ctx ends first (at the deadline or a cancellation). An abandoned call
// ends with its command, which go-redis no longer retries (its backoff
// returns at once on a done context) and which waits for a pool connection
// no longer than the context: it ends when the server answers, at the
// client's ReadTimeout or DialTimeout, or when the client is closed,
// holding at most one pooled connection until then; so there are never
// more of them than the client's PoolSize. A command the server had
// received may still take effect.
//
// Without a deadline, call runs on the caller's goroutine, bounded by the
// client's own timeouts as any go-redis command is, a cancellation
// stopping it between the client's steps (a pool wait, a retry): handing a
// call to another goroutine and back costs wakeups that, on a host whose
// cores the server shares, nearly doubled a serial round trip.
func bounded[T any](ctx context.Context, call func(context.Context) (T, error)) (T, error) {
	if _, ok := ctx.Deadline(); !ok {
		return call(ctx)
	}
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

// eval runs script on key with args, bounded by ctx (see bounded).
func (s *Store) eval(ctx context.Context, script *redis.Script, key string, args ...any) *redis.Cmd {
	cmd, err := bounded(ctx, func(ctx context.Context) (*redis.Cmd, error) {
		cmd := script.Run(ctx, s.client, []string{key}, args...)
		return cmd, nil
	})
	if err != nil {
		cmd = redis.NewCmd(ctx)
		cmd.SetErr(err)
	}
	return cmd
}
