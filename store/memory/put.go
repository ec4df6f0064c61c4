package memorystore

import (
	"errors"
	"fmt"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// ErrTooManyKeys reports that a [Store] is full: a new key arrived while the
// store held its cap of keys ([WithMaxKeys]) and every one still had units
// inside the largest window.
var ErrTooManyKeys = errors.New("ratelimit: memorystore: too many keys")

var errClosed = fmt.Errorf("%w: memorystore", ratelimit.ErrClosed)

// put judges item over the log into d and stores it if allowed: the one
// place the memory store applies the algorithm. maxInterval is the largest
// rate's interval in milliseconds. (d is an out-parameter because copying a
// returned Decision through each layer costs more than the put itself.)
func (l *unitLog) put(d *ratelimit.Decision, rates ratelimit.Rates, item ratelimit.Item, maxInterval int64) {
	ratelimit.SlidingWindowLog{}.DecideInto(d, rates, item, l)
	if d.Allowed && item.Weight > 0 {
		l.insert(item.Name, item.Time, item.Weight, item.Time-maxInterval)
	}
}

func checkWeight(name string, weight int64) error {
	if weight < 0 {
		return ratelimit.WeightError(name, weight)
	}
	return nil
}
