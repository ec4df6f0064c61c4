package grpclimit_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gorate/ratelimit"
	grpclimit "github.com/gorate/ratelimit/adapters/grpc"
)

// blockingStore is a store that hangs until the call's context ends,
// telling entered when a take starts.
type blockingStore struct{ entered chan struct{} }

func (s blockingStore) Take(ctx context.Context, _ string, _ ratelimit.Rates, _ int64) (ratelimit.Decision, error) {
	s.entered <- struct{}{}
	<-ctx.Done()
	return ratelimit.Decision{}, context.Cause(ctx)
}

// TestContextEnds: a call whose context ends while the limiter decides
// never reaches its handler, fail-open or not, and the interceptor answers
// Canceled when its client went away, DeadlineExceeded when its deadline
// passed.
func TestContextEnds(t *testing.T) {
	for _, failOpen := range []bool{false, true} {
		for _, c := range []struct {
			name     string
			want     codes.Code
			deadline bool // set on the server's side, which a client's cancelling cannot race
		}{
			{"cancelled", codes.Canceled, false},
			{"deadline", codes.DeadlineExceeded, true},
		} {
			lopts := []ratelimit.Option{ratelimit.PerSecond(1)}
			if failOpen {
				lopts = append(lopts, ratelimit.WithFailOpen())
			}
			store := blockingStore{make(chan struct{}, 1)}
			answered := make(chan error, 1)
			record := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
				if c.deadline {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, 20*time.Millisecond)
					defer cancel()
				}
				resp, err := h(ctx, req)
				answered <- err
				return resp, err
			}
			cc := serve(t, grpc.ChainUnaryInterceptor(record, grpclimit.UnaryServerInterceptor(limiter(t, store, lopts...)))).conn(t, "192.0.2.1:1")
			ctx, cancel := context.WithCancel(t.Context())
			go func() {
				<-store.entered
				if !c.deadline {
					cancel()
				}
			}()
			callUnary(ctx, cc).want(t, c.want)
			cancel()
			if err := <-answered; status.Code(err) != c.want {
				t.Errorf("%s, fail-open %v: the interceptor answered %v, want %v", c.name, failOpen, err, c.want)
			}
		}
	}
}
