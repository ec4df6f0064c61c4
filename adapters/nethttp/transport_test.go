package httplimit_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
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
	l := newLimiter(t, ratelimit.PerMinute(2))
	client := &http.Client{Transport: httplimit.NewTransport(nil, l)}
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
	l := newLimiter(t, ratelimit.Per(1, 20*time.Millisecond))
	tr := &httplimit.Transport{Limiter: l, Key: func(*http.Request) string { return "api" }, Cost: func(*http.Request) int64 { return 1 }}
	client := &http.Client{Transport: tr}
	for range 4 {
		res, err := client.Get(s.URL)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	if hits.Load() != 4 {
		t.Errorf("server saw %d requests, want 4", hits.Load())
	}
}

func TestTransportNoLimiter(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "http://example.invalid/", nil)
	if _, err := (&httplimit.Transport{}).RoundTrip(req); err == nil {
		t.Fatal("RoundTrip without a Limiter succeeded")
	}
}
