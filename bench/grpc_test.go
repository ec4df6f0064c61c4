package bench

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"

	grpcmwlimit "github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/ratelimit"
	"golang.org/x/time/rate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/gorate/ratelimit"
	grpclimit "github.com/gorate/ratelimit/adapters/grpc"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
)

// discardStream is the server transport stream of a call whose metadata
// goes nowhere, so that a benchmark times the interceptor, not a
// transport: grpc.SetHeader succeeds on it.
type discardStream struct{}

func (discardStream) Method() string                       { return "/bench.Svc/Call" }
func (discardStream) SetHeader(metadata.MD) error          { return nil }
func (discardStream) SendHeader(metadata.MD) error         { return nil }
func (discardStream) SetTrailer(metadata.MD) error         { return nil }
func (discardStream) SetSendCompress(string) error         { return nil }
func (discardStream) SendCompress() string                 { return "" }
func (discardStream) ClientSupportedCompressors() []string { return nil }

// xrateGlobal is go-grpc-middleware's ratelimit.Limiter over one
// x/time/rate limiter for every call: the use its documentation shows.
type xrateGlobal struct{ l *rate.Limiter }

var errLimited = errors.New("limited")

func (x xrateGlobal) Limit(context.Context) error {
	if !x.l.Allow() {
		return errLimited
	}
	return nil
}

// xratePerPeer is go-grpc-middleware's ratelimit.Limiter over an x/time/rate
// limiter per peer address, keyed as ours is by default: the same work of
// finding the peer and its limiter, without metadata.
type xratePerPeer struct{ m sync.Map } // peer IP → *rate.Limiter

func (x *xratePerPeer) Limit(ctx context.Context) error {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return errLimited
	}
	ap, err := netip.ParseAddrPort(p.Addr.String())
	if err != nil {
		return err
	}
	key := ap.Addr()
	l, ok := x.m.Load(key)
	if !ok {
		l, _ = x.m.LoadOrStore(key, rate.NewLimiter(huge, huge))
	}
	if !l.(*rate.Limiter).Allow() {
		return errLimited
	}
	return nil
}

// grpcImpls returns the unary server interceptors compared, each admitting
// everything: none, ours keyed by the peer's IP with its rate-limit
// metadata (both header families, and X-RateLimit only), and
// go-grpc-middleware's ratelimit interceptor over x/time/rate, global and
// per peer.
func grpcImpls(b *testing.B) []struct {
	name string
	ic   grpc.UnaryServerInterceptor
} {
	none := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		return h(ctx, req)
	}
	return []struct {
		name string
		ic   grpc.UnaryServerInterceptor
	}{
		{"impl=bare", none},
		{"impl=ratelimit", grpclimit.UnaryServerInterceptor(ours(b, ratelimit.PerSecond(huge)))},
		{"impl=ratelimit-xheaders", grpclimit.UnaryServerInterceptor(ours(b, ratelimit.PerSecond(huge)), httplimit.WithHeaders(httplimit.HeadersXRateLimit))},
		{"impl=grpcmw-xrate", grpcmwlimit.UnaryServerInterceptor(xrateGlobal{rate.NewLimiter(huge, huge)})},
		{"impl=grpcmw-xrate-perpeer", grpcmwlimit.UnaryServerInterceptor(new(xratePerPeer))},
	}
}

// callContext returns the context of a unary call from remote, as a gRPC
// server hands it to its interceptors.
func callContext(ctx context.Context, remote *net.TCPAddr) context.Context {
	ctx = peer.NewContext(ctx, &peer.Peer{Addr: remote})
	ctx = metadata.NewIncomingContext(ctx, metadata.Pairs("user-agent", "grpc-go/1.85.0"))
	return grpc.NewContextWithServerTransportStream(ctx, discardStream{})
}

var (
	grpcInfo = &grpc.UnaryServerInfo{FullMethod: "/bench.Svc/Call"}
	grpcOK   = func(context.Context, any) (any, error) { return nil, nil }
)

// BenchmarkGRPCUnary times one unary call through each interceptor from
// one client, with no network: the interceptor is called as the server
// calls it. Compare with benchstat -col /impl.
func BenchmarkGRPCUnary(b *testing.B) {
	for _, impl := range grpcImpls(b) {
		b.Run(impl.name, func(b *testing.B) {
			ctx := callContext(b.Context(), &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 1234})
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				if _, err := impl.ic(ctx, nil, grpcInfo, grpcOK); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start)
		})
	}
}

// BenchmarkGRPCUnaryParallel is the same from many goroutines, each a
// client of its own out of 10,000.
func BenchmarkGRPCUnaryParallel(b *testing.B) {
	for _, impl := range grpcImpls(b) {
		b.Run(impl.name, func(b *testing.B) {
			ctxs := make([]context.Context, 10000)
			for i := range ctxs {
				ctxs[i] = callContext(b.Context(), &net.TCPAddr{IP: net.IPv4(10, byte(i>>16), byte(i>>8), byte(i)), Port: 1234})
			}
			var next atomic.Int64
			b.ReportAllocs()
			start := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				i := int(next.Add(1))
				for pb.Next() {
					if _, err := impl.ic(ctxs[i%len(ctxs)], nil, grpcInfo, grpcOK); err != nil {
						b.Error(err)
						return
					}
					i += 7
				}
			})
			reportCPU(b, start)
		})
	}
}
