package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	redisstore "github.com/gorate/ratelimit/store/redis"
	"github.com/redis/go-redis/v9"
)

// TestBatchedExact takes from 64 goroutines at once, on one key and on 40
// keys, under each algorithm and a fixed clock: exactly each key's limit is
// admitted, and the takes did go out in pipelined batches.
func TestBatchedExact(t *testing.T) {
	c := newClient(t)
	opt := *c.Options()
	opt.PoolSize = 64
	c = redis.NewClient(&opt)
	t.Cleanup(func() { c.Close() })
	batchedExact(t, c)
}

// batchedExact runs TestBatchedExact on c.
func batchedExact(t *testing.T, c redis.UniversalClient) {
	const (
		goroutines = 64
		perG       = 40
	)
	for _, alg := range algorithms {
		for _, keys := range []int{1, 40} {
			// Each key is asked 2560/keys times, 8 times its limit.
			limit := int64(goroutines * perG / keys / 8)
			rs := mustRates(t, per(limit, time.Hour))
			t.Run(fmt.Sprintf("%s/keys=%d", alg, keys), func(t *testing.T) {
				s := newStore(t, c, redisstore.WithAlgorithm(alg), redisstore.WithClock(core.NewFakeClock(1_000_000)))
				admitted := make([]atomic.Int64, keys)
				var wg sync.WaitGroup
				for g := range goroutines {
					wg.Go(func() {
						for i := range perG {
							k := (g*perG + i) % keys
							d, err := s.Take(t.Context(), fmt.Sprint("k", k), rs, 1)
							if err != nil {
								t.Error(err)
								return
							}
							if d.Allowed {
								admitted[k].Add(1)
							}
						}
					})
				}
				wg.Wait()
				for k := range admitted {
					if n := admitted[k].Load(); n != limit {
						t.Errorf("key k%d: %d admitted, want %d", k, n, limit)
					}
				}
				if n := redisstore.Pipelined(s); n == 0 {
					t.Errorf("no batch of more than one call was sent")
				}
			})
		}
	}
}

// gate is a go-redis hook holding each script call and pipeline until the
// test lets it go, reporting each one it holds on held.
type gate struct {
	held    chan held
	release chan struct{}
	// pipelines lets pipelines go; release unless set before use.
	pipelines chan struct{}
}

// held is what a gate holds: "process evalsha" or "pipeline of n", under
// ctx.
type held struct {
	what string
	ctx  context.Context
}

func newGate() *gate {
	release := make(chan struct{})
	return &gate{held: make(chan held, 16), release: release, pipelines: release}
}

func (g *gate) DialHook(next redis.DialHook) redis.DialHook { return next }

func (g *gate) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if name := cmd.Name(); name != "evalsha" && name != "eval" {
			return next(ctx, cmd) // a connection's HELLO
		}
		g.held <- held{fmt.Sprint("process ", cmd.Name()), ctx}
		<-g.release
		return next(ctx, cmd)
	}
}

func (g *gate) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if name := cmds[0].Name(); name != "evalsha" && name != "eval" {
			return next(ctx, cmds) // a connection's HELLO
		}
		g.held <- held{fmt.Sprint("pipeline of ", len(cmds)), ctx}
		<-g.pipelines
		return next(ctx, cmds)
	}
}

// receive returns what g holds next, or fails t after 5s.
func (g *gate) receive(t *testing.T) string {
	t.Helper()
	return g.receiveCtx(t).what
}

// receiveCtx is receive, with the context.
func (g *gate) receiveCtx(t *testing.T) held {
	t.Helper()
	select {
	case h := <-g.held:
		return h
	case <-time.After(5 * time.Second):
		t.Fatal("nothing reached the server within 5s")
		return held{}
	}
}

// gatedStore returns a store with opts on a client of its own (of the
// server at REDIS_URL) whose script calls and pipelines the returned gate
// holds.
func gatedStore(t *testing.T, opts ...redisstore.Option) (*redisstore.Store, *gate) {
	t.Helper()
	return gatedStoreOn(t, newClient(t).Options(), opts...)
}

// gatedStoreOn is gatedStore on the server of copt.
func gatedStoreOn(t *testing.T, copt *redis.Options, opts ...redisstore.Option) (*redisstore.Store, *gate) {
	t.Helper()
	opt := *copt
	c := redis.NewClient(&opt)
	t.Cleanup(func() { c.Close() })
	g := newGate()
	c.AddHook(g)
	return newStore(t, c, opts...), g
}

// goTake takes 1 unit of key against rs on s under ctx on a goroutine of
// its own, and returns the channel of its outcome.
func goTake(ctx context.Context, s *redisstore.Store, key string, rs ratelimit.Rates) chan outcome {
	ch := make(chan outcome, 1)
	go func() {
		d, err := s.Take(ctx, key, rs, 1)
		ch <- outcome{d, err}
	}()
	return ch
}

// outcome is a take's.
type outcome struct {
	d   ratelimit.Decision
	err error
}

// holdTwo starts two lone takes on s, the batches in flight at most, and
// waits until g holds them.
func holdTwo(t *testing.T, s *redisstore.Store, g *gate, rs ratelimit.Rates) []chan outcome {
	t.Helper()
	lone := []chan outcome{goTake(t.Context(), s, "k", rs), goTake(t.Context(), s, "k", rs)}
	for range 2 {
		if h := g.receive(t); h != "process evalsha" {
			t.Fatalf("a lone take reached the client as %s", h)
		}
	}
	return lone
}

// waitQueued waits until n calls wait in s's queue.
func waitQueued(s *redisstore.Store, n int) {
	for redisstore.Queued(s) < n {
		time.Sleep(time.Millisecond)
	}
}

// TestBatchCallerGivesUp holds two lone takes at the client (filling the
// batches in flight), queues eight more, lets one lone take go so that the
// eight leave as one pipeline, and holds that: a caller of the eight whose
// context is cancelled, and one whose deadline passes, return at once with
// their contexts' errors while the pipeline is still held; once it goes,
// the six others get their decisions. The eight take keys of their own, so
// that each is a command of the pipeline (takes of one key are one).
func TestBatchCallerGivesUp(t *testing.T) {
	s, g := gatedStore(t)
	rs := mustRates(t, ratelimit.PerHour(100))
	ctx := t.Context()
	lone := holdTwo(t, s, g, rs)
	const n = 8
	cancelCtx, cancel := context.WithCancel(ctx)
	expiring := &expiringContext{Context: ctx, done: make(chan struct{})}
	var queued []chan outcome
	for i := range n {
		ctx := ctx
		switch i {
		case 3:
			ctx = cancelCtx
		case 5:
			ctx = expiring
		}
		queued = append(queued, goTake(ctx, s, fmt.Sprint("q", i), rs))
	}
	waitQueued(s, n)
	g.release <- struct{}{} // one lone take goes
	if h := g.receive(t); h != fmt.Sprint("pipeline of ", n) {
		t.Fatalf("the queued takes reached the client as %s, want a pipeline of %d", h, n)
	}
	cancel()
	close(expiring.done)
	for i, want := range map[int]error{3: context.Canceled, 5: context.DeadlineExceeded} {
		select {
		case o := <-queued[i]:
			if !errors.Is(o.err, want) || !errors.Is(o.err, redisstore.ErrServer) {
				t.Errorf("take %d gave up with %v, want an error wrapping %v and ErrServer", i, o.err, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("take %d did not return at its context's end, its batch held", i)
		}
	}
	close(g.release) // the pipeline and the other lone take go
	for i, ch := range append(lone, queued...) {
		if i == 2+3 || i == 2+5 {
			continue
		}
		o := <-ch
		if o.err != nil || !o.d.Allowed {
			t.Errorf("take %d = %v, %v; want allowed", i, o.d, o.err)
		}
	}
	// A check of 1 counts it as taken.
	for i := range n {
		if d, err := s.Check(ctx, fmt.Sprint("q", i), rs, 1); err != nil || d.Remaining != 100-1-1 {
			t.Errorf("after take %d: %v, %v; want %d remaining (the abandoned takes went through too)", i, d, err, 100-1-1)
		}
	}
}

// TestMaxBatch checks WithMaxBatch: under 3, seven takes (of keys of their
// own) queued behind two lone ones leave as pipelines of 3, 3 and a lone
// take; under 1, eight
// concurrent takes all go out alone at once.
func TestMaxBatch(t *testing.T) {
	rs := mustRates(t, ratelimit.PerHour(100))
	s, g := gatedStore(t, redisstore.WithMaxBatch(3))
	holdTwo(t, s, g, rs)
	for i := range 7 {
		goTake(t.Context(), s, fmt.Sprint("q", i), rs)
	}
	waitQueued(s, 7)
	for _, want := range []string{"pipeline of 3", "pipeline of 3", "process evalsha"} {
		g.release <- struct{}{}
		if h := g.receive(t); h != want {
			t.Fatalf("WithMaxBatch(3): %s reached the client, want %s", h, want)
		}
	}
	close(g.release)

	s, g = gatedStore(t, redisstore.WithMaxBatch(1))
	for range 8 {
		goTake(t.Context(), s, "k", rs)
	}
	for range 8 {
		if h := g.receive(t); h != "process evalsha" {
			t.Fatalf("WithMaxBatch(1): %s reached the client, want each take alone", h)
		}
	}
	close(g.release)
}

// TestBatchContext checks a batch's context: it carries the values of its
// first call's context and the latest deadline of its calls (none if one
// of them has none), and is cancelled once all of them have returned. The
// calls take keys of their own.
func TestBatchContext(t *testing.T) {
	type key struct{}
	rs := mustRates(t, ratelimit.PerHour(100))
	now := time.Now()
	for _, tc := range []struct {
		name      string
		deadlines []time.Duration // 0: none
		want      time.Duration   // 0: none
	}{
		{"deadlines", []time.Duration{time.Hour, 3 * time.Hour, 2 * time.Hour}, 3 * time.Hour},
		{"one without", []time.Duration{time.Hour, 0, 2 * time.Hour}, 0},
	} {
		s, g := gatedStore(t)
		holdTwo(t, s, g, rs)
		var (
			cancels []context.CancelFunc
			takes   []chan outcome
		)
		for i, d := range tc.deadlines {
			ctx, cancel := context.WithCancel(context.WithValue(t.Context(), key{}, i))
			if d > 0 {
				ctx, cancel = context.WithDeadline(context.WithValue(t.Context(), key{}, i), now.Add(d))
			}
			cancels = append(cancels, cancel)
			takes = append(takes, goTake(ctx, s, fmt.Sprint("q", i), rs))
			waitQueued(s, i+1) // in this order
		}
		g.release <- struct{}{}
		h := g.receiveCtx(t)
		if h.what != "pipeline of 3" {
			t.Fatalf("%s: %s reached the client, want a pipeline of 3", tc.name, h.what)
		}
		if v := h.ctx.Value(key{}); v != 0 {
			t.Errorf("%s: the batch's context holds the value %v, want the first call's, 0", tc.name, v)
		}
		dl, ok := h.ctx.Deadline()
		if tc.want == 0 && ok || tc.want > 0 && !dl.Equal(now.Add(tc.want)) {
			t.Errorf("%s: the batch's deadline is %v (%v), want now+%v (0: none)", tc.name, dl.Sub(now), ok, tc.want)
		}
		for i, cancel := range cancels {
			if h.ctx.Err() != nil {
				t.Fatalf("%s: the batch's context ended with %d of its calls waiting", tc.name, len(cancels)-i)
			}
			cancel()
			if o := <-takes[i]; !errors.Is(o.err, context.Canceled) {
				t.Fatalf("%s: cancelled take = %v, %v", tc.name, o.d, o.err)
			}
		}
		select {
		case <-h.ctx.Done():
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: the batch's context goes on with all its calls gone", tc.name)
		}
		close(g.release)
	}
}

// TestBatchNoScript flushes a private server's scripts while a pipeline
// of five takes is held at the client: the server answers NOSCRIPT, and
// the pipeline goes again as it was (by EVAL), each take getting its
// decision. Takes of five keys are five commands; takes of one key are
// one command, and its five takes count in turn, a sixth denied.
func TestBatchNoScript(t *testing.T) {
	for _, tc := range []struct {
		name   string
		key    func(i int) string
		want   string // the pipeline, both times
		oneKey bool
	}{
		{"five keys", func(i int) string { return fmt.Sprint("q", i) }, "pipeline of 5", false},
		{"one key", func(int) string { return "q" }, "pipeline of 1", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, c := privateServer(t, redis.Options{})
			s, g := gatedStoreOn(t, c.Options())
			g.pipelines = make(chan struct{})
			rs := mustRates(t, ratelimit.PerHour(5))
			if _, err := newStore(t, c).Take(t.Context(), "k", rs, 1); err != nil { // loads the script
				t.Fatal(err)
			}
			holdTwo(t, s, g, rs)
			var takes []chan outcome
			for i := range 5 {
				takes = append(takes, goTake(t.Context(), s, tc.key(i), rs))
				waitQueued(s, i+1) // in this order
			}
			g.release <- struct{}{} // a lone take goes, loading the script
			if h := g.receive(t); h != tc.want {
				t.Fatalf("%s reached the client, want a %s", h, tc.want)
			}
			if err := c.ScriptFlush(t.Context()).Err(); err != nil {
				t.Fatal(err)
			}
			g.pipelines <- struct{}{}
			if h := g.receive(t); h != tc.want {
				t.Fatalf("after NOSCRIPT, %s reached the client, want the %s again", h, tc.want)
			}
			close(g.pipelines)
			close(g.release)
			for i, ch := range takes {
				want := int64(4)
				if tc.oneKey {
					want = int64(4 - i)
				}
				if o := <-ch; o.err != nil || !o.d.Allowed || o.d.Remaining != want {
					t.Errorf("take %d = %+v, %v; want allowed with %d remaining", i, o.d, o.err, want)
				}
			}
			if tc.oneKey {
				if d, err := s.Take(t.Context(), "q", rs, 1); err != nil || d.Allowed {
					t.Errorf("a sixth take = %+v, %v; want denied", d, err)
				}
			}
		})
	}
}

// expiringContext is a context whose deadline, an hour away, passes when
// done is closed.
type expiringContext struct {
	context.Context
	done chan struct{}
}

func (c *expiringContext) Deadline() (time.Time, bool) { return time.Now().Add(time.Hour), true }
func (c *expiringContext) Done() <-chan struct{}       { return c.done }
func (c *expiringContext) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

// TestServerHungBatched runs takes from 32 goroutines on one key of a
// private server, each under a 300ms deadline (or, under short client
// timeouts, a quarter of them under no deadline, cancelled after 300ms),
// until batches of more than one call have gone out, then stops the server
// (SIGSTOP) mid-load: every take still returns within a second, those that
// fail with an error wrapping ErrServer and their context's error; and the
// batches in flight then end, leaving no goroutine behind: under timeouts
// of 400ms with the server still stopped, under go-redis's default options
// once it runs again (SIGCONT).
func TestServerHungBatched(t *testing.T) {
	srv, _ := privateServer(t, redis.Options{})
	t.Cleanup(func() { srv.signal(syscall.SIGCONT) }) // before the kill
	baseline := runtime.NumGoroutine()
	const short = 400 * time.Millisecond
	for _, tc := range []struct {
		name       string
		opt        redis.Options
		noDeadline bool
		end        func() // makes the abandoned batches end
	}{
		{"timeouts of 400ms", redis.Options{DialTimeout: short, ReadTimeout: short, WriteTimeout: short}, true, func() {}},
		{"default options, until SIGCONT", redis.Options{}, false, func() { srv.signal(syscall.SIGCONT) }},
	} {
		opt := tc.opt
		opt.Addr, opt.PoolSize = srv.addr(), 32
		c := redis.NewClient(&opt)
		s, err := redisstore.New(c)
		if err != nil {
			t.Fatal(err)
		}
		rs := mustRates(t, ratelimit.PerSecond(1_000_000))
		var (
			ok   atomic.Int64
			stop = make(chan struct{})
			wg   sync.WaitGroup
		)
		for g := range 32 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
					want := context.DeadlineExceeded
					if tc.noDeadline && g%4 == 0 {
						ctx, cancel = context.WithCancel(t.Context())
						time.AfterFunc(300*time.Millisecond, cancel)
						want = context.Canceled
					}
					start := time.Now()
					_, err := s.Take(ctx, "hung", rs, 1)
					el := time.Since(start)
					cancel()
					if err == nil {
						ok.Add(1)
						continue
					}
					if el > time.Second || !errors.Is(err, want) || !errors.Is(err, redisstore.ErrServer) {
						t.Errorf("%s: take failed after %v with %v; want an error wrapping %v and ErrServer within 1s", tc.name, el, err, want)
						return
					}
				}
			})
		}
		deadline := time.Now().Add(5 * time.Second)
		for ok.Load() < 100 || redisstore.Pipelined(s) == 0 {
			if time.Now().After(deadline) {
				close(stop)
				wg.Wait()
				t.Fatalf("%s: %d takes and %d pipelined batches within 5s, want 100 and one", tc.name, ok.Load(), redisstore.Pipelined(s))
			}
			time.Sleep(5 * time.Millisecond)
		}
		srv.signal(syscall.SIGSTOP)
		time.Sleep(700 * time.Millisecond)
		close(stop)
		wg.Wait()
		tc.end()
		waitGoroutines(t, baseline, 2*time.Second)
		srv.signal(syscall.SIGCONT)
		c.Close()
	}
}
