package redisstore_test

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	redisstore "github.com/gorate/ratelimit/store/redis"
	"github.com/redis/go-redis/v9"
)

// TestServerKilled runs takes from 16 goroutines against a private
// redis-server, kills it (SIGKILL) mid-load and restarts it on the same
// port: while it is down every take fails promptly with an error (each
// bounded by its context, none hangs or panics); once it is back, takes
// succeed again (EVALSHA meets NOSCRIPT on the empty server and falls back
// to EVAL); and after Close no goroutine is left behind.
func TestServerKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	dir := t.TempDir()
	srv := startServer(t, dir)
	// Counted with the server's process watcher running, as it is at the
	// end (after the restart, its successor).
	baseline := runtime.NumGoroutine()
	c := redis.NewClient(&redis.Options{Addr: srv.addr(), DialTimeout: 100 * time.Millisecond,
		ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond, MaxRetries: 1})
	s, err := redisstore.New(c)
	if err != nil {
		t.Fatal(err)
	}
	rs := mustRates(t, ratelimit.PerSecond(1_000_000))

	const callTimeout = 300 * time.Millisecond
	var (
		ok, failed atomic.Int64
		slowest    atomic.Int64 // nanoseconds
		stop       = make(chan struct{})
		wg         sync.WaitGroup
	)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
				start := time.Now()
				_, err := s.Take(ctx, "load", rs, 1)
				cancel()
				el := time.Since(start)
				for {
					cur := slowest.Load()
					if int64(el) <= cur || slowest.CompareAndSwap(cur, int64(el)) {
						break
					}
				}
				if err != nil {
					failed.Add(1)
					time.Sleep(5 * time.Millisecond)
				} else {
					ok.Add(1)
				}
			}
		}()
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				close(stop)
				wg.Wait()
				t.Fatalf("%s: not within 5s (ok %d, failed %d)", what, ok.Load(), failed.Load())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	waitFor("takes before the kill", func() bool { return ok.Load() > 200 })
	if n := failed.Load(); n != 0 {
		t.Fatalf("%d takes failed before the kill", n)
	}
	srv.kill()
	f0 := failed.Load()
	waitFor("failures after the kill", func() bool { return failed.Load() > f0+50 })
	time.Sleep(200 * time.Millisecond)
	ok0 := ok.Load()
	time.Sleep(200 * time.Millisecond)
	if ok.Load() != ok0 {
		t.Fatalf("takes succeeded while the server was down")
	}
	srv.start(dir)
	ok1 := ok.Load()
	waitFor("takes after the restart", func() bool { return ok.Load() > ok1+200 })
	close(stop)
	wg.Wait()
	if max := time.Duration(slowest.Load()); max > callTimeout+time.Second {
		t.Errorf("slowest take took %v, want it bounded by its %v context", max, callTimeout)
	}
	t.Logf("%d takes succeeded, %d failed; slowest %v", ok.Load(), failed.Load(), time.Duration(slowest.Load()))

	s.Close()
	if _, err := s.Take(t.Context(), "load", rs, 1); !errors.Is(err, ratelimit.ErrClosed) {
		t.Fatalf("Take after Close: %v, want ErrClosed", err)
	}
	c.Close()
	waitGoroutines(t, baseline, time.Second)
}

// quiet silences go-redis's own logging of failed dials, which the fault
// test provokes by the hundred.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func init() { redis.SetLogger(quiet{}) }

// TestServerHung stops a private redis-server (SIGSTOP) and checks that
// every kind of call, under each algorithm, returns within a context with
// a deadline whatever the client's options: a 300ms deadline gives an
// error wrapping context.DeadlineExceeded (and redisstore.ErrServer) well
// within a second, a cancellation before the deadline one wrapping
// context.Canceled. The calls the store abandons then end, leaving no
// goroutine behind: under go-redis's default options (ContextTimeoutEnabled
// false, ReadTimeout 3s, DialTimeout 5s, three retries) once the server
// runs again (SIGCONT); under timeouts of 400ms at those timeouts, the
// server still stopped; with no timeout at all when the client is closed,
// no more of them meanwhile than the client's PoolSize. Under the 400ms
// timeouts, a call whose context has no deadline ends at them when it is
// cancelled. Calls succeed again after SIGCONT.
func TestServerHung(t *testing.T) {
	srv, _ := privateServer(t, redis.Options{})
	t.Cleanup(func() { srv.signal(syscall.SIGCONT) }) // before the kill
	baseline := runtime.NumGoroutine()
	const short = 400 * time.Millisecond
	for _, tc := range []struct {
		name       string
		opt        redis.Options
		noDeadline bool                // also a cancellation without a deadline
		end        func(*redis.Client) // makes the abandoned calls end
		closes     bool                // end closes the client
	}{
		{"default options, until SIGCONT", redis.Options{}, false, func(*redis.Client) { srv.signal(syscall.SIGCONT) }, false},
		{"timeouts of 400ms", redis.Options{DialTimeout: short, ReadTimeout: short, WriteTimeout: short}, true, func(*redis.Client) {}, false},
		{"no timeouts, until Close", redis.Options{ReadTimeout: -1, WriteTimeout: -1, PoolSize: 2}, false, func(c *redis.Client) {
			// Those waiting for a connection are gone; those holding one
			// are left.
			waitGoroutines(t, baseline+2, 2*time.Second)
			c.Close()
		}, true},
	} {
		opt := tc.opt
		opt.Addr = srv.addr()
		c := redis.NewClient(&opt)
		calls := hungCalls(t, c)
		for _, call := range calls { // warm: scripts loaded, a pooled connection
			if err := call.fn(t.Context()); err != nil {
				t.Fatalf("%s: %s before the stop: %v", tc.name, call.name, err)
			}
		}
		srv.signal(syscall.SIGSTOP)
		runHung(t, tc.name, calls, tc.noDeadline)
		tc.end(c)
		waitGoroutines(t, baseline, 2*time.Second)
		srv.signal(syscall.SIGCONT)
		if tc.closes {
			continue
		}
		for _, call := range calls {
			if err := call.fn(t.Context()); err != nil {
				t.Fatalf("%s: %s after SIGCONT: %v", tc.name, call.name, err)
			}
		}
		c.Close()
	}
}

// hungCall is one store call, by name.
type hungCall struct {
	name string
	fn   func(context.Context) error
}

// hungCalls returns a take under each algorithm, one with batching off,
// and a check, a refund, a charge, a reset and a Block, on c.
func hungCalls(t *testing.T, c *redis.Client) []hungCall {
	t.Helper()
	rs := mustRates(t, ratelimit.PerSecond(1_000_000))
	var calls []hungCall
	for _, alg := range algorithms {
		s, err := redisstore.New(c, redisstore.WithAlgorithm(alg))
		if err != nil {
			t.Fatal(err)
		}
		calls = append(calls, hungCall{"Take/" + string(alg), func(ctx context.Context) error {
			_, err := s.Take(ctx, "hung", rs, 1)
			return err
		}})
	}
	one, err := redisstore.New(c, redisstore.WithMaxBatch(1))
	if err != nil {
		t.Fatal(err)
	}
	calls = append(calls, hungCall{"Take/unbatched", func(ctx context.Context) error {
		_, err := one.Take(ctx, "hung", rs, 1)
		return err
	}})
	s, err := redisstore.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return append(calls,
		hungCall{"Check", func(ctx context.Context) error { _, err := s.Check(ctx, "hung", rs, 1); return err }},
		hungCall{"Refund", func(ctx context.Context) error {
			_, err := s.Refund(ctx, "hung", rs, ratelimit.Decision{Allowed: true, At: 1}, 1)
			return err
		}},
		hungCall{"Charge", func(ctx context.Context) error { _, err := s.Charge(ctx, "hung", rs, 1); return err }},
		hungCall{"Reset", func(ctx context.Context) error { return s.Reset(ctx, "hung") }},
		hungCall{"Block", func(ctx context.Context) error { return s.Block(ctx, "hung", time.Millisecond) }},
	)
}

// runHung runs every call at once against a stopped server under a 300ms
// deadline, and under a minute's deadline cancelled after 300ms (with
// noDeadline, also under no deadline, cancelled after 300ms), and checks
// that each returns within a second with its context's error.
func runHung(t *testing.T, phase string, calls []hungCall, noDeadline bool) {
	t.Helper()
	const wait = 300 * time.Millisecond
	type variant struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}
	cancelled := func(ctx context.Context, cancel context.CancelFunc) (context.Context, context.CancelFunc) {
		time.AfterFunc(wait, cancel)
		return ctx, cancel
	}
	variants := []variant{
		{"deadline", func() (context.Context, context.CancelFunc) { return context.WithTimeout(t.Context(), wait) }, context.DeadlineExceeded},
		{"cancelled before its deadline", func() (context.Context, context.CancelFunc) {
			return cancelled(context.WithTimeout(t.Context(), time.Minute))
		}, context.Canceled},
	}
	if noDeadline {
		variants = append(variants, variant{"cancelled, no deadline", func() (context.Context, context.CancelFunc) {
			return cancelled(context.WithCancel(t.Context()))
		}, context.Canceled})
	}
	var wg sync.WaitGroup
	for _, call := range calls {
		for _, v := range variants {
			wg.Go(func() {
				ctx, cancel := v.ctx()
				defer cancel()
				start := time.Now()
				err := call.fn(ctx)
				if el := time.Since(start); el > time.Second || !errors.Is(err, v.want) || !errors.Is(err, redisstore.ErrServer) {
					t.Errorf("%s: %s (%s) on a stopped server: %v after %v; want an error wrapping %v and ErrServer within 1s", phase, call.name, v.name, err, el, v.want)
				}
			})
		}
	}
	wg.Wait()
}

// waitGoroutines fails t unless the goroutines are back to baseline within
// d.
func waitGoroutines(t *testing.T, baseline int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), baseline, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestServerOutOfMemory fills a private redis-server at maxmemory 1mb under
// the noeviction policy (set after the stores' first takes), then takes
// under each algorithm: a take the server cannot store fails with an error
// wrapping redisstore.ErrServer (and go-redis's OOM error), never an
// admission, and stores nothing; a take that is denied anyway is still a
// denial.
func TestServerOutOfMemory(t *testing.T) {
	_, c := privateServer(t, redis.Options{}, "--maxmemory-policy", "noeviction")
	ctx := t.Context()
	rs := mustRates(t, ratelimit.PerMinute(2))
	stores := make([]*redisstore.Store, len(algorithms))
	for i, alg := range algorithms {
		s, err := redisstore.New(c, redisstore.WithAlgorithm(alg))
		if err != nil {
			t.Fatal(err)
		}
		stores[i] = s
		// Before the server is full: the scripts are loaded, and "full"
		// has used up its limit.
		if d, err := s.Take(ctx, "full", rs, 2); err != nil || !d.Allowed {
			t.Fatalf("%s: Take before filling = %v, %v", alg, d, err)
		}
	}

	// A fresh server uses most of a megabyte already: the limit comes
	// after the warm-up.
	if err := c.ConfigSet(ctx, "maxmemory", "1mb").Err(); err != nil {
		t.Fatal(err)
	}
	value := strings.Repeat("x", 16<<10)
	for i := 0; ; i++ {
		err := c.Set(ctx, "filler:"+strconv.Itoa(i), value, 0).Err()
		if redis.IsOOMError(err) {
			break
		}
		if err != nil || i == 1000 {
			t.Fatalf("filling the server: SET #%d: %v", i, err)
		}
	}

	for i, s := range stores {
		alg := algorithms[i]
		d, err := s.Take(ctx, "new", rs, 1)
		if !errors.Is(err, redisstore.ErrServer) || !redis.IsOOMError(err) || d.Allowed {
			t.Errorf("%s: Take on a full server = %v, %v; want no admission and an error wrapping ErrServer and the OOM error", alg, d, err)
		}
		if d, err := s.Check(ctx, "new", rs, 2); err != nil || !d.Allowed {
			t.Errorf("%s: Check of 2 after the failed take = %v, %v; want allowed (nothing stored)", alg, d, err)
		}
		if d, err := s.Take(ctx, "full", rs, 1); err != nil || d.Allowed {
			t.Errorf("%s: Take over the limit on a full server = %v, %v; want a denial", alg, d, err)
		}
	}
}
