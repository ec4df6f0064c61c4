package sqlitestore_test

import (
	"path/filepath"
	"testing"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	"github.com/gorate/ratelimit/ratelimittest"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
)

func TestConformance(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T, alg ratelimit.Algorithm, clock core.Clock) ratelimit.Store {
		return openStore(t, filepath.Join(t.TempDir(), "ratelimit.db"), sqlitestore.WithAlgorithm(alg), sqlitestore.WithClock(clock))
	})
}
