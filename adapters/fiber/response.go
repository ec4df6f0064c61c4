package fiberlimit

import (
	"errors"
	"sync"

	"github.com/gofiber/fiber/v2"

	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
)

// settle runs the rest of the chain, then settles p by its response, then
// puts r, the request it was admitted as, back into requests.
func settle(c *fiber.Ctx, r *request, p *httplimit.Pending, requests *sync.Pool) error {
	resp := &response{c: c}
	defer func() {
		p.Settle(r, resp)
		r.c = nil
		requests.Put(r)
	}()
	resp.err = c.Next()
	resp.done = true
	return resp.err
}

// response is the [httplimit.Response] of a fiber request, read from
// c.Response() once the rest of the chain has returned. An error it
// returned is written by the app's error handler later: it counts as the
// status fiber's default handler maps it to.
type response struct {
	c    *fiber.Ctx
	err  error // the chain's
	done bool  // the chain returned: it did not panic
}

func (r *response) Status() int {
	switch {
	case !r.done:
		return fiber.StatusInternalServerError
	case r.err == nil:
		return r.c.Response().StatusCode()
	}
	var fe *fiber.Error
	if errors.As(r.err, &fe) {
		return fe.Code
	}
	return fiber.StatusInternalServerError
}

// Written returns the body's length: a body stream's Content-Length, or -1
// when the stream has no set size (SendStream with size -1,
// SetBodyStreamWriter). It never reads a stream.
func (r *response) Written() int64 {
	res := r.c.Response()
	if res.IsBodyStream() {
		return int64(max(res.Header.ContentLength(), -1))
	}
	return int64(len(res.Body()))
}

// Header returns the response header's value, a copy valid after the
// request (fasthttp reuses the response's buffers).
func (r *response) Header(name string) string {
	return string(r.c.Response().Header.Peek(name))
}
