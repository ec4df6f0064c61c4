package httplimit_test

import (
	"fmt"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorate/ratelimit"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
)

// TestLearned: a limiter whose rates come from a Learned keeps to the
// policy a server announced (2 requests per 10 s): the third request waits
// until the window has passed, while another host keeps the limiter's own
// rates; a response without the field leaves the policy, a later one
// replaces it.
func TestLearned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		policy := `"default";q=2;w=10`
		base := &answering{answer: func(int64) (int, http.Header) {
			if policy == "" {
				return 200, nil
			}
			return 200, http.Header{"Ratelimit-Policy": {policy}}
		}}
		learned := httplimit.NewLearned(nil)
		l := holdLimiter(t, ratelimit.WithRatesFor(learned.RatesFor))
		client := &http.Client{Transport: httplimit.Transport(learned.Learn(base), l, nil)}

		if rs, _ := learned.RatesFor(t.Context(), "api.test"); rs != nil {
			t.Fatalf("rates before any response: %v; want none", rs)
		}
		start := time.Now()
		send(t, client, "http://api.test/", 200) // taken under the limiter's 1000/s
		send(t, client, "http://api.test/", 200) // 2/10s: the first two
		send(t, client, "http://api.test/", 200)
		// The log counts a unit for its window, ends included: 10.001 s.
		if waited := time.Since(start); waited != 10*time.Second+time.Millisecond {
			t.Fatalf("the third request was sent after %v; want 10.001s, the announced window", waited)
		}
		if rs, _ := learned.RatesFor(t.Context(), "other.test"); rs != nil {
			t.Fatalf("rates of a host not heard from: %v; want none", rs)
		}
		policy = ""
		send(t, client, "http://api.test/", 200)
		if rs, _ := learned.RatesFor(t.Context(), "api.test"); rs.String() != "2/10s" {
			t.Fatalf("rates after a response without the field: %v; want 2/10s kept", rs)
		}
		policy = `"default";q=5;w=1`
		send(t, client, "http://api.test/", 200)
		if rs, _ := learned.RatesFor(t.Context(), "api.test"); rs.String() != "5/s" {
			t.Fatalf("rates after a new policy: %v; want 5/s", rs)
		}
	})
}

// TestLearnedSkips: a field with no policy of requests, or whose policies
// make no valid list, teaches nothing; keys come from the key function;
// keys beyond the 10 000th are not learned.
func TestLearnedSkips(t *testing.T) {
	var policy string
	base := &answering{answer: func(int64) (int, http.Header) {
		return 200, http.Header{"Ratelimit-Policy": {policy}}
	}}
	learned := httplimit.NewLearned(func(r *http.Request) string { return "k" + r.URL.Path })
	rt := learned.Learn(base)
	roundTrip := func(path string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://api.test"+path, nil)
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for _, policy = range []string{`"x";q=100;w=60;qu="content-bytes"`, `"a";q=100;w=1, "b";q=10;w=60`, `garbage`} {
		roundTrip("/a")
		if rs, _ := learned.RatesFor(t.Context(), "k/a"); rs != nil {
			t.Fatalf("RateLimit-Policy %s taught %v; want nothing", policy, rs)
		}
	}
	policy = `"x";q=1;w=1`
	for i := range 10_001 {
		roundTrip(fmt.Sprintf("/%d", i))
	}
	if rs, _ := learned.RatesFor(t.Context(), "k/9999"); rs == nil {
		t.Fatal("the 10 000th key was not learned")
	}
	if rs, _ := learned.RatesFor(t.Context(), "k/10000"); rs != nil {
		t.Fatalf("the 10 001st key was learned: %v", rs)
	}
	policy = `"x";q=2;w=1`
	roundTrip("/0") // a key already learned is still updated
	if rs, _ := learned.RatesFor(t.Context(), "k/0"); rs.String() != "2/s" {
		t.Fatalf("a learned key's new policy: %v; want 2/s", rs)
	}
}
