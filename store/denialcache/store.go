package denialcache

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"math/bits"
	"slices"
	"sync"
	"time"

	"github.com/gorate/ratelimit"
)

// Store is a [ratelimit.Store] that answers a key's denials itself, in
// memory, for as long as the inner store's denial holds, and passes every
// other call to the inner store. See the package doc for when a denial
// holds and what the cached Decision says.
//
// Use [New]; the zero value is not usable. A Store is safe for concurrent
// use. It adds no error of its own: every error is the inner store's.
type Store struct {
	inner  ratelimit.Store
	seed   maphash.Seed
	shards []shard
	mask   uint64
	// now reads the clock in nanoseconds; margin is subtracted from every
	// denial's end (see New).
	now    func() int64
	margin int64
}

// shard is one lock's share of the cached denials.
type shard struct {
	mu  sync.Mutex
	m   map[string]denial
	max int
	// gen changes whenever a key of the shard is reset, so that a denial
	// decided before the reset is not cached after it.
	gen uint64
	_   [32]byte // keeps shards on separate cache lines
}

// denial is what a Store keeps of one key's denial.
type denial struct {
	rates  ratelimit.Rates // the rates it was decided under (a copy)
	weight int64
	start  int64 // when the call that was denied started, in ns
	until  int64 // when weight may fit again, less the margin; MaxInt64 for Never
	d      ratelimit.Decision
	probe  flight // after until: the call in flight for the key, if any
}

var (
	_ ratelimit.Store    = (*Store)(nil)
	_ ratelimit.Checker  = (*Store)(nil)
	_ ratelimit.Resetter = (*Store)(nil)
	_ ratelimit.Settler  = (*Store)(nil)
	_ ratelimit.Blocker  = (*Store)(nil)
)

// New returns a Store in front of inner. A nil inner or option, or a bad
// option, is an error wrapping [ratelimit.ErrInvalidArgument].
func New(inner ratelimit.Store, opts ...Option) (*Store, error) {
	if inner == nil {
		return nil, fmt.Errorf("%w: denialcache: inner store is nil", ratelimit.ErrInvalidArgument)
	}
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	// A power of two, and no more shards than keys, so that the shards'
	// caps add up to at most maxKeys.
	n := 1 << (bits.Len(uint(min(32, c.maxKeys))) - 1)
	s := &Store{inner: inner, seed: maphash.MakeSeed(), shards: make([]shard, n), mask: uint64(n - 1)}
	for i := range s.shards {
		s.shards[i] = shard{m: make(map[string]denial), max: c.maxKeys / n}
	}
	if c.clock != nil {
		// The inner store reads this clock too: its denial ends exactly
		// when it says.
		clock := c.clock
		s.now = func() int64 { return clock.Now() * int64(time.Millisecond) }
	} else {
		// The inner store reads another clock, rounded to its millisecond:
		// its denial may end up to a millisecond before start+RetryAfter.
		origin := time.Now()
		s.now = func() int64 { return int64(time.Since(origin)) }
		s.margin = int64(time.Millisecond)
	}
	return s, nil
}

// Take answers from the cache when it holds a denial of key for at most n
// units under rates, and otherwise takes n units under key from the inner
// store, caching the denial it may return.
func (s *Store) Take(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	return s.decide(ctx, key, rates, n, false, s.inner.Take)
}

// Check answers as Take does, from the cache or from the inner store's
// Check, and consumes nothing. If the inner store does not implement
// [ratelimit.Checker], the error wraps [errors.ErrUnsupported].
func (s *Store) Check(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	c, ok := s.inner.(ratelimit.Checker)
	if !ok {
		return ratelimit.Decision{}, fmt.Errorf("denialcache: the store (%T) cannot check without taking: %w", s.inner, errors.ErrUnsupported)
	}
	return s.decide(ctx, key, rates, n, false, c.Check)
}

// Reset drops key's cached denial and resets key in the inner store. If the
// inner store does not implement [ratelimit.Resetter], the error wraps
// [errors.ErrUnsupported].
func (s *Store) Reset(ctx context.Context, key string) error {
	r, ok := s.inner.(ratelimit.Resetter)
	if !ok {
		return fmt.Errorf("denialcache: the store (%T) cannot reset a key: %w", s.inner, errors.ErrUnsupported)
	}
	// Before, so that no call serves the old denial while the reset runs;
	// after, so that no call that started before the reset took effect
	// caches what it was told.
	s.forget(key)
	defer s.forget(key)
	return r.Reset(ctx, key)
}

// Refund drops key's cached denial, as Reset does, and gives back n units of
// the take taken reports in the inner store: a refund makes room that a
// cached denial would hide. Charge takes n units in the inner store and
// keeps the key's cached denial, unless it was decided under other rates:
// a charge only adds units, so a denial under its rates still holds, but
// under other rates it may change the key's state, as a take does. If the
// inner store does not implement [ratelimit.Settler], the error wraps
// [errors.ErrUnsupported].
func (s *Store) Refund(ctx context.Context, key string, rates ratelimit.Rates, taken ratelimit.Decision, n int64) (ratelimit.Decision, error) {
	st, err := s.settler()
	if err != nil {
		return ratelimit.Decision{}, err
	}
	s.forget(key)
	defer s.forget(key)
	return st.Refund(ctx, key, rates, taken, n)
}

// Charge: see Refund.
func (s *Store) Charge(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	st, err := s.settler()
	if err != nil {
		return ratelimit.Decision{}, err
	}
	s.shard(key).dropOther(key, rates)
	return st.Charge(ctx, key, rates, n)
}

// TakeBlocking is Take under the block b, as [ratelimit.Blocker] says: it
// answers from the cache when it holds a block's denial of key for at most
// n units under rates, and otherwise calls the inner store's TakeBlocking,
// caching the block's denial it may return. It caches no other denial: the
// inner store counts them toward a block. A block's denial holds until its
// RetryAfter as any other does, and until then only [Store.Reset] lifts it
// (a reset elsewhere is seen when the cached denial ends). If the inner
// store does not implement [ratelimit.Blocker], the error wraps
// [errors.ErrUnsupported].
func (s *Store) TakeBlocking(ctx context.Context, key string, rates ratelimit.Rates, n int64, b ratelimit.Block) (ratelimit.Decision, error) {
	bl, ok := s.inner.(ratelimit.Blocker)
	if !ok {
		return ratelimit.Decision{}, fmt.Errorf("denialcache: the store (%T) cannot block keys: %w", s.inner, errors.ErrUnsupported)
	}
	return s.decide(ctx, key, rates, n, true, func(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
		return bl.TakeBlocking(ctx, key, rates, n, b)
	})
}

// Block blocks key for d in the inner store, as [ratelimit.Blocker] says,
// and keeps the cache: a block only denies more, so every cached denial
// still holds. If the inner
// store does not implement [ratelimit.Blocker], the error wraps
// [errors.ErrUnsupported].
func (s *Store) Block(ctx context.Context, key string, d time.Duration) error {
	bl, ok := s.inner.(ratelimit.Blocker)
	if !ok {
		return fmt.Errorf("denialcache: the store (%T) cannot block keys: %w", s.inner, errors.ErrUnsupported)
	}
	return bl.Block(ctx, key, d)
}

// settler returns the inner store as a ratelimit.Settler.
func (s *Store) settler() (ratelimit.Settler, error) {
	st, ok := s.inner.(ratelimit.Settler)
	if !ok {
		return nil, fmt.Errorf("denialcache: the store (%T) cannot refund or charge: %w", s.inner, errors.ErrUnsupported)
	}
	return st, nil
}

// decide runs op (the inner store's Take or Check, or with blocking its
// TakeBlocking) for n units under key against rates, unless the cache
// holds a denial that answers it: for a call with blocking, a block's
// denial; for one without, a denial by the rates alone.
//
// When a key's denial has ended, one call goes to the inner store for it
// (the probe) and the others on the key wait for its outcome, so that a
// hammered key sends one call, not one per caller, when each denial ends:
// a denial answers them from the cache; an admission that leaves no unit
// makes one of them the next probe; anything else sends them all to the
// inner store.
func (s *Store) decide(ctx context.Context, key string, rates ratelimit.Rates, n int64, blocking bool, op func(context.Context, string, ratelimit.Rates, int64) (ratelimit.Decision, error)) (ratelimit.Decision, error) {
	sh := s.shard(key)
	if n <= 0 {
		// Never answered from the cache; but under other rates, it may
		// change the key's state all the same.
		sh.dropOther(key, rates)
		return op(ctx, key, rates, n)
	}
	for {
		start := s.now()
		sh.mu.Lock()
		var probe flight
		if e, ok := sh.m[key]; ok {
			switch {
			case !slices.Equal(e.rates, rates):
				// Other rates may have changed the key's state: the
				// denial no longer says anything.
				delete(sh.m, key)
			case e.d.Blocked != blocking:
				// Take does not see blocks, and TakeBlocking counts
				// the denials it makes: neither answers the other.
			case start < e.until:
				// A weight above the smallest limit is the inner
				// store's to deny with RetryAfter Never, unless that
				// is the cached denial.
				if n >= e.weight && (n <= rates[0].Limit || e.d.RetryAfter == ratelimit.Never) {
					sh.mu.Unlock()
					return e.at(start), nil
				}
			case e.probe != nil:
				f := e.probe
				sh.mu.Unlock()
				select {
				case <-f:
					continue
				case <-ctx.Done():
					return ratelimit.Decision{}, fmt.Errorf("denialcache: waiting for a call on %.64q: %w", key, context.Cause(ctx))
				}
			default:
				probe = make(flight)
				e.probe = probe
				sh.m[key] = e
			}
		}
		gen := sh.gen
		sh.mu.Unlock()

		d, err := op(ctx, key, rates, n)

		sh.mu.Lock()
		if err == nil && !d.Allowed && d.Blocked == blocking && d.RetryAfter > time.Duration(s.margin) && sh.gen == gen {
			until := int64(math.MaxInt64)
			if d.RetryAfter != ratelimit.Never {
				until = start + int64(d.RetryAfter) - s.margin
			}
			sh.remember(key, denial{rates: rates, weight: n, start: start, until: until, d: d})
		}
		if probe != nil {
			if e, ok := sh.m[key]; ok && e.probe == probe {
				if err == nil && d.Allowed && d.Remaining == 0 {
					e.probe = nil // the next caller probes
					sh.m[key] = e
				} else {
					delete(sh.m, key)
				}
			}
			close(probe)
		}
		sh.mu.Unlock()
		return d, err
	}
}

// flight is closed when a probe's call returns.
type flight chan struct{}

// at returns the denial as of now: its waits shortened by the time since the
// call that was denied started.
func (e *denial) at(now int64) ratelimit.Decision {
	d := e.d
	if d.RetryAfter != ratelimit.Never {
		d.RetryAfter = ceilMillis(e.start + int64(d.RetryAfter) - now)
	}
	d.ResetAfter = max(ceilMillis(e.start+int64(d.ResetAfter)-now), 0)
	return d
}

// ceilMillis returns ns nanoseconds rounded up to a millisecond, as stores
// report waits.
func ceilMillis(ns int64) time.Duration {
	const ms = int64(time.Millisecond)
	if ns > 0 {
		ns = (ns + ms - 1) / ms * ms
	} else {
		ns = -(-ns / ms * ms)
	}
	return time.Duration(ns)
}

// remember caches e as key's denial. A denial already cached for a smaller
// weight under the same rates is kept: it answers more takes. The caller
// holds sh.mu.
func (sh *shard) remember(key string, e denial) {
	if old, ok := sh.m[key]; ok {
		if old.weight < e.weight && e.start < old.until && slices.Equal(old.rates, e.rates) {
			return
		}
	} else if len(sh.m) >= sh.max {
		sh.evict(e.start)
	}
	e.rates = slices.Clone(e.rates)
	sh.m[key] = e
}

// evict drops one denial to make room: an expired one among the first few
// the map yields (in random order), else the first.
func (sh *shard) evict(now int64) {
	victim, seen := "", 0
	for k, e := range sh.m {
		if now >= e.until {
			victim = k
			break
		}
		if seen == 0 {
			victim = k
		}
		if seen++; seen == 8 {
			break
		}
	}
	delete(sh.m, victim)
}

// shard returns the shard of key.
func (s *Store) shard(key string) *shard {
	return &s.shards[maphash.String(s.seed, key)&s.mask]
}

// dropOther drops key's cached denial if it was decided under rates other
// than rates.
func (sh *shard) dropOther(key string, rates ratelimit.Rates) {
	sh.mu.Lock()
	if e, ok := sh.m[key]; ok && !slices.Equal(e.rates, rates) {
		delete(sh.m, key)
	}
	sh.mu.Unlock()
}

// forget drops key's cached denial, and makes every call in flight on its
// shard leave its denial uncached.
func (s *Store) forget(key string) {
	sh := s.shard(key)
	sh.mu.Lock()
	sh.gen++
	delete(sh.m, key)
	sh.mu.Unlock()
}
