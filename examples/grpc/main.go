// Command grpc serves gRPC's health service limited per client IP, with a
// stricter limit on one method, and calls it through a client that backs
// off when the server says so. From the repository's root:
//
//	go run ./examples/grpc
//
// Every method allows 100 calls a minute per client IP; Check, 3 per 2
// seconds on top of that. The client calls Check 8 times in a row. The 3rd
// answer says, in its ratelimit header metadata, that Check has no call
// left for 3 s ("3/2s";r=0;t=3: the 2 s window, rounded up), so the client
// holds the 4th call back until then instead of sending it to be refused:
// calls 4 to 6 go through 3 s later, 7 and 8 3 s after that, and none is
// refused. A refusal would be printed with its RetryInfo, which the client
// holds back for too. Each answer shows the metadata of both limits.
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gorate/ratelimit"
	grpclimit "github.com/gorate/ratelimit/adapters/grpc"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "grpc example:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	// One store serves both limiters; prefixes keep their keys apart.
	store, err := memorystore.New()
	if err != nil {
		return err
	}
	perClient, err := ratelimit.New(store, ratelimit.PerMinute(100))
	if err != nil {
		return err
	}
	defer perClient.Close()
	check, err := ratelimit.New(store, ratelimit.Rate{Limit: 3, Interval: 2 * time.Second}, ratelimit.WithPrefix("check:"))
	if err != nil {
		return err
	}
	defer check.Close()

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s := grpc.NewServer(grpc.ChainUnaryInterceptor(
		grpclimit.UnaryServerInterceptor(perClient),
		// A per-method limit: an interceptor of its own, for one method.
		grpclimit.UnaryServerInterceptor(check, grpclimit.OnlyMethods(healthpb.Health_Check_FullMethodName)),
	))
	healthpb.RegisterHealthServer(s, health.NewServer())
	go s.Serve(lis)
	defer s.Stop()

	// The client waits out the server's RetryInfo before calling again.
	backoff := grpclimit.NewClient(nil, nil)
	cc, err := grpc.NewClient(lis.Addr().String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithChainUnaryInterceptor(backoff.Unary()))
	if err != nil {
		return err
	}
	defer cc.Close()
	client := healthpb.NewHealthClient(cc)

	began := time.Now()
	for i := 1; i <= 8; i++ {
		var md metadata.MD
		res, err := client.Check(ctx, &healthpb.HealthCheckRequest{}, grpc.Header(&md))
		at := time.Since(began).Round(100 * time.Millisecond)
		if err != nil {
			fmt.Printf("%4v call %d: %v, retry in %v (ratelimit: %s)\n", at, i, status.Code(err), retryDelay(err), md.Get("ratelimit"))
			continue
		}
		fmt.Printf("%4v call %d: %v (ratelimit: %s)\n", at, i, res.GetStatus(), md.Get("ratelimit"))
	}
	return nil
}

// retryDelay returns the delay of err's RetryInfo, or 0.
func retryDelay(err error) time.Duration {
	for _, d := range status.Convert(err).Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			return ri.GetRetryDelay().AsDuration()
		}
	}
	return 0
}
