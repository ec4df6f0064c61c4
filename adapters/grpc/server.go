package grpclimit

import (
	"context"
	"errors"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/gorate/ratelimit"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
)

// UnaryServerInterceptor returns a unary server interceptor that limits
// each call with l before its handler runs, with the request logic of
// [httplimit]: opts key the call (default [httplimit.ClientIP]: the peer's
// IP address), cost it, skip it, wait for it and judge it by lists as they
// do an HTTP request (see the package doc for how a call maps onto an
// [httplimit.Request]). The rate-limit state is sent as header metadata; a
// call that does not pass gets the status error the package doc lists and
// never reaches its handler. The call's context bounds the limiter call.
// The interceptor is safe for concurrent use. It panics when l, an option
// or an option's function is nil.
func UnaryServerInterceptor(l *ratelimit.Limiter, opts ...httplimit.Option) grpc.UnaryServerInterceptor {
	g := newGuard(l, opts)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		c := newCall(ctx, info.FullMethod)
		md, p, err := g.check(c)
		if md != nil {
			grpc.SetHeader(ctx, md) // fails only outside a server's call: nothing to tell
		}
		if err != nil {
			return nil, err
		}
		if p != nil {
			return settled(c, p, func() (any, error) { return handler(ctx, req) })
		}
		return handler(ctx, req)
	}
}

// StreamServerInterceptor returns a stream server interceptor that limits
// the opening of each stream with l, as [UnaryServerInterceptor] limits a
// unary call: a stream that does not pass ends with the status error
// before its handler runs. The messages of an admitted stream are not
// counted; [StreamMessageInterceptor] counts them. It panics when l, an
// option or an option's function is nil.
func StreamServerInterceptor(l *ratelimit.Limiter, opts ...httplimit.Option) grpc.StreamServerInterceptor {
	g := newGuard(l, opts)
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		c := newCall(ss.Context(), info.FullMethod)
		md, p, err := g.check(c)
		if md != nil {
			ss.SetHeader(md) // fails only once headers are sent: nothing to tell
		}
		if err != nil {
			return err
		}
		if p != nil {
			_, err = settled(c, p, func() (any, error) { return nil, handler(srv, ss) })
			return err
		}
		return handler(srv, ss)
	}
}

// StreamMessageInterceptor returns a stream server interceptor that limits
// each message a stream receives with l: once a message has arrived, the
// handler's RecvMsg admits it as [UnaryServerInterceptor] admits a call
// (keyed, costed and skipped by opts, which see the stream's call), and
// returns the status error instead of the message when it does not pass.
// The rate-limit state of a message that does not pass is sent as trailer
// metadata. Chain it after [StreamServerInterceptor] to limit both the
// opening and the messages. It panics when l, an option or an option's
// function is nil.
func StreamMessageInterceptor(l *ratelimit.Limiter, opts ...httplimit.Option) grpc.StreamServerInterceptor {
	g := newGuard(l, opts)
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		s := &messages{ServerStream: ss, g: g, c: newCall(ss.Context(), info.FullMethod)}
		_, err := settled(s.c, s, func() (any, error) { return nil, handler(srv, s) })
		return err
	}
}

// messages is a server stream whose received messages are limited.
type messages struct {
	grpc.ServerStream
	g       *guard
	c       *call                // reused: a stream's RecvMsg calls never run concurrently
	pending []*httplimit.Pending // the messages to settle when the stream ends
}

func (s *messages) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	s.c.status, s.c.d, s.c.err = 0, ratelimit.Decision{}, nil
	md, p, err := s.g.check(s.c)
	if err != nil && md != nil {
		s.SetTrailer(md)
	}
	if p != nil {
		s.pending = append(s.pending, p)
	}
	return err
}

// Settle settles the stream's messages by the stream's response.
func (s *messages) Settle(r httplimit.Request, resp httplimit.Response) {
	for _, p := range s.pending {
		p.Settle(r, resp)
	}
}

// settler is what settled settles: an [httplimit.Pending], or a stream's
// messages.
type settler interface {
	Settle(httplimit.Request, httplimit.Response)
}

// settled runs handler and then settles p by the call's outcome: its
// status code, or Unknown (HTTP 500) when handler panics (the panic goes
// on).
func settled(c *call, p settler, handler func() (any, error)) (any, error) {
	code := codes.Unknown
	defer func() { p.Settle(c, response{code}) }()
	resp, err := handler()
	code = status.Code(err)
	return resp, err
}

// OnlyMethods returns an option that limits only the calls of the named
// full methods ("/package.Service/Method") and lets every other call
// through uncounted: a per-method limit is an interceptor of its own, over
// a limiter of its own, chained with the others
// ([grpc.ChainUnaryInterceptor]). It is [httplimit.WithSkip] of the calls
// whose method is not named: of it and another WithSkip, the one given
// last applies. It panics when no method is named.
func OnlyMethods(methods ...string) httplimit.Option {
	if len(methods) == 0 {
		panic("grpclimit: OnlyMethods()")
	}
	named := make(map[string]bool, len(methods))
	for _, m := range methods {
		named[m] = true
	}
	return httplimit.WithSkip(func(r httplimit.Request) bool { return !named[r.Path()] })
}

// guard is the engine behind an interceptor.
type guard struct{ e *httplimit.Engine }

func newGuard(l *ratelimit.Limiter, opts []httplimit.Option) *guard {
	all := make([]httplimit.Option, len(opts), len(opts)+1)
	copy(all, opts)
	return &guard{e: httplimit.NewEngine(l, append(all, httplimit.WithReply(reply))...)}
}

// check decides c: it returns the rate-limit metadata to send (nil: none),
// the Pending to settle after the handler when the call passes and its
// response settles it (nil otherwise), and, when c does not pass, its
// status error.
func (g *guard) check(c *call) (metadata.MD, *httplimit.Pending, error) {
	var h collected
	pass, _, p := g.e.Check(c, h.add)
	md := h.metadata()
	if pass {
		return md, p, nil
	}
	return md, nil, c.statusError()
}

// collected are the headers the engine set for a call (at most 8), their
// values in one buffer: buf, or, for values longer than rates ever make
// them, a copy on the heap.
type collected struct {
	n     int
	names [8]string
	ends  [8]int
	buf   [192]byte
	used  int    // the bytes of buf in use
	big   []byte // the values, once they outgrow buf
}

func (h *collected) add(name string, value []byte) {
	if name == "X-Content-Type-Options" {
		return // an HTTP body's header: a gRPC reply has no body to sniff
	}
	h.names[h.n] = lower(name)
	switch {
	case h.big != nil:
		h.big = append(h.big, value...)
	case h.used+len(value) > len(h.buf):
		h.big = append(append(make([]byte, 0, 2*len(h.buf)), h.buf[:h.used]...), value...)
	default:
		h.used += copy(h.buf[h.used:], value)
	}
	h.ends[h.n] = h.used
	if h.big != nil {
		h.ends[h.n] = len(h.big)
	}
	h.n++
}

// metadata returns the headers as metadata, or nil when there are none, at
// the cost of the map and two blocks: the values' bytes and their slices.
func (h *collected) metadata() metadata.MD {
	if h.n == 0 {
		return nil
	}
	s := string(h.buf[:h.used])
	if h.big != nil {
		s = string(h.big)
	}
	vs := make([]string, h.n)
	md := make(metadata.MD, h.n)
	lo := 0
	for i := range h.n {
		vs[i] = s[lo:h.ends[i]]
		lo = h.ends[i]
		md[h.names[i]] = vs[i : i+1 : i+1]
	}
	return md
}

// lower returns the metadata key of a header the engine sets: its name in
// lower case.
func lower(name string) string {
	switch name {
	case "Ratelimit-Policy":
		return "ratelimit-policy"
	case "Ratelimit":
		return "ratelimit"
	case "X-Ratelimit-Limit":
		return "x-ratelimit-limit"
	case "X-Ratelimit-Remaining":
		return "x-ratelimit-remaining"
	case "X-Ratelimit-Reset":
		return "x-ratelimit-reset"
	case "Retry-After":
		return "retry-after"
	case "X-Ratelimit-Shadow":
		return "x-ratelimit-shadow"
	}
	return strings.ToLower(name)
}

// The messages of the status errors.
const (
	msgLimited     = "rate limit exceeded"
	msgUnavailable = "rate limiter unavailable"
	msgBadRequest  = "call cannot be rate limited"
	msgForbidden   = "forbidden"
	msgCanceled    = "call cancelled while rate limited"
)

// statusError returns the status error of a call that did not pass, from
// the HTTP status the engine answered.
func (c *call) statusError() error {
	switch c.status {
	case 429:
		st := status.New(codes.ResourceExhausted, msgLimited)
		if c.d.RetryAfter != ratelimit.Never && c.d.RetryAfter > 0 {
			delay := (c.d.RetryAfter + time.Millisecond - 1).Truncate(time.Millisecond)
			if withInfo, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(delay)}); err == nil {
				st = withInfo
			}
		}
		return st.Err()
	case 400:
		return status.Error(codes.InvalidArgument, msgBadRequest+": "+c.err.Error())
	case 403:
		return status.Error(codes.PermissionDenied, msgForbidden)
	case 499:
		return status.Error(codes.Canceled, msgCanceled)
	}
	if errors.Is(c.ctx.Err(), context.DeadlineExceeded) {
		return status.Error(codes.DeadlineExceeded, msgUnavailable)
	}
	return status.Error(codes.Unavailable, msgUnavailable)
}
