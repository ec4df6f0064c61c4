//go:build race

package mpstore

// Under the race detector, sync/atomic runs in the race runtime, on the
// system stack, where a fault on the mapping of a truncated file cannot
// become a panic (see fault.go) and kills the process. Race builds, the
// tests', therefore store the file's words plainly, in Go code.
// Each is still one aligned 8-byte store; the file lock orders them
// between processes, and the tests that kill a process in the middle of a
// change stop it at a crash point, after the stores before it are done.
// Only the order in which a process killed at any other instruction leaves
// its stores is not promised in race builds.

// storeWord is the store that commits a change (see word_norace.go).
func storeWord(p *int64, v int64) { *p = v }
