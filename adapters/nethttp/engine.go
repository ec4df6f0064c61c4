package httplimit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// Engine is the request logic every adapter shares: key, cost, skip, the
// limiter call, the headers and the response to a denial or a failure. An
// adapter maps its framework's request onto a [Request], calls Check, and
// writes the [Outcome]. It is safe for concurrent use.
type Engine struct {
	l   *ratelimit.Limiter
	cfg config
	p   policies
}

// NewEngine returns the engine of a middleware over l. It panics when l, an
// option or an option's function is nil, as http.Handle does for a nil
// handler: that is a programming error, not a request-time failure.
func NewEngine(l *ratelimit.Limiter, opts ...Option) *Engine {
	if l == nil {
		panic("httplimit: nil limiter")
	}
	return &Engine{l: l, cfg: newConfig(opts), p: newPolicies(l.Rates())}
}

// Outcome is what [Engine.Check] decided for one request.
type Outcome struct {
	// Pass reports whether the request goes on to the handler. When it is
	// false, the adapter writes Headers and Reply and stops.
	Pass bool
	// Decision is the limiter's decision; the zero Decision when the
	// request was skipped or the limit could not be checked.
	Decision ratelimit.Decision
	// Err is the failure behind a 400, a 499 or a 503, or behind a
	// request let through by [WithFailOpen]; nil otherwise.
	Err error
	// Headers are to be set on the response, whether it passes or not (a
	// reply adds X-Content-Type-Options: nosniff).
	Headers Headers
	// Reply is the response to write when Pass is false.
	Reply Reply
}

// Check decides r into o.
func (e *Engine) Check(r Request, o *Outcome) {
	*o = Outcome{Pass: true}
	c := &e.cfg
	if c.skip != nil && c.skip(r) {
		return
	}
	key, err := c.key(r)
	if err == nil && key == "" {
		err = fmt.Errorf("%w: the key function returned \"\"", ErrEmptyKey)
	}
	if err != nil {
		e.reject(r, o, err)
		return
	}
	if c.name != "" {
		key = c.name + ":" + key
	}
	n := int64(1)
	if c.cost != nil {
		if n, err = c.cost(r); err == nil && n < 0 {
			err = ratelimit.WeightError(key, n)
		}
		if err != nil {
			e.reject(r, o, err)
			return
		}
	}
	ctx := r.Context()
	if c.wait > 0 {
		err = e.wait(ctx, &o.Decision, key, n)
	} else {
		o.Decision, err = e.l.AllowN(ctx, key, n)
	}
	if err != nil {
		e.fail(ctx, r, o, err)
		return
	}
	e.p.set(&o.Headers, c.headers, &o.Decision)
	if !o.Decision.Allowed {
		e.reply(o, e.denied(r, &o.Decision))
	}
}

// wait is Check's limiter call in wait mode: a wait the limiter gives up on
// (too long for WithWait or the request's deadline, or a weight no wait can
// admit) is a denial, not a failure.
func (e *Engine) wait(ctx context.Context, d *ratelimit.Decision, key string, n int64) error {
	wctx, cancel := context.WithTimeout(ctx, e.cfg.wait)
	defer cancel()
	var err error
	*d, err = e.l.WaitN(wctx, key, n)
	if err == nil {
		return nil
	}
	var le *ratelimit.LimitError
	if errors.As(err, &le) || (ctx.Err() == nil && wctx.Err() != nil && d.Rate.Limit > 0) {
		return nil // a denial: *d is the last one
	}
	return err
}

// statusClientClosed is nginx's status for a request whose client went
// away before the reply (499): the middleware answers it to a request
// whose context was cancelled before the limiter admitted it, so that logs
// tell it from a store failure.
const statusClientClosed = 499

// fail answers a failed limiter call: a request whose context ctx has ended
// is not run (499 when cancelled, 503 when its deadline passed); any other
// failure is the store's, answered 503 or let through with WithFailOpen.
func (e *Engine) fail(ctx context.Context, r Request, o *Outcome, err error) {
	e.failed(r, o, err)
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		e.reply(o, textOrJSON(r, statusClientClosed, bodyClosed, -1))
	case ctx.Err() == nil && e.cfg.failOpen:
	default:
		e.reply(o, textOrJSON(r, http.StatusServiceUnavailable, bodyUnavailable, -1))
	}
}

// reject answers a request that cannot be keyed or costed: the client's
// fault, never let through.
func (e *Engine) reject(r Request, o *Outcome, err error) {
	e.failed(r, o, err)
	if e.cfg.bad == nil {
		e.reply(o, textOrJSON(r, http.StatusBadRequest, bodyBadRequest, -1))
		return
	}
	rep := e.cfg.bad(r, err)
	if rep.Status == 0 {
		rep.Status = http.StatusBadRequest
	}
	e.reply(o, rep)
}

// failed records err in o and hands it to the error hook.
func (e *Engine) failed(r Request, o *Outcome, err error) {
	o.Decision = ratelimit.Decision{}
	o.Err = err
	if e.cfg.onError != nil {
		e.cfg.onError(r, err)
	}
}

// reply makes o a stop with rep.
func (e *Engine) reply(o *Outcome, rep Reply) {
	o.Pass = false
	o.Reply = rep
	o.Headers.add(headerNoSniff, "nosniff")
}

func (e *Engine) denied(r Request, d *ratelimit.Decision) Reply {
	if e.cfg.denied != nil {
		rep := e.cfg.denied(r, *d)
		if rep.Status == 0 {
			rep.Status = http.StatusTooManyRequests
		}
		return rep
	}
	retry := int64(-1)
	if d.RetryAfter != ratelimit.Never {
		retry = ceilSeconds(d.RetryAfter)
	}
	return textOrJSON(r, http.StatusTooManyRequests, bodyLimited, retry)
}

// The plain-text bodies, one line each, shared (never written to).
var (
	bodyLimited     = []byte("rate limit exceeded\n")
	bodyUnavailable = []byte("rate limiter unavailable\n")
	bodyBadRequest  = []byte("request cannot be rate limited\n")
	bodyClosed      = []byte("client closed request\n")
)

// textOrJSON returns the default reply: line, or, when r accepts
// application/json, {"error":line without its newline[,"retry_after":retry]}
// (retry < 0 leaves the field out).
func textOrJSON(r Request, status int, line []byte, retry int64) Reply {
	if strings.Contains(r.Header("Accept"), "application/json") {
		b := make([]byte, 0, 64)
		b = append(b, `{"error":"`...)
		b = append(b, line[:len(line)-1]...)
		b = append(b, '"')
		if retry >= 0 {
			b = append(b, `,"retry_after":`...)
			b = strconv.AppendInt(b, retry, 10)
		}
		b = append(b, "}\n"...)
		return Reply{Status: status, ContentType: "application/json", Body: b}
	}
	return Reply{Status: status, ContentType: "text/plain; charset=utf-8", Body: line}
}
