package core

import (
	"sync/atomic"
	"time"
)

// Clock tells the time in milliseconds, in one clock domain. A store reads
// one clock for all its keys; timestamps from different domains must never
// meet in one store.
type Clock interface {
	Now() int64
}

// origin is the fixed start of the process's monotonic clock domain.
var origin = time.Now()

// MonotonicClock reads the process's monotonic clock: milliseconds since a
// fixed point at program start. It never jumps with wall-clock changes, and
// every MonotonicClock in a process shares one domain. The zero value is
// ready to use. It is the default clock of in-process stores.
type MonotonicClock struct{}

// Now returns the milliseconds elapsed since the domain's origin.
func (MonotonicClock) Now() int64 { return int64(time.Since(origin) / time.Millisecond) }

// WallClock reads the system's wall clock as Unix milliseconds, a domain
// shared by every process on a host (and, with synchronized clocks, across
// hosts). The zero value is ready to use.
type WallClock struct{}

// Now returns the Unix time in milliseconds.
func (WallClock) Now() int64 { return time.Now().UnixMilli() }

// FakeClock is a Clock that moves only when told to, for tests. The zero value
// reads 0. It is safe for concurrent use.
type FakeClock struct {
	ms atomic.Int64
}

// NewFakeClock returns a FakeClock reading start.
func NewFakeClock(start int64) *FakeClock {
	c := &FakeClock{}
	c.ms.Store(start)
	return c
}

// Now returns the clock's current reading.
func (c *FakeClock) Now() int64 { return c.ms.Load() }

// Set moves the clock to ms (which may be earlier than now).
func (c *FakeClock) Set(ms int64) { c.ms.Store(ms) }

// Advance moves the clock forward by d, truncated to milliseconds, and returns
// the new reading.
func (c *FakeClock) Advance(d time.Duration) int64 { return c.ms.Add(d.Milliseconds()) }
