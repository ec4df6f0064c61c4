package bench

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gorate/ratelimit"
	ourmemory "github.com/gorate/ratelimit/store/memory"
	promlimit "github.com/gorate/ratelimit/telemetry/prometheus"
)

// noop is an Observer that does nothing.
type noop struct{}

func (noop) Observe(context.Context, ratelimit.Event) {}

// BenchmarkObserver times a memory-store decision on one key without an
// observer (impl=none), with an observer that does nothing (impl=noop: the
// limiter's cost of observing) and with a Prometheus observer
// (impl=prometheus), in one run: the difference from none is what the
// observer costs a decision. Compare with benchstat -col /impl.
func BenchmarkObserver(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts func(b *testing.B) []ratelimit.Option
	}{
		{"impl=none", func(*testing.B) []ratelimit.Option { return nil }},
		{"impl=noop", func(*testing.B) []ratelimit.Option {
			return []ratelimit.Option{ratelimit.WithName("api"), ratelimit.WithObserver(noop{})}
		}},
		{"impl=prometheus", func(b *testing.B) []ratelimit.Option {
			obs, err := promlimit.New(prometheus.NewRegistry())
			if err != nil {
				b.Fatal(err)
			}
			return []ratelimit.Option{ratelimit.WithName("api"), ratelimit.WithObserver(obs)}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := ourmemory.New()
			if err != nil {
				b.Fatal(err)
			}
			l, err := ratelimit.New(s, append(bc.opts(b), ratelimit.PerSecond(1e9))...)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { l.Close() })
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := l.AllowN(ctx, "key", 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
