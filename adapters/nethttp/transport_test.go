package httplimit_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
)

// countingServer is a real local server that counts the requests it gets.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		io.WriteString(w, "ok")
	}))
	t.Cleanup(s.Close)
	return s, &n
}

// closeRecorder is a request body that records its Close.
type closeRecorder struct {
	io.Reader
	closed atomic.Bool
}

func (c *closeRecorder) Close() error { c.closed.Store(true); return nil }

func TestTransport(t *testing.T) {
	a, hitsA := countingServer(t)
	b, hitsB := countingServer(t)
	l := newLimiter(t, nil, ratelimit.PerMinute(2))
	client := &http.Client{Transport: httplimit.Transport(nil, l, nil)}
	get := func(ctx context.Context, url string, body io.ReadCloser) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body)
		if err != nil {
			t.Fatal(err)
		}
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, res.Body)
		return res.Body.Close()
	}
	for range 2 {
		if err := get(t.Context(), a.URL, nil); err != nil {
			t.Fatal(err)
		}
	}
	// The third request to a would wait a minute: a short deadline fails it
	// at once, without contacting the server, and closes its body.
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	body := &closeRecorder{Reader: strings.NewReader("payload")}
	err := get(ctx, a.URL, body)
	if !errors.Is(err, ratelimit.ErrWaitTooLong) {
		t.Fatalf("third request: err = %v, want ErrWaitTooLong", err)
	}
	if !body.closed.Load() {
		t.Error("the failed request's body was not closed")
	}
	// Another host has its own limit.
	if err := get(t.Context(), b.URL, nil); err != nil {
		t.Fatal(err)
	}
	if hitsA.Load() != 2 || hitsB.Load() != 1 {
		t.Errorf("servers saw %d and %d requests, want 2 and 1", hitsA.Load(), hitsB.Load())
	}
}

// TestTransportWaits sends requests faster than the limit allows: each
// waits its turn and all arrive.
func TestTransportWaits(t *testing.T) {
	s, hits := countingServer(t)
	l := newLimiter(t, nil, ratelimit.Rate{Limit: 1, Interval: 20 * time.Millisecond}, ratelimit.WithBuffer(time.Millisecond))
	var keys []string
	client := &http.Client{Transport: httplimit.Transport(nil, l, func(r *http.Request) string {
		keys = append(keys, r.URL.Path)
		return "api"
	})}
	start := time.Now()
	for i := range 4 {
		res, err := client.Get(fmt.Sprintf("%s/%d", s.URL, i))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	if hits.Load() != 4 {
		t.Errorf("server saw %d requests, want 4", hits.Load())
	}
	if d := time.Since(start); d < 60*time.Millisecond {
		t.Errorf("4 requests at 1 per 20ms under one key took %v, want at least 60ms", d)
	}
	if want := []string{"/0", "/1", "/2", "/3"}; !slices.Equal(keys, want) {
		t.Errorf("the key function saw %v, want %v", keys, want)
	}
}

func TestTransportNilLimiter(t *testing.T) {
	defer func() {
		if msg, _ := recover().(string); msg != "httplimit: Transport: nil limiter" {
			t.Errorf("Transport(nil, nil, nil): panic %q", msg)
		}
	}()
	httplimit.Transport(nil, nil, nil)
}
