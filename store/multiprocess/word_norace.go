//go:build !race

package mpstore

import "sync/atomic"

// storeWord is the store that commits a change: one aligned 8-byte write,
// which another process sees whole or not at all, and which neither the
// compiler nor the processor moves before the stores that prepared it.
func storeWord(p *int64, v int64) { atomic.StoreInt64(p, v) }
