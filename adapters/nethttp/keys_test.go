package httplimit_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorate/ratelimit"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
)

type ctxKey struct{}

type tenant string

func (t tenant) String() string { return "tenant-" + string(t) }

// static returns a key function that keys every request by key.
func static(key string) httplimit.KeyFunc {
	return func(httplimit.Request) (string, error) { return key, nil }
}

// recorder is a store that admits every take and records its key.
type recorder struct{ keys []string }

func (s *recorder) Take(_ context.Context, key string, rates ratelimit.Rates, _ int64) (ratelimit.Decision, error) {
	s.keys = append(s.keys, key)
	return ratelimit.Decision{Allowed: true, Rate: rates[0], Remaining: rates[0].Limit}, nil
}

// keyOf returns the key the middleware with WithKey(keys...) limits r
// under, and the error its hook saw.
func keyOf(t *testing.T, r *http.Request, keys ...httplimit.KeyFunc) (key string, err error) {
	t.Helper()
	s := &recorder{}
	l, err := ratelimit.New(s, ratelimit.PerSecond(1))
	if err != nil {
		t.Fatal(err)
	}
	hook := httplimit.WithErrorHook(func(_ httplimit.Request, e error) { err = e })
	h := httplimit.Middleware(l, httplimit.WithKey(keys...), hook)(http.NotFoundHandler())
	h.ServeHTTP(httptest.NewRecorder(), r)
	if len(s.keys) > 0 {
		key = s.keys[0]
	}
	return key, err
}

func TestWithKeyJoins(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/items/7", nil)
	r.Pattern = "POST /items/{id}"
	r.RemoteAddr = "192.0.2.9:5"
	for _, c := range []struct {
		name string
		keys []httplimit.KeyFunc
		want string
	}{
		{"one", []httplimit.KeyFunc{httplimit.Method()}, "POST"},
		{"three", []httplimit.KeyFunc{httplimit.Method(), httplimit.Route(), httplimit.ClientIP()}, "POST|POST /items/{id}|192.0.2.9"},
		{"escapes", []httplimit.KeyFunc{static(`a|b`), static(`c\`)}, `a\|b|c\\`},
		{"a| b", []httplimit.KeyFunc{static("a|"), static("b")}, `a\||b`},
		{"a |b", []httplimit.KeyFunc{static("a"), static("|b")}, `a|\|b`},
	} {
		if got, err := keyOf(t, r, c.keys...); err != nil || got != c.want {
			t.Errorf("%s: key %q, %v; want %q", c.name, got, err, c.want)
		}
	}
	// A part's failure fails the key: 400, the error the part's.
	got, err := keyOf(t, r, httplimit.Method(), httplimit.Header("X-Other"))
	if got != "" || !errors.Is(err, ratelimit.ErrInvalidArgument) || !strings.Contains(err.Error(), "X-Other") {
		t.Errorf("a failing part: key %q, %v; want no key and the part's error", got, err)
	}
	// An empty key is no key.
	if got, err := keyOf(t, r, static("")); got != "" || !errors.Is(err, ratelimit.ErrInvalidArgument) {
		t.Errorf("an empty key: key %q, %v; want no key and ErrInvalidArgument", got, err)
	}
}

func TestKeys(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/items/7?user=ann&user=bob&empty=", nil)
	r.Header.Set("X-Api-Key", "k1")
	r.Pattern = "POST /items/{id}"
	r.RemoteAddr = "192.0.2.9:5"
	req := httplimit.NewRequest(r)
	withCtx := func(v any) httplimit.Request {
		return httplimit.NewRequest(r.WithContext(context.WithValue(r.Context(), ctxKey{}, v)))
	}
	for _, c := range []struct {
		name    string
		key     httplimit.KeyFunc
		req     httplimit.Request
		want    string
		missing bool // the error wraps ErrInvalidArgument
	}{
		{"header", httplimit.Header("X-Api-Key"), req, "k1", false},
		{"header absent", httplimit.Header("X-Other"), req, "", true},
		{"query first value", httplimit.Query("user"), req, "ann", false},
		{"query empty", httplimit.Query("empty"), req, "", true},
		{"route", httplimit.Route(), req, "POST /items/{id}", false},
		{"no route", httplimit.Route(), httplimit.NewRequest(httptest.NewRequest(http.MethodGet, "/", nil)), "", true},
		{"method", httplimit.Method(), req, "POST", false},
		{"context string", httplimit.ContextValue(ctxKey{}), withCtx("u42"), "u42", false},
		{"context Stringer", httplimit.ContextValue(ctxKey{}), withCtx(tenant("x")), "tenant-x", false},
		{"context absent", httplimit.ContextValue(ctxKey{}), req, "", true},
		{"context empty", httplimit.ContextValue(ctxKey{}), withCtx(""), "", true},
		{"peer", httplimit.ClientIP(), req, "192.0.2.9", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.key(c.req)
			if c.missing {
				if !errors.Is(err, ratelimit.ErrInvalidArgument) {
					t.Fatalf("key = %q, %v; want an error wrapping ErrInvalidArgument", got, err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("key = %q, %v; want %q", got, err, c.want)
			}
		})
	}
	if _, err := httplimit.ContextValue(ctxKey{})(withCtx(42)); err == nil || errors.Is(err, ratelimit.ErrInvalidArgument) {
		t.Errorf("ContextValue of an int: err = %v, want a type error", err)
	}
}
