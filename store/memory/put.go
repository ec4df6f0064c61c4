package memorystore

import (
	"errors"
	"fmt"

	ratelimit "github.com/gorate/ratelimit/core"
)

// ErrTooManyKeys reports that a [Store] is full: a new key arrived while every
// key of its shard still had units inside the largest window.
var ErrTooManyKeys = errors.New("ratelimit: memorystore: too many keys")

var errClosed = fmt.Errorf("%w: memorystore", ratelimit.ErrClosed)

// put judges item over log and stores it if allowed: the one place the memory
// store applies the algorithm.
func put(rates ratelimit.Rates, log *unitLog, item ratelimit.Item) ratelimit.Decision {
	d := ratelimit.SlidingWindowLog{}.Decide(rates, item, log)
	if d.Allowed && item.Weight > 0 {
		log.insert(item.Name, item.Time, item.Weight, item.Time-rates.Largest().IntervalMillis())
	}
	return d
}

func checkWeight(name string, weight int64) error {
	if weight < 0 {
		return fmt.Errorf("%w: weight %d for %q is negative", ratelimit.ErrInvalidWeight, weight, name)
	}
	return nil
}

func errNegativeIndex(i int64) error {
	return fmt.Errorf("%w: peek index %d is negative", ratelimit.ErrInvalidArgument, i)
}
