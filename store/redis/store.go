package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	"github.com/gorate/ratelimit/internal/keyview"
	"github.com/redis/go-redis/v9"
)

// Store is a [ratelimit.Factory] over a Redis server, Sentinel group or
// Cluster: every name's state is one key (by default its log, a sorted set;
// see [WithAlgorithm] for GCRA and the sliding-window counter), so a
// million names cost no Go objects, and every process on every host that
// shares the server shares the limits exactly.
//
// Under the default log, each put is one round trip: a Lua script
// (EVALSHA, with EVAL on NOSCRIPT) that reads the server's clock (TIME),
// counts every window, decides with the rules of
// [ratelimit.SlidingWindowLog] and stores the units, atomically since Redis
// runs one script at a time. Counting a window costs O(log n) in
// the runs the log holds, whatever the weights: a run of units put under
// one item name at one millisecond is one member carrying the running total
// of units before it, so the units of a window are a difference of two
// running totals. A written key expires more than the largest interval
// after its newest unit's stamp (or the server's clock at the put, if an
// explicit time was behind it) and at most max(10ms, 1% of the interval)
// later, so idle names vanish; a busy log drops its expired runs as it
// grows. Limits and timestamps must stay within ±2^53, Lua's exact
// integers. Puts of one item name at one millisecond merge into one run
// (so Peek reports the run's weight); a Put with an explicit time older
// than the name's newest unit moves the newer runs up, O(m log n) for m of
// them, which PutNow never needs. It needs Redis 5 or later.
//
// Under GCRA or the counter, each put is one round trip too: a script of
// three calls (TIME for PutNow, GET, and SET with PX) over a string of 16
// (GCRA) or 24 (counter) bytes per rate, written only when a put is
// admitted (the counter's also when its windows roll), that expires exactly
// when the state counts nothing. The expiry is reckoned from the put's
// time, so a Put at an explicit time should use the server's clock, as
// PutNow does.
//
// Keys are prefix{h}name (GCRA: prefixg{h}name; the counter:
// prefixc{h}name), h a 64-bit hash of the name: see [WithPrefix]; any bytes
// make a safe name, and every key of a name is in one Cluster slot.
//
// Use [New]; the zero value is not usable. A Store is safe for concurrent
// use. Errors report bad input (wrapping [ratelimit.ErrInvalidWeight] or
// [ratelimit.ErrInvalidArgument]) and server failures (wrapping
// [ErrServer]); after Close, methods return an error wrapping
// [ratelimit.ErrClosed]. Every method returns when its context is done if
// the context has a deadline, whatever the client's options (see the
// package doc).
type Store struct {
	client      redis.Scripter
	proc        processor // client, when puts may skip redis.Script
	rates       ratelimit.Rates
	view        *keyview.Ops // what a name's Bucket view forwards to
	prefix      string
	smallest    int64
	maxInterval int64
	alg         algorithm
	// script is the put script of alg; sha and src its hash and text,
	// boxed once for the put fast path. mark is what alg's keys carry
	// after the prefix (see key.go).
	script   *redis.Script
	sha, src any
	mark     string
	// tail is the end of every put's arguments: for the log, the expiry
	// margin of a written key, then each rate's limit and interval, as
	// put.lua reads them; for GCRA and the counter, the rates alone.
	tail []any

	closed atomic.Bool
}

var _ ratelimit.Factory = (*Store)(nil)

// maxExact is the largest integer Lua's numbers (doubles) hold exactly.
const maxExact = 1 << 53

// expiryMargin returns how long a log's key may outlive its newest unit's
// largest window: 1% of the largest interval, at least 10ms. put.lua cuts
// stamps in periods of this length and sets a key's expiry once a period,
// so it saves the PEXPIREAT of every other write of the period.
func expiryMargin(largest int64) int64 {
	return max(10, largest/100)
}

// New returns a Store on client enforcing rates on every name, validated as
// [ratelimit.NewRates] does. client is a *redis.Client, *redis.ClusterClient,
// *redis.Ring, a Sentinel failover client, or any [redis.UniversalClient];
// the Store never closes it. New sends nothing to the server: the first
// call loads the script. Options: [WithPrefix], [WithAlgorithm].
//
// A nil client, a bad option, an unknown algorithm, or a limit or interval
// (in milliseconds) above 2^53 is an error wrapping
// [ratelimit.ErrInvalidArgument]; under GCRA or the counter, a rate whose
// limit × interval (ms) exceeds 2^53 is an error wrapping
// [ratelimit.ErrInvalidRates].
func New(client redis.Scripter, rates []ratelimit.Rate, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: redisstore: client is nil", ratelimit.ErrInvalidArgument)
	}
	rs, err := ratelimit.NewRates(rates...)
	if err != nil {
		return nil, err
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	alg, err := parseAlgorithm(cfg.algorithm, rs)
	if err != nil {
		return nil, err
	}
	script, src, mark := alg.script()
	s := &Store{
		client:      client,
		proc:        directProcessor(client),
		rates:       rs,
		prefix:      cfg.prefix,
		smallest:    rs.Smallest().Limit,
		maxInterval: rs.Largest().IntervalMillis(),
		alg:         alg,
		script:      script,
		sha:         script.Hash(),
		src:         src,
		mark:        mark,
	}
	s.view = s.newView()
	for _, r := range rs {
		if r.Limit > maxExact || r.IntervalMillis() > maxExact {
			return nil, fmt.Errorf("%w: redisstore: rate %s is beyond 2^53", ratelimit.ErrInvalidArgument, r)
		}
	}
	if alg == algLog {
		s.tail = append(s.tail, strconv.FormatInt(expiryMargin(s.maxInterval), 10))
	}
	for _, r := range rs {
		s.tail = append(s.tail, strconv.FormatInt(r.Limit, 10), strconv.FormatInt(r.IntervalMillis(), 10))
	}
	return s, nil
}

// Rates returns the rates every name is held to.
func (s *Store) Rates() ratelimit.Rates { return s.rates }

// Acquire puts weight units under name, stamped with the clock of the
// server that holds name's key, read inside the script (under the log never
// earlier than the name's newest stamp, so stamps never go back), and
// reports the decision. A negative weight is an error wrapping
// [ratelimit.ErrInvalidWeight].
func (s *Store) Acquire(ctx context.Context, name string, weight int64) (d ratelimit.Decision, err error) {
	err = s.put(ctx, &d, name, modeNow, ratelimit.Item{Name: name, Weight: weight})
	return
}

// Bucket returns a view of name's bucket. The view holds no state of its
// own: every call goes to name's key. Units put through the view are stored
// under name, each run of the log keeping the item's own name for Peek.
// Under GCRA or the counter, Peek fails with [ratelimit.ErrNoHistory],
// Count reports what the largest rate counts at the server's clock and
// Leak deletes the state once it counts nothing (reporting 0). Closing the
// view does nothing; close the Store.
func (s *Store) Bucket(_ context.Context, name string) (ratelimit.Bucket, error) {
	if s.closed.Load() {
		return nil, errClosed
	}
	return keyview.New(s.view, name), nil
}

// Close makes later calls fail with an error wrapping [ratelimit.ErrClosed].
// It never closes the client, and leaves the keys to expire. It is
// idempotent and returns nil.
func (s *Store) Close() error {
	s.closed.Store(true)
	return nil
}
