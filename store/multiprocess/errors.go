package mpstore

import (
	"errors"
	"fmt"

	ratelimit "github.com/gorate/ratelimit/core"
)

// ErrFull reports that a [Store] has no room for a put it would admit: a new
// key arrived while every key slot held a key with units inside the largest
// window ([WithMaxKeys]), or a key's ring is full of entries still inside
// the window ([WithMaxEntries]). Nothing is admitted: the store never
// forgets a unit that still counts.
var ErrFull = errors.New("ratelimit: mpstore: full")

var errClosed = fmt.Errorf("%w: mpstore", ratelimit.ErrClosed)
