package httplimit_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorate/ratelimit"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
)

// settled is what a WithCountIf predicate saw of a response.
type settled struct {
	status int
	size   int64
}

// seen returns a WithCountIf option counting every response, and the
// channel it sends what it saw of each to.
func seen() (httplimit.Option, chan settled) {
	c := make(chan settled, 10)
	return httplimit.WithCountIf(func(_ httplimit.Request, resp httplimit.Response) bool {
		c <- settled{resp.Status(), resp.Written()}
		return true
	}), c
}

// TestResponseWriter checks what the middleware's writer records of a
// net/http response, and that it flushes and hijacks through the writer it
// wraps, whether the handler asserts the interfaces or uses an
// http.ResponseController.
func TestResponseWriter(t *testing.T) {
	count, responses := seen()
	l := newLimiter(t, nil, ratelimit.PerSecond(1<<40))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hints", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusEarlyHints) // informational: the final status follows
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, "abc")
	})
	mux.HandleFunc("GET /flush", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ab")
		w.(http.Flusher).Flush()
		io.WriteString(w, "c")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Error(err)
		}
	})
	mux.HandleFunc("GET /hijack", func(w http.ResponseWriter, _ *http.Request) {
		conn, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n")
		rw.Flush()
	})
	mux.HandleFunc("GET /deadline", func(w http.ResponseWriter, _ *http.Request) {
		if err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Error(err) // reached through Unwrap
		}
	})
	srv := httptest.NewServer(httplimit.Middleware(l, count)(mux))
	t.Cleanup(srv.Close)
	for _, c := range []struct {
		path string
		want settled
	}{
		{"/hints", settled{202, 3}},
		{"/flush", settled{200, 3}},
		{"/hijack", settled{101, 0}},
		{"/deadline", settled{200, 0}},
	} {
		res, err := srv.Client().Get(srv.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if got := <-responses; got != c.want {
			t.Errorf("GET %s: settled as %+v, want %+v", c.path, got, c.want)
		}
	}
}

// TestFlushUnsupported checks that the writer's Flush does nothing when
// the writer it wraps cannot flush, as a handler asserting http.Flusher
// then expects.
func TestFlushUnsupported(t *testing.T) {
	count, responses := seen()
	l := newLimiter(t, nil, ratelimit.PerSecond(1<<40))
	h := httplimit.Middleware(l, count)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.(http.Flusher).Flush()
		if _, _, err := w.(http.Hijacker).Hijack(); !errors.Is(err, http.ErrNotSupported) {
			t.Errorf("Hijack over a writer that cannot: %v, want http.ErrNotSupported", err)
		}
	}))
	h.ServeHTTP(&discardWriter{h: http.Header{}}, httptest.NewRequest(http.MethodGet, "/", nil))
	if got := <-responses; got != (settled{http.StatusOK, 0}) {
		t.Errorf("settled as %+v, want a 200 of 0 bytes", got)
	}
}

// blockingSettler is a memory store whose refunds wait for their context
// to end.
type blockingSettler struct{ ratelimit.Store }

func (blockingSettler) Refund(ctx context.Context, _ string, _ ratelimit.Rates, _ ratelimit.Decision, _ int64) (ratelimit.Decision, error) {
	<-ctx.Done()
	return ratelimit.Decision{}, context.Cause(ctx)
}

func (blockingSettler) Charge(context.Context, string, ratelimit.Rates, int64) (ratelimit.Decision, error) {
	return ratelimit.Decision{}, errors.ErrUnsupported
}

// TestSettleTimeout checks that a settlement's store call is bounded by 5
// seconds, its failure going to the error hook.
func TestSettleTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, blockingSettler{newStore(t)}, ratelimit.PerSecond(10))
		var got error
		h := httplimit.Middleware(l, httplimit.WithCountIf(httplimit.Failed), httplimit.WithErrorHook(func(_ httplimit.Request, err error) { got = err }))(discard)
		start := time.Now()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil))
		if !errors.Is(got, context.DeadlineExceeded) {
			t.Errorf("the error hook saw %v, want a deadline", got)
		}
		if d := time.Since(start); d != 5*time.Second {
			t.Errorf("the settlement took %v, want 5s", d)
		}
	})
}
