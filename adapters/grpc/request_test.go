package grpclimit_test

import (
	"net/http"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/gorate/ratelimit"
	grpclimit "github.com/gorate/ratelimit/adapters/grpc"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
)

// TestRequest checks what key functions see of a call, and that
// WithReply, an HTTP body, changes nothing: a call is answered with a
// status.
func TestRequest(t *testing.T) {
	l, _ := newLimiter(t, ratelimit.PerSecond(1))
	type seen struct {
		method, path, route, query, remote, user string
		users                                    []string
		httpRequest                              bool
	}
	got := make(chan seen, 2)
	key := func(r httplimit.Request) (string, error) {
		got <- seen{r.Method(), r.Path(), r.Route(), r.Query("user"), r.RemoteAddr(), r.Header("X-User"), r.HeaderValues("x-user"), r.HTTPRequest() != nil}
		return "k", nil
	}
	h := serve(t, grpc.UnaryInterceptor(grpclimit.UnaryServerInterceptor(l, httplimit.WithKey(key),
		httplimit.WithReply(func(httplimit.Request, int, ratelimit.Decision, error) httplimit.Reply {
			return httplimit.Reply{Status: http.StatusOK, Body: []byte("fine")}
		}))))
	tg := target{h, methodSay, callUnary}
	tg.do(t, peer("[2001:db8::7]:99"), meta("x-user", "ann"), meta("x-user", "bob")).want(t, codes.OK)
	tg.do(t).want(t, codes.ResourceExhausted)
	s := <-got
	want := seen{"POST", methodSay, methodSay, "", "[2001:db8::7]:99", "ann", []string{"ann", "bob"}, false}
	if s.method != want.method || s.path != want.path || s.route != want.route || s.query != want.query ||
		s.remote != want.remote || s.user != want.user || len(s.users) != 2 || s.users[1] != "bob" || s.httpRequest {
		t.Errorf("the key function saw %+v, want %+v", s, want)
	}
}
