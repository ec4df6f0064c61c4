package grpclimit

import (
	"strings"
	"testing"
)

// TestCollected: every header the engine sets reaches the metadata, in
// lower case and whole, however long its values (past the buffer too), and
// X-Content-Type-Options never does.
func TestCollected(t *testing.T) {
	for _, size := range []int{1, 27, 60, 100} {
		var h collected
		names := []string{"Ratelimit-Policy", "Ratelimit", "X-Content-Type-Options", "X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset", "Retry-After", "X-Ratelimit-Shadow"}
		for i, name := range names {
			h.add(name, []byte(strings.Repeat(string(rune('a'+i)), size)))
		}
		md := h.metadata()
		if len(md) != len(names)-1 {
			t.Errorf("size %d: %d keys, want %d: %v", size, len(md), len(names)-1, md)
		}
		for i, name := range names {
			got := md.Get(name)
			if name == "X-Content-Type-Options" {
				if got != nil {
					t.Errorf("size %d: %s = %q, want none", size, name, got)
				}
				continue
			}
			if want := strings.Repeat(string(rune('a'+i)), size); len(got) != 1 || got[0] != want || md[strings.ToLower(name)] == nil {
				t.Errorf("size %d: %s = %q, want [%q]", size, name, got, want)
			}
		}
	}
	var none collected
	if md := none.metadata(); md != nil {
		t.Errorf("no headers: %v, want nil", md)
	}
}
