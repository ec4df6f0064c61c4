// Package grpclimit is the gRPC side of ratelimit: server interceptors that
// limit calls with a [ratelimit.Limiter] ([UnaryServerInterceptor],
// [StreamServerInterceptor] for a stream's opening,
// [StreamMessageInterceptor] for each message a stream receives), and a
// [Client] whose client interceptors wait for a limiter before each call and
// honour a server's RetryInfo.
//
//	s := grpc.NewServer(grpc.ChainUnaryInterceptor(
//		grpclimit.UnaryServerInterceptor(perClient),                                // every method, per client IP
//		grpclimit.UnaryServerInterceptor(search, grpclimit.OnlyMethods(searchMethod)), // one method, a limit of its own
//	))
//
// The request logic is that of [httplimit], shared with the HTTP adapters:
// the options ([httplimit.WithKey], [httplimit.WithCost],
// [httplimit.WithSkip], [httplimit.WithWait], [httplimit.WithLists],
// [httplimit.WithHeaders], [httplimit.WithErrorHook]), the key functions and
// the failure policy. A call is seen as an [httplimit.Request] whose Path
// and Route are the full method ("/package.Service/Method"), whose Method is
// "POST", whose headers are the call's incoming metadata (names in any
// case), whose Query is always "" and whose RemoteAddr is the peer's
// address. So [httplimit.ClientIP] keys a call by its peer's IP address, and
// reads forwarding metadata (x-forwarded-for, x-real-ip, …) only from the
// proxies [httplimit.TrustProxies] names: a client's own forwarding
// metadata is never read. [httplimit.WithReply] has no effect: a gRPC call
// is answered with a status.
//
// [httplimit.WithCountIf] and [httplimit.WithResponseCost] settle a call
// once its handler has returned (a stream: once the stream has ended, for
// its opening and each of its messages), by an [httplimit.Response] whose
// Status is the HTTP status of the call's gRPC code (OK 200, NotFound 404,
// …; google.rpc.Code's mapping), whose Written is -1 and which has no
// headers: [httplimit.Failed] counts the calls that end with an error.
//
// A limited call gets the rate-limit state as header metadata (trailer
// metadata for a message [StreamMessageInterceptor] refuses), with the
// names and values the HTTP adapters write, in lower case: ratelimit-policy
// and ratelimit, x-ratelimit-limit, -remaining and -reset, as
// [httplimit.WithHeaders] selects them, and retry-after (whole seconds,
// rounded up) on a denial a wait can cure. A call that does not pass never
// reaches its handler and gets a status error:
//
//   - denied: codes.ResourceExhausted, "rate limit exceeded", with an
//     errdetails.RetryInfo whose delay is the decision's retry-after rounded
//     up to the millisecond (none when no wait can admit the call's cost);
//   - the limiter fails (its store is down): codes.Unavailable, "rate
//     limiter unavailable", the store's error told only to the error hook;
//     a limiter built [ratelimit.WithFailOpen] or [ratelimit.WithDryRun]
//     lets the call through without metadata;
//   - the call cannot be keyed or costed (no such metadata, a peer that is
//     not an IP address, a negative cost): codes.InvalidArgument, with the
//     key or cost function's error in the message, fail-open or not — never
//     a free pass;
//   - a deny list ([httplimit.WithLists]) holds it: codes.PermissionDenied;
//   - its context ends before the limiter answers: codes.Canceled, or
//     codes.DeadlineExceeded for a deadline.
//
// A per-method limit is an interceptor of its own over a limiter of its own
// (with a prefix of its own, [ratelimit.WithPrefix], when it shares a
// store), restricted to its methods by [OnlyMethods] and chained with the
// others.
package grpclimit
