package grpclimit_test

import (
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/gorate/ratelimit"
	grpclimit "github.com/gorate/ratelimit/adapters/grpc"
)

// TestStreamMessages: StreamMessageInterceptor admits each received
// message; the first it refuses ends the stream with ResourceExhausted, a
// RetryInfo and the rate-limit state in the trailer. Chained after
// StreamServerInterceptor, the opening counts too.
func TestStreamMessages(t *testing.T) {
	for _, c := range []struct {
		name     string
		opening  bool
		messages int // admitted
	}{
		{"messages", false, 3},
		{"opening and messages", true, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			l, _ := newLimiter(t, ratelimit.PerSecond(3))
			ics := []grpc.StreamServerInterceptor{grpclimit.StreamMessageInterceptor(l)}
			if c.opening {
				ics = append([]grpc.StreamServerInterceptor{grpclimit.StreamServerInterceptor(l)}, ics...)
			}
			cc := serve(t, grpc.ChainStreamInterceptor(ics...)).conn(t, "192.0.2.1:1234")
			cs, err := cc.NewStream(t.Context(), &chatDesc, methodChat)
			if err != nil {
				t.Fatal(err)
			}
			out := new(wrapperspb.StringValue)
			for i := range c.messages {
				if err := cs.SendMsg(wrapperspb.String("hi")); err != nil {
					t.Fatal(err)
				}
				if err := cs.RecvMsg(out); err != nil || out.GetValue() != "ok hi" {
					t.Fatalf("message %d: %q, %v; want it answered", i, out.GetValue(), err)
				}
			}
			cs.SendMsg(wrapperspb.String("hi"))
			err = cs.RecvMsg(out)
			if status.Code(err) != codes.ResourceExhausted || retryDelay(err) != 1001*time.Millisecond {
				t.Errorf("message past the limit: %v (RetryInfo %v), want ResourceExhausted with 1.001s", err, retryDelay(err))
			}
			tr := cs.Trailer()
			if got := tr.Get("ratelimit"); len(got) != 1 || got[0] != `"3/s";r=0;t=2` {
				t.Errorf("trailer ratelimit = %q", got)
			}
			if got := tr.Get("retry-after"); len(got) != 1 || got[0] != "2" {
				t.Errorf("trailer retry-after = %q", got)
			}
		})
	}
}
