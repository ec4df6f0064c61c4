package httplimit

import "net/http"

// NewRequest returns the Request of r, for the tests of key functions.
func NewRequest(r *http.Request) Request { return request{r} }
