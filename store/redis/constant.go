package redisstore

import (
	"context"
	"fmt"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	"github.com/redis/go-redis/v9"
)

// algorithm is the admission algorithm of a Store.
type algorithm uint8

const (
	algLog     algorithm = iota // ratelimit.SlidingWindowLog: put.lua and its kin over a sorted set
	algGCRA                     // ratelimit.GCRA: gcra.lua over a string
	algCounter                  // ratelimit.SlidingWindowCounter: counter.lua over a string
)

// The modes of gcra.lua and counter.lua beyond those of put.lua.
const (
	modeCount = "c" // Count at the server's clock
	modeLeak  = "l" // drop the state if idle at the given time
)

// parseAlgorithm maps a ratelimit.Algorithm onto the store's, checking that
// rates suit it.
func parseAlgorithm(a ratelimit.Algorithm, rates ratelimit.Rates) (algorithm, error) {
	if err := a.Validate(rates); err != nil {
		return algLog, fmt.Errorf("redisstore: %w", err)
	}
	return algorithm(a.Ordinal()), nil
}

// script returns the put script of a, its text, and the mark a's keys
// carry after the prefix (see key.go).
func (a algorithm) script() (script *redis.Script, src, mark string) {
	switch a {
	case algGCRA:
		return gcraScript, gcraSource, "g"
	case algCounter:
		return counterScript, counterSource, "c"
	}
	return putScript, putSource, ""
}

// constArgs returns the arguments of a constant-state script in mode at
// time ts (ignored by the modes that read the server's clock).
func (s *Store) constArgs(mode string, ts int64) []any {
	args := make([]any, 0, 3+len(s.tail))
	args = append(args, mode, ts, 0)
	return append(args, s.tail...)
}

// constCount is Count under a constant-state algorithm: what the largest
// rate still counts at the server's clock.
func (s *Store) constCount(ctx context.Context, name string) (int64, error) {
	n, err := s.eval(ctx, s.script, s.key(name), s.constArgs(modeCount, 0)...).Int64()
	if err != nil {
		return 0, opError("count", name, err)
	}
	return n, nil
}

// constLeak is Leak under a constant-state algorithm: it deletes name's
// state if it counts nothing at now, and reports 0 (it holds no units).
func (s *Store) constLeak(ctx context.Context, name string, now int64) (int64, error) {
	if err := s.eval(ctx, s.script, s.key(name), s.constArgs(modeLeak, now)...).Err(); err != nil {
		return 0, opError("leak", name, err)
	}
	return 0, nil
}
