package grpclimit

import (
	"net/http"

	"google.golang.org/grpc/codes"
)

// response is the [httplimit.Response] of a finished call, which
// [httplimit.WithCountIf] and [httplimit.WithResponseCost] settle it by:
// its Status is the HTTP status of the call's gRPC code (google.rpc.Code's
// mapping: OK 200, InvalidArgument 400, NotFound 404, ResourceExhausted 429,
// Internal 500, Unavailable 503, …; a handler that panicked, 500), Written
// is -1 (a reply's size is known only once it is encoded) and it has no
// headers.
type response struct{ code codes.Code }

func (r response) Status() int          { return httpStatus(r.code) }
func (r response) Written() int64       { return -1 }
func (r response) Header(string) string { return "" }

// httpStatus returns the HTTP status google.rpc.Code maps code to.
func httpStatus(code codes.Code) int {
	switch code {
	case codes.OK:
		return http.StatusOK
	case codes.Canceled:
		return 499 // Client Closed Request
	case codes.InvalidArgument, codes.FailedPrecondition, codes.OutOfRange:
		return http.StatusBadRequest
	case codes.DeadlineExceeded:
		return http.StatusGatewayTimeout
	case codes.NotFound:
		return http.StatusNotFound
	case codes.AlreadyExists, codes.Aborted:
		return http.StatusConflict
	case codes.PermissionDenied:
		return http.StatusForbidden
	case codes.Unauthenticated:
		return http.StatusUnauthorized
	case codes.ResourceExhausted:
		return http.StatusTooManyRequests
	case codes.Unimplemented:
		return http.StatusNotImplemented
	case codes.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError // Unknown, Internal, DataLoss, any other
}
