package httplimittest

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gorate/ratelimit"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
)

// counting is a store that counts the takes it is asked for.
type counting struct {
	ratelimit.Store
	takes atomic.Int64
}

func (s *counting) Take(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	s.takes.Add(1)
	return s.Store.Take(ctx, key, rates, n)
}

// countedLimiter returns a limiter enforcing rates over a memory store on
// a fake clock, and the count of the takes it asks the store for.
func countedLimiter(t *testing.T, rates ...ratelimit.Rate) (*ratelimit.Limiter, *atomic.Int64) {
	t.Helper()
	s, _ := fakeStore(t)
	c := &counting{Store: s}
	return limiter(t, c, ratelimit.Rates(rates)), &c.takes
}

// newList returns a list of prefixes and keys.
func newList(t *testing.T, prefixes, keys []string) *httplimit.List {
	t.Helper()
	l, err := httplimit.NewList(prefixes, keys)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// checkTakes checks that the store was asked for want takes.
func checkTakes(t *testing.T, takes *atomic.Int64, want int64) {
	t.Helper()
	if got := takes.Load(); got != want {
		t.Errorf("the store saw %d takes, want %d", got, want)
	}
}

// testListAllowed checks that an allowed client passes uncounted, however
// spent the limit: five requests at a limit of 1 all pass, without a take
// or rate-limit headers, while other clients are limited.
func testListAllowed(t *testing.T, newHandler server) {
	for _, entry := range []string{"192.0.2.1", "192.0.2.0/24", "::ffff:192.0.2.0/120"} {
		t.Run(entry, func(t *testing.T) {
			l, takes := countedLimiter(t, ratelimit.PerMinute(1))
			h := newHandler(t, l, httplimit.WithLists(newList(t, []string{entry}, nil), nil))
			for range 5 {
				r := do(t, h, "/")
				r.want(t, http.StatusOK, "Ratelimit", "", "X-Ratelimit-Limit", "", "X-Content-Type-Options", "")
				if r.body != "ok" {
					t.Errorf("allowed: body %q, want the handler's", r.body)
				}
			}
			checkTakes(t, takes, 0)
			do(t, h, "/", remote("[::ffff:192.0.2.1]:1")).want(t, http.StatusOK, "Ratelimit", "")
			do(t, h, "/", remote("198.51.100.1:1")).want(t, http.StatusOK, "X-Ratelimit-Remaining", "0")
			do(t, h, "/", remote("198.51.100.1:1")).want(t, http.StatusTooManyRequests)
			checkTakes(t, takes, 2)
		})
	}
}

// testListDenied checks that a denied client gets 403 with capacity left,
// without a take, through WithReply, and that the error hook sees nothing.
func testListDenied(t *testing.T, newHandler server) {
	l, takes := countedLimiter(t, ratelimit.PerMinute(100))
	deny := newList(t, []string{"198.51.100.0/24", "2001:db8::/32"}, nil)
	seen, hooked := hook(nil)
	h := newHandler(t, l, httplimit.WithLists(nil, deny), seen)
	for _, peer := range []string{"198.51.100.7:1", "[2001:db8:ffff::1]:1", "[::ffff:198.51.100.7]:1"} {
		r := do(t, h, "/", remote(peer))
		r.want(t, http.StatusForbidden, "Ratelimit", "", "Retry-After", "", "Content-Type", "text/plain; charset=utf-8", "X-Content-Type-Options", "nosniff")
		if r.body != "forbidden\n" {
			t.Errorf("403 body %q", r.body)
		}
	}
	r := do(t, h, "/", remote("198.51.100.7:1"), header("Accept", "application/json"))
	r.want(t, http.StatusForbidden, "Content-Type", "application/json")
	if want := `{"error":"forbidden"}` + "\n"; r.body != want {
		t.Errorf("403 JSON body %q, want %q", r.body, want)
	}
	checkTakes(t, takes, 0)
	// An IPv6 prefix holds no IPv4 address, and a neighbour is not denied.
	do(t, h, "/", remote("198.51.101.1:1")).want(t, http.StatusOK, "X-Ratelimit-Remaining", "99")
	do(t, h, "/", remote("[2001:db9::1]:1")).want(t, http.StatusOK, "X-Ratelimit-Remaining", "99")
	checkTakes(t, takes, 2)
	if hooked.Load() != 0 {
		t.Errorf("the error hook saw %d errors, want none: a denial is no failure", hooked.Load())
	}

	var statuses []int
	h = newHandler(t, l, httplimit.WithLists(nil, deny),
		httplimit.WithReply(func(_ httplimit.Request, status int, d ratelimit.Decision, err error) httplimit.Reply {
			statuses = append(statuses, status)
			if d != (ratelimit.Decision{}) || err != nil {
				t.Errorf("WithReply(%d): Decision %+v, error %v; want zero ones", status, d, err)
			}
			return httplimit.Reply{Status: http.StatusNotFound, Body: []byte("nothing here")}
		}))
	r = do(t, h, "/", remote("198.51.100.7:1"))
	r.want(t, http.StatusNotFound, "X-Content-Type-Options", "nosniff")
	if r.body != "nothing here" || len(statuses) != 1 || statuses[0] != http.StatusForbidden {
		t.Errorf("WithReply saw statuses %v and wrote %q; want [403] and its body", statuses, r.body)
	}
}

// testListDenyWins checks that a request both lists hold, by address or by
// key, in any mix, is denied.
func testListDenyWins(t *testing.T, newHandler server) {
	for _, c := range []struct {
		name        string
		allow, deny []string // prefixes, then keys after a ""
	}{
		{"addresses", []string{"192.0.2.0/24"}, []string{"192.0.2.1"}},
		{"keys", []string{"", "ann"}, []string{"", "ann"}},
		{"allowed address, denied key", []string{"192.0.2.1"}, []string{"", "ann"}},
		{"allowed key, denied address", []string{"", "ann"}, []string{"192.0.2.0/30"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			l, takes := countedLimiter(t, ratelimit.PerMinute(100))
			allow, deny := splitEntries(t, c.allow), splitEntries(t, c.deny)
			h := newHandler(t, l, httplimit.WithKey(httplimit.Header("X-User")), httplimit.WithLists(allow, deny))
			do(t, h, "/", header("X-User", "ann")).want(t, http.StatusForbidden)
			checkTakes(t, takes, 0)
		})
	}
}

// splitEntries returns the list of entries: prefixes, then, after a "",
// keys.
func splitEntries(t *testing.T, entries []string) *httplimit.List {
	t.Helper()
	for i, e := range entries {
		if e == "" {
			return newList(t, entries[:i], entries[i+1:])
		}
	}
	return newList(t, entries, nil)
}

// testListKeys checks lists of keys: the request's key as WithKey computes
// it, joined parts and all, is matched whole.
func testListKeys(t *testing.T, newHandler server) {
	l, takes := countedLimiter(t, ratelimit.PerMinute(1))
	allow := newList(t, nil, []string{"admin|eu"})
	deny := newList(t, nil, []string{"mallory|eu"})
	h := newHandler(t, l, httplimit.WithKey(httplimit.Header("X-User"), httplimit.Query("region")), httplimit.WithLists(allow, deny))
	user := func(u string) func(*http.Request) { return header("X-User", u) }
	for range 3 {
		do(t, h, "/?region=eu", user("admin")).want(t, http.StatusOK, "Ratelimit", "")
		do(t, h, "/?region=eu", user("mallory")).want(t, http.StatusForbidden)
	}
	checkTakes(t, takes, 0)
	do(t, h, "/?region=us", user("admin")).want(t, http.StatusOK, "X-Ratelimit-Remaining", "0")
	do(t, h, "/?region=us", user("admin")).want(t, http.StatusTooManyRequests)
	do(t, h, "/?region=us", user("mallory")).want(t, http.StatusOK, "X-Ratelimit-Remaining", "0")
	// A request that cannot be keyed gets 400, whatever the lists hold.
	do(t, h, "/?region=eu").want(t, http.StatusBadRequest)
	checkTakes(t, takes, 3)
}

// testListSpoofed checks that forwarding headers from a peer the lists do
// not trust are never read, and that behind a trusted proxy only the hop it
// appended counts: a client cannot write its way onto the allow list, nor
// off the deny list. The proxies 10.0.0.0/8 set X-Forwarded-For.
func testListSpoofed(t *testing.T, newHandler server) {
	const allowed, denied, client = "203.0.113.9", "198.51.100.66", "192.0.2.1"
	trust, err := httplimit.TrustProxies("X-Forwarded-For", "10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	spoof := func(addr string) []func(*http.Request) {
		return []func(*http.Request){
			header("X-Forwarded-For", addr), header("Forwarded", "for="+addr),
			header("X-Real-Ip", addr), header("Cf-Connecting-Ip", addr), header("True-Client-Ip", addr),
		}
	}
	via := func(xff string) []func(*http.Request) {
		return []func(*http.Request){remote("10.0.0.2:5000"), header("X-Forwarded-For", xff)}
	}
	for _, c := range []struct {
		name   string
		mods   []func(*http.Request)
		status int // of each request after the first
	}{
		{"untrusted peer claims an allowed address", append(spoof(allowed), remote(client+":1")), http.StatusTooManyRequests},
		{"denied untrusted peer claims another", append(spoof(client), remote(denied+":1")), http.StatusForbidden},
		{"client behind the proxy prepends an allowed address", via(allowed + ", " + client), http.StatusTooManyRequests},
		{"denied client behind the proxy prepends another", via(client + ", " + denied), http.StatusForbidden},
		{"proxy forwards an allowed client", via(allowed), http.StatusOK},
		{"proxy forwards a denied client", via(denied), http.StatusForbidden},
	} {
		t.Run(c.name, func(t *testing.T) {
			l, _ := newLimiter(t, ratelimit.PerMinute(1))
			lists := httplimit.WithLists(newList(t, []string{allowed, "10.0.0.0/8"}, nil), newList(t, []string{denied}, nil), trust)
			h := newHandler(t, l, httplimit.WithKey(httplimit.ClientIP(trust)), lists)
			first := c.status
			if first == http.StatusTooManyRequests {
				first = http.StatusOK
			}
			do(t, h, "/", c.mods...).want(t, first)
			for range 4 {
				do(t, h, "/", c.mods...).want(t, c.status)
			}
		})
	}
}

// testListSet checks that Set changes what a running middleware allows
// and denies at once, that a bad entry leaves the list as it was, and that
// a request during a Set sees the old entries or the new, never a mix (and,
// under the race detector, that Set races with no request).
func testListSet(t *testing.T, newHandler server) {
	l, takes := countedLimiter(t, ratelimit.PerMinute(1000))
	var allow, deny httplimit.List // zero Lists: empty
	h := newHandler(t, l, httplimit.WithLists(&allow, &deny))
	do(t, h, "/").want(t, http.StatusOK, "X-Ratelimit-Remaining", "999")
	set := func(l *httplimit.List, prefixes ...string) {
		t.Helper()
		if err := l.Set(prefixes, nil); err != nil {
			t.Fatal(err)
		}
	}
	set(&deny, "192.0.2.1")
	do(t, h, "/").want(t, http.StatusForbidden)
	err := deny.Set([]string{"198.51.100.0/24", "192.0.2.1/24"}, nil)
	if !errors.Is(err, ratelimit.ErrInvalidArgument) || !strings.Contains(err.Error(), "192.0.2.1/24") {
		t.Errorf("Set with a bad prefix: error %v, want one naming it", err)
	}
	do(t, h, "/").want(t, http.StatusForbidden) // unchanged
	set(&allow, "192.0.2.0/24")
	do(t, h, "/").want(t, http.StatusForbidden) // deny wins
	set(&deny)
	do(t, h, "/").want(t, http.StatusOK, "Ratelimit", "")
	set(&allow)
	do(t, h, "/").want(t, http.StatusOK, "X-Ratelimit-Remaining", "998")
	checkTakes(t, takes, 2)

	// Requests while the deny list flips between holding the client by
	// its address and by its key: a request that saw a mix of the two
	// (the keys of one, the prefixes of the other) would pass.
	set(&deny, "192.0.2.1")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			var err error
			if i%2 == 0 {
				err = deny.Set([]string{"192.0.2.1"}, nil)
			} else {
				err = deny.Set(nil, []string{"192.0.2.1"}) // ClientIP's key
			}
			if err != nil {
				t.Error(err)
				return
			}
		}
	})
	var passed atomic.Int64
	var inner sync.WaitGroup
	for range 4 {
		inner.Go(func() {
			for range 50 {
				if r := do(t, h, "/"); r.status != http.StatusForbidden {
					passed.Add(1)
				}
			}
		})
	}
	inner.Wait()
	close(stop)
	wg.Wait()
	if passed.Load() != 0 {
		t.Errorf("%d of 200 requests during Set were not denied", passed.Load())
	}
}
