//go:build linux || darwin

package mpstore_test

import (
	"path/filepath"
	"testing"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	"github.com/gorate/ratelimit/ratelimittest"
	mpstore "github.com/gorate/ratelimit/store/multiprocess"
)

func TestConformance(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T, alg ratelimit.Algorithm, clock core.Clock) ratelimit.Store {
		s, err := mpstore.Open(filepath.Join(t.TempDir(), "store"), mpstore.WithAlgorithm(alg), mpstore.WithClock(clock))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
