package pgstore

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gorate/ratelimit"
	"github.com/jackc/pgx/v5/pgconn"
)

// maxInFlight is the most statements a lane has running at once: the
// takes that come meanwhile queue for the next one.
const maxInFlight = 2

// batcher coalesces a Store's concurrent takes into batches. A take joins
// a lane's queue, and while fewer than maxInFlight runners run for the
// lane, it starts one; a runner sends its lane's queued takes, up to max of
// them, as one statement, and again until the queue is empty. The shared
// lane's statements never wait for a key's lock: they pass over the takes
// of a key another transaction holds (a busy key), which move to that
// key's lane, whose statements wait for it. Takes on a busy key join its
// lane until the lane empties. So a held key holds back its own takes and
// no other key's.
type batcher struct {
	max     int                       // the most takes in a batch; 1: none are batched
	hook    func(size int, wait bool) // tests: called with each batch before it is sent
	retried atomic.Int64              // batches whose takes ran again alone (an SQL error)

	mu      sync.Mutex
	shared  lane
	busy    map[string]*lane // the lanes of busy keys, by key
	runners sync.WaitGroup
}

// lane is a queue of takes and the runners that send them.
type lane struct {
	key     string     // a busy key's lane: its key
	wait    bool       // a busy key's lane: its statements wait for the key's lock
	queue   []*pending // the takes not sent yet, in submission order
	running int        // runners, each sending one batch at a time
}

// pending is a take in the queue or in a batch in flight. The runner fills
// its result and closes done.
type pending struct {
	ctx               context.Context
	key               string
	k                 []byte // the stored key
	rates             ratelimit.Rates
	n                 int64
	now               int64 // the Store's clock's reading (none at the server's clock)
	intervals, limits []int64
	b                 *ratelimit.Block // TakeBlocking's; nil for Take
	lane              *lane            // the lane whose queue it joined last

	d     ratelimit.Decision
	err   error
	busy  bool // its key was busy: it goes to the key's lane
	alone bool // the batch failed with an SQL error: the caller takes alone
	done  chan struct{}
}

// batched is Take (b nil) or TakeBlocking through the Store's batcher.
func (s *Store) batched(ctx context.Context, key string, rates ratelimit.Rates, n int64, b *ratelimit.Block) (ratelimit.Decision, error) {
	intervals, limits, err := s.input(key, rates, n)
	if err != nil {
		return ratelimit.Decision{}, err
	}
	if b != nil {
		if err := checkBlock(key, b); err != nil {
			return ratelimit.Decision{}, err
		}
	}
	if err := ctx.Err(); err != nil {
		return ratelimit.Decision{}, opError("take", key, err)
	}
	p := &pending{ctx: ctx, key: key, k: storedKey(key), rates: rates, n: n, intervals: intervals, limits: limits, b: b, done: make(chan struct{})}
	if s.clock != nil {
		p.now = s.clock.Now()
	}
	if err := s.enqueue(p); err != nil {
		return ratelimit.Decision{}, err
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		// Still queued, it is removed and never applied; already sent, it
		// is applied if its batch commits.
		s.dequeue(p)
		return ratelimit.Decision{}, opError("take", key, ctx.Err())
	}
	if p.alone {
		var d ratelimit.Decision
		err := s.call(ctx, &d, "take", key, rates, n, 0, b)
		return d, err
	}
	return p.d, p.err
}

// enqueue queues p in its key's lane if the key is busy, or else in the
// shared lane. After Close it queues nothing and returns an error wrapping
// ErrClosed.
func (s *Store) enqueue(p *pending) error {
	b := &s.batch
	b.mu.Lock()
	defer b.mu.Unlock()
	if s.closed.Load() {
		return errClosed
	}
	l := b.busy[p.key]
	if l == nil {
		l = &b.shared
	}
	s.join(l, p)
	return nil
}

// join queues p in l, starting a runner if fewer than maxInFlight run for
// l. The caller holds the batcher's lock.
func (s *Store) join(l *lane, p *pending) {
	l.queue = append(l.queue, p)
	p.lane = l
	if l.running < maxInFlight {
		l.running++
		s.batch.runners.Go(func() { s.drain(l) })
	}
}

// requeue moves the takes a shared batch passed over, their keys busy, to
// their keys' lanes, making a lane for a key that has none. A take whose
// caller's ctx has ended, or any after Close, ends there, never applied.
func (s *Store) requeue(busy []*pending) {
	b := &s.batch
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range busy {
		switch {
		case s.closed.Load():
			p.err = errClosed
		case p.ctx.Err() != nil:
			p.err = opError("take", p.key, p.ctx.Err())
		default:
			l := b.busy[p.key]
			if l == nil {
				l = &lane{key: p.key, wait: true}
				if b.busy == nil {
					b.busy = make(map[string]*lane)
				}
				b.busy[p.key] = l
			}
			p.busy = false
			s.join(l, p)
			continue
		}
		close(p.done)
	}
}

// dequeue removes p from its lane's queue if it is still there.
func (s *Store) dequeue(p *pending) {
	b := &s.batch
	b.mu.Lock()
	defer b.mu.Unlock()
	q := &p.lane.queue
	if i := slices.Index(*q, p); i >= 0 {
		*q = slices.Delete(*q, i, i+1)
	}
}

// drain is a runner of l: it sends batches of l's takes until l's queue
// is empty. Before taking each batch it lets the goroutines ready to run go
// first (runtime.Gosched): the callers its last batch woke, which come back
// with their next takes together, and would otherwise queue one by one
// behind a batch sent without them.
func (s *Store) drain(l *lane) {
	for {
		runtime.Gosched()
		batch := s.next(l)
		if batch == nil {
			return
		}
		s.send(l, batch)
	}
}

// next takes l's next batch off its queue: its first takes, up to the
// batcher's max; nil, ending the runner, when the queue is empty (the last
// runner of a busy key's lane removes the lane). After Close, the takes
// still queued fail with an error wrapping ErrClosed and are never
// applied.
func (s *Store) next(l *lane) []*pending {
	b := &s.batch
	b.mu.Lock()
	defer b.mu.Unlock()
	if s.closed.Load() {
		for _, p := range l.queue {
			p.err = errClosed
			close(p.done)
		}
		l.queue = nil
	}
	if len(l.queue) == 0 {
		l.running--
		if l.wait && l.running == 0 {
			delete(b.busy, l.key)
		}
		return nil
	}
	k := min(len(l.queue), b.max)
	batch := l.queue[:k:k]
	l.queue = l.queue[k:]
	return batch
}

// send runs batch, taken off l, as one statement, under a context that
// ends once every caller's has, and gives each take its result. A single
// take is sent as the take's own statement (but one under a Block in the
// shared lane); any other batch goes to the batch function. The shared
// lane's statements pass over the takes of busy keys: those go to their
// keys' lanes. If the statement fails with an SQL error, no take of the
// batch was applied, and each caller takes alone, so that only a bad take
// fails; on any other failure (of the connection), every take of the batch
// fails with it.
func (s *Store) send(l *lane, batch []*pending) {
	if s.batch.hook != nil {
		s.batch.hook(len(batch), l.wait)
	}
	ctx, cancel := batchContext(batch)
	defer cancel()
	var err error
	if len(batch) == 1 && (l.wait || batch[0].b == nil) {
		err = s.one(ctx, batch[0], !l.wait)
	} else {
		err = s.many(ctx, batch, !l.wait)
	}
	if statementError(err) {
		s.batch.retried.Add(1)
	}
	var busy []*pending
	for _, p := range batch {
		switch {
		case err == nil && p.busy:
			busy = append(busy, p)
			continue
		case err == nil:
		case statementError(err):
			p.alone = true
		default:
			p.d, p.err = ratelimit.Decision{}, opError("take", p.key, err)
		}
		close(p.done)
	}
	if busy != nil {
		s.requeue(busy)
	}
}

// one runs the single take p with the take function of the Store's
// algorithm, or the blocking function, and fills its result. With try (a
// take without a Block), the statement tries the key's lock instead of
// waiting for it, and marks p busy when another transaction holds it. A
// failure of the statement is returned.
func (s *Store) one(ctx context.Context, p *pending, try bool) error {
	var (
		rate                    int32
		remaining, retry, reset int64
		err                     error
	)
	switch {
	case p.b != nil:
		err = s.blockingRow(ctx, p.k, p.n, s.nowOf(p), p.intervals, p.limits, p.b).Scan(&p.d.Allowed, &rate, &remaining, &retry, &reset, &p.d.At, &p.d.Blocked)
	case try:
		err = s.tryRow(ctx, p.k, p.n, s.nowOf(p), p.intervals, p.limits).Scan(&p.busy, &p.d.Allowed, &rate, &remaining, &retry, &reset, &p.d.At)
	default:
		err = s.takeRow(ctx, true, p.k, p.n, s.nowOf(p), p.intervals, p.limits).Scan(&p.d.Allowed, &rate, &remaining, &retry, &reset, &p.d.At)
	}
	if err != nil || p.busy {
		return err
	}
	p.err = fill(&p.d, p.rates, rate, remaining, retry, reset)
	return nil
}

// many runs batch with the batch take function and fills each take's
// result; with try, the function passes over the takes of busy keys,
// which it marks busy. A failure of the statement is returned; a take
// whose row is missing fails with errBadRate's kind of error.
func (s *Store) many(ctx context.Context, batch []*pending, try bool) error {
	keys := make([][]byte, len(batch))
	ns := make([]int64, len(batch))
	offsets := make([]int32, len(batch)+1)
	var intervals, limits []int64
	for i, p := range batch {
		keys[i], ns[i] = p.k, p.n
		intervals = append(intervals, p.intervals...)
		limits = append(limits, p.limits...)
		offsets[i+1] = int32(len(intervals))
	}
	var nows any // NULL: the server's clock
	if s.clock != nil {
		times := make([]int64, len(batch))
		for i, p := range batch {
			times[i] = p.now
		}
		nows = times
	}
	blocks := blockArrays(batch)
	rows, err := s.pool.Query(ctx, s.q.callTakeBatch, keys, s.alg, ns, nows, offsets, intervals, limits, s.async, try,
		blocks[0], blocks[1], blocks[2], blocks[3], blocks[4])
	if err != nil {
		return err
	}
	defer rows.Close()
	seen := make([]bool, len(batch))
	for rows.Next() {
		var (
			idx, rate               int32
			busy, allowed, blocked  bool
			remaining, retry, reset int64
			at                      int64
		)
		if err := rows.Scan(&idx, &busy, &allowed, &rate, &remaining, &retry, &reset, &at, &blocked); err != nil {
			return err
		}
		if idx < 1 || int(idx) > len(batch) {
			return errBadIndex(idx)
		}
		p := batch[idx-1]
		seen[idx-1] = true
		if p.busy = busy; busy {
			continue
		}
		p.d.Allowed, p.d.At, p.d.Blocked = allowed, at, blocked
		p.err = fill(&p.d, p.rates, rate, remaining, retry, reset)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if i := slices.Index(seen, false); i >= 0 {
		return errBadIndex(int32(i + 1))
	}
	return nil
}

// blockArrays returns the batch function's arrays of the Blocks' For,
// After, Within, Factor and Max (ms), with NULL for a take under none; all
// NULL when no take of batch has a block.
func blockArrays(batch []*pending) [5]any {
	var arrays [5]any
	if !slices.ContainsFunc(batch, func(p *pending) bool { return p.b != nil }) {
		return arrays
	}
	cols := [5][]*int64{}
	for i := range cols {
		cols[i] = make([]*int64, len(batch))
	}
	for i, p := range batch {
		if b := p.b; b != nil {
			for j, v := range blockParams(b) {
				cols[j][i] = &v
			}
		}
	}
	for i, c := range cols {
		arrays[i] = c
	}
	return arrays
}

// nowOf returns the time to give p's function: its clock reading, or nil
// (NULL) for the server's clock.
func (s *Store) nowOf(p *pending) any {
	if s.clock == nil {
		return nil
	}
	return p.now
}

// batchContext returns the context of batch's statement: canceled once
// the context of every take in it has ended (so that a statement nobody
// waits for stops; before it is returned if they all have), and by its
// cancel function, which also releases what it holds.
func batchContext(batch []*pending) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	var left atomic.Int64
	left.Store(int64(len(batch)))
	end := func() {
		if left.Add(-1) == 0 {
			cancel()
		}
	}
	stops := make([]func() bool, 0, len(batch))
	for _, p := range batch {
		if p.ctx.Err() != nil {
			end()
		} else {
			stops = append(stops, context.AfterFunc(p.ctx, end))
		}
	}
	return ctx, func() {
		for _, stop := range stops {
			stop()
		}
		cancel()
	}
}

// statementError reports whether err, a batch's failure, is an error the
// server raised for the statement (severity ERROR, not a cancellation or a
// shutdown, class 57), after which the connection is still good and the
// transaction rolled back.
func statementError(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Severity == "ERROR" && !strings.HasPrefix(pe.Code, "57")
}
