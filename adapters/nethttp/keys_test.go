package httplimit_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
)

type ctxKey struct{}

type tenant string

func (t tenant) String() string { return "tenant-" + string(t) }

func TestKeys(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/items/7?user=ann&user=bob&empty=", nil)
	r.Header.Set("X-Api-Key", "k1")
	r.Pattern = "POST /items/{id}"
	r.RemoteAddr = "192.0.2.9:5"
	req := httplimit.NetHTTPRequest{R: r}
	withCtx := func(v any) httplimit.Request {
		return httplimit.NetHTTPRequest{R: r.WithContext(context.WithValue(r.Context(), ctxKey{}, v))}
	}
	for _, c := range []struct {
		name  string
		key   httplimit.KeyFunc
		req   httplimit.Request
		want  string
		empty bool // the error wraps ErrEmptyKey
	}{
		{"header", httplimit.Header("X-Api-Key"), req, "k1", false},
		{"header absent", httplimit.Header("X-Other"), req, "", true},
		{"query first value", httplimit.Query("user"), req, "ann", false},
		{"query empty", httplimit.Query("empty"), req, "", true},
		{"route", httplimit.Route(), req, "POST /items/{id}", false},
		{"no route", httplimit.Route(), httplimit.NetHTTPRequest{R: httptest.NewRequest(http.MethodGet, "/", nil)}, "", true},
		{"method", httplimit.Method(), req, "POST", false},
		{"static", httplimit.Static("all"), req, "all", false},
		{"context string", httplimit.ContextValue(ctxKey{}), withCtx("u42"), "u42", false},
		{"context Stringer", httplimit.ContextValue(ctxKey{}), withCtx(tenant("x")), "tenant-x", false},
		{"context absent", httplimit.ContextValue(ctxKey{}), req, "", true},
		{"context empty", httplimit.ContextValue(ctxKey{}), withCtx(""), "", true},
		{"join", httplimit.Join(httplimit.Method(), httplimit.Route(), httplimit.ClientIP()), req, "POST|POST /items/{id}|192.0.2.9", false},
		{"join escapes", httplimit.Join(httplimit.Static(`a|b`), httplimit.Static(`c\`)), req, `a\|b|c\\`, false},
		{"join fails with a part", httplimit.Join(httplimit.Method(), httplimit.Header("X-Other")), req, "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.key(c.req)
			if c.empty {
				if !errors.Is(err, httplimit.ErrEmptyKey) {
					t.Fatalf("key = %q, %v; want an error wrapping ErrEmptyKey", got, err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("key = %q, %v; want %q", got, err, c.want)
			}
		})
	}
	if _, err := httplimit.ContextValue(ctxKey{})(withCtx(42)); err == nil || errors.Is(err, httplimit.ErrEmptyKey) {
		t.Errorf("ContextValue of an int: err = %v, want a type error", err)
	}
	// Parts that would join to the same text stay apart.
	a, _ := httplimit.Join(httplimit.Static("a|"), httplimit.Static("b"))(req)
	b, _ := httplimit.Join(httplimit.Static("a"), httplimit.Static("|b"))(req)
	if a == b {
		t.Errorf("Join(a|, b) = Join(a, |b) = %q", a)
	}
}

func TestHTTPRequest(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if got := httplimit.HTTPRequest(httplimit.NetHTTPRequest{R: r}); got != r {
		t.Errorf("HTTPRequest = %p, want %p", got, r)
	}
}
