package ratelimittest

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// model is the core's decision for one constant-state algorithm over state
// of its own: what every store must compute, to the millisecond.
type model struct {
	alg   ratelimit.Algorithm
	rates ratelimit.Rates
	gcra  []ratelimit.GCRAState
	ctr   []ratelimit.CounterState
}

func newModel(alg ratelimit.Algorithm, rates ratelimit.Rates) *model {
	return &model{alg: alg, rates: rates, gcra: make([]ratelimit.GCRAState, len(rates)), ctr: make([]ratelimit.CounterState, len(rates))}
}

func (m *model) decide(now, weight int64) (d ratelimit.Decision) {
	if m.alg == ratelimit.AlgorithmGCRA {
		ratelimit.GCRA{}.DecideInto(&d, m.rates, now, weight, m.gcra)
	} else {
		ratelimit.SlidingWindowCounter{}.DecideInto(&d, m.rates, now, weight, m.ctr)
	}
	return d
}

func (m *model) clone() *model {
	return &model{m.alg, m.rates, slices.Clone(m.gcra), slices.Clone(m.ctr)}
}

// constantCases are the cases of a constant-state algorithm: the
// store-independent ones, then those that hold the store to the core's
// model.
func constantCases() []suiteCase {
	return []suiteCase{
		{"ModelAgreement", testModelAgreement},
		{"Waiting", testConstantWaiting},
		{"FlushLeak", testConstantFlushLeak},
		{"NoHistory", testNoHistory},
		{"BadInput", testBadInput},
		{"PutNow", testPutNow},
		{"Close", testCloseBucket},
		{"ConcurrentExact", testConstantConcurrent},
		{"ConcurrentRealClock", testConstantRealClock},
		{"FactoryNames", testFactoryNames},
		{"FactoryAnyName", testFactoryAnyName},
		{"FactoryClose", testFactoryClose},
	}
}

// testModelAgreement puts random weights at random explicit times and
// holds every field of every decision to the core's model.
func testModelAgreement(t *testing.T, h Harness) {
	for _, rates := range [][]ratelimit.Rate{
		{ratelimit.Per(3, time.Second)},
		{ratelimit.Per(5, time.Second), ratelimit.Per(40, time.Minute)},
		{ratelimit.Per(2, 100*time.Millisecond), ratelimit.Per(10, time.Second), ratelimit.Per(30, 10*time.Second)},
	} {
		b := newBucket(t, h, rates...)
		m := newModel(h.Algorithm, b.Rates())
		rng := rand.New(rand.NewPCG(7, uint64(len(rates))))
		now := h.base
		for step := range 400 {
			now += rng.Int64N(80)
			w := rng.Int64N(rates[0].Limit + 2)
			want := m.decide(now, w)
			got, err := b.Put(t.Context(), ratelimit.Item{Name: "k", Time: now, Weight: w})
			if err != nil {
				t.Fatalf("%v step %d: Put(t=%d, w=%d): %v", b.Rates(), step, now-h.base, w, err)
			}
			if got != want {
				t.Fatalf("%v step %d: Put(t=%d, w=%d) = %+v, want %+v", b.Rates(), step, now-h.base, w, got, want)
			}
		}
	}
}

// testConstantWaiting checks that Waiting reports the model's RetryAfter
// and changes nothing.
func testConstantWaiting(t *testing.T, h Harness) {
	b := newBucket(t, h, ratelimit.Per(4, time.Second))
	m := newModel(h.Algorithm, b.Rates())
	for i := range 4 {
		ts := h.base + int64(i)*10
		m.decide(ts, 1)
		put(t, b, "a", ts, 1, true)
	}
	for _, w := range []int64{0, 1, 3, 5} {
		ts := h.base + 100
		want := m.clone().decide(ts, w).RetryAfter
		got, err := b.Waiting(t.Context(), ratelimit.Item{Name: "a", Time: ts, Weight: w})
		if err != nil || got != want {
			t.Fatalf("Waiting(w=%d) = %v, %v; want %v", w, got, err, want)
		}
	}
	wait := m.clone().decide(h.base+100, 1).RetryAfter
	put(t, b, "a", h.base+100+wait.Milliseconds()-1, 1, false)
	put(t, b, "a", h.base+100+wait.Milliseconds(), 1, true)
}

// testConstantFlushLeak: Flush forgets everything; Leak drops only state
// that counts nothing any more.
func testConstantFlushLeak(t *testing.T, h Harness) {
	ctx := t.Context()
	b := newBucket(t, h, ratelimit.Per(3, time.Second))
	put(t, b, "a", h.base, 3, true)
	if err := b.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	put(t, b, "a", h.base, 3, true) // a full burst again
	if _, err := b.Leak(ctx, h.base+500); err != nil {
		t.Fatalf("Leak: %v", err)
	}
	put(t, b, "a", h.base+500, 3, false) // still counted
	if _, err := b.Leak(ctx, h.base+3000); err != nil {
		t.Fatalf("Leak: %v", err)
	}
	put(t, b, "a", h.base+3000, 3, true)
}

// testNoHistory: Peek has nothing to return, and says so.
func testNoHistory(t *testing.T, h Harness) {
	b := newBucket(t, h, ratelimit.Per(3, time.Second))
	put(t, b, "a", h.base, 1, true)
	if _, _, err := b.Peek(t.Context(), 0); !errors.Is(err, ratelimit.ErrNoHistory) || !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("Peek(0): err = %v, want ErrNoHistory", err)
	}
}

// testConstantConcurrent drives one key from 64 goroutines, phases of
// explicit timestamps with weight 1: within a phase the number admitted has
// one right answer, the model's.
func testConstantConcurrent(t *testing.T, h Harness) {
	b := newBucket(t, h, ratelimit.Per(10, time.Second), ratelimit.Per(30, 5*time.Second))
	m := newModel(h.Algorithm, b.Rates())
	for phase := range 48 {
		ts := h.base + int64(phase)*250
		got, err := putConcurrently(t.Context(), goroutines, 2, func(ctx context.Context) (ratelimit.Decision, error) {
			return b.Put(ctx, ratelimit.Item{Name: "hot", Time: ts, Weight: 1})
		})
		if err != nil {
			t.Fatalf("phase %d: Put: %v", phase, err)
		}
		want := 0
		for m.decide(ts, 1).Allowed {
			want++
		}
		if len(got) != want {
			t.Fatalf("phase %d (t=%d): %d units admitted, want exactly %d", phase, ts-h.base, len(got), want)
		}
	}
}

// testConstantRealClock has 64 goroutines hammer one key through the
// store's clock and checks the algorithm's bound over the admitted stamps:
// GCRA at most limit + floor(t·limit/interval) in any span t; the counter
// at most limit in a fixed window.
func testConstantRealClock(t *testing.T, h Harness) {
	// A limit low enough that a slow store (a durable commit per put) still
	// puts more than the bound allows and sees denials.
	rate := ratelimit.Per(5, 100*time.Millisecond)
	b := newBucket(t, h, rate)
	var (
		mu            sync.Mutex
		allow, denied int
		stamps        []int64
	)
	stop := time.Now().Add(350 * time.Millisecond)
	_, err := putConcurrently(t.Context(), goroutines, 1, func(ctx context.Context) (ratelimit.Decision, error) {
		for time.Now().Before(stop) {
			d, err := b.PutNow(ctx, "hot", 1)
			if err != nil {
				return d, err
			}
			mu.Lock()
			if d.Allowed {
				allow++
				stamps = append(stamps, d.Time)
			} else {
				denied++
			}
			mu.Unlock()
		}
		return ratelimit.Decision{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if allow == 0 || denied == 0 {
		t.Fatalf("%d admitted, %d denied; want both", allow, denied)
	}
	slices.Sort(stamps)
	iv := rate.IntervalMillis()
	for i := range stamps {
		for j := i; j < len(stamps) && stamps[j]-stamps[i] < 2*iv; j++ {
			n, span := int64(j-i+1), stamps[j]-stamps[i]
			if h.Algorithm == ratelimit.AlgorithmGCRA && n > rate.Limit+span*rate.Limit/iv {
				t.Fatalf("%d units in %d ms: over the token-bucket bound of %s", n, span, rate)
			}
			if h.Algorithm == ratelimit.AlgorithmSlidingWindowCounter && stamps[i]/iv == stamps[j]/iv && n > rate.Limit {
				t.Fatalf("%d units in one fixed window of %s", n, rate)
			}
		}
	}
}
