package httplimit_test

import (
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorate/ratelimit"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// answering is a base RoundTripper that answers each request with the
// status and header fields its answer function gives for the request's
// number (from 1), counting the requests sent.
type answering struct {
	sent   atomic.Int64
	answer func(n int64) (int, http.Header)
}

func (a *answering) RoundTrip(req *http.Request) (*http.Response, error) {
	status, h := a.answer(a.sent.Add(1))
	if h == nil {
		h = http.Header{}
	}
	return &http.Response{StatusCode: status, Header: h, Body: http.NoBody, Request: req}, nil
}

// holdLimiter returns a limiter of 1000/s over a new memory store, with
// opts and no wait buffer, so that waits are the delays themselves.
func holdLimiter(t *testing.T, opts ...ratelimit.Option) *ratelimit.Limiter {
	t.Helper()
	s, err := memorystore.New()
	if err != nil {
		t.Fatal(err)
	}
	l, err := ratelimit.New(s, append(opts, ratelimit.PerSecond(1000), ratelimit.WithBuffer(0))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// TestTransportHolds: a server's delay asked by the first response holds
// back the second request to the same host for exactly that long, through
// the store when the limiter keeps blocks and in the RoundTripper when it
// does not; responses that ask for nothing hold nothing.
func TestTransportHolds(t *testing.T) {
	date := "Sun, 06 Dec 2026 12:00:00 GMT"
	for _, tt := range []struct {
		name   string
		status int
		fields map[string]string
		want   time.Duration
	}{
		{"429 Retry-After seconds", 429, map[string]string{"Retry-After": "2"}, 2 * time.Second},
		{"503 Retry-After seconds", 503, map[string]string{"Retry-After": "5"}, 5 * time.Second},
		{"429 Retry-After HTTP-date", 429, map[string]string{"Date": date, "Retry-After": "Sun, 06 Dec 2026 12:00:04 GMT"}, 4 * time.Second},
		{"500 Retry-After", 500, map[string]string{"Retry-After": "2"}, 0},
		{"200 Retry-After", 200, map[string]string{"Retry-After": "2"}, 0},
		{"RateLimit used up", 200, map[string]string{"RateLimit": `"x";r=0;t=3`}, 3 * time.Second},
		{"RateLimit left", 200, map[string]string{"RateLimit": `"x";r=1;t=3`}, 0},
		{"429 RateLimit longer than Retry-After", 429, map[string]string{"RateLimit": `"x";r=0;t=9`, "Retry-After": "2"}, 9 * time.Second},
		{"RateLimit-Remaining 0", 200, map[string]string{"RateLimit-Remaining": "0", "RateLimit-Reset": "4"}, 4 * time.Second},
		{"RateLimit-Remaining 1", 200, map[string]string{"RateLimit-Remaining": "1", "RateLimit-Reset": "4"}, 0},
		{"429 without a delay", 429, nil, 0},
		{"429 Retry-After garbage", 429, map[string]string{"Retry-After": "later"}, 0},
	} {
		for _, keeps := range []bool{true, false} {
			name := tt.name + "/local"
			var opts []ratelimit.Option
			if keeps {
				name, opts = tt.name+"/store", []ratelimit.Option{ratelimit.Block{}}
			}
			t.Run(name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					base := &answering{answer: func(n int64) (int, http.Header) {
						if n > 1 {
							return 200, nil
						}
						h := http.Header{}
						for k, v := range tt.fields {
							h.Set(k, v)
						}
						return tt.status, h
					}}
					client := &http.Client{Transport: httplimit.Transport(base, holdLimiter(t, opts...), nil)}
					send(t, client, "http://api.test/a", tt.status)
					start := time.Now()
					send(t, client, "http://other.test/", 200) // another host: not held
					if waited := time.Since(start); waited != 0 {
						t.Fatalf("a request to another host waited %v", waited)
					}
					send(t, client, "http://api.test/b", 200)
					if waited := time.Since(start); waited != tt.want {
						t.Fatalf("the next request to the host waited %v; want %v", waited, tt.want)
					}
				})
			})
		}
	}
}

// send sends a GET of url with client and checks the response's status.
func send(t *testing.T, client *http.Client, url string, status int) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != status {
		t.Fatalf("GET %s: status %d; want %d", url, resp.StatusCode, status)
	}
}

// TestTransportHoldDeadline: a request held back past its deadline fails at
// once with ErrWaitTooLong, closes its body and sends nothing, whether the
// hold is in the store or local.
func TestTransportHoldDeadline(t *testing.T) {
	for name, opts := range map[string][]ratelimit.Option{"store": {ratelimit.Block{}}, "local": nil} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				base := &answering{answer: func(int64) (int, http.Header) {
					return 429, http.Header{"Retry-After": {"60"}}
				}}
				client := &http.Client{Transport: httplimit.Transport(base, holdLimiter(t, opts...), nil), Timeout: 10 * time.Second}
				send(t, client, "http://api.test/", 429)
				body := &closeRecorder{Reader: strings.NewReader("payload")}
				req, _ := http.NewRequestWithContext(t.Context(), "POST", "http://api.test/", body)
				start := time.Now()
				_, err := client.Do(req)
				if !errors.Is(err, ratelimit.ErrWaitTooLong) || time.Since(start) != 0 {
					t.Fatalf("a request held back past its deadline: %v after %v; want ErrWaitTooLong at once", err, time.Since(start))
				}
				if !body.closed.Load() || base.sent.Load() != 1 {
					t.Fatalf("body closed %v, %d requests sent; want the body closed and 1 sent", body.closed.Load(), base.sent.Load())
				}
			})
		})
	}
}
