package grpclimit_test

import (
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/gorate/ratelimit"
	grpclimit "github.com/gorate/ratelimit/adapters/grpc"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
)

// TestTCP runs the unary interceptor over a real TCP connection on
// loopback: the peer's address is 127.0.0.1 and keys the calls.
func TestTCP(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l, _ := newLimiter(t, ratelimit.PerSecond(2))
	clientIP := httplimit.ClientIP()
	var mu sync.Mutex
	var keys []string
	serveOn(t, lis, grpc.UnaryInterceptor(grpclimit.UnaryServerInterceptor(l, httplimit.WithKey(func(r httplimit.Request) (string, error) {
		k, err := clientIP(r)
		mu.Lock()
		keys = append(keys, k)
		mu.Unlock()
		return k, err
	}))))
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	callUnary(t.Context(), cc).want(t, codes.OK, "x-ratelimit-remaining", "1")
	callUnary(t.Context(), cc).want(t, codes.OK, "x-ratelimit-remaining", "0")
	r := callUnary(t.Context(), cc)
	r.want(t, codes.ResourceExhausted, "ratelimit", `"2/s";r=0;t=2`, "retry-after", "2")
	r.wantRetry(t, 1001*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(keys) != 3 || keys[0] != "127.0.0.1" {
		t.Errorf("keys %q, want 127.0.0.1 three times", keys)
	}
}
