package grpclimit

import (
	"context"
	"net"
	"net/http"
	"net/netip"

	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/gorate/ratelimit"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
)

// call is the [httplimit.Request] of one gRPC call, and where the engine's
// reply function leaves what it decided: a pointer, so that the reply
// function, which sees the Request, can fill it in.
type call struct {
	ctx    context.Context
	method string
	md     metadata.MD // read from ctx when a header is first asked for
	mdRead bool

	// Filled in by reply when the call does not pass.
	status int
	d      ratelimit.Decision
	err    error
}

func newCall(ctx context.Context, method string) *call {
	return &call{ctx: ctx, method: method}
}

// metadata returns the call's incoming metadata, read once: reading it
// copies it.
func (c *call) metadata() metadata.MD {
	if !c.mdRead {
		c.md, _ = metadata.FromIncomingContext(c.ctx)
		c.mdRead = true
	}
	return c.md
}

func (c *call) Context() context.Context { return c.ctx }

// Method returns "POST", the HTTP/2 method of every gRPC call.
func (c *call) Method() string { return http.MethodPost }

// Path returns the call's full method, "/package.Service/Method".
func (c *call) Path() string { return c.method }

// Route returns the call's full method, like Path.
func (c *call) Route() string { return c.method }

// Header returns the first value of the named metadata key (in any case).
func (c *call) Header(name string) string {
	if vs := c.metadata().Get(name); len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// HeaderValues returns every value of the named metadata key.
func (c *call) HeaderValues(name string) []string { return c.metadata().Get(name) }

// Query returns "": a gRPC call has no query.
func (c *call) Query(string) string { return "" }

// RemoteAddr returns the address of the peer, or "" when the context has none.
func (c *call) RemoteAddr() string {
	if p, ok := peer.FromContext(c.ctx); ok && p.Addr != nil {
		return p.Addr.String()
	}
	return ""
}

// RemoteAddrPort returns the peer's address, parsed, or the zero AddrPort
// when it is not an IP address: [httplimit.ClientIP] reads it instead of
// parsing RemoteAddr.
func (c *call) RemoteAddrPort() netip.AddrPort {
	p, ok := peer.FromContext(c.ctx)
	if !ok || p.Addr == nil {
		return netip.AddrPort{}
	}
	if ta, ok := p.Addr.(*net.TCPAddr); ok {
		return ta.AddrPort()
	}
	ap, _ := netip.ParseAddrPort(p.Addr.String())
	return ap
}

// HTTPRequest returns nil: a gRPC call has no *http.Request.
func (c *call) HTTPRequest() *http.Request { return nil }

// reply is the engine's reply function: it records what the engine
// decided in the call, which then answers with a status.
func reply(r httplimit.Request, status int, d ratelimit.Decision, err error) httplimit.Reply {
	c := r.(*call)
	c.status, c.d, c.err = status, d, err
	return httplimit.Reply{Status: status}
}
