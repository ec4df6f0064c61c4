package redisstore

import (
	"errors"
	"fmt"

	"github.com/gorate/ratelimit"
)

// ErrServer reports a call to the server that failed: the server was
// unreachable, did not answer within the call's context, or answered with
// an error, as a server at its maxmemory under the noeviction policy does
// ("OOM command not allowed") to a take it would have admitted. The error
// wraps the cause too: the context's error (context.DeadlineExceeded,
// context.Canceled) or go-redis's (see redis.IsOOMError). A take that fails
// this way reports no decision: it is never an admission.
var ErrServer = errors.New("ratelimit: redisstore: server call failed")

var errClosed = fmt.Errorf("%w: redisstore", ratelimit.ErrClosed)

// opError wraps a server failure of op on key (cut to 64 characters) in
// ErrServer.
func opError(op, key string, err error) error {
	return fmt.Errorf("%w: %s %.64q: %w", ErrServer, op, key, err)
}
