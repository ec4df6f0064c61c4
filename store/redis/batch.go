package redisstore

import (
	"context"
	"runtime"
	"sync"
	"time"
)

// Batching. Concurrent decisions on one Store share round trips: a call
// joins the Store's queue, and while fewer than maxFlight batches are in
// flight, the oldest queued call leads a batch of up to maxBatch queued
// calls, sent as one pipeline (one write, one read of the replies). A call
// that finds nothing queued and no batch in flight is a batch of one and
// goes out at once, as a lone EVALSHA: nothing waits for a batch to fill.
// A batch formed while another is in flight lets the goroutines ready to
// run go first (runtime.Gosched) and, when it starts, takes in the calls
// they queued meanwhile: the callers a batch's end wakes come back
// together, and would otherwise send the first of them alone and queue
// the rest behind it.
// No goroutine runs between calls: the callers themselves lead, and a
// batch's end promotes the next queued call to leader.
//
// A batch of one whose call's context has no deadline runs on the caller's
// goroutine, under the caller's context, as a call did before batching.
// Any other batch runs on a goroutine of its own, which ends with the
// batch, and the callers wait for their decisions on their own channels,
// each returning its context's error as soon as its context is done (the
// batch goes on for the others). A batch of one runs under its call's
// context; a larger batch under one that carries its leader's values,
// never any caller's cancellation, the latest deadline of its calls (none
// if one of them has none), and is cancelled once all its calls have
// returned. There are at most maxFlight batches, hence goroutines and
// pooled connections, in flight per Store.

// The call's states in the batcher, under batcher.mu.
const (
	queued  = iota // in the queue
	leading        // leads a batch not yet started: must start it
	batched        // in a started batch, or leading one it started
)

// batcher queues a Store's calls and forms their batches.
type batcher struct {
	maxBatch int // calls per batch at most

	mu       sync.Mutex
	queue    []*call
	inFlight int
	// pipelined counts the batches of more than one call (for tests).
	pipelined int64
}

// batch is the calls sent as one pipeline.
type batch struct {
	calls []*call
	// joins: formed while another batch was in flight, it takes in the
	// calls queued by the time it starts.
	joins bool
	// live counts the calls still waiting, under batcher.mu; cancel, set
	// under it when the batch starts, ends its context once none waits.
	live   int
	cancel context.CancelFunc
}

// run sends c, alone or in a batch, bounded by ctx (see the comment
// above; c keeps ctx's deadline for its batch), and returns its error
// (ctx's if ctx ended first) or, if nil, leaves its reply in c.res. The
// batch, not the caller, writes c.err and c.res when it runs on a
// goroutine of its own.
func (s *Store) run(ctx context.Context, c *call) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok {
		c.deadline = dl.UnixNano()
	}
	b := &s.batch
	if b.maxBatch == 1 {
		return s.runUnbatched(ctx, c)
	}
	b.mu.Lock()
	if len(b.queue) == 0 && b.inFlight == 0 && unbounded(ctx) {
		// Alone, on the caller's goroutine: no channel, no batch.
		b.inFlight++
		b.mu.Unlock()
		err := s.send(ctx, c)
		s.finish()
		return err
	}
	c.ready = make(chan struct{}, 1)
	b.queue = append(b.queue, c)
	s.promote(c)
	lead := c.state == leading
	b.mu.Unlock()
	if lead {
		s.start(ctx, c)
	}
	return s.wait(ctx, c)
}

// runUnbatched sends c alone, as every call went before batching.
func (s *Store) runUnbatched(ctx context.Context, c *call) error {
	if unbounded(ctx) {
		return s.send(ctx, c)
	}
	_, err := bounded(ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.send(ctx, c)
	})
	return err
}

// promote forms batches from the queue's oldest calls while fewer than
// maxFlight are in flight, making each one's first call its leader and
// waking it, unless it is self (the caller, which starts its batch
// itself). It runs under b.mu.
func (s *Store) promote(self *call) {
	b := &s.batch
	for len(b.queue) > 0 && b.inFlight < maxFlight {
		n := min(len(b.queue), b.maxBatch)
		bt := &batch{calls: make([]*call, 0, n)}
		b.shift(bt, n)
		b.inFlight++
		bt.joins = b.inFlight > 1
		if n > 1 {
			b.pipelined++
		}
		lead := bt.calls[0]
		lead.state = leading
		if lead != self {
			lead.ready <- struct{}{} // under b.mu: see leave
		}
	}
}

// shift moves the queue's n oldest calls into bt. It runs under b.mu.
func (b *batcher) shift(bt *batch, n int) {
	for _, c := range b.queue[:n] {
		c.state, c.batch = batched, bt
	}
	bt.calls = append(bt.calls, b.queue[:n]...)
	bt.live += n
	rest := copy(b.queue, b.queue[n:])
	clear(b.queue[rest:])
	b.queue = b.queue[:rest]
}

// start starts the batch c leads, on a goroutine of its own unless it is c
// alone under a context without a deadline; a batch that joins first takes
// in the calls queued meanwhile, up to maxBatch.
func (s *Store) start(ctx context.Context, c *call) {
	b := &s.batch
	bt := c.batch
	if bt.joins && len(bt.calls) < b.maxBatch {
		runtime.Gosched()
	}
	b.mu.Lock()
	c.state = batched
	if n := min(len(b.queue), b.maxBatch-len(bt.calls)); bt.joins && n > 0 {
		if len(bt.calls) == 1 {
			b.pipelined++
		}
		b.shift(bt, n)
	}
	b.mu.Unlock()
	if len(bt.calls) > 1 {
		go s.runBatch(ctx, bt)
		return
	}
	if unbounded(ctx) {
		s.runAlone(ctx, c)
	} else {
		go s.runAlone(ctx, c)
	}
}

// runAlone sends c, a batch of one, and hands it its outcome.
func (s *Store) runAlone(ctx context.Context, c *call) {
	c.err = s.send(ctx, c)
	s.finish()
	c.ready <- struct{}{}
}

// runBatch sends bt as one pipeline under a context of its own (see the
// comment above; ctx gives it its values), hands each waiting call its
// outcome and promotes the next batch.
func (s *Store) runBatch(ctx context.Context, bt *batch) {
	var (
		deadline int64
		all      = true // every call has a deadline
	)
	for _, c := range bt.calls {
		if c.deadline == 0 {
			all = false
			break
		}
		deadline = max(deadline, c.deadline)
	}
	ctx = context.WithoutCancel(ctx)
	var cancel context.CancelFunc
	if all {
		ctx, cancel = context.WithDeadline(ctx, time.Unix(0, deadline))
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	b := &s.batch
	b.mu.Lock()
	bt.cancel = cancel
	live := bt.live
	b.mu.Unlock()
	if live > 0 {
		s.sendAll(ctx, bt.calls)
	}
	cancel()
	s.finish()
	for _, c := range bt.calls {
		c.ready <- struct{}{}
	}
}

// finish ends a batch: the next one may start.
func (s *Store) finish() {
	b := &s.batch
	b.mu.Lock()
	b.inFlight--
	s.promote(nil)
	b.mu.Unlock()
}

// wait waits for c's outcome, or for c to lead a batch, which it starts,
// or for ctx to end, and returns c's error or ctx's.
func (s *Store) wait(ctx context.Context, c *call) error {
	for {
		select {
		case <-c.ready:
			if c.state == leading { // set before the send
				s.start(ctx, c)
				continue
			}
			return c.err
		case <-ctx.Done():
			return s.leave(ctx, c)
		}
	}
}

// leave makes c, whose context ctx is done, give up: out of the queue, or
// starting the batch it was to lead, or leaving its batch, which is
// cancelled once none of its calls waits. It returns ctx's error, or c's
// if its outcome came meanwhile.
func (s *Store) leave(ctx context.Context, c *call) error {
	b := &s.batch
	b.mu.Lock()
	switch c.state {
	case queued:
		for i, q := range b.queue {
			if q == c {
				last := len(b.queue) - 1
				copy(b.queue[i:], b.queue[i+1:])
				b.queue[last] = nil
				b.queue = b.queue[:last]
				break
			}
		}
		b.mu.Unlock()
		return ctx.Err()
	case leading:
		<-c.ready // its promotion, sent under b.mu
		c.batch.live--
		c.state = batched
		b.mu.Unlock()
		if len(c.batch.calls) == 1 {
			// Nobody waits for it.
			s.finish()
		} else {
			go s.runBatch(ctx, c.batch)
		}
		return ctx.Err()
	}
	select {
	case <-c.ready: // finished too: keep its answer
		b.mu.Unlock()
		return c.err
	default:
	}
	bt := c.batch
	if bt.live--; bt.live == 0 && bt.cancel != nil {
		bt.cancel()
	}
	b.mu.Unlock()
	return ctx.Err()
}

// maxFlight is how many batches of one Store are in flight at most.
const maxFlight = 2
