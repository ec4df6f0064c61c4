package httplimit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gorate/ratelimit"
)

// Response is what [WithCountIf] and [WithResponseCost] see of the
// response to a request, once the handler has returned: the same under
// net/http, gin, echo and fiber. A Response is valid only during the call
// it is passed to.
type Response interface {
	// Status returns the response's status: 200 when the handler wrote
	// nothing, 500 when it panicked (the panic goes on after the
	// settlement). A handler's returned error (echo, fiber) that the
	// response has not yet been written for counts as the status it maps
	// to: an echo.HTTPError's or fiber.Error's code, else 500. A net/http
	// response hijacked before any status was written counts as 101.
	Status() int
	// Written returns the bytes of body the handler wrote, or -1 when they
	// are not known before the body is sent (fiber: a body stream of no
	// set size).
	Written() int64
	// Header returns the first value of the named response header, or "".
	Header(name string) string
}

// Failed is a [WithCountIf] predicate: the responses whose status is 400 or
// above count.
func Failed(_ Request, resp Response) bool { return resp.Status() >= 400 }

// Succeeded is a [WithCountIf] predicate: the responses whose status is
// below 400 count.
func Succeeded(_ Request, resp Response) bool { return resp.Status() < 400 }

// settleTimeout bounds a settlement's store calls: they run after the
// response, under the request's context without its cancellation.
const settleTimeout = 5 * time.Second

// Pending is a request the engine admitted whose count or cost waits for
// its response ([WithCountIf], [WithResponseCost]): the adapter runs the
// handler, then calls [Pending.Settle] once, from one goroutine. A nil
// *Pending settles nothing.
type Pending struct {
	e   *Engine
	key string
	d   ratelimit.Decision // the admission
	n   int64              // the units it took
}

// Settle settles p's request r by its response resp, as [WithCountIf] and
// [WithResponseCost] say, in the caller's goroutine: an adapter calls it
// after the handler, deferred so that a panicking handler is settled too
// (resp's Status then 500).
// The store calls run under r's context without its cancellation
// (context.WithoutCancel), for at most 5 seconds; their failures, and a
// response cost's, go to the error hook ([WithErrorHook]).
func (p *Pending) Settle(r Request, resp Response) {
	if p == nil {
		return
	}
	c := &p.e.cfg
	var m int64 // the units the request costs, settled
	switch {
	case c.countIf != nil && !c.countIf(r, resp):
		m = 0
	case c.respCost != nil:
		var err error
		if m, err = c.respCost(r, resp); err == nil && m < 0 {
			err = fmt.Errorf("%w: response cost %d is negative", ratelimit.ErrInvalidArgument, m)
		}
		if err != nil {
			p.e.report(r, err)
			return
		}
	default:
		return // counted, at the cost it was admitted with
	}
	if m == p.n {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), settleTimeout)
	defer cancel()
	var err error
	if m < p.n {
		_, err = p.e.l.Refund(ctx, p.key, p.d, p.n-m)
	} else {
		_, err = p.e.l.Charge(ctx, p.key, m-p.n)
	}
	if err != nil {
		p.e.report(r, fmt.Errorf("httplimit: settling the response: %w", err))
	}
}

// mustSettle panics unless l's store can refund and charge, when an option
// needs it: a limiter whose store cannot is a programming error, found when
// the middleware is built rather than on every response. The probe's
// negative weight makes it change nothing: the limiter refuses it once it
// has found a Settler.
func mustSettle(l *ratelimit.Limiter) {
	_, err := l.Refund(context.Background(), "", ratelimit.Decision{}, -1)
	if errors.Is(err, errors.ErrUnsupported) {
		panic("httplimit: WithCountIf and WithResponseCost need a store that can refund and charge (ratelimit.Settler): " + err.Error())
	}
}
