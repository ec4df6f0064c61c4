//go:build race

package sqlitestore

// raceEnabled reports whether the race detector is on: long randomized runs
// shrink under it, where the driver runs many times slower.
const raceEnabled = true
