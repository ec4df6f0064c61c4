package grpclimit_test

import (
	"context"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/gorate/ratelimit"
	grpclimit "github.com/gorate/ratelimit/adapters/grpc"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
)

// callSay calls Say with v: "hi" succeeds, anything else fails NotFound.
func callSay(ctx context.Context, cc *grpc.ClientConn, v string) codes.Code {
	return newResult(nil, nil, cc.Invoke(ctx, methodSay, wrapperspb.String(v), new(wrapperspb.StringValue))).code
}

// TestSettle: WithCountIf and WithResponseCost settle a unary call and a
// stream by the status they end with, as HTTP's status (NotFound 404).
func TestSettle(t *testing.T) {
	t.Run("CountIfFailed", func(t *testing.T) {
		l, _ := newLimiter(t, ratelimit.PerSecond(2))
		cc := serve(t, grpc.UnaryInterceptor(grpclimit.UnaryServerInterceptor(l, httplimit.WithCountIf(httplimit.Failed)))).conn(t, "192.0.2.1:1")
		for range 5 {
			if code := callSay(t.Context(), cc, "hi"); code != codes.OK {
				t.Fatalf("a success: %v, want OK: successes do not count", code)
			}
		}
		for i, want := range []codes.Code{codes.NotFound, codes.NotFound, codes.ResourceExhausted} {
			if code := callSay(t.Context(), cc, "nope"); code != want {
				t.Errorf("failure %d: %v, want %v", i, code, want)
			}
		}
		if code := callSay(t.Context(), cc, "hi"); code != codes.ResourceExhausted {
			t.Errorf("a success once failures spent the limit: %v, want ResourceExhausted", code)
		}
	})
	t.Run("ResponseCost", func(t *testing.T) {
		l, _ := newLimiter(t, ratelimit.PerSecond(10))
		var statuses atomic.Int64
		cost := func(_ httplimit.Request, resp httplimit.Response) (int64, error) {
			statuses.Add(int64(resp.Status()))
			if resp.Status() == 404 {
				return 4, nil
			}
			return 1, nil
		}
		cc := serve(t, grpc.UnaryInterceptor(grpclimit.UnaryServerInterceptor(l, httplimit.WithResponseCost(cost)))).conn(t, "192.0.2.1:1")
		callSay(t.Context(), cc, "nope") // 4
		callSay(t.Context(), cc, "nope") // 8
		callSay(t.Context(), cc, "hi")   // 9
		callSay(t.Context(), cc, "hi")   // 10: spent, not overdrawn
		if code := callSay(t.Context(), cc, "hi"); code != codes.OK {
			t.Errorf("at 10 units of 10: %v, want OK (admitted with 0 units, then charged 1)", code)
		}
		if code := callSay(t.Context(), cc, "hi"); code != codes.ResourceExhausted {
			t.Errorf("at 11 units of 10: %v, want ResourceExhausted", code)
		}
		if got := statuses.Load(); got != 404+404+200+200+200 {
			t.Errorf("the response cost saw statuses summing to %d, want 1408", got)
		}
	})
	t.Run("StreamCountIfFailed", func(t *testing.T) {
		l, _ := newLimiter(t, ratelimit.PerSecond(2))
		h := serve(t, grpc.ChainStreamInterceptor(
			grpclimit.StreamServerInterceptor(l, httplimit.WithCountIf(httplimit.Failed)),
			grpclimit.StreamMessageInterceptor(l, httplimit.WithCountIf(httplimit.Failed))))
		tg := target{h, methodChat, callStream}
		for range 4 {
			tg.do(t).want(t, codes.OK) // the opening and the message refunded
		}
	})
}
