package httplimit

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrEmptyKey reports that a key function found nothing to key the request
// by. The middleware answers such a request 400 ([WithBadRequest]), fail-open
// or not, instead of limiting it under a key it shares with every other such
// request or letting it through unlimited.
var ErrEmptyKey = errors.New("ratelimit: empty key")

// KeyFunc returns the key a request is limited under. An error (wrapping
// [ErrEmptyKey] when there is nothing to key by) means the request cannot
// be limited: the middleware answers it 400 ([WithBadRequest]). Key
// functions must be safe for concurrent use.
type KeyFunc func(Request) (string, error)

// Header keys requests by the first value of the named header.
func Header(name string) KeyFunc {
	return func(r Request) (string, error) {
		if v := r.Header(name); v != "" {
			return v, nil
		}
		return "", fmt.Errorf("%w: no %s header", ErrEmptyKey, name)
	}
}

// Query keys requests by the first value of the named query parameter.
func Query(name string) KeyFunc {
	return func(r Request) (string, error) {
		if v := r.Query(name); v != "" {
			return v, nil
		}
		return "", fmt.Errorf("%w: no query parameter %q", ErrEmptyKey, name)
	}
}

// Route keys requests by the pattern of the route that matched (see
// [Request].Route), so that every URL of one route shares a limit.
func Route() KeyFunc {
	return func(r Request) (string, error) {
		if v := r.Route(); v != "" {
			return v, nil
		}
		return "", fmt.Errorf("%w: no route matched %s", ErrEmptyKey, r.Path())
	}
}

// Method keys requests by their HTTP method.
func Method() KeyFunc {
	return func(r Request) (string, error) {
		if v := r.Method(); v != "" {
			return v, nil
		}
		return "", fmt.Errorf("%w: no method", ErrEmptyKey)
	}
}

// Static keys every request by key: one limit shared by all of them.
func Static(key string) KeyFunc {
	return func(Request) (string, error) { return key, nil }
}

// ContextValue keys requests by the value stored under key in the request's
// context, such as the user or tenant an authentication middleware put
// there. The value must be a non-empty string or a [fmt.Stringer].
func ContextValue(key any) KeyFunc {
	return func(r Request) (string, error) {
		return contextString(r.Context(), key)
	}
}

func contextString(ctx context.Context, key any) (string, error) {
	var s string
	switch v := ctx.Value(key).(type) {
	case string:
		s = v
	case fmt.Stringer:
		s = v.String()
	case nil:
	default:
		return "", fmt.Errorf("httplimit: context value %v is a %T, not a string or fmt.Stringer", key, v)
	}
	if s == "" {
		return "", fmt.Errorf("%w: no context value %v", ErrEmptyKey, key)
	}
	return s, nil
}

// Join keys requests by every key of keys, joined by "|" (a "|" or "\"
// inside a part is escaped with "\", so different parts never join to the
// same key). It fails with the first key's error. It panics when a key is
// nil.
func Join(keys ...KeyFunc) KeyFunc {
	for _, k := range keys {
		refuseNil("Join", k == nil)
	}
	return func(r Request) (string, error) {
		var b strings.Builder
		for i, k := range keys {
			s, err := k(r)
			if err != nil {
				return "", err
			}
			if i > 0 {
				b.WriteByte('|')
			}
			if !strings.ContainsAny(s, `|\`) {
				b.WriteString(s)
				continue
			}
			for j := 0; j < len(s); j++ {
				if s[j] == '|' || s[j] == '\\' {
					b.WriteByte('\\')
				}
				b.WriteByte(s[j])
			}
		}
		return b.String(), nil
	}
}
