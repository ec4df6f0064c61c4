package grpclimit

import (
	"context"
	"sync"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gorate/ratelimit"
)

// Client limits the calls a gRPC client makes: before each call it waits
// for its limiter ([ratelimit.Limiter.Wait], bounded by the call's
// context), and when a call fails with codes.ResourceExhausted carrying an
// errdetails.RetryInfo, it holds back every later call under the same key
// until the server's retry delay has passed. Its interceptors ([Client.Unary],
// [Client.Stream]) share those holds.
//
// The holds live in this process only: one time per key held back, a key's
// entry dropped by the first call that finds it passed. A call held back
// waits, bounded by its context; one whose deadline comes before the hold
// ends fails at once with codes.ResourceExhausted and is not sent.
//
// A Client is safe for concurrent use; the zero Client is not usable: call
// [NewClient].
type Client struct {
	l   *ratelimit.Limiter
	key func(ctx context.Context, method string) string
	now func() time.Time

	mu    sync.Mutex
	holds map[string]time.Time
}

// NewClient returns a Client that waits for l (nil: no limiter, only the
// server's RetryInfo holds calls back) under key(ctx, method) for each call
// (nil: the full method, "/package.Service/Method").
func NewClient(l *ratelimit.Limiter, key func(ctx context.Context, method string) string) *Client {
	return &Client{l: l, key: key, now: time.Now, holds: make(map[string]time.Time)}
}

// Unary returns the client's unary client interceptor
// ([grpc.WithChainUnaryInterceptor]).
func (c *Client) Unary() grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		key, err := c.before(ctx, method)
		if err != nil {
			return err
		}
		err = invoker(ctx, method, req, reply, cc, opts...)
		c.after(key, err)
		return err
	}
}

// Stream returns the client's stream client interceptor
// ([grpc.WithChainStreamInterceptor]): it waits before opening each stream,
// and holds back the stream's key when the opening or a received message
// fails with a RetryInfo.
func (c *Client) Stream() grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		key, err := c.before(ctx, method)
		if err != nil {
			return nil, err
		}
		cs, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil {
			c.after(key, err)
			return nil, err
		}
		return &clientStream{ClientStream: cs, c: c, key: key}, nil
	}
}

// clientStream is a client stream whose failures hold its key back.
type clientStream struct {
	grpc.ClientStream
	c   *Client
	key string
}

func (s *clientStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	s.c.after(s.key, err)
	return err
}

// before waits, for a call of method, until its key is not held back and
// the limiter admits it, and returns the key.
func (c *Client) before(ctx context.Context, method string) (string, error) {
	key := method
	if c.key != nil {
		key = c.key(ctx, method)
	}
	if err := c.waitHold(ctx, key); err != nil {
		return key, err
	}
	if c.l != nil {
		if _, err := c.l.Wait(ctx, key); err != nil {
			return key, err
		}
	}
	return key, nil
}

// waitHold waits until key is not held back, bounded by ctx.
func (c *Client) waitHold(ctx context.Context, key string) error {
	c.mu.Lock()
	until, held := c.holds[key]
	now := c.now()
	if held && !now.Before(until) {
		delete(c.holds, key)
		held = false
	}
	c.mu.Unlock()
	if !held {
		return nil
	}
	wait := until.Sub(now)
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
		return status.Errorf(codes.ResourceExhausted, "grpclimit: %s held back for %v by the server's RetryInfo, past the call's deadline", key, wait)
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return status.FromContextError(ctx.Err()).Err()
	}
}

// after holds key back when err is a ResourceExhausted status carrying a
// RetryInfo, until the later of its delay and any hold already there.
func (c *Client) after(key string, err error) {
	if err == nil {
		return
	}
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.ResourceExhausted {
		return
	}
	for _, d := range st.Details() {
		ri, ok := d.(*errdetails.RetryInfo)
		if !ok || ri.GetRetryDelay() == nil {
			continue
		}
		delay := ri.GetRetryDelay().AsDuration()
		if delay <= 0 {
			return
		}
		c.mu.Lock()
		until := c.now().Add(delay)
		if cur, ok := c.holds[key]; !ok || cur.Before(until) {
			c.holds[key] = until
		}
		c.mu.Unlock()
		return
	}
}
