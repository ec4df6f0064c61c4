package fallback

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// fake is a store under the test's control: it fails with err while err is
// set, blocks until its context is done while hang is set, and otherwise
// decides with a memory store on the wall clock (fake under synctest). It
// counts its calls.
type fake struct {
	inner *memorystore.Store
	mu    sync.Mutex
	err   error
	hang  bool
	late  bool // take, then hang: an answer that comes too late
	calls atomic.Int64
}

func newFake(t testing.TB) *fake {
	t.Helper()
	m, err := memorystore.New(memorystore.WithClock(core.WallClock{}))
	if err != nil {
		t.Fatal(err)
	}
	return &fake{inner: m}
}

// fail makes the store fail with err (nil: heal it).
func (f *fake) fail(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

// setHang makes the store block until its caller's context ends.
func (f *fake) setHang(h bool) {
	f.mu.Lock()
	f.hang = h
	f.mu.Unlock()
}

func (f *fake) enter(ctx context.Context) error {
	f.calls.Add(1)
	f.mu.Lock()
	err, hang := f.err, f.hang
	f.mu.Unlock()
	if hang {
		<-ctx.Done()
		return ctx.Err()
	}
	return err
}

func (f *fake) Take(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	f.mu.Lock()
	late := f.late
	f.mu.Unlock()
	if late {
		f.calls.Add(1)
		f.inner.Take(ctx, key, rates, n)
		<-ctx.Done()
		return ratelimit.Decision{}, ctx.Err()
	}
	if err := f.enter(ctx); err != nil {
		return ratelimit.Decision{}, err
	}
	return f.inner.Take(ctx, key, rates, n)
}

func (f *fake) Check(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	if err := f.enter(ctx); err != nil {
		return ratelimit.Decision{}, err
	}
	return f.inner.Check(ctx, key, rates, n)
}

func (f *fake) Reset(ctx context.Context, key string) error {
	if err := f.enter(ctx); err != nil {
		return err
	}
	return f.inner.Reset(ctx, key)
}

// takeOnly is a store with Take alone: no Check, no Reset.
type takeOnly struct{ s ratelimit.Store }

func (t takeOnly) Take(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	return t.s.Take(ctx, key, rates, n)
}

// recorder is an Observer keeping the events it is told of, with the time
// of each.
type recorder struct {
	mu     sync.Mutex
	events []ratelimit.Event
	times  []time.Time
}

func (r *recorder) Observe(_ context.Context, e ratelimit.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.times = append(r.times, time.Now())
	r.mu.Unlock()
}

func (r *recorder) all() []ratelimit.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ratelimit.Event(nil), r.events...)
}

// errDown is the failure the tests' primaries fail with.
var errDown = errors.New("primary down")

func mustRates(t testing.TB, rs ...ratelimit.Rate) ratelimit.Rates {
	t.Helper()
	r, err := ratelimit.NewRates(rs...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// newPair returns a fallback store over a fake primary and a fake local
// store, built with opts after WithLocal and WithObserver of the returned
// recorder.
func newPair(t testing.TB, instances int, opts ...Option) (*Store, *fake, *fake, *recorder) {
	t.Helper()
	p, l, rec := newFake(t), newFake(t), &recorder{}
	s, err := New(p, instances, append([]Option{WithLocal(l), WithObserver(rec), WithName("fb")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, p, l, rec
}

// checkEvents fails unless rec holds exactly the switches want (true: to
// the local store, with an error wrapping wantErr; false: back to the
// primary), as the Fallback events the package documents.
func checkEvents(t testing.TB, rec *recorder, wantErr error, want ...bool) {
	t.Helper()
	got := rec.all()
	if len(got) != len(want) {
		t.Fatalf("%d events %v, want %d", len(got), got, len(want))
	}
	for i, e := range got {
		if e.Policy != ratelimit.Fallback || e.Limiter != "fb" || e.Key != "" || e.Weight != 0 || e.Latency != 0 || e.Decision != (ratelimit.Decision{}) {
			t.Errorf("event %d = %+v, want a Fallback event of limiter fb and nothing else", i, e)
		}
		if toLocal := e.Err != nil; toLocal != want[i] {
			t.Errorf("event %d: Err %v; want a switch to local %v", i, e.Err, want[i])
		}
		if e.Err != nil && !errors.Is(e.Err, wantErr) {
			t.Errorf("event %d: Err %v, want %v", i, e.Err, wantErr)
		}
	}
}
