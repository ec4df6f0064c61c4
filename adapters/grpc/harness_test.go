package grpclimit_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// The test service, test.Echo, written by hand: Say answers "ok " and its
// request; Chat answers each message it receives the same way. Messages
// are wrapperspb.StringValue, so no generated code is needed.
const (
	methodSay  = "/test.Echo/Say"
	methodChat = "/test.Echo/Chat"
)

var chatDesc = grpc.StreamDesc{StreamName: "Chat", Handler: chat, ServerStreams: true, ClientStreams: true}

var echoDesc = grpc.ServiceDesc{
	ServiceName: "test.Echo",
	HandlerType: (*any)(nil),
	Methods:     []grpc.MethodDesc{{MethodName: "Say", Handler: say}},
	Streams:     []grpc.StreamDesc{chatDesc},
}

func answer(in *wrapperspb.StringValue) *wrapperspb.StringValue {
	return wrapperspb.String("ok " + in.GetValue())
}

func say(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
	in := new(wrapperspb.StringValue)
	if err := dec(in); err != nil {
		return nil, err
	}
	h := func(_ context.Context, req any) (any, error) {
		if v := req.(*wrapperspb.StringValue).GetValue(); v != "hi" {
			return nil, status.Error(codes.NotFound, v)
		}
		return answer(req.(*wrapperspb.StringValue)), nil
	}
	if ic == nil {
		return h(ctx, in)
	}
	return ic(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: methodSay}, h)
}

func chat(_ any, ss grpc.ServerStream) error {
	for {
		in := new(wrapperspb.StringValue)
		if err := ss.RecvMsg(in); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if err := ss.SendMsg(answer(in)); err != nil {
			return err
		}
	}
}

// peerListener is a bufconn listener whose connections tell the server the
// address of their client: the dialer writes it, one line, before gRPC's
// first byte, and the server's side reports it as its RemoteAddr. It lets
// in-memory connections come from any address, IPv6 too.
type peerListener struct{ *bufconn.Listener }

func (l peerListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		// One byte at a time: nothing past the line may be consumed.
		var line []byte
		b := make([]byte, 1)
		for err == nil && (len(line) == 0 || line[len(line)-1] != '\n') {
			if _, err = c.Read(b); err == nil {
				line = append(line, b[0])
			}
		}
		if err != nil {
			c.Close()
			continue
		}
		return peerConn{Conn: c, remote: addr(line[:len(line)-1])}, nil
	}
}

// dial returns a connection to l from peer.
func (l peerListener) dial(ctx context.Context, peer string) (net.Conn, error) {
	c, err := l.DialContext(ctx)
	if err != nil {
		return nil, err
	}
	w := bufio.NewWriter(c)
	w.WriteString(peer + "\n")
	if err := w.Flush(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

type peerConn struct {
	net.Conn
	remote net.Addr
}

func (c peerConn) RemoteAddr() net.Addr { return c.remote }

// addr is a net.Addr that is its string: "host:port" as the peer wrote it.
type addr string

func (a addr) Network() string { return "tcp" }
func (a addr) String() string  { return string(a) }

// harness is a gRPC server of the test service on a peerListener.
type harness struct {
	lis   peerListener
	mu    sync.Mutex
	conns map[string]*grpc.ClientConn
	opts  []grpc.DialOption
}

// serve starts a server of the test service with opts on a peerListener,
// stopped when t ends.
func serve(t *testing.T, opts ...grpc.ServerOption) *harness {
	t.Helper()
	lis := peerListener{bufconn.Listen(1 << 16)}
	serveOn(t, lis, opts...)
	return &harness{lis: lis, conns: make(map[string]*grpc.ClientConn)}
}

// serveOn starts a server of the test service with opts on lis, stopped
// when t ends.
func serveOn(t *testing.T, lis net.Listener, opts ...grpc.ServerOption) {
	s := grpc.NewServer(opts...)
	s.RegisterService(&echoDesc, struct{}{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Serve(lis)
	}()
	t.Cleanup(func() {
		s.Stop()
		<-done
	})
}

// conn returns a client connection from peer, with the harness's dial
// options, closed when t ends; each peer has its own.
func (h *harness) conn(t *testing.T, peer string) *grpc.ClientConn {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if cc := h.conns[peer]; cc != nil {
		return cc
	}
	opts := append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return h.lis.dial(ctx, peer) }),
	}, h.opts...)
	cc, err := grpc.NewClient("passthrough:///bufnet", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	h.conns[peer] = cc
	return cc
}

// result is what a case checks of one call.
type result struct {
	code   codes.Code
	md     metadata.MD   // the header metadata
	retry  time.Duration // the RetryInfo's delay, -1 without one
	answer string        // the handler's answer, "" when it did not run
	err    error
}

// retryDelay returns the delay of err's RetryInfo, or -1.
func retryDelay(err error) time.Duration {
	for _, d := range status.Convert(err).Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			return ri.GetRetryDelay().AsDuration()
		}
	}
	return -1
}

func newResult(md metadata.MD, out *wrapperspb.StringValue, err error) result {
	return result{code: status.Code(err), md: md, retry: retryDelay(err), answer: out.GetValue(), err: err}
}

// callUnary calls Say over cc.
func callUnary(ctx context.Context, cc *grpc.ClientConn) result {
	out := new(wrapperspb.StringValue)
	var md metadata.MD
	err := cc.Invoke(ctx, methodSay, wrapperspb.String("hi"), out, grpc.Header(&md))
	return newResult(md, out, err)
}

// callStream opens Chat over cc, sends one message, receives one and then
// the stream's end.
func callStream(ctx context.Context, cc *grpc.ClientConn) result {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := new(wrapperspb.StringValue)
	cs, err := cc.NewStream(ctx, &chatDesc, methodChat)
	if err != nil {
		return newResult(nil, out, err)
	}
	if err := cs.SendMsg(wrapperspb.String("hi")); err != nil && !errors.Is(err, io.EOF) {
		return newResult(nil, out, err)
	}
	cs.CloseSend()
	err = cs.RecvMsg(out)
	if err == nil {
		// The status: the server's interceptors have returned.
		if err = cs.RecvMsg(new(wrapperspb.StringValue)); errors.Is(err, io.EOF) {
			err = nil
		}
	}
	md, _ := cs.Header()
	return newResult(md, out, err)
}

// want checks r's code and the named metadata ("" means absent).
func (r result) want(t *testing.T, code codes.Code, md ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("code %v, want %v (%v)", r.code, code, r.err)
	}
	if (code == codes.OK) != (r.answer == "ok hi") {
		t.Errorf("code %v: the handler answered %q", r.code, r.answer)
	}
	for i := 0; i+1 < len(md); i += 2 {
		var got string
		if vs := r.md.Get(md[i]); len(vs) > 0 {
			got = vs[0]
		}
		if got != md[i+1] {
			t.Errorf("code %v: %s = %q, want %q", r.code, md[i], got, md[i+1])
		}
	}
}

// wantRetry checks r's RetryInfo delay (-1: none).
func (r result) wantRetry(t *testing.T, d time.Duration) {
	t.Helper()
	if r.retry != d {
		t.Errorf("code %v: RetryInfo delay %v, want %v", r.code, r.retry, d)
	}
}

// start is the fake clock's first reading.
const start = 1_000_000

// newLimiter returns a limiter configured by opts over a memory store on a
// fake clock, and the clock.
func newLimiter(t *testing.T, opts ...ratelimit.Option) (*ratelimit.Limiter, *core.FakeClock) {
	t.Helper()
	clock := core.NewFakeClock(start)
	s, err := memorystore.New(memorystore.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	return limiter(t, s, opts...), clock
}

func limiter(t *testing.T, s ratelimit.Store, opts ...ratelimit.Option) *ratelimit.Limiter {
	t.Helper()
	l, err := ratelimit.New(s, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
