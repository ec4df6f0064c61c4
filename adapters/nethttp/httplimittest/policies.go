package httplimittest

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/gorate/ratelimit"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
)

// tally is an Observer counting events by limiter name, policy and outcome.
type tally struct {
	mu sync.Mutex
	n  map[string]int
}

func (o *tally) Observe(_ context.Context, e ratelimit.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.n == nil {
		o.n = map[string]int{}
	}
	o.n[e.Limiter+" "+e.Policy.String()+" "+strconv.FormatBool(e.Decision.Allowed)]++
}

func (o *tally) get(limiter string, p ratelimit.Policy, allowed bool) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n[limiter+" "+p.String()+" "+strconv.FormatBool(allowed)]
}

// testDryRun checks that a dry-run limiter never denies a request and
// reports exactly the denials it would have made.
func testDryRun(t *testing.T, newHandler server) {
	var o tally
	l, _ := newLimiter(t, ratelimit.PerMinute(10), ratelimit.WithDryRun(), ratelimit.WithName("api"), ratelimit.WithObserver(&o))
	h := newHandler(t, l)
	for i := range 100 {
		r := do(t, h, "/")
		r.want(t, http.StatusOK, "Retry-After", "")
		if r.body != "ok" {
			t.Fatalf("request %d: body %q, want the handler's", i, r.body)
		}
	}
	if a, d := o.get("api", ratelimit.DryRun, true), o.get("api", ratelimit.DryRun, false); a != 10 || d != 90 {
		t.Errorf("the dry run reported %d admissions and %d would-be denials, want 10 and 90", a, d)
	}
}

// testShadow checks that a shadow never changes an enforced response, and
// that HeadersShadow tells its decision.
func testShadow(t *testing.T, newHandler server) {
	var o tally
	s, _ := fakeStore(t)
	shadow := limiter(t, s, ratelimit.PerSecond(1), ratelimit.WithPrefix("next:"), ratelimit.WithName("next"), ratelimit.WithObserver(&o))
	l := limiter(t, s, ratelimit.PerSecond(3), ratelimit.WithShadow(shadow))
	all := httplimit.HeadersIETF | httplimit.HeadersXRateLimit | httplimit.HeadersShadow
	h := newHandler(t, l, httplimit.WithHeaders(all))
	do(t, h, "/").want(t, http.StatusOK, "Ratelimit", `"3/s";r=2;t=2`, "X-Ratelimit-Shadow", `"1/s";r=0;t=2`)
	do(t, h, "/").want(t, http.StatusOK, "Ratelimit", `"3/s";r=1;t=2`, "X-Ratelimit-Shadow", `"1/s";r=0;t=2;denied`)
	do(t, newHandler(t, l), "/").want(t, http.StatusOK, "Ratelimit", `"3/s";r=0;t=2`, "X-Ratelimit-Shadow", "")
	do(t, h, "/").want(t, http.StatusTooManyRequests, "Retry-After", "2", "X-Ratelimit-Shadow", `"1/s";r=0;t=2;denied`)
	if a, d := o.get("next", ratelimit.Shadow, true), o.get("next", ratelimit.Shadow, false); a != 1 || d != 3 {
		t.Errorf("the shadow reported %d admissions and %d denials, want 1 and 3", a, d)
	}
	// A limiter with no shadow writes no shadow header.
	plain, _ := newLimiter(t, ratelimit.PerSecond(3))
	do(t, newHandler(t, plain, httplimit.WithHeaders(all)), "/").want(t, http.StatusOK, "X-Ratelimit-Limit", "3", "X-Ratelimit-Shadow", "")
}
