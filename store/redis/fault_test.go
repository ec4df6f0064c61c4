package redisstore_test

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/core"
	redisstore "github.com/gorate/ratelimit/store/redis"
	"github.com/redis/go-redis/v9"
)

// TestServerKilled runs acquires from 16 goroutines against a private
// redis-server, kills it (SIGKILL) mid-load and restarts it on the same
// port: while it is down every acquire fails promptly with an error (each
// bounded by its context, none hangs or panics); once it is back, acquires
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
	s, err := redisstore.New(c, []ratelimit.Rate{ratelimit.PerSecond(1_000_000)})
	if err != nil {
		t.Fatal(err)
	}

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
				_, err := s.Acquire(ctx, "load", 1)
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

	waitFor("acquires before the kill", func() bool { return ok.Load() > 200 })
	if n := failed.Load(); n != 0 {
		t.Fatalf("%d acquires failed before the kill", n)
	}
	srv.kill()
	f0 := failed.Load()
	waitFor("failures after the kill", func() bool { return failed.Load() > f0+50 })
	time.Sleep(200 * time.Millisecond)
	ok0 := ok.Load()
	time.Sleep(200 * time.Millisecond)
	if ok.Load() != ok0 {
		t.Fatalf("acquires succeeded while the server was down")
	}
	srv.start(dir)
	ok1 := ok.Load()
	waitFor("acquires after the restart", func() bool { return ok.Load() > ok1+200 })
	close(stop)
	wg.Wait()
	if max := time.Duration(slowest.Load()); max > callTimeout+time.Second {
		t.Errorf("slowest acquire took %v, want it bounded by its %v context", max, callTimeout)
	}
	t.Logf("%d acquires succeeded, %d failed; slowest %v", ok.Load(), failed.Load(), time.Duration(slowest.Load()))

	s.Close()
	if _, err := s.Acquire(t.Context(), "load", 1); err == nil {
		t.Fatal("Acquire after Close succeeded")
	}
	c.Close()
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines after Close, %d before:\n%s", runtime.NumGoroutine(), baseline, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// quiet silences go-redis's own logging of failed dials, which the fault
// test provokes by the hundred.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func init() { redis.SetLogger(quiet{}) }
