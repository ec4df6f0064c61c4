package memorystore

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// Store is an in-process [ratelimit.Factory]: one exact sliding-window log per
// key, created on first use, spread over independently locked shards so many
// keys scale across cores. A put locks one shard once, allocates nothing for
// a known key, and costs O(1) amortized per rate.
//
// Memory stays bounded under key churn: a background sweeper (see
// [WithSweepInterval]) leaks every key and drops idle ones, and the number of
// keys is capped ([WithMaxKeys]).
//
// Use [New]; the zero value is not usable. A Store is safe for concurrent
// use. Close stops the sweeper, drops every key and makes later calls fail
// with an error wrapping [ratelimit.ErrClosed].
type Store struct {
	rates       ratelimit.Rates
	alg         ratelimit.Algorithm
	clock       ratelimit.Clock
	maxInterval int64
	seed        maphash.Seed
	shards      []shard
	mask        uint64

	// keys counts the keys of every shard, against maxKeys: the cap holds
	// for the store as a whole, however keys fall into shards.
	keys    atomic.Int64
	maxKeys int64
	// sweepMu serializes store-wide sweeps; idleAt is the earliest time one
	// can find an idle key, so that a full store under a stream of new keys
	// fails them fast instead of sweeping every key for each.
	sweepMu sync.Mutex
	idleAt  atomic.Int64

	closed    atomic.Bool
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

type shard struct {
	mu sync.Mutex
	// logs holds each key's log by the key's hash; the rare key whose hash is
	// taken by another key lives in collided.
	logs     map[uint64]*unitLog
	collided map[string]*unitLog
	// idleAt is the earliest time a sweep of this shard can find an idle
	// key; a new key in a full store before then skips that sweep.
	idleAt int64
	_      [32]byte // keep shards on separate cache lines
}

var _ ratelimit.Factory = (*Store)(nil)

// New returns an empty Store enforcing rates on every key, validated as
// [ratelimit.NewRates] does. Options: [WithClock], [WithShards],
// [WithMaxKeys], [WithSweepInterval].
func New(rates []ratelimit.Rate, opts ...Option) (*Store, error) {
	rs, err := ratelimit.NewRates(rates...)
	if err != nil {
		return nil, err
	}
	cfg, err := newConfig(rs, opts)
	if err != nil {
		return nil, err
	}
	s := &Store{
		rates:       rs,
		alg:         cfg.algorithm,
		clock:       cfg.clock,
		maxInterval: rs.Largest().IntervalMillis(),
		seed:        maphash.MakeSeed(),
		shards:      make([]shard, cfg.shards),
		mask:        uint64(cfg.shards - 1),
		maxKeys:     int64(cfg.maxKeys),
	}
	for i := range s.shards {
		s.shards[i].logs = make(map[uint64]*unitLog)
	}
	if cfg.sweepInterval > 0 {
		s.stop, s.done = make(chan struct{}), make(chan struct{})
		go s.sweeper(cfg.sweepInterval)
	}
	return s, nil
}

// Rates returns the rates every key is held to.
func (s *Store) Rates() ratelimit.Rates { return s.rates }

// locate returns key's shard and hash.
func (s *Store) locate(key string) (*shard, uint64) {
	h := maphash.String(s.seed, key)
	return &s.shards[h&s.mask], h
}

// lookup returns key's log, or nil. sh.mu must be held.
func (sh *shard) lookup(key string, h uint64) *unitLog {
	if log := sh.logs[h]; log != nil && log.key == key {
		return log
	}
	return sh.collided[key]
}

// size returns the number of keys in sh. sh.mu must be held.
func (sh *shard) size() int { return len(sh.logs) + len(sh.collided) }

// Acquire puts weight units under name, stamped with the store's clock
// (never earlier than a stamp the key already has). It fails with
// [ErrTooManyKeys] when name is new and the store is full.
func (s *Store) Acquire(_ context.Context, name string, weight int64) (d ratelimit.Decision, err error) {
	// Named results written in place: returning a local Decision would copy
	// it, which costs more than the rest of a put.
	err = s.put(&d, name, ratelimit.Item{Name: name, Weight: weight}, true)
	return
}

// put judges item against key's log into d (an out-parameter, see
// unitLog.put) and stores it if allowed; now stamps it with the store's clock.
func (s *Store) put(d *ratelimit.Decision, key string, item ratelimit.Item, now bool) error {
	if item.Weight < 0 {
		return ratelimit.WeightError(item.Name, item.Weight)
	}
	if s.closed.Load() {
		return errClosed
	}
	sh, h := s.locate(key)
	if now {
		// Read the clock before taking the lock, so that the lock is held
		// for the put alone; log.stamp keeps stamps in lock order.
		item.Time = s.clock.Now()
	}
	sh.mu.Lock()
	log := sh.lookup(key, h)
	if log == nil && item.Weight == 0 {
		// Judge against an empty log without adding the key.
		newKeyLog(s.alg, len(s.rates), key).decide(d, s.rates, item, s.maxInterval, false)
		sh.mu.Unlock()
		return nil
	}
	if log == nil {
		var err error
		if log, err = s.create(sh, key, h, item.Time); err == errFull {
			// Make room in every shard, holding none of their locks but
			// one at a time, then look again: another put may have added
			// the key meanwhile.
			sh.mu.Unlock()
			s.sweepAll(item.Time, false)
			sh.mu.Lock()
			if log = sh.lookup(key, h); log == nil {
				log, err = s.create(sh, key, h, item.Time)
			}
		}
		if err != nil {
			sh.mu.Unlock()
			if err == errFull {
				err = fmt.Errorf("%w: %d keys in use, none idle, while adding %q", ErrTooManyKeys, s.keys.Load(), key)
			}
			return err
		}
	}
	if now {
		item.Time = log.stamp(item.Time)
	}
	log.decide(d, s.rates, item, s.maxInterval, true)
	sh.mu.Unlock()
	return nil
}

// errFull is create's report that the store holds its cap of keys and sh
// has none idle: the caller sweeps every shard before it gives up.
var errFull = errors.New("full")

// create adds an empty log for key to sh. When the store is full it drops
// sh's idle keys first, and fails with errFull if that made no room. sh.mu
// must be held.
func (s *Store) create(sh *shard, key string, h uint64, now int64) (*unitLog, error) {
	if !s.reserveKey() {
		if now >= sh.idleAt {
			sh.idleAt = s.sweep(sh, now)
		}
		if !s.reserveKey() {
			return nil, errFull
		}
	}
	// The new key may go idle before any key the last sweeps saw.
	sh.idleAt = min(sh.idleAt, now+1)
	lower(&s.idleAt, now+1)
	log := newKeyLog(s.alg, len(s.rates), key)
	if sh.logs[h] == nil {
		sh.logs[h] = log
	} else {
		if sh.collided == nil {
			sh.collided = make(map[string]*unitLog)
		}
		sh.collided[key] = log
	}
	return log, nil
}

// reserveKey counts one more key, unless the store holds its cap.
func (s *Store) reserveKey() bool {
	if s.keys.Add(1) > s.maxKeys {
		s.keys.Add(-1)
		return false
	}
	return true
}

// lower sets a to v if v is smaller.
func lower(a *atomic.Int64, v int64) {
	for at := a.Load(); at > v && !a.CompareAndSwap(at, v); at = a.Load() {
	}
}

// sweepAll sweeps every shard, one lock at a time, unless no key can have
// become idle since the last store-wide sweep and force is false.
func (s *Store) sweepAll(now int64, force bool) {
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	if !force && now < s.idleAt.Load() {
		return
	}
	next := int64(1<<63 - 1)
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		sh.idleAt = s.sweep(sh, now)
		next = min(next, sh.idleAt)
		sh.mu.Unlock()
	}
	s.idleAt.Store(next)
}

// sweep leaks every log of sh at now, drops the empty ones, and returns the
// earliest time another log can become idle. sh.mu must be held.
func (s *Store) sweep(sh *shard, now int64) int64 {
	next := int64(1<<63 - 1)
	idle := func(log *unitLog) bool {
		log.advance(now)
		log.leakAt(s.rates, now, s.maxInterval)
		if at := log.idleAt(s.rates); at > now {
			next = min(next, at)
			return false
		}
		return true
	}
	before := sh.size()
	maps.DeleteFunc(sh.logs, func(_ uint64, log *unitLog) bool { return idle(log) })
	maps.DeleteFunc(sh.collided, func(_ string, log *unitLog) bool { return idle(log) })
	s.keys.Add(int64(sh.size() - before))
	return next
}

func (s *Store) sweeper(every time.Duration) {
	defer close(s.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		s.sweepAll(s.clock.Now(), true)
	}
}

// Len returns the number of keys the store holds.
func (s *Store) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += sh.size()
		sh.mu.Unlock()
	}
	return n
}

// Bucket returns a view of name's bucket. The view holds no state of its own:
// each call finds name's log in the store, so it stays right after the key is
// swept. Units put through the view go to name's log under the item's own
// name. Closing the view does nothing; close the Store.
func (s *Store) Bucket(_ context.Context, name string) (ratelimit.Bucket, error) {
	if s.closed.Load() {
		return nil, errClosed
	}
	return &keyBucket{s: s, name: name}, nil
}

// Close stops the sweeper, waits for it and drops every key. It is idempotent
// and returns nil.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		if s.stop != nil {
			close(s.stop)
			<-s.done
		}
		for i := range s.shards {
			sh := &s.shards[i]
			sh.mu.Lock()
			s.keys.Add(int64(-sh.size()))
			clear(sh.logs)
			clear(sh.collided)
			sh.mu.Unlock()
		}
	})
	return nil
}

// with runs fn on name's log (nil if the key is absent) under its shard's lock.
func (s *Store) with(name string, fn func(*unitLog)) error {
	if s.closed.Load() {
		return errClosed
	}
	sh, h := s.locate(name)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	fn(sh.lookup(name, h))
	return nil
}
