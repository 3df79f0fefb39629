package phttp

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Response is the handler's answer. Until the handler returns, only the
// handler uses it; after Detach, only the goroutine it is handed to (it is
// not safe for use by several goroutines at once). Without Detach, the loop
// sends it when the handler returns: Status (0 means 200; otherwise it
// must be 200–599, or the loop answers 500), Header, and Body with a
// Content-Length the loop computes.
//
// Each HTTP request has a Response of its own, and each WebSocket
// connection has one that all its events share, so a Response kept after
// its handler call reaches its own connection or fails with ErrClosed;
// never another connection.
type Response struct {
	Status int
	Header Header
	Body   []byte
	// Trailer holds fields sent after the body: in the last chunk on
	// HTTP/1.1, in a HEADERS frame that ends the stream on HTTP/2. A
	// non-nil Trailer, even an empty one, has an HTTP/1.1 answer go out
	// chunked rather than with a Content-Length, as net/http does for a
	// handler that declares trailers. Fill it until the answer ends (the
	// handler's return, or Send), from the goroutine that owns w. It is
	// dropped where it has no place: HTTP/1.0, HEAD, 204 and 304 answers,
	// and an answer the handler gave a Content-Length.
	// Fields a recipient needs before the body (Content-Length,
	// Content-Type, Host, Authorization and the others RFC 9110 §6.5.1
	// names) are never sent as trailers. Announcing them in a "Trailer"
	// header is the handler's choice, as in net/http.
	Trailer Header

	lp *eventLoop
	c  *conn
	r  *Request
	rs *reqState // the HTTP request's state; nil for WebSocket events

	// inCall is set by the loop while the handler call that got this
	// Response runs: WebSocket and raw replies made through it then are
	// the loop's own (no credit, never waiting). Other goroutines read it.
	inCall atomic.Bool

	isHead    bool  // HEAD: no body goes out
	http10    bool  // the request was HTTP/1.0: no chunked coding
	keepAlive bool  // the connection may outlive this answer
	detached  bool  // Detach was called
	wroteHead bool  // status and headers are queued (detached streaming)
	done      bool  // the answer is finished
	chunked   bool  // the body goes out chunked (detached, or for its trailers)
	closeConn bool  // the connection closes after this answer
	upgraded  bool  // AcceptWebSocket or AcceptUpgrade answered 101
	raw       bool  // ... AcceptUpgrade: the connection carries the handler's protocol
	panicked  bool  // the handler panicked
	declared  int64 // Content-Length the handler set on a detached answer, or -1
	sent      int64 // body bytes queued on a detached answer
	// hijacked is the net.Conn Hijack returned: the connection leaves
	// HTTP without an answer once this request is done.
	hijacked *hijackConn
	// h2 is the HTTP/2 stream this answer goes out on; nil on HTTP/1.
	h2      *h2Stream
	writeDL *deadline // SetWriteDeadline's, once called
	// released: the bridge that owned this detached answer will never
	// touch it again (internal/handoff), so the loop may pool its state.
	released atomic.Bool
	// greeting holds WebSocket frames sent through w after
	// AcceptWebSocket, before the 101 went out: they follow it.
	greeting []byte
}

// reset makes w the fresh Response of the request in rs. Only the loop
// calls it, on a Response no other goroutine holds: a pooled reqState's
// (a detached one is never pooled).
func (w *Response) reset(lp *eventLoop, c *conn, rs *reqState) {
	w.Status, w.Header, w.Body, w.Trailer = 0, w.Header[:0], w.Body[:0], nil
	w.lp, w.c, w.r, w.rs = lp, c, &rs.req, rs
	w.isHead = rs.req.Method == "HEAD"
	w.http10 = rs.req.Proto == "HTTP/1.0"
	w.keepAlive = c.keepAlive
	w.detached, w.wroteHead, w.done, w.chunked, w.closeConn, w.upgraded, w.raw, w.panicked = false, false, false, false, false, false, false, false
	w.declared, w.sent, w.greeting, w.hijacked, w.writeDL = -1, 0, w.greeting[:0], nil, nil
	w.released.Store(false)
	w.h2 = nil
}

// Write appends p to Body; it never fails. It implements io.Writer. Call it
// from the goroutine that owns w: the handler, or after Detach the
// goroutine it was handed to.
func (w *Response) Write(p []byte) (int, error) {
	w.Body = append(w.Body, p...)
	return len(p), nil
}

// WriteString appends s to Body; it never fails. Like Write, only from the
// goroutine that owns w.
func (w *Response) WriteString(s string) (int, error) {
	w.Body = append(w.Body, s...)
	return len(s), nil
}

// SetHeader sets a response header, replacing fields of the same name.
// Only from the goroutine that owns w, and before the head is sent (the
// first Flush, or Send).
func (w *Response) SetHeader(name, value string) { w.Header.Set(name, value) }

// Detach tells the loop that the handler returns without answering: the
// Response and the Request (Body, Header and every string included) now
// belong to whoever finishes it, from any goroutine, with Flush and Send,
// and stay valid from this call on. Later requests on the connection wait
// until Send, so answers never leave out of order. Detach applies to HTTP
// requests; on a WebSocket event it does nothing. Call it from the
// handler, on the loop goroutine.
func (w *Response) Detach() {
	if w.rs == nil || w.detached || w.hijacked != nil {
		return
	}
	w.detached = true
	// The body may still be a slice of the loop's read buffer, which the
	// next read overwrites: a goroutine started right after Detach must
	// find its own bytes there. A body gathered across reads is already
	// the request's own, and a detached request's state is never reused.
	r := w.r
	if len(r.Body) > 0 && (len(w.rs.body) == 0 || &r.Body[0] != &w.rs.body[0]) {
		r.Body = bytes.Clone(r.Body)
	}
}

// answered reports whether a streaming handler call answered: set a
// status, wrote body bytes, accepted a WebSocket or detached.
func (w *Response) answered() bool {
	return w.detached || w.Status != 0 || len(w.Body) > 0 || w.upgraded
}

func (w *Response) status() int {
	if w.Status == 0 {
		return 200
	}
	return w.Status
}

// checkStatus enforces the rule for a final status: 200–599, or 101 from
// an accept call. Anything else (a 1xx is not a final answer, and a 101
// the loop did not agree to would have the client speak a protocol the
// connection does not) becomes a 500, logged once.
func (w *Response) checkStatus() {
	s := w.status()
	if w.upgraded && s != 101 {
		w.upgraded = false // the handler overrode its accept with another answer
	}
	if s >= 200 && s <= 599 || w.upgraded {
		return
	}
	w.lp.srv.logger().Error("phttp: handler set an invalid final status; answering 500", "status", s, "method", w.r.Method, "path", w.r.Path, "conn", uint64(w.r.ConnID))
	w.internalError()
}

// appendGreeting appends the frames sent before the 101, if it is one.
func (w *Response) appendGreeting(dst []byte) []byte {
	if w.upgraded {
		dst = append(dst, w.greeting...)
	}
	w.greeting = w.greeting[:0]
	return dst
}

// internalError replaces the answer with a plain 500.
func (w *Response) internalError() {
	w.Status, w.Body, w.upgraded = 500, append(w.Body[:0], "Internal Server Error"...), false
	w.Header = w.Header[:0]
	w.Header.Set("Content-Type", "text/plain; charset=utf-8")
}

// bodyAllowed: HEAD, 1xx, 204 and 304 answers carry no body.
func (w *Response) bodyAllowed() bool {
	s := w.status()
	return !w.isHead && s >= 200 && s != 204 && s != 304
}

// lengthAllowed: 1xx and 204 answers carry no Content-Length.
func (w *Response) lengthAllowed() bool {
	s := w.status()
	return s >= 200 && s != 204 && s != 304
}

// appendWhole appends the head of a complete answer: status line, Date,
// the handler's headers, Content-Length and Connection.
func (w *Response) appendWhole(dst, date []byte) []byte {
	dst = w.appendCommon(dst, date)
	if w.trailerChunked() {
		w.chunked = true
		dst = append(dst, "Transfer-Encoding: chunked\r\n"...)
		return w.appendConnection(dst)
	}
	if w.lengthAllowed() {
		userLen := w.Header.Get("Content-Length")
		switch {
		case w.isHead && userLen != "" && validLength(userLen):
			dst = appendField(dst, "Content-Length", userLen)
		case w.isHead && len(w.Body) == 0:
			// A handler that skipped the body for HEAD cannot be told from
			// one whose GET is empty: no length beats a wrong 0 (net/http
			// does the same).
		default:
			dst = append(dst, "Content-Length: "...)
			dst = strconv.AppendInt(dst, int64(len(w.Body)), 10)
			dst = append(dst, "\r\n"...)
		}
	}
	return w.appendConnection(dst)
}

// appendWholeBody appends the body of an answer whose head appendWhole
// appended: as it is, or as one chunk and the last one with the trailers.
func (w *Response) appendWholeBody(dst, body []byte) []byte {
	if !w.chunked {
		return append(dst, body...)
	}
	if len(body) > 0 {
		dst = appendChunkHead(dst, len(body))
		dst = append(dst, body...)
		dst = append(dst, "\r\n"...)
	}
	return w.appendLastChunk(dst)
}

// appendChunkHead appends a chunk's size line.
func appendChunkHead(dst []byte, n int) []byte {
	dst = strconv.AppendInt(dst, int64(n), 16)
	return append(dst, "\r\n"...)
}

// appendCommon appends the status line, Date and the handler's headers,
// leaving out the framing fields the server owns.
func (w *Response) appendCommon(dst, date []byte) []byte {
	dst = appendStatusLine(dst, w.status())
	dst = append(dst, "Date: "...)
	dst = append(dst, date...)
	dst = append(dst, "\r\n"...)
	for _, f := range w.Header {
		switch {
		case equalFold(f.Name, "Content-Length"), equalFold(f.Name, "Transfer-Encoding"), equalFold(f.Name, "Date"):
			continue
		case equalFold(f.Name, "Connection") && !w.upgraded:
			if valueHasToken(f.Value, "close") {
				w.closeConn = true
			}
			continue
		}
		dst = appendField(dst, f.Name, f.Value)
	}
	return dst
}

func (w *Response) appendConnection(dst []byte) []byte {
	switch {
	case w.upgraded:
	case w.closeConn || !w.keepAlive || w.lp.srv.draining.Load():
		w.closeConn = true
		dst = append(dst, "Connection: close\r\n"...)
	case w.http10:
		dst = append(dst, "Connection: keep-alive\r\n"...)
	}
	return append(dst, "\r\n"...)
}

// appendField appends "name: value\r\n", dropping a field whose name is
// not a token and blanking control bytes in the value, so that nothing a
// handler sets can split the response.
func appendField(dst []byte, name, value string) []byte {
	if name == "" {
		return dst
	}
	for i := 0; i < len(name); i++ {
		if !tokenByte[name[i]] {
			return dst
		}
	}
	dst = append(dst, name...)
	dst = append(dst, ": "...)
	start := len(dst)
	dst = append(dst, value...)
	for i := start; i < len(dst); i++ {
		if unsafeValueByte[dst[i]] {
			dst[i] = ' '
		}
	}
	return append(dst, "\r\n"...)
}

// tokenByte marks the bytes of an RFC 9110 token; unsafeValueByte the
// control bytes a field value must not carry (all but HTAB, and DEL).
var tokenByte, unsafeValueByte = func() (tok, unsafe [256]bool) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		tok[c] = 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' ||
			b != 0 && strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0
		unsafe[c] = b < ' ' && b != '\t' || b == 0x7f
	}
	return
}()

func validLength(s string) bool {
	if s == "" || len(s) > 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Flush sends what the detached answer has so far: status and headers the
// first time, then Body as one chunk (chunked on HTTP/1.1 when the handler
// set no Content-Length; raw when it did, or on HTTP/1.0), and empties
// Body. Call it from the goroutine the detached Response was handed to: it
// waits while the connection's queue is full, and the loop empties the
// queue only when no handler runs, so the handler itself may flush only
// what fits in SendQueueBytes before it returns. It returns ErrClosed once
// the client is gone.
func (w *Response) Flush() error {
	if err := w.checkDetached(); err != nil {
		return err
	}
	if w.h2 != nil {
		return w.h2Flush(false)
	}
	out := w.appendStreamHead(w.answerBuf(w.pieceSize()))
	out, over := w.appendBodyPiece(out)
	if over {
		w.done = true
	}
	if err := w.queue(out); err != nil {
		return err
	}
	if over {
		w.finishAnswer(true)
		return ErrContentLength
	}
	return nil
}

// Send finishes the detached answer: the whole response if nothing was
// flushed (with a Content-Length computed from Body), else the rest of
// Body and the last chunk. On an upgrade request after AcceptWebSocket it
// sends the 101 and the connection becomes a WebSocket. Later requests on
// the connection go on after it. Safe from any goroutine that owns the
// Response; it waits like Flush. It returns ErrContentLength (and closes
// the connection) when the body did not match a Content-Length the handler
// set.
func (w *Response) Send() error {
	if err := w.checkDetached(); err != nil {
		return err
	}
	if w.h2 != nil {
		return w.h2Flush(true)
	}
	out := w.answerBuf(w.pieceSize())
	if !w.wroteHead && w.declared < 0 && w.Header.Get("Content-Length") == "" {
		w.checkStatus()
		var date [29]byte
		out = w.appendWhole(out, sharedDate(&date))
		if w.bodyAllowed() {
			out = w.appendWholeBody(out, w.Body)
		}
		out = w.appendGreeting(out)
		w.wroteHead = true
		w.Body = w.Body[:0]
	} else {
		var over bool
		out = w.appendStreamHead(out)
		out, over = w.appendBodyPiece(out)
		if w.chunked {
			out = w.appendLastChunk(out)
		}
		if over {
			w.sent = w.declared + 1 // mark the mismatch; what went out stops at the declared length
		}
	}
	mismatch := w.declared >= 0 && w.sent != w.declared && w.bodyAllowed()
	w.done = true
	if err := w.queue(out); err != nil {
		return err
	}
	w.finishAnswer(mismatch || w.closeConn)
	if mismatch {
		return ErrContentLength
	}
	return nil
}

// answerBuf is a buffer for n bytes of a detached answer: one of the
// loop's pooled chunks when it fits (most answers: no allocation), else
// one from the shared pool.
func (w *Response) answerBuf(n int) []byte {
	if n <= outChunk {
		return w.lp.getOut(n)
	}
	return getSharedBuf(n)
}

// pieceSize estimates the bytes the next Flush or Send queues: Body, its
// chunk framing and, the first time, the head.
func (w *Response) pieceSize() int {
	n := len(w.Body) + 32
	for _, f := range w.Trailer {
		n += len(f.Name) + len(f.Value) + 4
	}
	if !w.wroteHead {
		n += 256
		for _, f := range w.Header {
			n += len(f.Name) + len(f.Value) + 4
		}
	}
	return n
}

func (w *Response) checkDetached() error {
	switch {
	case w.lp == nil || !w.detached:
		return ErrNotDetached
	case w.done:
		return ErrResponseSent
	}
	return nil
}

// appendStreamHead appends the head of a streamed answer the first time.
func (w *Response) appendStreamHead(dst []byte) []byte {
	if w.wroteHead {
		return dst
	}
	w.wroteHead = true
	w.checkStatus()
	var date [29]byte
	dst = w.appendCommon(dst, sharedDate(&date))
	if v := w.Header.Get("Content-Length"); v != "" && validLength(v) {
		w.declared, _ = strconv.ParseInt(v, 10, 64)
	}
	switch {
	case w.upgraded || !w.lengthAllowed():
	case w.declared >= 0:
		dst = appendField(dst, "Content-Length", strconv.FormatInt(w.declared, 10))
	case w.http10 || w.isHead:
		if !w.isHead {
			w.closeConn = true // an HTTP/1.0 body without length ends at close
		}
	default:
		w.chunked = true
		dst = append(dst, "Transfer-Encoding: chunked\r\n"...)
	}
	return w.appendGreeting(w.appendConnection(dst))
}

// appendBodyPiece appends Body in the answer's framing and empties it. It
// never sends past a declared Content-Length: over reports that Body went
// beyond it (what fits was appended; the rest is dropped).
func (w *Response) appendBodyPiece(dst []byte) (out []byte, over bool) {
	body := w.Body
	w.Body = w.Body[:0]
	if len(body) == 0 || !w.bodyAllowed() {
		return dst, false
	}
	if w.declared >= 0 && w.sent+int64(len(body)) > w.declared {
		body = body[:w.declared-w.sent]
		over = true
	}
	w.sent += int64(len(body))
	if w.chunked {
		dst = appendChunkHead(dst, len(body))
		dst = append(dst, body...)
		dst = append(dst, "\r\n"...)
	} else {
		dst = append(dst, body...)
	}
	return dst, over
}

// queue puts bytes of a detached answer on the connection's queue, with
// credit, waiting while the queue is full. A detached answer belongs to
// whoever it was handed to, and that goroutine may already be running
// while the handler call that detached it has not returned: nothing can
// tell its calls from the handler's own, so both take credit.
func (w *Response) queue(out []byte) error {
	if len(out) == 0 {
		return nil
	}
	it := outItem{b: out, pooled: cap(out) == outChunk, shared: cap(out) != outChunk}
	var passed <-chan struct{}
	if w.writeDL != nil {
		passed = w.writeDL.wait()
	}
	var err error
	if it.credit, err = w.c.q.acquireUntil(len(out), true, passed); err != nil {
		w.lp.releaseItem(&it, nil)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			w.Body = w.Body[:0]
			w.end(answerEnd{done: true, close: true}) // it cannot end as framed: the client must not take it for whole
		}
		return err
	}
	return w.lp.queueItem(w.c, it, kindAnswer, 0)
}

// SetWriteDeadline makes a Flush, Send or ReadFrom of the detached answer
// that waits for queue room past t give up with an error wrapping
// os.ErrDeadlineExceeded; the answer is then aborted (see Abort). The zero
// time means no deadline. http.ResponseController uses it through the
// net/http bridge. From the goroutine that owns the detached Response.
func (w *Response) SetWriteDeadline(t time.Time) error {
	if !w.detached {
		return ErrNotDetached
	}
	if w.writeDL == nil {
		w.writeDL = new(deadline)
	}
	w.writeDL.set(t)
	return nil
}

// Abort ends a detached answer as failed, so that the client cannot take
// it for complete: what was already flushed goes out, then the connection
// closes without the answer's end. A chunked body misses its last chunk, a
// body short of its Content-Length stays short, an answer that had not
// started gets no response at all, and a body that would end at close
// (HTTP/1.0 without Content-Length) ends with a reset. Requests pipelined
// behind it are not answered. Later Flush and Send return
// ErrResponseSent. From the goroutine that owns the detached Response; on
// one that is not detached, or already finished, it does nothing.
func (w *Response) Abort() {
	if w.checkDetached() != nil {
		return
	}
	if w.h2 != nil {
		w.h2Abort()
		return
	}
	endsAtClose := w.wroteHead && !w.chunked && w.declared < 0 && w.bodyAllowed() && !w.upgraded
	w.Body = w.Body[:0]
	w.upgraded = false
	w.end(answerEnd{done: true, close: true, reset: endsAtClose})
}

// finishAnswer tells the loop the detached answer is complete.
func (w *Response) finishAnswer(closeAfter bool) {
	w.end(answerEnd{done: true, close: closeAfter, upgrade: w.upgraded, raw: w.raw})
}

// end hands the detached answer's end to the loop through the queue;
// serveQueued records it.
func (w *Response) end(e answerEnd) {
	w.done = true
	q := &w.c.q
	q.mu.Lock()
	q.end = e
	schedule := q.scheduleLocked()
	q.mu.Unlock()
	if schedule {
		w.lp.wakeFor(w.c)
	}
}

// httpDate formats t for a Date header into buf; detached answers use it,
// the loop keeps a per-second copy (dateCache).
func httpDate(buf *[29]byte, t time.Time) []byte {
	return t.UTC().AppendFormat(buf[:0], "Mon, 02 Jan 2006 15:04:05 GMT")
}
