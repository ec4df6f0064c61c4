package httplimit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/internal/shadowslot"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// Engine is the request logic the adapters share — key, lists, cost, skip,
// the limiter call, the headers, the reply to a denial or a failure — for
// adapter authors: an adapter maps its framework's request onto a
// [Request] and calls [Engine.Handle] or [Engine.Check]. Applications use
// [Middleware] or their framework's package instead. An Engine is safe for
// concurrent use.
type Engine struct {
	l        *ratelimit.Limiter
	cfg      config
	policies policies
	outcomes sync.Pool // of *outcome, reset, for Check
}

// NewEngine returns the engine of [Middleware](l, opts...). It panics when
// l, an option or an option's function is nil, or when [WithCountIf] or
// [WithResponseCost] is given and l's store cannot refund and charge
// ([ratelimit.Settler]): those are programming errors, not request-time
// failures.
func NewEngine(l *ratelimit.Limiter, opts ...Option) *Engine {
	if l == nil {
		panic("httplimit: nil limiter")
	}
	e := &Engine{l: l, cfg: newConfig(opts)}
	if e.cfg.settles() {
		mustSettle(l)
	}
	return e
}

// NewIPEngine returns the engine of [LimitByIP](rates...): a limiter
// enforcing rates per client IP over a store of its own in memory, which
// starts no goroutine and needs no Close. It panics, naming the value, when
// the rates are invalid (as [ratelimit.NewRates] finds them).
func NewIPEngine(rates ...ratelimit.Rate) *Engine {
	s, err := memorystore.New()
	if err == nil {
		var l *ratelimit.Limiter
		if l, err = ratelimit.New(s, ratelimit.Rates(rates)); err == nil {
			return NewEngine(l)
		}
	}
	panic("httplimit: LimitByIP: " + err.Error())
}

// outcome is what the engine decided for one request.
type outcome struct {
	pass  bool // the request goes on to the handler
	h     headers
	reply Reply    // when !pass
	p     *Pending // when pass and the response settles the request
}

// Handle decides r and writes the outcome to w, for adapters whose
// response is an http.ResponseWriter: the headers, replacing any of the
// same name (with middlewares stacked, the innermost one's win), and, when
// the request does not pass, the reply. It reports whether the request goes
// on to the handler, and, when the response settles the request
// ([WithCountIf], [WithResponseCost]), the [Pending] to settle after the
// handler (nil otherwise).
func (e *Engine) Handle(w http.ResponseWriter, r Request) (pass bool, p *Pending) {
	var o outcome
	e.decide(r, &o)
	if o.h.n > 0 {
		o.h.write(w.Header())
	}
	if !o.pass {
		if o.reply.ContentType != "" {
			w.Header().Set("Content-Type", o.reply.ContentType)
		}
		w.WriteHeader(o.reply.Status)
		w.Write(o.reply.Body)
	}
	return o.pass, o.p
}

// Check decides r for adapters that write responses their own way: it
// calls setHeader with each header to set, the name in canonical form, the
// value without line breaks and valid only until setHeader returns (a
// buffer of the call's: copy it to keep it), and reports whether the
// request goes on to the handler; when it does not, reply is the response
// to write. The reply's Body may be shared: copy it, never write to it.
// When the response settles the request ([WithCountIf],
// [WithResponseCost]), p is the [Pending] to settle after the handler (nil
// otherwise). Check allocates nothing for the headers: it decides in the
// [CheckBuffer] r embeds, or else in one of a pool of its own.
func (e *Engine) Check(r Request, setHeader func(name string, value []byte)) (pass bool, reply Reply, p *Pending) {
	// setHeader could keep the buffer it is shown, which therefore cannot
	// be on the stack: the outcomes are lent by r or pooled.
	b, lent := r.(lender)
	var o *outcome
	if lent {
		o = b.checkBuffer()
	} else if o, _ = e.outcomes.Get().(*outcome); o == nil {
		o = new(outcome)
	}
	e.decide(r, o)
	o.h.visit(setHeader)
	pass, reply, p = o.pass, o.reply, o.p
	o.h.n, o.h.used, o.h.p, o.reply, o.p = 0, 0, nil, Reply{}, nil
	if !lent {
		e.outcomes.Put(o)
	}
	return pass, reply, p
}

// CheckBuffer is the room [Engine.Check] decides a request in. An adapter
// that pools its [Request] values can embed one in them: Check then decides
// in the request's buffer instead of taking one from a pool of its own. A
// CheckBuffer serves one Check at a time; its zero value is ready to use.
type CheckBuffer struct{ o outcome }

func (b *CheckBuffer) checkBuffer() *outcome { return &b.o }

// lender is a [Request] that embeds a [CheckBuffer].
type lender interface{ checkBuffer() *outcome }

func (e *Engine) decide(r Request, o *outcome) {
	o.pass = true
	c := &e.cfg
	if c.skip != nil && c.skip(r) {
		return
	}
	key, err := c.key(r)
	if err == nil && key == "" {
		err = missing("the key function returned \"\"")
	}
	if err != nil {
		e.stop(r, o, http.StatusBadRequest, nil, err)
		return
	}
	if c.lists != nil {
		if allow, deny := c.lists.judge(r, key); deny {
			e.stop(r, o, http.StatusForbidden, nil, nil)
			return
		} else if allow {
			return
		}
	}
	n := int64(1)
	if c.respCost != nil {
		n = 0 // paid once the response is known
	}
	if c.cost != nil {
		if n, err = c.cost(r); err == nil && n < 0 {
			err = fmt.Errorf("%w: cost %d is negative", ratelimit.ErrInvalidArgument, n)
		}
		if err != nil {
			e.stop(r, o, http.StatusBadRequest, nil, err)
			return
		}
	}
	ctx := r.Context()
	var d ratelimit.Decision
	var shadow *ratelimit.Decision // the shadow's, when its header is wanted
	if c.headers&HeadersShadow != 0 {
		shadow = new(ratelimit.Decision)
		ctx = context.WithValue(ctx, shadowslot.Key{}, shadow)
	}
	if c.wait > 0 {
		err = e.wait(ctx, &d, key, n)
	} else {
		d, err = e.l.AllowN(ctx, key, n)
	}
	if err != nil {
		status := http.StatusServiceUnavailable
		if errors.Is(ctx.Err(), context.Canceled) {
			status = statusClientClosed
		}
		e.stop(r, o, status, nil, err)
		return
	}
	if d.Rate.Limit == 0 {
		return // a limiter that fails open admitted it: no rate to tell
	}
	o.h.set(c.headers, &e.policies, &d, shadow)
	if !d.Allowed {
		e.stop(r, o, http.StatusTooManyRequests, &d, nil)
	} else if c.settles() {
		o.p = &Pending{e: e, key: key, d: d, n: n}
	}
}

// wait is decide's limiter call under WithWait: a wait the limiter gives
// up on (too long for WithWait or the request's deadline, or a weight no
// wait can admit) is a denial, not a failure.
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
// away before the reply (499).
const statusClientClosed = 499

// stop makes o a reply of status: to the denial d, or to the failure err
// (reported to the error hook).
func (e *Engine) stop(r Request, o *outcome, status int, d *ratelimit.Decision, err error) {
	if err != nil {
		e.report(r, err)
	}
	o.pass = false
	o.h.add(fieldNoSniff, fixedNoSniff)
	if e.cfg.reply != nil {
		var dd ratelimit.Decision
		if d != nil {
			dd = *d
		}
		o.reply = e.cfg.reply(r, status, dd, err)
		if o.reply.Status != 0 || o.reply.ContentType != "" || o.reply.Body != nil {
			if o.reply.Status == 0 {
				o.reply.Status = status
			}
			return
		}
	}
	retry := int64(-1)
	line := bodyUnavailable
	switch status {
	case http.StatusTooManyRequests:
		line = bodyLimited
		if d.RetryAfter != ratelimit.Never {
			retry = ceilSeconds(d.RetryAfter)
		}
	case http.StatusBadRequest:
		line = bodyBadRequest
	case http.StatusForbidden:
		line = bodyForbidden
	case statusClientClosed:
		line = bodyClosed
	}
	o.reply = textOrJSON(r, status, line, retry)
}

// report hands err to the error hook, if any.
func (e *Engine) report(r Request, err error) {
	if e.cfg.onError != nil {
		e.cfg.onError(r, err)
	}
}

// The plain-text bodies, one line each, shared (never written to).
var (
	bodyLimited     = []byte("rate limit exceeded\n")
	bodyUnavailable = []byte("rate limiter unavailable\n")
	bodyBadRequest  = []byte("request cannot be rate limited\n")
	bodyForbidden   = []byte("forbidden\n")
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
