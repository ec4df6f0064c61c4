package grpclimit_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/gorate/ratelimit"
	grpclimit "github.com/gorate/ratelimit/adapters/grpc"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// fakeNow is a settable clock for a Client's holds.
type fakeNow struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeNow) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeNow) advance(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

// counting returns a unary server interceptor counting the calls that
// reach the server.
func counting(n *atomic.Int64) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		n.Add(1)
		return h(ctx, req)
	}
}

// clientHarness serves Say limited by l (1 a minute per client IP on a fake
// clock by default) with the interceptors' opts, and returns a connection
// whose calls go through c.
func clientHarness(t *testing.T, l *ratelimit.Limiter, c *grpclimit.Client, opts ...httplimit.Option) (*grpc.ClientConn, *atomic.Int64) {
	t.Helper()
	var reached atomic.Int64
	h := serve(t, grpc.ChainUnaryInterceptor(counting(&reached), grpclimit.UnaryServerInterceptor(l, opts...)),
		grpc.StreamInterceptor(grpclimit.StreamMessageInterceptor(l, opts...)))
	h.opts = []grpc.DialOption{grpc.WithChainUnaryInterceptor(c.Unary()), grpc.WithChainStreamInterceptor(c.Stream())}
	return h.conn(t, "192.0.2.1:1234"), &reached
}

// shortly returns a context whose deadline is a second away.
func shortly(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	t.Cleanup(cancel)
	return ctx
}

// noFields makes the server send no rate-limit metadata, only a denial's
// RetryInfo, so that a client learns of a delay from a refusal alone.
var noFields = httplimit.WithHeaders(0)

// TestClientHoldsBack: after a ResourceExhausted carrying a RetryInfo of
// 60.001 s, the method's calls are held back until then: one whose
// deadline comes first fails at once and is never sent; once the hold has
// passed, calls are sent again.
func TestClientHoldsBack(t *testing.T) {
	l, serverClock := newLimiter(t, ratelimit.PerMinute(1))
	clock := &fakeNow{t: time.Unix(start, 0)}
	c := grpclimit.NewClient(nil, nil)
	grpclimit.SetNow(c, clock.now)
	cc, reached := clientHarness(t, l, c, noFields)

	callUnary(t.Context(), cc).want(t, codes.OK)
	r := callUnary(t.Context(), cc)
	r.want(t, codes.ResourceExhausted)
	r.wantRetry(t, 60001*time.Millisecond)
	for range 3 {
		r = callUnary(shortly(t), cc)
		r.want(t, codes.ResourceExhausted)
		r.wantRetry(t, -1) // the client's own refusal
	}
	if n := reached.Load(); n != 2 {
		t.Fatalf("%d calls reached the server, want 2: the held ones were sent", n)
	}
	clock.advance(59 * time.Second) // 1.001 s to go: still past the deadline
	callUnary(shortly(t), cc).want(t, codes.ResourceExhausted)
	clock.advance(1001 * time.Millisecond)
	serverClock.Advance(60001 * time.Millisecond)
	callUnary(shortly(t), cc).want(t, codes.OK)
	if n := reached.Load(); n != 3 {
		t.Errorf("%d calls reached the server, want 3", n)
	}
	if n := grpclimit.Holds(c); n != 0 {
		t.Errorf("%d keys held once the hold passed, want 0: the call that found it passed drops it", n)
	}
}

// TestClientWaitsOutHold runs on the real clock: a call made during a
// short hold, with no deadline, waits it out and is admitted.
func TestClientWaitsOutHold(t *testing.T) {
	s, err := memorystore.New()
	if err != nil {
		t.Fatal(err)
	}
	l := limiter(t, s, ratelimit.Rate{Limit: 1, Interval: 50 * time.Millisecond})
	cc, reached := clientHarness(t, l, grpclimit.NewClient(nil, nil), noFields)
	callUnary(t.Context(), cc).want(t, codes.OK)
	r := callUnary(t.Context(), cc)
	r.want(t, codes.ResourceExhausted)
	if r.retry <= 0 || r.retry > 51*time.Millisecond {
		t.Fatalf("RetryInfo delay %v, want (0, 51ms]", r.retry)
	}
	callUnary(t.Context(), cc).want(t, codes.OK)
	if n := reached.Load(); n != 3 {
		t.Errorf("%d calls reached the server, want 3", n)
	}
	// A call whose context is cancelled during a hold ends Canceled.
	callUnary(t.Context(), cc).want(t, codes.ResourceExhausted)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	callUnary(ctx, cc).want(t, codes.Canceled)
}

// TestClientRateLimitField: a call whose answer says, in its ratelimit
// metadata, that no call is left ("…";r=0;t=61, the minute's 60.001 s
// rounded up) holds the method back for those 61 s: the next call is not
// sent to be refused. With a limiter that
// keeps blocks, the hold is a block in its store, which other clients over
// the same store see.
func TestClientRateLimitField(t *testing.T) {
	t.Run("local", func(t *testing.T) {
		l, serverClock := newLimiter(t, ratelimit.PerMinute(2))
		clock := &fakeNow{t: time.Unix(start, 0)}
		c := grpclimit.NewClient(nil, nil)
		grpclimit.SetNow(c, clock.now)
		cc, reached := clientHarness(t, l, c)
		callUnary(t.Context(), cc).want(t, codes.OK) // "…";r=1;t=61: one left
		callUnary(shortly(t), cc).want(t, codes.OK)  // "…";r=0;t=61
		r := callUnary(shortly(t), cc)
		r.want(t, codes.ResourceExhausted)
		r.wantRetry(t, -1) // the client's own refusal
		if n := reached.Load(); n != 2 {
			t.Fatalf("%d calls reached the server, want 2", n)
		}
		clock.advance(61 * time.Second)
		serverClock.Advance(61 * time.Second)
		callUnary(shortly(t), cc).want(t, codes.OK)
	})
	t.Run("store", func(t *testing.T) {
		l, _ := newLimiter(t, ratelimit.PerMinute(1))
		own, _ := newLimiter(t, ratelimit.PerSecond(100), ratelimit.Block{})
		cc, reached := clientHarness(t, l, grpclimit.NewClient(own, nil))
		callUnary(t.Context(), cc).want(t, codes.OK)
		if n := grpclimit.Holds(grpclimit.NewClient(own, nil)); n != 0 {
			t.Fatalf("a new client holds %d keys locally", n)
		}
		// Another client over the same store is held back by the block.
		other, _ := clientHarness(t, l, grpclimit.NewClient(own, nil))
		if r := callUnary(shortly(t), other); !errors.Is(r.err, ratelimit.ErrWaitTooLong) {
			t.Fatalf("another client's call: %v; want the limiter's ErrWaitTooLong for the block", r.err)
		}
		if n := reached.Load(); n != 1 {
			t.Fatalf("%d calls reached the server, want 1", n)
		}
	})
}

// TestClientLimiter: the client waits for its own limiter, keyed by the
// method, and a wait that cannot fit the call's deadline fails at once
// with the limiter's error, sending nothing.
func TestClientLimiter(t *testing.T) {
	server, _ := newLimiter(t, ratelimit.PerSecond(100))
	own, _ := newLimiter(t, ratelimit.PerMinute(1))
	var keys []string
	cc, reached := clientHarness(t, server, grpclimit.NewClient(own, func(_ context.Context, method string) string {
		keys = append(keys, method)
		return "k" + method
	}))
	callUnary(t.Context(), cc).want(t, codes.OK)
	r := callUnary(shortly(t), cc)
	var le *ratelimit.LimitError
	if !errors.As(r.err, &le) || le.Key != "k"+methodSay {
		t.Errorf("error %v, want the limiter's LimitError for k%s", r.err, methodSay)
	}
	if n := reached.Load(); n != 1 {
		t.Errorf("%d calls reached the server, want 1", n)
	}
	if len(keys) != 2 || keys[0] != methodSay {
		t.Errorf("the key function saw %q, want the method twice", keys)
	}
}

// TestClientStream: a stream whose message is refused with a RetryInfo
// holds the stream's method back.
func TestClientStream(t *testing.T) {
	cc, _ := streamDenied(t, nil)
	// Say is not held, holds being per key (the method by default): the
	// server refuses it, the limit per client being spent.
	if r := callUnary(shortly(t), cc); r.retry <= 0 {
		t.Errorf("Say: %v, want the server's refusal with a RetryInfo", r.err)
	}
}

// TestClientSharedKey: the unary and stream interceptors share their
// holds: under one key, a stream's refusal holds unary calls back.
func TestClientSharedKey(t *testing.T) {
	cc, reached := streamDenied(t, func(context.Context, string) string { return "svc" })
	r := callUnary(shortly(t), cc)
	r.want(t, codes.ResourceExhausted)
	r.wantRetry(t, -1) // the client's own refusal
	if n := reached.Load(); n != 0 {
		t.Errorf("%d unary calls reached the server, want 0", n)
	}
}

// streamDenied opens a stream through a Client keyed by key whose second
// message the server refuses with a RetryInfo, checks that the stream's
// method is then held back, and returns the connection.
func streamDenied(t *testing.T, key func(context.Context, string) string) (*grpc.ClientConn, *atomic.Int64) {
	t.Helper()
	l, _ := newLimiter(t, ratelimit.PerMinute(1))
	clock := &fakeNow{t: time.Unix(start, 0)}
	c := grpclimit.NewClient(nil, key)
	grpclimit.SetNow(c, clock.now)
	cc, reached := clientHarness(t, l, c, noFields)
	cs, err := cc.NewStream(t.Context(), &chatDesc, methodChat)
	if err != nil {
		t.Fatal(err)
	}
	out := new(wrapperspb.StringValue)
	for i, want := range []codes.Code{codes.OK, codes.ResourceExhausted} {
		if err := cs.SendMsg(wrapperspb.String("hi")); err != nil {
			t.Fatal(err)
		}
		if err := cs.RecvMsg(out); status.Code(err) != want {
			t.Fatalf("message %d: %v, want %v", i, err, want)
		}
	}
	if _, err := cc.NewStream(shortly(t), &chatDesc, methodChat); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("opening a held stream: %v, want ResourceExhausted at once", err)
	}
	return cc, reached
}
