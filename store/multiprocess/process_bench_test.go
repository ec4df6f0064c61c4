//go:build linux || darwin

package mpstore

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkProcesses times takes by 4 processes at once on one file, on
// one key and spread over 1000 keys: b.N takes in all, a quarter each.
// It reports the total rate, takes/s; the helpers' start-up is not
// timed.
func BenchmarkProcesses(b *testing.B) {
	const procs = 4
	for _, tt := range []struct {
		name string
		keys int
	}{{"OneKey", 1}, {"1000Keys", 1000}} {
		keys := tt.keys
		b.Run(tt.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "store")
			per := max(b.N/procs, 1)
			helpers := make([]*helper, procs)
			for i := range helpers {
				helpers[i] = startHelper(b, "bench", path, "1099511627776/s", fmt.Sprint(per, keys))
			}
			for _, h := range helpers {
				h.expect(b, "ready")
			}
			b.ResetTimer()
			start := time.Now()
			for _, h := range helpers {
				h.send(b, "go")
			}
			for _, h := range helpers {
				h.expect(b, "done")
			}
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(per*procs)/elapsed.Seconds(), "takes/s")
		})
	}
}
