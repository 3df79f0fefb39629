package stdhttp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/phttp-go/phttp"
)

const (
	// chunkingThreshold is how much a handler may write before the head
	// goes out: an answer finished within it gets a Content-Length, a
	// longer one chunked coding. It is net/http's figure, so that the two
	// frame the same answer the same way.
	chunkingThreshold = 2048
	// flushPiece is how much body a streaming answer gathers between its
	// own flushes once the head is out.
	flushPiece = 32 << 10
	// sniffLen is how much of the body http.DetectContentType looks at.
	sniffLen = 512
)

// ErrOnLoop is returned by Hijack and SetWriteDeadline of an OnLoop
// handler's ResponseWriter: the loop goroutine must never wait on a
// connection.
var ErrOnLoop = errors.New("stdhttp: not available to an OnLoop handler, which must not block; use stdhttp.Handler")

// responseWriter is the http.ResponseWriter of one request: for Handler,
// on a detached phttp.Response owned by the request's goroutine; for
// OnLoop, on the handler call's own Response, sent when the call returns.
type responseWriter struct {
	w      *phttp.Response
	req    *http.Request
	body   io.ReadCloser // what req.Body was set to, closed when the handler is done
	header http.Header
	log    *slog.Logger
	onLoop bool

	status      int   // WriteHeader's code, 0 before
	wroteHeader bool  // WriteHeader was called, or implied by Write
	haveType    bool  // the handler's header named Content-Type (even empty)
	headOut     bool  // the head was committed to the phttp stream (Flush)
	hijacked    bool  // Hijack took the connection
	isHead      bool  // HEAD: the body is counted, never sent
	declared    int64 // the handler's Content-Length, or -1
	written     int64 // body bytes the handler wrote
	warned      bool  // a superfluous WriteHeader was logged
	// withTrailer: the head declared trailers (its "Trailer" field, kept
	// in the phttp Response's Header) or held fields named with
	// http.TrailerPrefix, so the answer goes chunked even when it ends
	// within the threshold.
	withTrailer bool
	// flushed: Flush was called. An OnLoop answer still goes out whole,
	// but as net/http's would have streamed from there, so it has a
	// place for trailers.
	flushed bool
	// finished: ServeHTTP returned. From then on the writer refuses
	// everything: an OnLoop handler's phttp.Response is the loop's again,
	// soon another request's, and must never be reached through a writer
	// a handler kept.
	finished atomic.Bool
}

// errFinished is what a writer used after its ServeHTTP returned reports.
var errFinished = errors.New("stdhttp: ResponseWriter used after ServeHTTP returned")

var _ interface {
	http.ResponseWriter
	http.Flusher
	http.Hijacker
	io.ReaderFrom
	io.StringWriter
} = (*responseWriter)(nil)

// Header returns the map of the answer's header fields. After ServeHTTP
// returned it is a map of its own that goes nowhere.
func (rw *responseWriter) Header() http.Header {
	if rw.finished.Load() {
		return http.Header{}
	}
	return rw.header
}

// WriteHeader sends (once) the status and a snapshot of the header map,
// as net/http does: later changes to the map are not sent. Informational
// codes other than 101 are not sent: the loop has no interim answers yet.
func (rw *responseWriter) WriteHeader(code int) {
	if rw.finished.Load() {
		return
	}
	if rw.hijacked {
		rw.log.Warn("stdhttp: WriteHeader on a hijacked connection", "path", rw.req.URL.Path)
		return
	}
	if rw.wroteHeader {
		if !rw.warned {
			rw.warned = true
			rw.log.Warn("stdhttp: superfluous WriteHeader call", "code", code, "path", rw.req.URL.Path)
		}
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code < 200 && code != 101 {
		return
	}
	rw.wroteHeader = true
	rw.status = code
	rw.w.Status = code
	_, rw.haveType = rw.header["Content-Type"]
	rw.declared = -1
	if cl := rw.header.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 {
			rw.declared = n
		} else {
			rw.header.Del("Content-Length") // net/http drops a bad one
		}
	}
	keys := make([]string, 0, len(rw.header))
	for k := range rw.header {
		keys = append(keys, k)
	}
	slices.Sort(keys) // net/http writes them sorted, too
	for _, k := range keys {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			rw.withTrailer = true
			continue // a trailer, sent at the end
		}
		for _, v := range rw.header[k] {
			rw.w.Header.Add(k, v)
		}
	}
	rw.withTrailer = rw.withTrailer || len(rw.header["Trailer"]) > 0
}

// setTrailer hands the answer its trailer fields once ServeHTTP returned:
// the declared ones the header map holds then, and those named with
// http.TrailerPrefix. As in net/http, whether an answer that ends within
// the threshold goes chunked (with a place for trailers) is the head's
// to say, the snapshot WriteHeader took; one that streamed already has
// its place whenever its trailers were set.
func (rw *responseWriter) setTrailer() {
	streamed := rw.headOut || rw.flushed || rw.written >= chunkingThreshold // the last two for OnLoop, which never streams
	if !rw.withTrailer && !streamed {
		return
	}
	var prefixed []string
	for k := range rw.header {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			prefixed = append(prefixed, k)
		}
	}
	if !rw.withTrailer && len(prefixed) == 0 {
		return
	}
	t := phttp.Header{}
	for _, v := range rw.w.Header.Values("Trailer") {
		for name := range strings.SplitSeq(v, ",") {
			if name = http.CanonicalHeaderKey(textproto.TrimString(name)); name != "" {
				for _, v := range rw.header[name] {
					t.Add(name, v)
				}
			}
		}
	}
	slices.Sort(prefixed)
	for _, k := range prefixed {
		for _, v := range rw.header[k] {
			t.Add(strings.TrimPrefix(k, http.TrailerPrefix), v)
		}
	}
	rw.w.Trailer = t
}

func (rw *responseWriter) Write(p []byte) (int, error) {
	if err := rw.beforeWrite(len(p)); err != nil {
		return 0, err
	}
	if !rw.isHead {
		rw.w.Body = append(rw.w.Body, p...)
	} else if !rw.headOut && len(rw.w.Body) < sniffLen {
		rw.w.Body = append(rw.w.Body, p[:min(len(p), sniffLen-len(rw.w.Body))]...) // for sniffing only: HEAD sends no body
	}
	return len(p), rw.afterWrite()
}

func (rw *responseWriter) WriteString(s string) (int, error) {
	if err := rw.beforeWrite(len(s)); err != nil {
		return 0, err
	}
	if !rw.isHead {
		rw.w.Body = append(rw.w.Body, s...)
	} else if !rw.headOut && len(rw.w.Body) < sniffLen {
		rw.w.Body = append(rw.w.Body, s[:min(len(s), sniffLen-len(rw.w.Body))]...) // for sniffing only: HEAD sends no body
	}
	return len(s), rw.afterWrite()
}

// beforeWrite checks that n more body bytes may be written, as net/http's
// Write does.
func (rw *responseWriter) beforeWrite(n int) error {
	if rw.finished.Load() {
		return errFinished
	}
	if rw.hijacked {
		return http.ErrHijacked
	}
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	if n == 0 {
		return nil
	}
	if !bodyAllowed(rw.status) {
		return http.ErrBodyNotAllowed
	}
	rw.written += int64(n)
	if rw.declared >= 0 && rw.written > rw.declared {
		rw.written -= int64(n)
		return http.ErrContentLength
	}
	return nil
}

// afterWrite sends what the buffer holds once it is past the threshold
// (the first time: the head goes out, chunked unless a length was set).
func (rw *responseWriter) afterWrite() error {
	if rw.onLoop {
		return nil // an OnLoop answer goes out whole when the handler returns
	}
	pending := int64(len(rw.w.Body))
	if rw.isHead {
		pending = rw.written
	}
	switch {
	case !rw.headOut && pending >= chunkingThreshold:
		rw.commitHead()
		return rw.w.Flush()
	case rw.headOut && len(rw.w.Body) >= flushPiece:
		return rw.w.Flush()
	}
	return nil
}

// commitHead settles what the head says before its first byte goes out:
// a sniffed Content-Type, and for HEAD the length the handler's writes
// came to.
func (rw *responseWriter) commitHead() {
	rw.headOut = true
	if !rw.haveType && bodyAllowed(rw.status) && rw.w.Header.Get("Transfer-Encoding") == "" && len(rw.w.Body) > 0 {
		rw.w.Header.Set("Content-Type", http.DetectContentType(rw.w.Body[:min(len(rw.w.Body), sniffLen)]))
	}
}

// Flush sends the head and what was written so far (http.Flusher).
func (rw *responseWriter) Flush() { _ = rw.FlushError() }

// FlushError is Flush that reports a client gone (http.ResponseController
// calls it). An OnLoop answer cannot go out before its handler returns:
// there it does nothing.
func (rw *responseWriter) FlushError() error {
	if rw.finished.Load() {
		return errFinished
	}
	if rw.hijacked {
		return http.ErrHijacked
	}
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	rw.flushed = true
	if rw.onLoop {
		return nil
	}
	if !rw.headOut {
		rw.commitHead()
	}
	return rw.w.Flush()
}

// ReadFrom sends src as the body; a file goes out with sendfile(2) once
// the head is out, as net/http's does.
func (rw *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	if rw.finished.Load() {
		return 0, errFinished
	}
	if rw.onLoop || rw.hijacked || rw.isHead {
		return io.Copy(writerOnly{rw}, src)
	}
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	if !bodyAllowed(rw.status) {
		return io.Copy(writerOnly{rw}, src)
	}
	var total int64
	if !rw.headOut && !rw.haveType {
		// The type is sniffed from the first bytes, so they go through
		// Write; the rest can then go straight from the file.
		var buf [sniffLen]byte
		n, err := io.ReadFull(src, buf[:])
		if n > 0 {
			if _, werr := rw.Write(buf[:n]); werr != nil {
				return int64(n), werr
			}
		}
		total += int64(n)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
	if !rw.headOut {
		rw.commitHead()
	}
	if rest := rw.declared - rw.written; rw.declared >= 0 {
		// Never past the length, as net/http; io.CopyN's reader (what
		// http.ServeContent passes) stays as it is, so a file under it
		// still goes out with sendfile.
		if lr, ok := src.(*io.LimitedReader); !ok || lr.N > rest {
			src = io.LimitReader(src, rest)
		}
	}
	n, err := rw.w.ReadFrom(src)
	rw.written += n
	return total + n, err
}

// writerOnly hides ReadFrom, so io.Copy uses Write.
type writerOnly struct{ io.Writer }

// Hijack hands over the connection (http.Hijacker), for
// gorilla/websocket's Upgrader and protocols of your own after a 101 the
// handler writes itself. The net.Conn stays on the loop; its Read and
// Write wait, as a socket's do. Not for OnLoop handlers (ErrOnLoop).
func (rw *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if rw.onLoop {
		return nil, nil, ErrOnLoop
	}
	if rw.finished.Load() {
		return nil, nil, errFinished
	}
	if rw.hijacked {
		return nil, nil, http.ErrHijacked
	}
	if rw.headOut {
		return nil, nil, phttp.ErrCannotHijack
	}
	conn, err := rw.w.Hijack()
	if err != nil {
		return nil, nil, err
	}
	rw.hijacked = true
	return conn, bufio.NewReadWriter(bufio.NewReader(conn), bufio.NewWriter(conn)), nil
}

// SetReadDeadline bounds how long a read of the request body waits
// (http.ResponseController).
func (rw *responseWriter) SetReadDeadline(t time.Time) error {
	if d, ok := rw.body.(interface{ SetReadDeadline(time.Time) error }); ok {
		return d.SetReadDeadline(t)
	}
	return nil // a body held whole never waits
}

// SetWriteDeadline bounds how long a write waits for the client to take
// the answer; past it the answer is aborted (http.ResponseController).
func (rw *responseWriter) SetWriteDeadline(t time.Time) error {
	if rw.onLoop {
		return ErrOnLoop
	}
	if rw.finished.Load() {
		return errFinished
	}
	return rw.w.SetWriteDeadline(t)
}

// EnableFullDuplex lets the handler read the body while it writes the
// answer (http.ResponseController). The loop always allows it.
func (rw *responseWriter) EnableFullDuplex() error { return nil }

// finish ends the answer once the handler returned: the whole answer with
// a Content-Length if the head never went out, else the rest and the last
// chunk.
func (rw *responseWriter) finish() error {
	if rw.hijacked {
		return nil
	}
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	rw.setTrailer()
	if !rw.headOut {
		rw.commitHead()
		if rw.isHead && rw.declared < 0 && rw.written > 0 {
			rw.w.Header.Set("Content-Length", strconv.FormatInt(rw.written, 10))
		}
	}
	rw.finished.Store(true) // before the client can have the answer
	if rw.onLoop {
		return nil
	}
	return rw.w.Send()
}

// fail answers a handler that panicked: 500 if nothing went out yet (a
// panic with http.ErrAbortHandler is silent and sends nothing), else the
// answer is aborted so that the client cannot take it for whole.
func (rw *responseWriter) fail(p any) {
	if p != http.ErrAbortHandler {
		rw.log.Error("stdhttp: handler panic", "panic", fmt.Sprint(p), "method", rw.req.Method, "path", rw.req.URL.Path, "stack", stack())
	}
	rw.finished.Store(true)
	if rw.hijacked {
		return
	}
	if rw.headOut || p == http.ErrAbortHandler {
		rw.abort()
		return
	}
	rw.w.Status = http.StatusInternalServerError
	rw.w.Header, rw.w.Trailer = rw.w.Header[:0], nil
	rw.w.Header.Set("Content-Type", "text/plain; charset=utf-8")
	rw.w.Body = append(rw.w.Body[:0], "Internal Server Error\n"...)
	if !rw.onLoop {
		_ = rw.w.Send()
	}
}

// abort ends the answer as failed: the connection closes without it.
func (rw *responseWriter) abort() {
	if !rw.onLoop {
		rw.w.Abort()
		return
	}
	// The handler call's own Response: detach it (the bytes are the
	// loop's still) and abort, which closes without an answer.
	rw.w.Detach()
	rw.w.Abort()
}

// bodyAllowed is net/http's bodyAllowedForStatus.
func bodyAllowed(status int) bool {
	switch {
	case status >= 100 && status <= 199, status == 204, status == 304:
		return false
	}
	return true
}
