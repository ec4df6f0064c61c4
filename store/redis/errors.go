package redisstore

import (
	"fmt"

	ratelimit "github.com/gorate/ratelimit/core"
)

var errClosed = fmt.Errorf("%w: redisstore", ratelimit.ErrClosed)

func errTimeRange(t int64) error {
	return fmt.Errorf("%w: redisstore: time %d is outside ±2^53 ms", ratelimit.ErrInvalidArgument, t)
}

// opError wraps a server failure of op on name (cut to 64 characters).
func opError(op, name string, err error) error {
	return fmt.Errorf("redisstore: %s %.64q: %w", op, name, err)
}
