package mpstore

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// Store is a [ratelimit.Factory] whose state lives in a file that every
// process opening the same path maps into memory: one exact sliding-window
// log per key (or, with [WithAlgorithm], a few numbers per key and rate),
// in a fixed table of key slots, shared by all the processes of a host with
// no server.
//
// Every operation takes the file's flock(2) lock, behind an in-process
// mutex so that the goroutines of one process queue there rather than in
// the kernel. The kernel drops the lock of a process that dies, and every
// change commits with one 8-byte store (see slotLog, and the journal for
// the one change that cannot), so a worker killed at any point never
// wedges or corrupts the others.
//
// Capacity is fixed when the file is created ([WithMaxKeys],
// [WithMaxEntries]): idle keys are dropped when a slot is needed, and a put
// that finds no room fails with [ErrFull] rather than over-admit.
//
// Time is the host's wall clock in Unix milliseconds by default, the one
// clock every process shares. A step back of the wall clock does not move
// stamps back: PutNow stamps with the latest reading any process applied to
// the file, so the store's time stands still until the clock catches up. A
// step forward ages every unit at once.
//
// Use [Open]; the zero value is not usable. A Store is safe for concurrent
// use. Close unmaps the file and makes later calls fail with an error
// wrapping [ratelimit.ErrClosed]; the file stays, for the other processes.
type Store struct {
	path        string
	rates       ratelimit.Rates
	clock       ratelimit.Clock
	maxInterval int64
	alg         algorithm // also in the layout; here for reads without the lock

	mu   sync.Mutex
	file *lockedFile
	m    mapping
	log  slotLog // scratch view of one slot, under mu
	// Under a constant-state algorithm, scratch states under mu: st for
	// the key being operated on, scan for sweeps and leaks.
	st, scan constState
	closed   bool
	faults   bool // the holder goroutine's SetPanicOnFault setting before lock, under mu
}

var _ ratelimit.Factory = (*Store)(nil)

// Open opens the store file at path, creating it if it does not exist, and
// maps it. rates are validated as [ratelimit.NewRates] does. Options:
// [WithAlgorithm], [WithClock], [WithMaxKeys], [WithMaxEntries],
// [WithMaxKeyLen].
//
// Every process sharing the file must open it with the same rates,
// algorithm and capacities: a file created with others is refused with an error wrapping
// [ratelimit.ErrInvalidArgument], as is a file that is not a store; a
// store file whose size is not the one its header records (truncated) is
// refused with an error wrapping [ErrDamaged]. The file is created with
// mode 0600 and must be on a local file system (flock does not lock across
// hosts); a directory in memory such as /dev/shm suits it best, since the
// state is worthless after a reboot. Open reserves the file's whole size
// on the file system, an existing file's too: a file system without room
// for it is an error wrapping [ErrFull] and the system's ENOSPC, and a new
// file is then left empty, its space given back. Removing or replacing
// the file while processes use it splits them.
//
// Open fails on systems other than Linux and macOS, with an error wrapping
// [errors.ErrUnsupported].
func Open(path string, rates []ratelimit.Rate, opts ...Option) (*Store, error) {
	rs, err := ratelimit.NewRates(rates...)
	if err != nil {
		return nil, err
	}
	if len(rs) > maxRates {
		return nil, fmt.Errorf("%w: mpstore: %d rates, at most %d fit", ratelimit.ErrInvalidArgument, len(rs), maxRates)
	}
	cfg, err := newConfig(rs, opts)
	if err != nil {
		return nil, err
	}
	lay, err := newLayout(cfg, len(rs))
	if err != nil {
		return nil, err
	}
	f, data, err := openFile(path, lay, rs)
	if err != nil {
		return nil, err
	}
	return &Store{
		path:        path,
		rates:       rs,
		clock:       cfg.clock,
		maxInterval: rs.Largest().IntervalMillis(),
		alg:         cfg.alg,
		file:        f,
		m:           newMapping(data, lay),
		st:          newConstState(cfg.alg, len(rs)),
		scan:        newConstState(cfg.alg, len(rs)),
	}, nil
}

// Rates returns the rates every key is held to.
func (s *Store) Rates() ratelimit.Rates { return s.rates }

// Path returns the path of the store's file.
func (s *Store) Path() string { return s.path }

// lock takes the store's lock: the mutex, then the file lock. It checks
// that the file still has its header and finishes the change of a holder
// that died halfway, if any. Until unlock, a fault on the mapping panics
// (see fault.go): every caller defers unlock right after a lock that
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
		if !held { // an error, or a panic in the replay
			s.leave(recover(), &err, nil)
		}
	}()
	if *s.m.at(hMagic) != magic {
		return fmt.Errorf("%w: %s: its header is gone (the file was emptied or overwritten)", ErrDamaged, s.path)
	}
	if *s.m.at(jState) != 0 {
		s.replay()
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

// now returns the store's time: the clock, or the latest reading a process
// applied to the file if that is later. The lock must be held.
func (s *Store) now() int64 { return max(s.clock.Now(), *s.m.at(hFloor)) }

// time is now for callers that do not hold the lock: the floor is read
// with one load of its whole word (loadWord), so the file lock is not
// needed.
func (s *Store) time() (t int64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, errClosed
	}
	err = catchFault(s.m.data, s.path, func() {
		t = max(s.clock.Now(), loadWord(s.m.at(hFloor)))
	})
	return t, err
}

// stamp returns the store's time and records it, so that no later stamp, in
// any process, goes back. The lock must be held.
func (s *Store) stamp() int64 {
	floor := s.m.at(hFloor)
	t := s.clock.Now()
	if t <= *floor {
		return *floor
	}
	storeWord(floor, t)
	return t
}

// advance records now, a reading of the clock, as one later stamps must not
// go below: before a leak. The lock must be held.
func (s *Store) advance(now int64) {
	if floor := s.m.at(hFloor); now > *floor {
		storeWord(floor, now)
	}
}

// Acquire puts weight units under name, stamped with the store's time. It
// fails with an error wrapping [ErrFull] when name is new and every key slot
// holds a key that still counts, or when name's ring is full of entries
// inside the window; with an error wrapping [ErrDamaged] when the file was
// truncated or name's slot, or the index on the way to it, fails its
// checks. Either way it admits nothing and stores no unit.
func (s *Store) Acquire(_ context.Context, name string, weight int64) (d ratelimit.Decision, err error) {
	// Named results written in place: copying a returned Decision costs
	// more than the rest of a put (see memorystore).
	err = s.put(&d, name, ratelimit.Item{Name: name, Weight: weight}, true)
	return
}

// put judges item against key's log into d and stores it if allowed; now
// stamps it with the store's time.
func (s *Store) put(d *ratelimit.Decision, key string, item ratelimit.Item, now bool) (err error) {
	if item.Weight < 0 {
		return ratelimit.WeightError(item.Name, item.Weight)
	}
	if s.alg != algLog {
		return s.putConst(d, key, item, now)
	}
	k := newKeyForm(key, s.m.lay.keyLen)
	if err = s.lock(); err != nil {
		return err
	}
	defer s.unlock(&err, d)
	if now {
		item.Time = s.stamp()
	}
	slot, free, found, err := s.find(&k)
	if err != nil {
		return err
	}
	if !found {
		// Judge against an empty log, and take a slot only to store.
		ratelimit.SlidingWindowLog{}.DecideInto(d, s.rates, item, emptyLog{})
		if !d.Allowed || item.Weight == 0 {
			return nil
		}
		if slot, err = s.claim(&k, free, min(item.Time, s.now())); err != nil {
			return err
		}
		s.log.bind(&s.m, slot)
	} else {
		ratelimit.SlidingWindowLog{}.DecideInto(d, s.rates, item, &s.log)
		if s.log.bad != "" {
			return s.errDamaged(slot, key, s.log.bad)
		}
		if !d.Allowed || item.Weight == 0 {
			return nil
		}
	}
	return s.store(slot, key, item)
}

// store adds item, admitted, to the log of slot, which s.log is bound to.
func (s *Store) store(slot int64, key string, item ratelimit.Item) error {
	l := &s.log
	tag := l.tagFor(key, item.Name)
	newest, ok := l.newest()
	if ok && item.Time == newest && *l.tag(l.tail - 1) == tag {
		l.merge(item.Weight)
		return nil
	}
	if l.len() >= s.m.lay.maxEntries {
		// Entries older than the window at the put's time (or the store's,
		// if earlier) count for no rate any more.
		l.leak(min(item.Time, s.now()) - s.maxInterval)
		if l.bad != "" {
			return s.errDamaged(slot, key, l.bad)
		}
		if l.len() >= s.m.lay.maxEntries {
			return fmt.Errorf("%w: key %q holds %d entries inside the last %dms, its maximum", ErrFull, key, l.len(), s.maxInterval)
		}
		newest, ok = l.newest()
	}
	if !ok || item.Time >= newest {
		l.append(item.Time, item.Weight, tag)
		return nil
	}
	pos := l.after(item.Time)
	if l.bad != "" {
		return s.errDamaged(slot, key, l.bad)
	}
	s.insert(slot, l, pos, item.Time, item.Weight, tag)
	return nil
}

// with runs fn on name's log (nil if name has no slot) under the lock. A
// log found damaged, before fn or by what fn read, is an error wrapping
// ErrDamaged, and fn's results are not to be used.
func (s *Store) with(name string, fn func(*slotLog)) (err error) {
	k := newKeyForm(name, s.m.lay.keyLen)
	if err = s.lock(); err != nil {
		return err
	}
	defer s.unlock(&err, nil)
	slot, _, found, err := s.find(&k)
	if err != nil {
		return err
	}
	if !found {
		fn(nil)
		return nil
	}
	fn(&s.log)
	if s.log.bad != "" {
		return s.errDamaged(slot, name, s.log.bad)
	}
	return nil
}

// errDamaged returns the error for key's slot, found damaged: why says
// what is wrong with it.
func (s *Store) errDamaged(slot int64, key, why string) error {
	return fmt.Errorf("%w: %s: key slot %d, on the way to the key %q: %s", ErrDamaged, s.path, slot, key, why)
}

// Leak removes, from every key, the units older than the largest interval
// at now (a unit at exactly now minus that interval still counts and is
// kept), releases the slots of keys left empty, and returns the number of
// units removed. Puts never need it: a full ring or table reclaims what no
// longer counts. It is for keeping [Store.Len] low.
//
// A key slot that fails its checks (see [ErrDamaged]) is left as it is:
// Leak does the rest, then returns the units it removed and an error
// wrapping [ErrDamaged] that lists those slots.
//
// Under GCRA or the counter ([WithAlgorithm]), Leak releases instead the
// slots of the keys whose state counts nothing at now (every rate back to
// its full limit), and returns 0.
func (s *Store) Leak(_ context.Context, now int64) (n int64, err error) {
	if err = s.lock(); err != nil {
		return 0, err
	}
	defer s.unlock(&err, nil)
	s.advance(min(now, s.clock.Now())) // see memorystore's Bucket.Leak
	var damaged []int64
	if s.m.lay.alg != algLog {
		damaged = s.leakConst(now)
	} else {
		m, l := &s.m, &s.log
		for i := range m.lay.maxKeys {
			if uint64(*m.index(i))&indexInUse == 0 {
				continue
			}
			l.bind(m, i)
			if l.bad == "" {
				n += l.leak(now - s.maxInterval)
			}
			if l.bad != "" {
				damaged = append(damaged, i)
				continue
			}
			if l.empty() {
				m.forgetIdleHint()
				s.release(i)
			}
		}
	}
	if len(damaged) > 0 {
		return n, fmt.Errorf("%w: %s: key slots %v fail their checks; Leak left them as they are", ErrDamaged, s.path, damaged)
	}
	return n, nil
}

// Len returns the number of keys holding a slot.
func (s *Store) Len() (n int, err error) {
	if err = s.lock(); err != nil {
		return 0, err
	}
	defer s.unlock(&err, nil)
	for i := range s.m.lay.maxKeys {
		if uint64(*s.m.index(i))&indexInUse != 0 {
			n++
		}
	}
	return n, nil
}

// Bucket returns a view of name's bucket. The view holds no state of its
// own: each call finds name's slot in the file, so it stays right after the
// key is released. Units put through the view go to name's log under the
// item's own name. Closing the view does nothing; close the Store.
func (s *Store) Bucket(_ context.Context, name string) (ratelimit.Bucket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errClosed
	}
	return &keyBucket{s: s, name: name}, nil
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
