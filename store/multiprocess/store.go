package mpstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sync"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// Store is a [ratelimit.Store] whose state lives in a file that every
// process opening the same path maps into memory: one exact sliding-window
// log per key (or, with [WithAlgorithm], a key's rates and a few numbers
// per rate), in a fixed table of key slots, shared by all the processes of
// a host with no server. Rates come with each call, so one file serves any
// number of limiters and plans; a key's state follows its rates as
// [ratelimit.Store] says.
//
// Every call takes the file's flock(2) lock, behind an in-process mutex so
// that the goroutines of one process queue there rather than in the
// kernel; the wait for it is not bounded by the context. The kernel drops
// the lock of a process that dies, and every change commits with one
// 8-byte store (a log's refund or block through a journal, see
// [Store.Refund], [Store.TakeBlocking] and [Store.Block]), so a worker
// killed at any point never wedges or corrupts the others.
//
// Capacity is fixed when the file is created ([WithMaxKeys],
// [WithMaxEntries], [WithMaxRates]): idle keys give up their slots when a
// new key needs one, and a take that finds no slot fails with [ErrFull]
// rather than over-admit.
//
// Time is the host's wall clock in Unix milliseconds by default, the one
// clock every process shares; a take is judged at the clock's reading. A
// log keeps each key's units in time order: a take read earlier than the
// key's newest unit (the wall clock stepped back) is judged at its reading
// and its units are stored with that newest unit, so they count no
// shorter than they should. A step forward ages every unit at once.
//
// Use [Open]; the zero value is not usable. A Store is safe for concurrent
// use. Close unmaps the file and makes later calls fail with an error
// wrapping [ratelimit.ErrClosed]; the file stays, for the other processes.
type Store struct {
	path  string
	clock core.Clock
	alg   algorithm // also in the layout; here and in lay for reads without the lock
	lay   layout

	mu   sync.Mutex
	file *lockedFile
	m    mapping
	log  slotLog // scratch view of one slot, under mu
	// Under a constant-state algorithm, scratch states under mu: st for
	// the key being operated on, scan for sweeps.
	st, scan constState
	closed   bool
	faults   bool // the holder goroutine's SetPanicOnFault setting before lock, under mu
}

var (
	_ ratelimit.Store    = (*Store)(nil)
	_ ratelimit.Checker  = (*Store)(nil)
	_ ratelimit.Resetter = (*Store)(nil)
	_ ratelimit.Settler  = (*Store)(nil)
	_ io.Closer          = (*Store)(nil)
)

// Open opens the store file at path, creating it if it does not exist, and
// maps it. Options: [WithAlgorithm], [WithClock], [WithMaxKeys],
// [WithMaxKeyLen], [WithMaxEntries], [WithMaxRates]; a bad one is an error
// wrapping [ratelimit.ErrInvalidArgument].
//
// Every process sharing the file must open it with the same algorithm and
// capacities: a file created with others is refused with an error wrapping
// [ratelimit.ErrInvalidArgument] naming the difference, as is a file that
// is not a store; a store file whose size is not the one its header
// records (truncated) is refused with an error wrapping [ErrDamaged]. The
// file is created with mode 0600 and must be on a local file system (flock
// does not lock across hosts); a directory in memory such as /dev/shm
// suits it best, since the state is worthless after a reboot. Open
// reserves the file's whole size on the file system, an existing file's
// too: a file system without room for it is an error wrapping [ErrFull]
// and the system's ENOSPC, and a new file is then left empty, its space
// given back. Removing or replacing the file while processes use it splits
// them.
//
// Open fails on systems other than Linux and macOS, with an error wrapping
// [errors.ErrUnsupported].
func Open(path string, opts ...Option) (*Store, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	lay, err := newLayout(cfg)
	if err != nil {
		return nil, err
	}
	f, data, err := openFile(path, lay)
	if err != nil {
		return nil, err
	}
	return &Store{
		path:  path,
		clock: cfg.clock,
		alg:   cfg.alg,
		lay:   lay,
		file:  f,
		m:     newMapping(data, lay),
		st:    newConstState(cfg.alg, cfg.maxRates),
		scan:  newConstState(cfg.alg, cfg.maxRates),
	}, nil
}

// Take takes n units under key against rates, all or none, and returns the
// decision, at the store's clock's reading (see [ratelimit.Store]). n = 0
// consumes nothing and reports the key's standing. Under the log, an
// admitted take's At is the time its units are stored at: the reading, or
// the key's newest unit's time if that is later (see [Store]), which
// [Store.Refund] finds them by.
//
// It fails, admitting nothing, with an error wrapping
// [ratelimit.ErrInvalidArgument] for a negative n or rates the file cannot
// hold (more than [WithMaxRates] under GCRA and the counter; under the log,
// a longest rate that needs more entries than [WithMaxEntries]);
// [ratelimit.ErrInvalidRate] for an empty or invalid list, or rates GCRA
// and the counter cannot compute exactly ([core.Validate]); [ErrFull] when
// key is new and every key slot holds a key that still counts; [ErrDamaged]
// when the file was truncated or key's slot, or the index on the way to
// it, fails its checks.
func (s *Store) Take(_ context.Context, key string, rates ratelimit.Rates, n int64) (d ratelimit.Decision, err error) {
	// Named results written in place: copying a returned Decision costs
	// more than the rest of a take.
	err = s.op(&d, key, rates, n, true, nil)
	return
}

// Check returns the Decision Take would return for n units under key
// against rates, at the store's clock's reading, and changes nothing. Its
// errors are Take's, but for ErrFull: a key with no slot is judged as a
// key with no history.
func (s *Store) Check(_ context.Context, key string, rates ratelimit.Rates, n int64) (d ratelimit.Decision, err error) {
	err = s.op(&d, key, rates, n, false, nil)
	return
}

// op is Take (take) or Check into d, under the block b if it is not nil.
func (s *Store) op(d *ratelimit.Decision, key string, rates ratelimit.Rates, n int64, take bool, b *ratelimit.Block) error {
	if n < 0 {
		return fmt.Errorf("%w: mpstore: weight %d for %q is negative", ratelimit.ErrInvalidArgument, n, key)
	}
	if err := s.fits(rates); err != nil {
		return err
	}
	k := newKeyForm(key, s.lay.keyLen)
	return s.locked(d, func(now int64) error {
		if s.alg != algLog {
			return s.takeConst(d, &k, rates, n, now, take, b)
		}
		return s.takeLog(d, &k, rates, n, now, take, b)
	})
}

// locked runs fn under the store's lock, at the clock's reading taken
// under it, and returns fn's error, or the lock's; when fn fails, or a
// fault on the mapping becomes the error (see unlock), *d is cleared if d
// is not nil. Every call on a key runs under it, its key's form computed
// outside the lock.
func (s *Store) locked(d *ratelimit.Decision, fn func(now int64) error) (err error) {
	if err = s.lock(); err != nil {
		return err
	}
	defer s.unlock(&err, d)
	return fn(s.clock.Now())
}

// fits reports whether rates are a list the store can hold: sorted by
// strictly increasing intervals, of positive limits and whole intervals of
// at most ratelimit.MaxInterval, no more than the slots hold.
func (s *Store) fits(rates ratelimit.Rates) error {
	if len(rates) == 0 {
		return fmt.Errorf("%w: mpstore: no rates", ratelimit.ErrInvalidRate)
	}
	prev := time.Duration(0)
	for _, r := range rates {
		if r.Limit < 1 || r.Interval <= prev || r.Interval > ratelimit.MaxInterval || r.Interval%time.Millisecond != 0 {
			return fmt.Errorf("%w: mpstore: %v in %v: limits must be positive, intervals whole milliseconds, increasing, at most %v", ratelimit.ErrInvalidRate, r, rates, ratelimit.MaxInterval)
		}
		prev = r.Interval
	}
	if s.alg != algLog {
		if most := s.lay.maxRates; int64(len(rates)) > most {
			return fmt.Errorf("%w: mpstore: %d rates (%v), a key slot holds %d (WithMaxRates)", ratelimit.ErrInvalidArgument, len(rates), rates, most)
		}
		return nil
	}
	r := rates.Largest()
	if need := min(r.Limit, r.IntervalMillis()+1); need > s.lay.maxEntries {
		return fmt.Errorf("%w: mpstore: %v needs up to %d log entries per key, a key slot holds %d (WithMaxEntries)", ratelimit.ErrInvalidArgument, r, need, s.lay.maxEntries)
	}
	return nil
}

// takeLog is op under the log; the caller holds the lock.
func (s *Store) takeLog(d *ratelimit.Decision, k *keyForm, rates ratelimit.Rates, n, now int64, take bool, b *ratelimit.Block) error {
	slot, free, found, err := s.find(k)
	if err != nil {
		return err
	}
	keep := rates.Largest().IntervalMillis()
	l := &s.log
	if !found {
		// Judge against an empty log, and take a slot only to store. A
		// key with no slot has no block, and an empty log denies only
		// what no wait cures, which b does not count.
		core.DecideLog(d, rates, now, n, emptyLog{})
		if !take || !d.Allowed || n == 0 {
			return nil
		}
		return s.claimLog(k, free, now, keep, n, rates.Smallest().Limit)
	}
	if b == nil {
		return s.takeFound(d, slot, k, rates, n, now, keep, take)
	}
	var blk core.BlockState
	if bad := readBlock(l.block(), &blk, now); bad != "" {
		return s.errDamaged(slot, k.key, bad)
	}
	if err := s.takeFound(d, slot, k, rates, n, now, keep, take && !blk.Blocks(now)); err != nil {
		return err
	}
	s.judgeLog(d, b, blk, now, n)
	return nil
}

// takeFound is takeLog for a key found in slot, bound to s.log.
func (s *Store) takeFound(d *ratelimit.Decision, slot int64, k *keyForm, rates ratelimit.Rates, n, now, keep int64, take bool) error {
	l := &s.log
	core.DecideLog(d, rates, now, n, l)
	if l.bad != "" {
		return s.errDamaged(slot, k.key, l.bad)
	}
	if !take {
		return nil
	}
	s.keepFor(l, keep)
	if !d.Allowed || n == 0 {
		return nil
	}
	at, room := s.stamp(l, now)
	if l.bad != "" {
		return s.errDamaged(slot, k.key, l.bad)
	}
	if !room {
		// Sound entries have distinct milliseconds and at least one unit
		// each: no more than fits (see fits) are in the window of a take
		// that is admitted.
		return s.errDamaged(slot, k.key, fmt.Sprintf("its ring holds %d entries inside the last %dms, more than %v admits", l.len(), keep, rates.Largest()))
	}
	l.add(at, n, rates.Smallest().Limit)
	d.At = at
	return nil
}

// claimLog gives key k, which has no slot, one (free, from find, or one
// released at now), and stores n units in it at now, kept for keep ms,
// with limit the most units one entry holds; with n = 0 (a key blocked
// before its first take, see Store.Block) the log stays empty. s.log is
// bound to the slot.
func (s *Store) claimLog(k *keyForm, free, now, keep, n, limit int64) error {
	slot, err := s.claim(k, free, now)
	if err != nil {
		return err
	}
	l := &s.log
	l.bind(&s.m, slot)
	l.reset(keep)
	s.publish(slot, k)
	if n > 0 {
		l.add(now, n, limit)
	}
	return nil
}

// keepFor keeps l's units for keep ms from now on, the largest interval
// of the key's last take.
func (s *Store) keepFor(l *slotLog, keep int64) {
	if keep != l.keep {
		if keep < l.keep {
			s.m.forgetIdleHint() // the key may go idle sooner than the hint says
		}
		l.setKeep(keep)
	}
}

// stamp returns the time units taken at now are stored at in l: now, or
// the newest entry's time if that is later (a wall clock stepped back),
// so that the key's entries stay in time order. When the ring has no room
// for a new entry, it first drops the entries that count for no rate any
// more (older than l.keep); room reports whether there is room then. A
// log found damaged on the way (l.bad) is left as it is.
func (s *Store) stamp(l *slotLog, now int64) (at int64, room bool) {
	newest, ok := l.newest()
	at = now
	if ok && newest > now {
		at = newest
	}
	if l.len() < s.m.lay.maxEntries || (ok && at == newest) {
		return at, true
	}
	l.drop(now - l.keep)
	return at, l.len() < s.m.lay.maxEntries
}

// Reset forgets key: its slot is released, and its next take starts with
// no history and no block ([Store.TakeBlocking]). A key with no slot is
// left as it is. It fails with an error wrapping [ErrDamaged] when the
// file was truncated or key's slot, or the index on the way to it, fails
// its checks; the key then stays as it is.
func (s *Store) Reset(_ context.Context, key string) error {
	k := newKeyForm(key, s.lay.keyLen)
	return s.locked(nil, func(now int64) error {
		slot, _, found, err := s.find(&k)
		if err != nil || !found {
			return err
		}
		if s.alg != algLog {
			if bad := s.m.loadState(s.m.slot(slot), &s.st, now); bad != "" {
				return s.errDamaged(slot, key, bad)
			}
		}
		// The slot may go to a new key that goes idle sooner than the hint.
		s.m.forgetIdleHint()
		s.release(slot)
		return nil
	})
}

// lock takes the store's lock: the mutex, then the file lock. It checks
// that the file still has its header, and writes the change its journal
// holds, if any. Until unlock, a fault on the mapping panics (see
// fault.go): every caller defers unlock right after a lock that
// succeeded.
func (s *Store) lock() (err error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errClosed
	}
	if err := s.file.lock(); err != nil {
		s.mu.Unlock()
		return fmt.Errorf("mpstore: locking %s: %w", s.path, err)
	}
	s.faults = debug.SetPanicOnFault(true)
	held := false
	defer func() {
		if !held { // an error, or a fault reading the header
			s.leave(recover(), &err, nil)
		}
	}()
	if *s.m.at(hMagic) != magic {
		return fmt.Errorf("%w: %s: its header is gone (the file was emptied or overwritten)", ErrDamaged, s.path)
	}
	if s.lay.journalCap > 0 && *s.m.at(s.lay.journalOff) != 0 {
		// A change committed by a process killed before it was written.
		if bad := s.m.replay(); bad != "" {
			return fmt.Errorf("%w: %s: %s", ErrDamaged, s.path, bad)
		}
	}
	held = true
	return nil
}

// unlock releases the store's lock, taken by lock. Deferred, it recovers a
// fault on the mapping into *err, wrapping ErrDamaged; when *err is set,
// it clears *d, if d is not nil.
func (s *Store) unlock(err *error, d *ratelimit.Decision) { s.leave(recover(), err, d) }

// leave is unlock once r, the panic being recovered if any, is known: a
// fault on the mapping becomes *err, and any other panic goes on after the
// locks are released.
func (s *Store) leave(r any, err *error, d *ratelimit.Decision) {
	var fault error
	if r != nil {
		fault = faultError(r, s.m.data, s.path)
	}
	debug.SetPanicOnFault(s.faults)
	s.file.unlock() // cannot fail on a descriptor that is open
	s.mu.Unlock()
	if r != nil {
		if fault == nil {
			panic(r)
		}
		*err = fault
	}
	if *err != nil && d != nil {
		*d = ratelimit.Decision{}
	}
}

// errDamaged returns the error for key's slot, found damaged: why says
// what is wrong with it.
func (s *Store) errDamaged(slot int64, key, why string) error {
	return fmt.Errorf("%w: %s: key slot %d, on the way to the key %q: %s", ErrDamaged, s.path, slot, key, why)
}

// Close unmaps the file and closes it. The file stays on disk, with its
// state, for the other processes. It is idempotent: later calls return nil.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	err := errors.Join(munmap(s.m.data), s.file.close())
	s.m, s.log = mapping{}, slotLog{}
	if err != nil {
		return fmt.Errorf("mpstore: closing %s: %w", s.path, err)
	}
	return nil
}
