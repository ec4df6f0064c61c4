package pgstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// TestKeysIsolated holds name A's lock in a transaction on another
// connection for 2s (by calling the decision function inside it): puts on
// name B go on at once, and a put on A waits for the lock (bounded by its
// context) instead of being denied.
func TestKeysIsolated(t *testing.T) {
	pool := sharedPool(t)
	s := newStore(t, pool, []ratelimit.Rate{ratelimit.PerSecond(100)})
	ctx := t.Context()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT * FROM "`+s.Table()+`_acquire"('A'::bytea, NULL, 1, NULL, '{1000}', '{100}', true, false)`); err != nil {
		tx.Rollback(context.WithoutCancel(ctx))
		t.Fatal(err)
	}
	held := time.Now()
	released := make(chan struct{})
	go func() {
		defer close(released)
		time.Sleep(2 * time.Second)
		tx.Commit(context.WithoutCancel(ctx))
	}()
	defer func() { <-released }()

	for i := range 5 {
		start := time.Now()
		d, err := s.Acquire(ctx, "B", 1)
		if took := time.Since(start); err != nil || !d.Allowed || took > 100*time.Millisecond {
			t.Fatalf("Acquire B #%d while A is held = %+v, %v after %v; want allowed well under 100ms", i, d, err, took)
		}
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if d, err := s.Acquire(short, "A", 1); err == nil {
		t.Fatalf("Acquire A while held = %+v; want it to wait, then fail with its context", d)
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Logf("Acquire A while held: %v", err)
	}
	d, err := s.Acquire(ctx, "A", 1) // waits for the commit, then fits
	if err != nil || !d.Allowed {
		t.Fatalf("Acquire A after the wait = %+v, %v; want allowed", d, err)
	}
	if waited := time.Since(held); waited < 2*time.Second {
		t.Fatalf("Acquire A returned after %v, before the lock was released", waited)
	}
	b, _ := s.Bucket(ctx, "A")
	if n, err := b.Count(ctx); err != nil || n != 2 {
		t.Fatalf("Count A = %d, %v; want 2 (the held put and the waiting one)", n, err)
	}
}
