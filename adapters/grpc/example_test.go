package grpclimit_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gorate/ratelimit"
	grpclimit "github.com/gorate/ratelimit/adapters/grpc"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// A server limiting every call per client IP, and one method per API key,
// read from the call's metadata, more strictly.
func ExampleOnlyMethods() {
	store, err := memorystore.New()
	if err != nil {
		log.Fatal(err)
	}
	perClient, err := ratelimit.New(store, ratelimit.PerSecond(100))
	if err != nil {
		log.Fatal(err)
	}
	check, err := ratelimit.New(store, ratelimit.PerMinute(2), ratelimit.WithPrefix("check:"))
	if err != nil {
		log.Fatal(err)
	}
	s := grpc.NewServer(grpc.ChainUnaryInterceptor(
		grpclimit.UnaryServerInterceptor(perClient),
		grpclimit.UnaryServerInterceptor(check,
			grpclimit.OnlyMethods(healthpb.Health_Check_FullMethodName),
			httplimit.WithKey(httplimit.Header("x-api-key"))),
	))
	healthpb.RegisterHealthServer(s, health.NewServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go s.Serve(lis)
	defer s.Stop()

	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer cc.Close()
	client := healthpb.NewHealthClient(cc)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-api-key", "k-42")
	for range 3 {
		var md metadata.MD
		_, err := client.Check(ctx, &healthpb.HealthCheckRequest{}, grpc.Header(&md))
		fmt.Println(status.Code(err), md.Get("x-ratelimit-limit"))
	}
	_, err = client.Check(context.Background(), &healthpb.HealthCheckRequest{})
	fmt.Println("without an API key:", status.Code(err))
	// Output:
	// OK [100 2]
	// OK [100 2]
	// ResourceExhausted [100 2]
	// without an API key: InvalidArgument
}

// A client that waits for a limiter of its own, 10 calls a second per
// method, before each call, and holds a method back for as long as the
// server asks. The server allows 2 calls per 100ms: its answer to the
// second says none is left for a second ("…";r=0;t=1 in its ratelimit
// metadata), so the client holds the third call back for that second,
// rather than send it to be refused, and it is admitted.
func ExampleNewClient() {
	store, err := memorystore.New()
	if err != nil {
		log.Fatal(err)
	}
	own, err := ratelimit.New(store, ratelimit.PerSecond(10))
	if err != nil {
		log.Fatal(err)
	}
	server, err := ratelimit.New(store, ratelimit.Rate{Limit: 2, Interval: 100 * time.Millisecond}, ratelimit.WithPrefix("server:"))
	if err != nil {
		log.Fatal(err)
	}
	s := grpc.NewServer(grpc.UnaryInterceptor(grpclimit.UnaryServerInterceptor(server)))
	healthpb.RegisterHealthServer(s, health.NewServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go s.Serve(lis)
	defer s.Stop()

	c := grpclimit.NewClient(own, nil)
	cc, err := grpc.NewClient(lis.Addr().String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithChainUnaryInterceptor(c.Unary()),
		grpc.WithChainStreamInterceptor(c.Stream()))
	if err != nil {
		log.Fatal(err)
	}
	defer cc.Close()
	client := healthpb.NewHealthClient(cc)
	for range 3 {
		_, err := client.Check(context.Background(), &healthpb.HealthCheckRequest{})
		fmt.Println(status.Code(err))
	}
	// Output:
	// OK
	// OK
	// OK
}
