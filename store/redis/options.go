package redisstore

import (
	"fmt"

	ratelimit "github.com/gorate/ratelimit/core"
)

// An Option configures a [Store]. Options are made by the With functions.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	prefix string
}

// DefaultPrefix is the prefix of every key unless [WithPrefix] says
// otherwise.
const DefaultPrefix = "ratelimit:"

func newConfig(opts []Option) (config, error) {
	c := config{prefix: DefaultPrefix}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if len(c.prefix) > 1024 {
		return c, fmt.Errorf("%w: redisstore: prefix of %d bytes is longer than 1024", ratelimit.ErrInvalidArgument, len(c.prefix))
	}
	return c, nil
}

// WithPrefix sets the prefix of every key the Store writes, so that several
// Stores (with different rates) or applications share a server without
// sharing limits. Stores with the same prefix share every name's limit and
// must enforce the same rates: the keys carry no rates of their own. The
// prefix should not contain "{" (see [Store] on the key scheme). Default:
// [DefaultPrefix].
func WithPrefix(prefix string) Option {
	return optionFunc(func(c *config) { c.prefix = prefix })
}
