package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gorate/ratelimit"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// Limit each user to 3 requests per second with an in-memory store.
func Example() {
	store, err := memorystore.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	l, err := ratelimit.New(store, ratelimit.PerSecond(3))
	if err != nil {
		fmt.Println(err)
		return
	}

	ctx := context.Background()
	for i := 1; i <= 4; i++ {
		d, err := l.Allow(ctx, "user:42")
		if err != nil {
			fmt.Println(err)
			return
		}
		if d.Allowed {
			fmt.Printf("request %d: allowed, %d left\n", i, d.Remaining)
		} else {
			fmt.Printf("request %d: denied by %s, retry after %v\n", i, d.Rate, d.RetryAfter.Round(time.Second))
		}
	}
	// Output:
	// request 1: allowed, 2 left
	// request 2: allowed, 1 left
	// request 3: allowed, 0 left
	// request 4: denied by 3/s, retry after 1s
}

func ExampleParseRate() {
	for _, s := range []string{"100/min", "5/2s", "1/1.5s", "2/week", "10/parsec"} {
		r, err := ratelimit.ParseRate(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%-8s → %d per %v (%s)\n", s, r.Limit, r.Interval, r)
	}
	// Output:
	// 100/min  → 100 per 1m0s (100/min)
	// 5/2s     → 5 per 2s (5/2s)
	// 1/1.5s   → 1 per 1.5s (1/1500ms)
	// 2/week   → 2 per 168h0m0s (2/7d)
	// ratelimit: invalid rate: interval in "10/parsec": unknown unit in "parsec"
}

func ExampleNewRates() {
	rates, err := ratelimit.NewRates(ratelimit.PerHour(1000), ratelimit.PerSecond(10))
	fmt.Println(rates, err)

	_, err = ratelimit.NewRates(ratelimit.PerMinute(3), ratelimit.PerDay(1))
	fmt.Println(errors.Is(err, ratelimit.ErrInvalidRate))
	fmt.Println(err)
	// Output:
	// 10/s, 1000/h <nil>
	// true
	// ratelimit: invalid rate: 1/d allows no more than 3/min over a longer interval, so 3/min can never bind; limits must increase with intervals
}

func ExampleLimiter_WaitN() {
	// One unit per 20ms; waits are padded by 5ms.
	store, _ := memorystore.New()
	l, err := ratelimit.New(store, ratelimit.Rate{Limit: 1, Interval: 20 * time.Millisecond},
		ratelimit.WithBuffer(5*time.Millisecond))
	if err != nil {
		fmt.Println(err)
		return
	}

	ctx := context.Background()
	for i := 1; i <= 2; i++ {
		start := time.Now()
		if _, err := l.WaitN(ctx, "worker", 1); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("unit %d: waited 20ms or more: %v\n", i, time.Since(start) >= 20*time.Millisecond)
	}

	// A wait that cannot fit the context's deadline fails at once.
	ctx, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
	defer cancel()
	_, err = l.WaitN(ctx, "worker", 1)
	fmt.Println(errors.Is(err, ratelimit.ErrWaitTooLong), errors.Is(err, context.DeadlineExceeded))

	// A weight above the limit can never fit: no waiting either.
	_, err = l.WaitN(context.Background(), "worker", 2)
	fmt.Println(err)
	// Output:
	// unit 1: waited 20ms or more: false
	// unit 2: waited 20ms or more: true
	// true true
	// ratelimit: weight exceeds limit: weight 2 for "worker" can never fit rate 1/20ms
}

func ExampleWrap() {
	store, _ := memorystore.New()
	l, err := ratelimit.New(store, ratelimit.PerSecond(3))
	if err != nil {
		fmt.Println(err)
		return
	}

	send := func(n int) func(context.Context) error {
		return ratelimit.Wrap(l, "mail", int64(n), func(context.Context) error {
			fmt.Printf("sending %d mails\n", n)
			return nil
		})
	}
	ctx := context.Background()
	fmt.Println(send(2)(ctx))
	fmt.Println(send(5)(ctx)) // never runs: 5 can never fit 3/s
	// Output:
	// sending 2 mails
	// <nil>
	// ratelimit: weight exceeds limit: weight 5 for "mail" can never fit rate 3/s
}

// Plans: free and pro keys share one store; a key's plan is looked up on
// every call, so an upgrade applies at once.
func ExampleWithRatesFor() {
	free, _ := ratelimit.ParseRates("2/min")
	pro, _ := ratelimit.ParseRates("5/min")
	var plans sync.Map // key → ratelimit.Rates
	store, _ := memorystore.New()
	l, err := ratelimit.New(store, free, ratelimit.WithRatesFor(func(_ context.Context, key string) (ratelimit.Rates, error) {
		if rs, ok := plans.Load(key); ok {
			return rs.(ratelimit.Rates), nil
		}
		return nil, nil // the limiter's own rates: free
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	take := func(key string) {
		admitted := 0
		for range 10 {
			if d, err := l.Allow(ctx, key); err == nil && d.Allowed {
				admitted++
			}
		}
		fmt.Printf("%s: %d admitted\n", key, admitted)
	}
	take("alice")
	plans.Store("alice", pro) // alice upgrades: 5/min, counting the 2 she took
	take("alice")
	// Output:
	// alice: 2 admitted
	// alice: 3 admitted
}

// Count only failed logins, 3 per minute: take one unit before each
// attempt, and give it back when the attempt succeeds.
func ExampleLimiter_Refund() {
	store, err := memorystore.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	l, err := ratelimit.New(store, ratelimit.PerMinute(3))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	for _, ok := range []bool{true, false, true, true, false, false, true} {
		d, err := l.Allow(ctx, "alice")
		if err != nil {
			fmt.Println(err)
			return
		}
		if !d.Allowed {
			fmt.Printf("locked out for %v\n", d.RetryAfter.Round(time.Minute))
			continue
		}
		if ok {
			if _, err := l.Refund(ctx, "alice", d, 1); err != nil {
				fmt.Println(err)
				return
			}
			fmt.Println("signed in")
		} else {
			fmt.Println("wrong password")
		}
	}
	// Output:
	// signed in
	// wrong password
	// signed in
	// signed in
	// wrong password
	// wrong password
	// locked out for 1m0s
}

// Reserve an estimate of the tokens a request to a model will use, and
// settle on the real count when it is known: refund what it did not use,
// or charge what it used beyond.
func ExampleLimiter_Charge() {
	store, err := memorystore.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	l, err := ratelimit.New(store, ratelimit.PerMinute(10_000))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	settle := func(d ratelimit.Decision, estimate, used int64) (ratelimit.Decision, error) {
		if used < estimate {
			return l.Refund(ctx, "tenant", d, estimate-used)
		}
		return l.Charge(ctx, "tenant", used-estimate)
	}
	for _, used := range []int64{1_500, 300, 9_000} {
		d, err := l.AllowN(ctx, "tenant", 2_000)
		if err != nil || !d.Allowed {
			fmt.Println("denied", err)
			return
		}
		if d, err = settle(d, 2_000, used); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("used %d: %d left, allowed now: %v\n", used, d.Remaining, d.Allowed)
	}
	// Output:
	// used 1500: 8500 left, allowed now: true
	// used 300: 8200 left, allowed now: true
	// used 9000: 0 left, allowed now: false
}

// Block a client for ten minutes once it goes over five sign-in attempts a
// minute, and lift the block when an operator clears it.
func ExampleBlock() {
	store, err := memorystore.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	l, err := ratelimit.New(store, ratelimit.PerMinute(5), ratelimit.Block{For: 10 * time.Minute})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	for range 7 {
		d, err := l.Allow(ctx, "203.0.113.7")
		if err != nil {
			fmt.Println(err)
			return
		}
		if d.Blocked {
			fmt.Printf("blocked, retry in %v\n", d.RetryAfter.Round(time.Second))
		} else {
			fmt.Println("attempt allowed")
		}
	}
	if err := l.Reset(ctx, "203.0.113.7"); err != nil {
		fmt.Println(err)
		return
	}
	d, err := l.Allow(ctx, "203.0.113.7")
	fmt.Println("after Reset, allowed:", d.Allowed, err)
	// Output:
	// attempt allowed
	// attempt allowed
	// attempt allowed
	// attempt allowed
	// attempt allowed
	// blocked, retry in 10m0s
	// blocked, retry in 10m0s
	// after Reset, allowed: true <nil>
}
