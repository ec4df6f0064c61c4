package httplimit

import (
	"bufio"
	"net"
	"net/http"
)

// responseWriter records what a handler writes through it, for a
// [Pending]'s settlement. It flushes and hijacks through the writer it
// wraps, and unwraps to it for http.ResponseController.
type responseWriter struct {
	http.ResponseWriter
	status  int   // the final status written, 0 before
	written int64 // body bytes
	done    bool  // the handler returned
}

func (w *responseWriter) WriteHeader(code int) {
	if w.status == 0 && (code < 100 || code > 199 || code == http.StatusSwitchingProtocols) {
		w.status = code // 1xx but 101 are informational: a final status follows
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.written += int64(n)
	return n, err
}

// Flush flushes the wrapped writer if it can, and does nothing otherwise.
func (w *responseWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack hijacks the wrapped writer's connection: what the handler writes
// to it is not seen.
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil && w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return c, rw, err
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// written is the [Response] of a responseWriter.
type written responseWriter

func (w *written) Status() int {
	switch {
	case !w.done:
		return http.StatusInternalServerError
	case w.status == 0:
		return http.StatusOK
	}
	return w.status
}

func (w *written) Written() int64            { return w.written }
func (w *written) Header(name string) string { return w.ResponseWriter.Header().Get(name) }
