package redisstore

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	"github.com/redis/go-redis/v9"
)

// Store keeps the state of many keys in a Redis server, Sentinel group or
// Cluster, and decides takes in it: every process on every host that
// shares the server shares the limits exactly, and a million keys cost no
// Go objects. It serves any rates, passed with each call.
//
// Each decision (a take's, a check's, a refund's, a charge's or a take's
// under a block), and each Block, is a Lua script sent by EVALSHA (EVAL
// when the server answers NOSCRIPT) that reads the server's clock, decides
// as package core does and stores the result, atomically since Redis runs
// one script at a time: a lone call is one round trip, and concurrent ones
// share round trips, pipelined in batches (see the package doc). Under the
// default log a key's state is a sorted set with one member per
// millisecond that admitted units; under GCRA and the sliding-window
// counter, a string holding the rates it was kept under and a few numbers
// per rate, carried to new rates as [ratelimit.Store] says. Limits,
// intervals and clock readings must stay within 2^53, Lua's exact
// integers.
//
// Keys expire on their own: a log's key after its newest unit's largest
// interval (of the rates of the key's last take, refund or charge) plus at
// most max(10ms, 1% of that interval); a GCRA or counter key when its
// state counts nothing. Keys may hold any bytes: a key's Redis key is
// prefix{h}key, h a 64-bit hash of the key as the Cluster hash tag, so
// each key's state is in one slot, and the Redis key spells the whole key,
// so no two keys share state.
//
// Use [New]; the zero value is not usable. A Store is safe for concurrent
// use. Errors report bad input (wrapping [ratelimit.ErrInvalidArgument] or
// [ratelimit.ErrInvalidRate]) and server failures (wrapping [ErrServer]);
// after Close, methods return an error wrapping [ratelimit.ErrClosed].
// Every method returns when its context is done if the context has a
// deadline, whatever the client's options (see the package doc).
type Store struct {
	client redis.UniversalClient
	clock  core.Clock // nil: the server's
	alg    ratelimit.Algorithm
	prefix string
	mark   string // after the prefix in every Redis key (see key.go)
	// sha and src are the script's hash and text, boxed once for the
	// call's arguments.
	sha, src any

	batch batcher

	closed atomic.Bool
}

var (
	_ ratelimit.Store    = (*Store)(nil)
	_ ratelimit.Checker  = (*Store)(nil)
	_ ratelimit.Resetter = (*Store)(nil)
	_ ratelimit.Settler  = (*Store)(nil)
)

// New returns a Store on client: a *redis.Client, *redis.ClusterClient,
// *redis.Ring, a Sentinel failover client, or any [redis.UniversalClient].
// The Store never closes it. New sends nothing to the server: the first
// call loads the script. A nil client or option, or an unknown algorithm,
// is an error wrapping [ratelimit.ErrInvalidArgument].
func New(client redis.UniversalClient, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: redisstore: client is nil", ratelimit.ErrInvalidArgument)
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	src, mark := script(cfg.algorithm)
	return &Store{
		client: client,
		clock:  cfg.clock,
		alg:    cfg.algorithm,
		prefix: cfg.prefix,
		mark:   mark,
		sha:    redis.NewScript(src).Hash(),
		src:    src,
		batch:  batcher{maxBatch: cfg.maxBatch},
	}, nil
}

// Take takes n units under key against rates, all or none, and returns the
// decision, as [ratelimit.Store] says, stamped with the server's clock (or
// the one of [WithClock]). key may hold any bytes; one longer than the
// server takes (its proto-max-bulk-len, 512 MiB by default, less the
// prefix and 19 bytes) fails with an error wrapping [ErrServer]. A negative
// n is an error wrapping [ratelimit.ErrInvalidArgument]; no rates, rates
// [core.Validate] refuses, or a limit beyond 2^53, an error wrapping
// [ratelimit.ErrInvalidRate].
func (s *Store) Take(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	return s.decide(ctx, "take", key, rates, n, 0)
}

// Check returns the decision Take would return for n units under key
// against rates, and consumes nothing: it writes nothing to the server.
// Its errors are Take's.
func (s *Store) Check(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	return s.decide(ctx, "check", key, rates, n, 0)
}

// Reset deletes key's state and its block (see [Store.TakeBlocking]):
// afterwards key has no history under any rates, and is not blocked. A
// failure is an error wrapping [ErrServer].
func (s *Store) Reset(ctx context.Context, key string) error {
	if s.closed.Load() {
		return errClosed
	}
	del := func(ctx context.Context) (struct{}, error) {
		k := s.key(key)
		return struct{}{}, s.client.Del(ctx, k, s.blockKey(k)).Err()
	}
	var err error
	if unbounded(ctx) {
		_, err = del(ctx)
	} else {
		_, err = bounded(ctx, del)
	}
	if err != nil {
		return opError("reset", key, err)
	}
	return nil
}

// Close makes later calls fail with an error wrapping [ratelimit.ErrClosed].
// It never closes the client, and leaves the keys to expire; calls the
// Store abandoned at their context's end finish on their own (see the
// package doc). It is idempotent and returns nil.
func (s *Store) Close() error {
	s.closed.Store(true)
	return nil
}
