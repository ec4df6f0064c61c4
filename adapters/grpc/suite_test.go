package grpclimit_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"github.com/gorate/ratelimit"
	grpclimit "github.com/gorate/ratelimit/adapters/grpc"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// target is one interceptor of the suite, served over a harness.
type target struct {
	h      *harness
	method string // the full method its calls have
	call   func(context.Context, *grpc.ClientConn) result
}

// kind builds a target for a limiter and options.
type kind func(t *testing.T, l *ratelimit.Limiter, opts ...httplimit.Option) target

// kinds are the interceptors the suite runs: the unary one, and the
// stream one limiting a stream's opening.
var kinds = []struct {
	name  string
	build kind
}{
	{"Unary", func(t *testing.T, l *ratelimit.Limiter, opts ...httplimit.Option) target {
		return target{serve(t, grpc.UnaryInterceptor(grpclimit.UnaryServerInterceptor(l, opts...))), methodSay, callUnary}
	}},
	{"StreamOpening", func(t *testing.T, l *ratelimit.Limiter, opts ...httplimit.Option) target {
		return target{serve(t, grpc.StreamInterceptor(grpclimit.StreamServerInterceptor(l, opts...))), methodChat, callStream}
	}},
}

// call is one call's setting.
type call struct {
	ctx  context.Context
	peer string
	md   []string
}

type mod func(*call)

func peer(a string) mod { return func(c *call) { c.peer = a } }

func meta(k, v string) mod { return func(c *call) { c.md = append(c.md, k, v) } }

// do makes one call to tg, from 192.0.2.1:1234 unless a mod says otherwise.
func (tg target) do(t *testing.T, mods ...mod) result {
	t.Helper()
	c := call{ctx: t.Context(), peer: "192.0.2.1:1234"}
	for _, m := range mods {
		m(&c)
	}
	ctx := c.ctx
	if len(c.md) > 0 {
		ctx = metadata.AppendToOutgoingContext(ctx, c.md...)
	}
	return tg.call(ctx, tg.h.conn(t, c.peer))
}

func TestSuite(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			for _, c := range []struct {
				name string
				fn   func(*testing.T, kind)
			}{
				{"AllowedThenDenied", testAllowedThenDenied},
				{"Cost", testCost},
				{"OnlyMethods", testOnlyMethods},
				{"KeyMetadata", testKeyMetadata},
				{"Route", testRoute},
				{"StoreFailure", testStoreFailure},
				{"Wait", testWait},
				{"Concurrent", testConcurrent},
				{"ClientIP", testClientIP},
				{"SpoofedForwarding", testSpoofedForwarding},
				{"Lists", testLists},
			} {
				t.Run(c.name, func(t *testing.T) { c.fn(t, k.build) })
			}
		})
	}
}

// A window of 1 s counts units stamped at now-1000 ms too, so a unit taken
// at time T leaves it at T+1001 ms: the RetryInfo says 1.001 s, the
// metadata 2 s (delta-seconds rounded up, as HTTP's).
func testAllowedThenDenied(t *testing.T, build kind) {
	l, clock := newLimiter(t, ratelimit.PerSecond(3))
	tg := build(t, l)
	for _, left := range []string{"2", "1", "0"} {
		r := tg.do(t)
		r.want(t, codes.OK,
			"ratelimit-policy", `"3/s";q=3;w=1`,
			"ratelimit", `"3/s";r=`+left+`;t=2`,
			"x-ratelimit-limit", "3",
			"x-ratelimit-remaining", left,
			"x-ratelimit-reset", "2",
			"retry-after", "",
			"x-content-type-options", "")
		r.wantRetry(t, -1)
	}
	r := tg.do(t)
	r.want(t, codes.ResourceExhausted,
		"ratelimit-policy", `"3/s";q=3;w=1`,
		"ratelimit", `"3/s";r=0;t=2`,
		"x-ratelimit-remaining", "0",
		"retry-after", "2",
		"x-content-type-options", "")
	r.wantRetry(t, 1001*time.Millisecond)
	clock.Advance(1000 * time.Millisecond)
	r = tg.do(t)
	r.want(t, codes.ResourceExhausted, "retry-after", "1")
	r.wantRetry(t, time.Millisecond)
	clock.Advance(time.Millisecond)
	tg.do(t).want(t, codes.OK, "x-ratelimit-remaining", "2")
}

func testCost(t *testing.T, build kind) {
	l, _ := newLimiter(t, ratelimit.PerSecond(5))
	tg := build(t, l, httplimit.WithCost(func(r httplimit.Request) (int64, error) {
		return strconv.ParseInt(r.Header("X-Cost"), 10, 64) // metadata keys are matched in any case
	}))
	cost := func(n string) mod { return meta("x-cost", n) }
	tg.do(t, cost("3")).want(t, codes.OK, "x-ratelimit-remaining", "2")
	tg.do(t, cost("3")).want(t, codes.ResourceExhausted, "x-ratelimit-remaining", "2")
	tg.do(t, cost("2")).want(t, codes.OK, "x-ratelimit-remaining", "0")
	tg.do(t, cost("0")).want(t, codes.OK, "ratelimit", `"5/s";r=0;t=2`)
	// A weight no wait can admit: no RetryInfo.
	r := tg.do(t, cost("6"))
	r.want(t, codes.ResourceExhausted, "retry-after", "")
	r.wantRetry(t, -1)
	// A cost that cannot be read: the client's fault.
	tg.do(t, cost("x")).want(t, codes.InvalidArgument, "ratelimit", "")
	tg.do(t, cost("-1")).want(t, codes.InvalidArgument, "ratelimit", "")
}

func testOnlyMethods(t *testing.T, build kind) {
	l, _ := newLimiter(t, ratelimit.PerSecond(1))
	other := build(t, l, grpclimit.OnlyMethods("/test.Echo/Other"))
	for range 3 {
		other.do(t).want(t, codes.OK, "ratelimit", "", "x-ratelimit-limit", "")
	}
	tg := build(t, l, grpclimit.OnlyMethods("/test.Echo/Other", other.method))
	tg.do(t).want(t, codes.OK, "x-ratelimit-remaining", "0")
	tg.do(t).want(t, codes.ResourceExhausted)
	defer func() {
		if recover() == nil {
			t.Error("OnlyMethods() did not panic")
		}
	}()
	grpclimit.OnlyMethods()
}

// testKeyMetadata keys calls by metadata: a call without the key is the
// client's fault, fail-open or not, and never shares a limit.
func testKeyMetadata(t *testing.T, build kind) {
	for _, failOpen := range []bool{false, true} {
		lopts := []ratelimit.Option{ratelimit.PerSecond(1)}
		if failOpen {
			lopts = append(lopts, ratelimit.WithFailOpen())
		}
		l, _ := newLimiter(t, lopts...)
		var hooked atomic.Int64
		tg := build(t, l, httplimit.WithKey(httplimit.Header("X-User")), httplimit.WithErrorHook(func(r httplimit.Request, err error) {
			if errors.Is(err, ratelimit.ErrInvalidArgument) && r.Path() != "" {
				hooked.Add(1)
			}
		}))
		user := func(u string) mod { return meta("x-user", u) }
		tg.do(t, user("ann")).want(t, codes.OK)
		tg.do(t, user("ann")).want(t, codes.ResourceExhausted)
		tg.do(t, user("bob")).want(t, codes.OK)
		for range 3 {
			r := tg.do(t)
			r.want(t, codes.InvalidArgument, "ratelimit", "", "retry-after", "")
			if want := "call cannot be rate limited: ratelimit: invalid argument: no X-User header"; r.err == nil || !containsMessage(r.err, want) {
				t.Errorf("fail-open %v: error %v, want the message %q", failOpen, r.err, want)
			}
		}
		if hooked.Load() != 3 {
			t.Errorf("fail-open %v: the error hook saw %d ErrInvalidArgument errors, want 3", failOpen, hooked.Load())
		}
	}
}

func containsMessage(err error, msg string) bool {
	return err != nil && len(err.Error()) >= len(msg) && err.Error()[len(err.Error())-len(msg):] == msg
}

// testRoute keys calls by method: every peer shares the method's limit.
func testRoute(t *testing.T, build kind) {
	l, _ := newLimiter(t, ratelimit.PerSecond(2))
	tg := build(t, l, httplimit.WithKey(httplimit.Route()))
	tg.do(t, peer("198.51.100.1:1")).want(t, codes.OK)
	tg.do(t, peer("198.51.100.2:1")).want(t, codes.OK)
	tg.do(t, peer("198.51.100.3:1")).want(t, codes.ResourceExhausted)
}

// failingStore is a store that is down.
type failingStore struct{ err error }

func (f failingStore) Take(context.Context, string, ratelimit.Rates, int64) (ratelimit.Decision, error) {
	return ratelimit.Decision{}, f.err
}

func testStoreFailure(t *testing.T, build kind) {
	down := errors.New("store down")
	var hooked atomic.Int64
	seen := httplimit.WithErrorHook(func(_ httplimit.Request, err error) {
		if errors.Is(err, down) {
			hooked.Add(1)
		}
	})
	closed := build(t, limiter(t, failingStore{down}, ratelimit.PerSecond(1)), seen)
	r := closed.do(t)
	r.want(t, codes.Unavailable, "ratelimit", "", "retry-after", "")
	if containsMessage(r.err, "store down") {
		t.Errorf("the store's error reached the client: %v", r.err)
	}
	for _, opt := range []ratelimit.Option{ratelimit.WithFailOpen(), ratelimit.WithDryRun()} {
		open := build(t, limiter(t, failingStore{down}, ratelimit.PerSecond(1), opt), seen)
		open.do(t).want(t, codes.OK, "ratelimit", "", "x-ratelimit-limit", "")
	}
	if hooked.Load() != 1 {
		t.Errorf("the error hook saw %d store errors, want 1", hooked.Load())
	}
}

// testWait runs on the real clock with short intervals: a call that fits
// after a short wait is held and admitted; one that would wait longer than
// the maximum is denied at once.
func testWait(t *testing.T, build kind) {
	s, err := memorystore.New()
	if err != nil {
		t.Fatal(err)
	}
	l := limiter(t, s, ratelimit.Rate{Limit: 1, Interval: 50 * time.Millisecond}, ratelimit.WithBuffer(time.Millisecond))
	tg := build(t, l, httplimit.WithWait(5*time.Second))
	for range 3 {
		tg.do(t).want(t, codes.OK)
	}
	l2, _ := newLimiter(t, ratelimit.PerMinute(1))
	tg = build(t, l2, httplimit.WithWait(time.Second))
	tg.do(t).want(t, codes.OK)
	r := tg.do(t)
	r.want(t, codes.ResourceExhausted, "retry-after", "61")
	r.wantRetry(t, 60001*time.Millisecond)
}

func testConcurrent(t *testing.T, build kind) {
	l, _ := newLimiter(t, ratelimit.PerSecond(10))
	tg := build(t, l)
	tg.h.conn(t, "192.0.2.1:1234")
	var wg sync.WaitGroup
	var ok, denied atomic.Int64
	for range 40 {
		wg.Go(func() {
			switch tg.do(t).code {
			case codes.OK:
				ok.Add(1)
			case codes.ResourceExhausted:
				denied.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 10 || denied.Load() != 30 {
		t.Errorf("40 concurrent calls at 10/s: %d admitted, %d denied; want 10 and 30", ok.Load(), denied.Load())
	}
}

// testClientIP keys calls by the peer's address; forwarding metadata from
// a peer no option trusts is never read.
func testClientIP(t *testing.T, build kind) {
	l, _ := newLimiter(t, ratelimit.PerSecond(1))
	tg := build(t, l)
	for _, c := range []struct {
		addr string
		code codes.Code
	}{
		{"198.51.100.1:1000", codes.OK},
		{"198.51.100.1:2000", codes.ResourceExhausted}, // same host, other port
		{"198.51.100.2:1000", codes.OK},
		{"[2001:db8::1]:1000", codes.OK},
		{"[2001:db8::2]:1000", codes.ResourceExhausted}, // same /64
		{"[2001:db8:0:1::1]:1000", codes.OK},
		{"[::ffff:198.51.100.2]:1000", codes.ResourceExhausted}, // IPv4-mapped
		{"198.51.100.3:1000", codes.OK},
	} {
		tg.do(t, peer(c.addr), meta("x-forwarded-for", "203.0.113.9"), meta("x-real-ip", "203.0.113.8")).want(t, c.code)
	}
	tg.do(t, peer("198.51.100.3:1000"), meta("x-forwarded-for", "203.0.113.10")).want(t, codes.ResourceExhausted)
	// A peer that is not an IP address cannot be keyed by it.
	tg.do(t, peer("bufconn")).want(t, codes.InvalidArgument)
}

// testSpoofedForwarding puts a client behind a trusted proxy that sets one
// metadata key and passes the client's others through: whatever the client
// writes, its key stays its own address, so a spent limit of 3 a minute
// denies 20 of 20 further calls.
func testSpoofedForwarding(t *testing.T, build kind) {
	const client = "203.0.113.7"
	for _, c := range []struct {
		header string
		set    func(spoof string) []mod // what the proxy forwards
	}{
		{"X-Forwarded-For", func(spoof string) []mod { return []mod{meta("x-forwarded-for", spoof+", "+client)} }},
		{"X-Real-IP", func(string) []mod { return []mod{meta("x-real-ip", client)} }},
	} {
		t.Run(c.header, func(t *testing.T) {
			l, _ := newLimiter(t, ratelimit.PerMinute(3))
			trust, err := httplimit.TrustProxies(c.header, "10.0.0.0/8")
			if err != nil {
				t.Fatal(err)
			}
			tg := build(t, l, httplimit.WithKey(httplimit.ClientIP(trust)))
			denied := 0
			for i := range 23 {
				spoof := fmt.Sprintf("198.51.100.%d", i+1)
				mods := []mod{peer("10.0.0.2:5000"), meta("forwarded", "for="+spoof), meta("x-forwarded-for", spoof), meta("x-real-ip", spoof)}
				r := tg.do(t, append(mods, c.set(spoof)...)...)
				switch {
				case i < 3 && r.code != codes.OK:
					t.Errorf("call %d: %v, want OK", i, r.code)
				case i >= 3 && r.code == codes.ResourceExhausted:
					denied++
				}
			}
			if denied != 20 {
				t.Errorf("%d of the 20 calls past a spent limit were denied, want 20: the client chose its key", denied)
			}
			// The proxy's own calls, without the header, are its own.
			tg.do(t, peer("10.0.0.2:5000")).want(t, codes.OK)
		})
	}
}

func testLists(t *testing.T, build kind) {
	allow, err := httplimit.NewList([]string{"198.51.100.0/24"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	deny, err := httplimit.NewList([]string{"203.0.113.9"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := newLimiter(t, ratelimit.PerSecond(1))
	tg := build(t, l, httplimit.WithLists(allow, deny))
	for range 3 {
		tg.do(t, peer("198.51.100.7:1")).want(t, codes.OK, "ratelimit", "")
		tg.do(t, peer("203.0.113.9:1")).want(t, codes.PermissionDenied, "ratelimit", "")
	}
	tg.do(t).want(t, codes.OK, "x-ratelimit-remaining", "0")
	tg.do(t).want(t, codes.ResourceExhausted)
}
