//go:build race

package sloglimit_test

// raceEnabled reports whether the race detector is on: it makes the runtime
// allocate where a normal build does not.
const raceEnabled = true
