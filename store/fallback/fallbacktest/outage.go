// Package fallbacktest puts a fallback store (package store/fallback) over
// a real primary through an outage under HTTP load: [Outage] kills the
// primary's server mid-load, restarts it, and checks what the fallback
// store promises. Store tests call it with their own servers.
package fallbacktest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	"github.com/gorate/ratelimit/store/fallback"
)

// Primary is a primary store's server that a test owns and may kill: never
// a shared one.
type Primary struct {
	// Connect returns a new store over the server, with a client of its
	// own, and a function that closes both; Outage calls it once per
	// simulated process.
	Connect func(t *testing.T) (ratelimit.Store, func())
	// Kill stops the server abruptly (SIGKILL, or an immediate shutdown).
	Kill func(t *testing.T)
	// Start starts the server again, on the same address, and returns once
	// it answers.
	Start func(t *testing.T)
	// Options are given to the fallback stores after Outage's own
	// (fallback.WithName and fallback.WithObserver): a timeout suited to
	// the primary, say.
	Options []fallback.Option
}

// Parameters of the outage: instances processes, each a limiter of Limit
// per second over a fallback store (instances of them) over its own
// client, each loaded by goroutines requests on one key.
const (
	instances  = 2
	limit      = 100
	goroutines = 4
	// slack is taken off the windows the bounds are checked over, for the
	// stores' clocks (a server's, in whole milliseconds).
	slack = 5 * time.Millisecond
	// back is the time the stores have to return to the primary after the
	// server answers again.
	back = time.Second
)

// span is when an admission happened: after start, before end.
type span struct{ start, end time.Time }

// startKey is the context key of a request's start.
type startKey struct{}

// switchEvent is a switch, as the recorder saw it.
type switchEvent struct {
	at  time.Time
	err error // the primary's failure, nil for a return
}

func (e switchEvent) toLocal() bool { return e.err != nil }

func (e switchEvent) String() string {
	if e.err != nil {
		return fmt.Sprintf("to local at %s (%v)", e.at.Format("15:04:05.000"), e.err)
	}
	return fmt.Sprintf("to the primary at %s", e.at.Format("15:04:05.000"))
}

// recorder keeps the switches of one fallback store.
type recorder struct {
	mu       sync.Mutex
	switches []switchEvent
	bad      []ratelimit.Event // events that are not switches
}

func (r *recorder) Observe(_ context.Context, e ratelimit.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.Policy != ratelimit.Fallback || e.Key != "" || e.Weight != 0 || e.Decision != (ratelimit.Decision{}) {
		r.bad = append(r.bad, e)
		return
	}
	r.switches = append(r.switches, switchEvent{time.Now(), e.Err})
}

func (r *recorder) events() []switchEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.switches)
}

// Outage runs 2 processes' worth of limiters (100/s each, over fallback
// stores for 2 instances, over p's server) behind the httplimit
// middleware, with 4 goroutines per process sending requests on one key
// (about 40 times the limit). Once each process has been admitted on the
// primary, it kills the server, keeps the load on for 1.5s, and starts the
// server again. It checks that:
//   - no request is answered 503 (nor anything but 200 and 429);
//   - each fallback store reports exactly two switches: to its local store,
//     with an error, then back to the primary, within 1s of the server
//     answering again;
//   - in any span of the rate's interval (less 5ms for the stores'
//     clocks), at most 100 + 2 × 50 requests are admitted in all (counting
//     those known to be admitted inside it: between their request's start
//     and their handler's run),
//     at most 100 while every process is on the primary before the kill,
//     and at most 2 × 50 while every process is on its local store;
//   - after Close of the limiters, the fallback stores and the clients, no
//     goroutine is left.
//
// It takes about 5s plus the server's restart.
func Outage(t *testing.T, p Primary) {
	t.Helper()
	baseline := runtime.NumGoroutine()
	rate := ratelimit.PerSecond(limit)

	var (
		mu       sync.Mutex
		admitted []span   // from the request's start to the handler's run
		statuses sync.Map // status code → *atomic.Int64
	)
	count := func(code int) int64 {
		if v, ok := statuses.Load(code); ok {
			return v.(*atomic.Int64).Load()
		}
		return 0
	}
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := span{r.Context().Value(startKey{}).(time.Time), time.Now()}
		mu.Lock()
		admitted = append(admitted, a)
		mu.Unlock()
	})
	type process struct {
		rec     *recorder
		store   *fallback.Store
		lim     *ratelimit.Limiter
		handler http.Handler
		close   func()
	}
	procs := make([]*process, instances)
	var closeOnce sync.Once
	closeAll := func() {
		closeOnce.Do(func() {
			for _, pr := range procs {
				if pr != nil {
					pr.lim.Close()
					pr.store.Close()
					pr.close()
				}
			}
		})
	}
	t.Cleanup(closeAll)
	for i := range procs {
		primary, closeClient := p.Connect(t)
		rec := &recorder{}
		opts := append([]fallback.Option{fallback.WithName(fmt.Sprint("process ", i)), fallback.WithObserver(rec)}, p.Options...)
		fb, err := fallback.New(primary, instances, opts...)
		if err != nil {
			closeClient()
			t.Fatal(err)
		}
		lim, err := ratelimit.New(fb, rate)
		if err != nil {
			closeClient()
			t.Fatal(err)
		}
		h := httplimit.Middleware(lim, httplimit.WithKey(func(httplimit.Request) (string, error) { return "tenant", nil }))(inner)
		procs[i] = &process{rec, fb, lim, h, closeClient}
		// Warm: a connection made, scripts or schema ready.
		if _, err := primary.Take(t.Context(), "warm", ratelimit.Rates{rate}, 0); err != nil {
			t.Fatalf("process %d: the primary before the outage: %v", i, err)
		}
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, pr := range procs {
		for range goroutines {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					w := httptest.NewRecorder()
					ctx := context.WithValue(context.Background(), startKey{}, time.Now())
					pr.handler.ServeHTTP(w, httptest.NewRequestWithContext(ctx, http.MethodGet, "/", nil))
					v, _ := statuses.LoadOrStore(w.Code, new(atomic.Int64))
					v.(*atomic.Int64).Add(1)
					time.Sleep(time.Millisecond) // ~40× the limit, leaving the servers CPU
				}
			})
		}
	}
	stopped := false
	halt := func() {
		if !stopped {
			stopped = true
			close(stop)
			wg.Wait()
		}
	}
	defer halt()
	waitFor := func(what string, within time.Duration, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(within)
		for !cond() {
			if time.Now().After(deadline) {
				halt()
				t.Fatalf("%s: not within %v", what, within)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	switched := func(n int) func() bool {
		return func() bool {
			for _, pr := range procs {
				if len(pr.rec.events()) < n {
					return false
				}
			}
			return true
		}
	}

	start := time.Now()
	waitFor("admissions on the primary", 5*time.Second, func() bool { return count(http.StatusOK) >= 2*limit })
	time.Sleep(time.Second - time.Since(start)%time.Second) // a full window or more on the primary
	killed := time.Now()
	p.Kill(t)
	waitFor("every process on its local store", 2*time.Second, switched(1))
	time.Sleep(1500 * time.Millisecond)
	p.Start(t)
	ready := time.Now()
	waitFor("every process back on the primary", 2*back, switched(2))
	time.Sleep(1200 * time.Millisecond)
	halt()

	for i, pr := range procs {
		ev := pr.rec.events()
		if len(ev) != 2 || !ev[0].toLocal() || ev[1].toLocal() {
			t.Errorf("process %d: switches %v; want one to local, then one back", i, ev)
			continue
		}
		if ev[0].at.Before(killed) {
			t.Errorf("process %d switched to local %v before the kill", i, killed.Sub(ev[0].at))
		}
		if d := ev[1].at.Sub(ready); d > back {
			t.Errorf("process %d back on the primary %v after the server answered, want within %v", i, d, back)
		}
		if len(pr.rec.bad) > 0 {
			t.Errorf("process %d: events that are no switches: %+v", i, pr.rec.bad)
		}
	}
	var others []string
	statuses.Range(func(k, v any) bool {
		if code := k.(int); code != http.StatusOK && code != http.StatusTooManyRequests {
			others = append(others, fmt.Sprintf("%d × %d", v.(*atomic.Int64).Load(), code))
		}
		return true
	})
	if len(others) > 0 {
		t.Errorf("answers other than 200 and 429: %v", others)
	}

	// The spans every process spent on one side.
	allLocal, allBack := time.Time{}, time.Now()
	both := true
	for _, pr := range procs {
		ev := pr.rec.events()
		if len(ev) < 2 {
			both = false
			break
		}
		allLocal = later(allLocal, ev[0].at)
		allBack = earlier(allBack, ev[1].at)
	}
	if both {
		mu.Lock()
		spans := slices.Clone(admitted)
		mu.Unlock()
		checkBounds(t, spans, start, killed, allLocal, allBack)
		t.Logf("%d admitted, %d denied; back on the primary %v after the restart", count(http.StatusOK), count(http.StatusTooManyRequests), allBack.Sub(ready).Round(time.Millisecond))
	}
	if count(http.StatusTooManyRequests) == 0 {
		t.Errorf("no request denied: the load did not test the limits")
	}

	closeAll()

	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines after Close, %d before:\n%s", runtime.NumGoroutine(), baseline, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkBounds checks the admissions against the fallback's bounds: in all,
// before the kill, and while every process was on its local store (from
// allLocal to allBack), and that the load reached the local bound. It
// sorts admitted.
func checkBounds(t *testing.T, admitted []span, start, killed, allLocal, allBack time.Time) {
	t.Helper()
	rate := ratelimit.PerSecond(limit)
	share := int(max(1, limit/instances))
	window := rate.Interval - slack
	spans := admitted
	slices.SortFunc(spans, func(a, b span) int { return a.start.Compare(b.start) })
	// most returns the largest number of admissions known to lie in one
	// window starting in [from, to) and ending by to (each admission lies
	// between its request's start and its handler's run), and the window's
	// start.
	most := func(from, to time.Time) (int, time.Time) {
		best, at := 0, time.Time{}
		for i, w := range spans {
			if w.start.Before(from) || !w.start.Before(to) {
				continue
			}
			end := earlier(w.start.Add(window), to)
			n := 0
			for _, a := range spans[i:] {
				if a.start.After(end) {
					break
				}
				if !a.end.After(end) {
					n++
				}
			}
			if n > best {
				best, at = n, w.start
			}
		}
		return best, at
	}
	for _, c := range []struct {
		what     string
		from, to time.Time
		bound    int
	}{
		{"in all", start, time.Now(), limit + instances*share},
		{"on the primary before the kill", start, killed, limit},
		{"with every process on its local store", allLocal, allBack, instances * share},
	} {
		n, at := most(c.from, c.to)
		t.Logf("%s: at most %d admitted in %v (from %v)", c.what, n, window, at.Sub(start).Round(time.Millisecond))
		if n > c.bound {
			t.Errorf("%s: %d admitted in %v from %v, want at most %d", c.what, n, window, at.Sub(start), c.bound)
		}
	}
	// The load reached the local bound: the test could fail.
	if n, _ := most(allLocal, allBack); n < instances*share/2 {
		t.Errorf("only %d admitted in a window while every process was local: the load did not test the bound", n)
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
