package memorystore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

var (
	_ ratelimit.Local    = (*Store)(nil)
	_ ratelimit.Checker  = (*Store)(nil)
	_ ratelimit.Resetter = (*Store)(nil)
)

// ErrTooManyKeys reports that a [Store] is full: a new key arrived while the
// store held its cap of keys ([WithMaxKeys]) and none of them was idle.
var ErrTooManyKeys = errors.New("ratelimit: memorystore: too many keys")

// Store keeps the state of many keys in process memory and decides takes
// against it, exactly, under one algorithm ([WithAlgorithm]). Keys are
// spread over independently locked shards, and a take of a key the store
// holds, under the rates of the key's last take, locks that key alone
// (unless it is the take that sweeps the shard, see below), so many keys
// scale across cores. A take costs O(1) amortized per rate, and
// allocates nothing for a key the store holds.
//
// Each key remembers the rates of its last take; a take with other rates
// judges the key's state by the rules of [ratelimit.Store].
//
// Memory stays bounded under key churn with no goroutine and nothing to
// close: a take drops its shard's idle keys (keys that count nothing under
// the rates of their last take) once one of them may be idle, at most once
// per the longest interval of the rates the shard's keys last took under,
// kept between 1s and 1min. Such a take visits that one shard's keys. The
// number of keys is also capped ([WithMaxKeys]); a new key in a full store
// visits every shard to find idle keys, unless none can have gone idle since
// the last such visit.
//
// Use [New]; the zero value is not usable. A Store is safe for concurrent
// use.
type Store struct {
	alg   ratelimit.Algorithm
	clock core.Clock
	// mono reports that clock is core.MonotonicClock, read by a direct call
	// rather than through the interface.
	mono   bool
	hasher hasher
	shards []shard
	mask   uint64

	// keys counts the keys of every shard, against maxKeys: the cap holds
	// for the store as a whole, however keys fall into shards.
	keys    atomic.Int64
	maxKeys int64
	// sweepMu serializes store-wide sweeps; idleAt is the earliest time one
	// can find an idle key, so that a full store under a stream of new keys
	// fails them fast instead of sweeping every key for each.
	sweepMu sync.Mutex
	idleAt  atomic.Int64
}

// shard is a part of the store's keys under one lock, with what decides when
// a take sweeps it.
type shard struct {
	mu sync.Mutex
	// sweepAt is when a take next sweeps the shard (see schedule), written
	// under mu.
	sweepAt atomic.Int64
	// keys holds each key's log by the key's hash, changed under mu.
	keys table
	// idleAt is the earliest time a sweep can find an idle key.
	idleAt int64
	// swept is the latest clock reading a sweep applied: a new key's stamps
	// start there, so that no take counts less than the keys swept away.
	swept int64
	// span is the longest interval, in milliseconds, of the rates of the
	// keys' last takes: it sets how often the shard is swept.
	span int64
	_    [72]byte // 128 bytes: keep shards on separate cache lines
}

// minPeriod and maxPeriod bound the time between two sweeps of a shard, in
// milliseconds.
const (
	minPeriod = int64(time.Second / time.Millisecond)
	maxPeriod = int64(time.Minute / time.Millisecond)
)

var (
	_ ratelimit.Store    = (*Store)(nil)
	_ ratelimit.Checker  = (*Store)(nil)
	_ ratelimit.Resetter = (*Store)(nil)
)

// New returns an empty Store. Its error, for a bad option, wraps
// [ratelimit.ErrInvalidArgument].
func New(opts ...Option) (*Store, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	s := &Store{
		alg:     cfg.algorithm,
		clock:   cfg.clock,
		mono:    cfg.clock == core.Clock(core.MonotonicClock{}),
		hasher:  newHasher(),
		shards:  make([]shard, cfg.shards),
		mask:    uint64(cfg.shards - 1),
		maxKeys: int64(cfg.maxKeys),
	}
	for i := range s.shards {
		sh := &s.shards[i]
		sh.sweepAt.Store(maxTime)
		sh.idleAt, sh.swept = maxTime, minTime
	}
	s.idleAt.Store(maxTime)
	return s, nil
}

// Take takes n units under key against rates, as [ratelimit.Store] says,
// stamped with the store's clock (never earlier than a stamp the key already
// has). n = 0 adds no key. The error wraps [ratelimit.ErrInvalidArgument]
// for a negative n, [ratelimit.ErrInvalidRate] for empty rates or rates
// [core.Validate] refuses (checked when a key's rates change), and is [ErrTooManyKeys] (wrapped) when key is new and the store full.
func (s *Store) Take(_ context.Context, key string, rates ratelimit.Rates, n int64) (d ratelimit.Decision, err error) {
	// Named results written in place: returning a local Decision would copy
	// it, which costs more than the rest of a take.
	err = s.decide(&d, key, rates, n, true)
	return
}

// Local marks the store as deciding in memory without I/O
// ([ratelimit.Local]): limiters do not time its calls for their observers.
func (s *Store) Local() {}

// Check returns the Decision Take would return for n units under key against
// rates, and changes nothing: it adds no key and consumes nothing. Its
// errors are Take's, but for ErrTooManyKeys.
func (s *Store) Check(_ context.Context, key string, rates ratelimit.Rates, n int64) (d ratelimit.Decision, err error) {
	err = s.decide(&d, key, rates, n, false)
	return
}

// decide is Take (take true) and Check: it judges n units under key against
// rates into d, and with take applies them.
//
// A key the shard holds is found without the shard's lock and decided
// under the key's own, unless the take must sweep the shard or changes the
// key's rates (both change the shard's schedule); any other call locks the
// shard, then the key. So calls on keys of one shard hold no lock in
// common, and the shard's line stays in every core's cache, unwritten.
func (s *Store) decide(d *ratelimit.Decision, key string, rates ratelimit.Rates, n int64, take bool) error {
	if n < 0 || len(rates) == 0 {
		return badInput(key, n)
	}
	sh, h := s.locate(key)
	// Read the clock before taking a lock, so that the lock is held for the
	// decision alone; unitLog.stamp keeps stamps in lock order.
	var now int64
	if s.mono {
		now = core.MonotonicClock{}.Now() // inlined: no interface call
	} else {
		now = s.clock.Now()
	}
	if log := sh.keys.candidate(h); log != nil && (!take || now < sh.sweepAt.Load()) {
		log.mu.Lock()
		switch {
		case log.dead || log.key != key:
		case !take:
			err := log.check(d, rates, max(now, log.floor), n)
			log.mu.Unlock()
			return err
		case log.ownOne(rates):
			log.decideOne(d, rates[0], log.stamp(now), n, true) // take's commonest case, one call less
			log.mu.Unlock()
			return nil
		case log.sameRates(rates):
			_, err := log.take(d, rates, log.stamp(now), n)
			log.mu.Unlock()
			return err
		}
		log.mu.Unlock()
	}
	return s.decideLocked(d, sh, key, h, rates, now, n, take)
}

// decideLocked is decide's path under the shard's lock, for the key at
// hash h of sh, with the clock's reading now. It is a function of its own
// so that decide's own path defers nothing.
func (s *Store) decideLocked(d *ratelimit.Decision, sh *shard, key string, h uint64, rates ratelimit.Rates, now, n int64, take bool) error {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if take && now >= sh.sweepAt.Load() {
		s.sweep(sh, now)
	}
	log := sh.keys.lookup(key, h)
	if log == nil && (n == 0 || !take) {
		return decideAbsent(d, s.alg, rates, max(now, sh.swept), n)
	}
	if log == nil {
		var err error
		if log, err = s.add(sh, key, h, rates, now); err != nil {
			return err
		}
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if !take {
		return log.check(d, rates, max(now, log.floor), n)
	}
	now = log.stamp(now)
	changed, err := log.take(d, rates, now, n)
	if changed {
		sh.rerated(rates, now)
	}
	return err
}

// Reset forgets key: its next take starts with no history. It returns nil.
func (s *Store) Reset(_ context.Context, key string) error {
	sh, h := s.locate(key)
	sh.mu.Lock()
	if i, log := sh.keys.find(key, h); log != nil {
		log.mu.Lock()
		log.dead = true
		log.mu.Unlock()
		sh.keys.clear(i)
		s.keys.Add(-1)
	}
	sh.mu.Unlock()
	return nil
}

// badInput returns the error for a negative n or, if n is not, empty rates.
func badInput(key string, n int64) error {
	if n < 0 {
		return fmt.Errorf("%w: memorystore: weight %d for key %q is negative", ratelimit.ErrInvalidArgument, n, key)
	}
	return fmt.Errorf("%w: memorystore: no rates for key %q", ratelimit.ErrInvalidRate, key)
}

// locate returns key's shard and hash.
func (s *Store) locate(key string) (*shard, uint64) {
	h := s.hasher.hash(key)
	return &s.shards[h&s.mask], h
}

// size returns the number of keys in sh. sh.mu must be held.
func (sh *shard) size() int { return sh.keys.n }

// add adds key, which sh does not hold, for a take against rates at now.
// When the store is full it drops idle keys first, and fails with
// ErrTooManyKeys if none is. sh.mu must be held; add may release it for a
// while.
func (s *Store) add(sh *shard, key string, h uint64, rates ratelimit.Rates, now int64) (*unitLog, error) {
	// Fail bad rates before the key takes room: Take would not keep it.
	if err := core.Validate(s.alg, rates); err != nil {
		return nil, fmt.Errorf("memorystore: %w", err)
	}
	return s.admit(sh, key, h, rates, now)
}

// admit adds key with no history to sh for a first take at now against
// rates (nil for a key blocked before any take), making room if the store
// is full; the error wraps ErrTooManyKeys when it cannot. sh.mu must be
// held; admit may release and take it again.
func (s *Store) admit(sh *shard, key string, h uint64, rates ratelimit.Rates, now int64) (*unitLog, error) {
	log, err := s.create(sh, key, h, rates, now)
	if err == errFull {
		// Make room in every shard, holding none of their locks but one at
		// a time, then look again: another take may have added the key
		// meanwhile.
		sh.mu.Unlock()
		s.sweepAll(now)
		sh.mu.Lock()
		if log = sh.keys.lookup(key, h); log == nil {
			log, err = s.create(sh, key, h, rates, now)
		}
	}
	if err == errFull {
		err = fmt.Errorf("%w: %d keys in use, none idle, while adding %q", ErrTooManyKeys, s.keys.Load(), key)
	}
	return log, err
}

// errFull is create's report that the store holds its cap of keys and sh
// has none idle: the caller sweeps every shard before it gives up.
var errFull = errors.New("full")

// create adds a key with no history to sh, for a first take against rates.
// When the store is full it sweeps sh first, and fails with errFull if that made no room. sh.mu must be held.
func (s *Store) create(sh *shard, key string, h uint64, rates ratelimit.Rates, now int64) (*unitLog, error) {
	if !s.reserveKey() {
		if now >= sh.idleAt {
			s.sweep(sh, now)
		}
		if !s.reserveKey() {
			return nil, errFull
		}
	}
	// The new key may go idle before any key the last sweeps saw.
	lower(&s.idleAt, now+1)
	log := newUnitLog(s.alg, key, sh.swept, rates)
	sh.keys.insert(h, log)
	sh.rerated(rates, now)
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

// rerated notes that a key of sh takes at now under other rates than its
// last take's, or is new: it may go idle sooner than the last
// sweep saw, and rates may be longer than the shard's span. sh.mu must be
// held.
func (sh *shard) rerated(rates ratelimit.Rates, now int64) {
	sh.idleAt = min(sh.idleAt, now+1)
	if len(rates) > 0 { // none for a key blocked before its first take
		sh.span = max(sh.span, rates.Largest().IntervalMillis())
	}
	sh.schedule()
}

// schedule sets when a take next sweeps sh: once a key may be idle, and one
// period (the shard's span, kept between minPeriod and maxPeriod) after the
// last sweep, so that a sweep visits each key at most once per period, and
// a key taken now and then is not dropped and added again at every take.
// sh.mu must be held.
func (sh *shard) schedule() {
	period := min(max(sh.span, minPeriod), maxPeriod)
	sh.sweepAt.Store(max(sh.idleAt, sh.swept+period)) // no overflow: swept is a clock reading or minTime
}

// sweepAll sweeps every shard, one lock at a time, unless no key can have
// become idle since the last store-wide sweep.
func (s *Store) sweepAll(now int64) {
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	if now < s.idleAt.Load() {
		return
	}
	next := maxTime
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		s.sweep(sh, now)
		next = min(next, sh.idleAt)
		sh.mu.Unlock()
	}
	s.idleAt.Store(next)
}

// sweep expires every key of sh at now, drops the idle ones, and schedules
// the next sweep. sh.mu must be held.
func (s *Store) sweep(sh *shard, now int64) {
	next, span := maxTime, int64(0)
	idle := func(log *unitLog) bool {
		log.mu.Lock()
		defer log.mu.Unlock()
		if at := log.expire(now); at > now {
			next, span = min(next, at), max(span, log.span())
			return false
		}
		log.dead = true
		return true
	}
	before := sh.size()
	sh.keys.deleteFunc(idle)
	s.keys.Add(int64(sh.size() - before))
	sh.idleAt, sh.span, sh.swept = next, span, max(sh.swept, now)
	sh.schedule()
}
