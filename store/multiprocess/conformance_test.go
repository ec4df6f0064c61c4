//go:build linux || darwin

package mpstore_test

import (
	"path/filepath"
	"testing"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	"github.com/gorate/ratelimit/internal/oldcore/ratelimittest"
	mpstore "github.com/gorate/ratelimit/store/multiprocess"
)

func TestConformance(t *testing.T) {
	ratelimittest.Run(t, ratelimittest.Harness{
		NewBucket: func(t *testing.T, rates ratelimit.Rates) ratelimit.Bucket {
			s := openStore(t, tempPath(t), rates)
			b, err := s.Bucket(t.Context(), "key")
			if err != nil {
				t.Fatal(err)
			}
			return ratelimittest.StoreView(b, s)
		},
		NewFactory: func(t *testing.T, rates ratelimit.Rates) ratelimit.Factory {
			return openStore(t, tempPath(t), rates)
		},
	})
}

// TestConformanceConstant runs the suite for the constant-state
// algorithms, through both paths into a store, as TestConformance does for
// the log.
func TestConformanceConstant(t *testing.T) {
	for _, alg := range []ratelimit.Algorithm{ratelimit.AlgorithmGCRA, ratelimit.AlgorithmSlidingWindowCounter} {
		t.Run(string(alg), func(t *testing.T) {
			opt := mpstore.WithAlgorithm(alg)
			ratelimittest.Run(t, ratelimittest.Harness{
				Algorithm: alg,
				NewBucket: func(t *testing.T, rates ratelimit.Rates) ratelimit.Bucket {
					s := openStore(t, tempPath(t), rates, opt)
					b, err := s.Bucket(t.Context(), "key")
					if err != nil {
						t.Fatal(err)
					}
					return ratelimittest.StoreView(b, s)
				},
				NewFactory: func(t *testing.T, rates ratelimit.Rates) ratelimit.Factory {
					return openStore(t, tempPath(t), rates, opt)
				},
			})
		})
	}
}

// tempPath returns a path for a new store file in the test's directory.
func tempPath(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "store")
}

// openStore opens a store the test closes when it ends.
func openStore(t testing.TB, path string, rates []ratelimit.Rate, opts ...mpstore.Option) *mpstore.Store {
	t.Helper()
	s, err := mpstore.Open(path, rates, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
