package grpclimit

import (
	"context"
	"errors"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/internal/hold"
)

// Client limits the calls a gRPC client makes: before each call it waits
// for its limiter ([ratelimit.Limiter.Wait], bounded by the call's
// context), and it holds back every later call under the same key for as
// long as a server asks: a call that fails with codes.ResourceExhausted
// carrying an errdetails.RetryInfo asks for its retry delay, and a call
// whose header or trailer metadata carries a "ratelimit" field (the IETF
// RateLimit field, as [UnaryServerInterceptor] sends it) with a quota of no
// units left, "x";r=0;t=3, asks for its t seconds. The longest delay asked
// for holds, at most a day. Its interceptors ([Client.Unary],
// [Client.Stream]) share those holds.
//
// When the limiter keeps blocks (made with a [ratelimit.Block] option; the
// zero Block is enough), a hold is a block of the key in its store
// ([ratelimit.Limiter.Block]): every process sharing the store holds back
// together. Otherwise, and with no limiter, the key is held back in this
// Client only, which keeps a key's hold until a call finds it passed (at
// most twice the keys held back at once, plus 1024). A call held
// back waits, bounded by its context; one whose deadline comes before the
// hold ends fails at once with codes.ResourceExhausted and is not sent.
//
// A Client is safe for concurrent use; the zero Client is not usable: call
// [NewClient].
type Client struct {
	l     *ratelimit.Limiter
	key   func(ctx context.Context, method string) string
	holds *hold.Holds
}

// NewClient returns a Client that waits for l (nil: no limiter, only the
// server's delays hold calls back) under key(ctx, method) for each call
// (nil: the full method, "/package.Service/Method").
func NewClient(l *ratelimit.Limiter, key func(ctx context.Context, method string) string) *Client {
	return &Client{l: l, key: key, holds: hold.New(l)}
}

// Unary returns the client's unary client interceptor
// ([grpc.WithChainUnaryInterceptor]).
func (c *Client) Unary() grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		key, err := c.before(ctx, method)
		if err != nil {
			return err
		}
		var header, trailer metadata.MD
		err = invoker(ctx, method, req, reply, cc, append(opts, grpc.Header(&header), grpc.Trailer(&trailer))...)
		c.after(ctx, key, err, header, trailer)
		return err
	}
}

// Stream returns the client's stream client interceptor
// ([grpc.WithChainStreamInterceptor]): it waits before opening each stream,
// and holds back the stream's key when the opening or a received message
// fails with a RetryInfo, or the stream's header or trailer asks for a
// delay.
func (c *Client) Stream() grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		key, err := c.before(ctx, method)
		if err != nil {
			return nil, err
		}
		cs, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil {
			c.after(ctx, key, err, nil, nil)
			return nil, err
		}
		return &clientStream{ClientStream: cs, c: c, key: key}, nil
	}
}

// clientStream is a client stream whose failures and rate-limit metadata
// hold its key back.
type clientStream struct {
	grpc.ClientStream
	c   *Client
	key string
}

func (s *clientStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	var header, trailer metadata.MD
	if err != nil { // the stream is over: its header and trailer are in
		header, _ = s.Header()
		trailer = s.Trailer()
	}
	s.c.after(s.Context(), s.key, err, header, trailer)
	return err
}

// before waits, for a call of method, until its key is not held back and
// the limiter admits it, and returns the key.
func (c *Client) before(ctx context.Context, method string) (string, error) {
	key := method
	if c.key != nil {
		key = c.key(ctx, method)
	}
	if err := c.holds.Wait(ctx, key); err != nil {
		if errors.Is(err, ratelimit.ErrWaitTooLong) {
			return key, status.Error(codes.ResourceExhausted, "grpclimit: "+err.Error())
		}
		return key, status.FromContextError(err).Err()
	}
	if c.l != nil {
		if _, err := c.l.Wait(ctx, key); err != nil {
			return key, err
		}
	}
	return key, nil
}

// after holds key back for the delay a call's outcome asks for: err's
// RetryInfo, when it is a ResourceExhausted status, and the ratelimit
// fields of the call's header and trailer metadata.
func (c *Client) after(ctx context.Context, key string, err error, header, trailer metadata.MD) {
	delay := max(hold.RateLimit(header.Get("ratelimit")), hold.RateLimit(trailer.Get("ratelimit")))
	if st, ok := status.FromError(err); ok && err != nil && st.Code() == codes.ResourceExhausted {
		for _, d := range st.Details() {
			if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay() != nil {
				delay = max(delay, ri.GetRetryDelay().AsDuration())
			}
		}
	}
	if delay > 0 {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), holdTimeout)
		defer cancel()
		c.holds.Hold(ctx, key, delay)
	}
}

// holdTimeout bounds the store call that holds a key back: it runs after
// the call, whose context may be over.
const holdTimeout = 5 * time.Second
