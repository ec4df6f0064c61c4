// Package httplimittest is the conformance suite every HTTP adapter of
// ratelimit runs: the same requests through net/http, gin, echo and fiber
// middleware must get the same statuses, headers and bodies.
package httplimittest

import (
	"net/http"
	"testing"

	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// Serve sends one request through an adapter and returns its response.
type Serve func(*http.Request) *http.Response

// Harness describes an adapter to [Run].
type Harness struct {
	// New returns a server running the adapter's middleware over l with
	// opts in front of handlers that answer 200 "ok" to GET / and to
	// GET /r/{id} (written in the framework's route syntax, so that the
	// request's Route is that pattern). The server must pass the request's
	// context and RemoteAddr through, and is closed at t's cleanup.
	New func(t *testing.T, l *ratelimit.Limiter, opts ...httplimit.Option) Serve
	// NewPerRoute returns a server like New's whose every route runs the
	// middleware over global, and whose GET /r/{id} also runs, after it,
	// the middleware over route with [httplimit.WithName]("route"): a
	// stricter limit on one route. Optional: without it the PerRoute case
	// is skipped.
	NewPerRoute func(t *testing.T, global, route *ratelimit.Limiter) Serve
	// NoRemoteAddr says the adapter's test mode cannot carry a request's
	// RemoteAddr (every request comes from one peer); the cases that key
	// by peer address are skipped.
	NoRemoteAddr bool
	// NoContext says the adapter's test mode cannot carry a request's
	// context (fiber's app.Test); the case whose request's context ends
	// before the limiter answers is skipped.
	NoContext bool
}
