//go:build race

package fiberlimit_test

// raceEnabled reports whether the race detector is on. Under it, sync.Pool
// drops a share of what is put back, so pooled values are allocated again
// at random and allocation counts mean nothing.
const raceEnabled = true
