//go:build !unix

package bench

import "time"

// cpuTime returns -1: the CPU time of the process is not read here.
func cpuTime() time.Duration { return -1 }
