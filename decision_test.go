package ratelimit_test

import (
	"testing"
	"unsafe"

	"github.com/gorate/ratelimit"
)

// TestDecisionSize holds a Decision to a whole number of 16-byte words, so
// that the compiler copies it without overlapping words (see its last field).
func TestDecisionSize(t *testing.T) {
	if n := unsafe.Sizeof(ratelimit.Decision{}); n%16 != 0 {
		t.Errorf("a Decision is %d bytes, want a multiple of 16", n)
	}
}
