package core_test

import (
	"sync"
	"testing"
	"time"

	"github.com/gorate/ratelimit/core"
)

var (
	_ core.Clock = core.MonotonicClock{}
	_ core.Clock = core.WallClock{}
	_ core.Clock = (*core.FakeClock)(nil)
)

func TestFakeClock(t *testing.T) {
	var zero core.FakeClock
	if got := zero.Now(); got != 0 {
		t.Errorf("zero FakeClock reads %d, want 0", got)
	}
	c := core.NewFakeClock(1000)
	steps := []struct {
		name string
		move func() int64 // returns the reading it reports, or Now
		want int64
	}{
		{"start", c.Now, 1000},
		{"advance 1.5s", func() int64 { return c.Advance(1500 * time.Millisecond) }, 2500},
		{"advance truncates to ms", func() int64 { return c.Advance(1999 * time.Microsecond) }, 2501},
		{"advance under a ms", func() int64 { return c.Advance(999 * time.Microsecond) }, 2501},
		{"set back", func() int64 { c.Set(-40); return c.Now() }, -40},
		{"set forward", func() int64 { c.Set(1 << 50); return c.Now() }, 1 << 50},
	}
	for _, st := range steps {
		if got := st.move(); got != st.want {
			t.Fatalf("%s: %d, want %d", st.name, got, st.want)
		}
		if got := c.Now(); got != st.want {
			t.Fatalf("%s: Now = %d, want %d", st.name, got, st.want)
		}
	}
}

// TestFakeClockConcurrent: Advance from many goroutines loses no step.
func TestFakeClockConcurrent(t *testing.T) {
	c := core.NewFakeClock(0)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				c.Advance(time.Millisecond)
				_ = c.Now()
			}
		})
	}
	wg.Wait()
	if got := c.Now(); got != 8000 {
		t.Errorf("Now = %d after 8000 advances of 1ms, want 8000", got)
	}
}

func TestMonotonicClock(t *testing.T) {
	var a, b core.MonotonicClock
	prev := a.Now()
	if prev < 0 {
		t.Fatalf("Now = %d, want milliseconds since program start", prev)
	}
	for i := range 10_000 {
		c := core.Clock(a)
		if i%2 == 1 {
			c = b // every MonotonicClock shares one domain
		}
		now := c.Now()
		if now < prev {
			t.Fatalf("Now went back from %d to %d", prev, now)
		}
		prev = now
	}
}

func TestWallClock(t *testing.T) {
	var c core.WallClock
	for range 100 {
		before := time.Now().UnixMilli()
		now := c.Now()
		after := time.Now().UnixMilli()
		if now < before || now > after {
			t.Fatalf("Now = %d, outside [%d, %d] read around it", now, before, after)
		}
	}
}
