package otellimit

import (
	"sync"
	"sync/atomic"
)

// other is the attribute value that stands for every limiter name or rate
// past a cache's bound.
const other = "other"

// bounded maps up to max keys to values made once each, and every further
// key to one shared value. Reads take no lock and do not allocate; a write
// copies the map, which holds at most max entries.
type bounded[K comparable, V any] struct {
	snap     atomic.Pointer[snapshot[K, V]]
	mu       sync.Mutex // serialises writers
	max      int
	newValue func(k K, overflow bool) *V
}

type snapshot[K comparable, V any] struct {
	m        map[K]*V
	overflow *V // set once m holds max keys
}

// get returns the value of k, making it if k is new and there is room, or
// the overflow value if there is none.
func (b *bounded[K, V]) get(k K) *V {
	if s := b.snap.Load(); s != nil {
		if v, ok := s.m[k]; ok {
			return v
		}
		if s.overflow != nil {
			return s.overflow
		}
	}
	return b.add(k)
}

func (b *bounded[K, V]) add(k K) *V {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.snap.Load()
	if s == nil {
		s = &snapshot[K, V]{}
	}
	if v, ok := s.m[k]; ok {
		return v
	}
	if s.overflow != nil {
		return s.overflow
	}
	n := &snapshot[K, V]{m: make(map[K]*V, len(s.m)+1)}
	for k, v := range s.m {
		n.m[k] = v
	}
	v := b.newValue(k, false)
	n.m[k] = v
	if len(n.m) >= b.max {
		n.overflow = b.newValue(k, true)
	}
	b.snap.Store(n)
	return v
}
