package httplimit

import (
	"fmt"
	"strings"

	"github.com/gorate/ratelimit"
)

// KeyFunc returns the key a request is limited under. An error, or an
// empty key, means the request cannot be limited: the middleware answers it
// 400 Bad Request, fail-open or not, rather than let it through or limit it
// under a key every such request would share. The key functions of this
// package fail with an error wrapping [ratelimit.ErrInvalidArgument] when
// the request lacks what they key by. Key functions must be safe for
// concurrent use; one that keeps every request under one key is
//
//	func(httplimit.Request) (string, error) { return "all", nil }
type KeyFunc func(Request) (string, error)

// missing returns the error of a key function that found nothing to key
// by.
func missing(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ratelimit.ErrInvalidArgument}, args...)...)
}

// Header keys requests by the first value of the named header.
func Header(name string) KeyFunc {
	return func(r Request) (string, error) {
		if v := r.Header(name); v != "" {
			return v, nil
		}
		return "", missing("no %s header", name)
	}
}

// Query keys requests by the first value of the named query parameter.
func Query(name string) KeyFunc {
	return func(r Request) (string, error) {
		if v := r.Query(name); v != "" {
			return v, nil
		}
		return "", missing("no query parameter %q", name)
	}
}

// Route keys requests by the pattern of the route that matched (see
// [Request]), so that every URL of one route shares a limit.
func Route() KeyFunc {
	return func(r Request) (string, error) {
		if v := r.Route(); v != "" {
			return v, nil
		}
		return "", missing("no route matched %s", r.Path())
	}
}

// Method keys requests by their HTTP method.
func Method() KeyFunc {
	return func(r Request) (string, error) {
		if v := r.Method(); v != "" {
			return v, nil
		}
		return "", missing("no method")
	}
}

// ContextValue keys requests by the value stored under key in the
// request's context, such as the user or tenant an authentication
// middleware put there. The value must be a non-empty string or a
// [fmt.Stringer]; a value of another type is an error that names it.
func ContextValue(key any) KeyFunc {
	return func(r Request) (string, error) {
		var s string
		switch v := r.Context().Value(key).(type) {
		case string:
			s = v
		case fmt.Stringer:
			s = v.String()
		case nil:
		default:
			return "", fmt.Errorf("httplimit: context value %v is a %T, not a string or fmt.Stringer", key, v)
		}
		if s == "" {
			return "", missing("no context value %v", key)
		}
		return s, nil
	}
}

// join keys requests by every key of keys, joined by "|"; a "|" or "\"
// inside a part is escaped with "\", so that different parts never join to
// the same key. It fails with the first key's error.
func join(keys []KeyFunc) KeyFunc {
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
