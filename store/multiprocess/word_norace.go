//go:build !race

package mpstore

import "sync/atomic"

// storeWord is the store that commits a change: one aligned 8-byte write,
// which another process sees whole or not at all, and which neither the
// compiler nor the processor moves before the stores that prepared it.
func storeWord(p *int64, v int64) { atomic.StoreInt64(p, v) }

// loadWord is a load of a word that other processes store to without the
// lock held by this one.
func loadWord(p *int64) int64 { return atomic.LoadInt64(p) }
