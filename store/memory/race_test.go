//go:build race

package memorystore_test

// raceEnabled reports whether the race detector is on: a heap measurement is
// slow under it, and the non-race run of the same test suffices.
const raceEnabled = true
