package phttp

import (
	"io"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http2/hpack"
)

// h2Stream is one HTTP/2 stream: one request and its answer. The loop owns
// it, but for out and the fields marked as guarded by out.mu, which the
// goroutine a detached answer was handed to fills (h2send.go).
type h2Stream struct {
	id uint32
	rs *reqState

	sendWindow  int64         // what the client lets us send on it
	recvWindow  int64         // what it may still send us
	recvUnacked int64         // received, not yet given back with WINDOW_UPDATE
	pipeCredit  int64         // BodyReader bytes already given back
	pipeIn      int64         // bytes written to the BodyReader
	declared    int64         // the request's content-length, or -1
	received    int64         // body bytes so far
	remoteDone  bool          // the client's END_STREAM came
	localDone   bool          // our END_STREAM or RST_STREAM went
	gone        bool          // no longer in the connection's table
	sending     bool          // on h2Conn.sending
	heldSince   time.Duration // when the windows began to hold its data back (0: they do not)

	// out holds the answer's data not yet framed, with the credit a
	// detached sender takes for it (h2StreamBuffer); its mu also guards
	// head, end, trailer, abort and marked.
	out     sendQueue
	head    *h2Head
	end     bool   // the answer ends after out's items
	trailer Header // with these fields, in a HEADERS frame (h2Trailer)
	abort   bool   // the answer failed: RST_STREAM instead of its end
	marked  bool   // on h2Conn.ready
}

// h2Head is an answer's status and fields, kept until the loop encodes
// them: HPACK's state is the connection's, so only the loop encodes.
type h2Head struct {
	status int
	fields Header
	length int64  // content-length to send, or -1 for none
	date   string // the Date value, or "" for the loop's
}

// h2HeaderBlock handles a complete header block: a new stream's request,
// or trailers ending a body. The block is always decoded, even for a
// stream that is refused, since the decoder's table is the connection's.
func (lp *eventLoop) h2HeaderBlock(c *conn, id uint32, endStream, selfDep bool, block []byte) {
	h := c.h2
	h.fields, h.listLen, h.tooBig = h.fields[:0], 0, false
	if _, err := h.dec.Write(block); err != nil {
		lp.h2Fail(c, h2CompressionError, "header block: "+err.Error())
		return
	}
	if err := h.dec.Close(); err != nil {
		lp.h2Fail(c, h2CompressionError, "header block: "+err.Error())
		return
	}
	if st := h.streams[id]; st != nil {
		lp.h2Trailers(c, st, endStream)
		return
	}
	switch {
	case id <= h.lastStream:
		lp.h2Fail(c, h2StreamClosed, "HEADERS on a closed stream")
		return
	case h.goAway:
		return // after our GOAWAY: ignored (RFC 9113 §6.8)
	}
	h.lastStream = id
	if selfDep {
		lp.h2ResetID(c, id, h2ProtocolError)
		return
	}
	if len(h.streams) >= lp.lim.maxStreams {
		lp.h2ResetID(c, id, h2RefusedStream)
		return
	}
	lp.h2Open(c, id, endStream)
}

// h2Trailers takes a second header block on a stream: trailers, which
// must end it (RFC 9113 §8.1) and carry no pseudo-fields.
func (lp *eventLoop) h2Trailers(c *conn, st *h2Stream, endStream bool) {
	if st.remoteDone {
		lp.h2Reset(c, st, h2StreamClosed)
		return
	}
	if !endStream {
		lp.h2Reset(c, st, h2ProtocolError)
		return
	}
	for _, f := range c.h2.fields {
		if strings.HasPrefix(f.Name, ":") || !validH2Field(f) {
			lp.h2Reset(c, st, h2ProtocolError)
			return
		}
	}
	lp.h2Body(c, st, nil, true)
}

// h2Open starts a stream from its request's decoded fields.
func (lp *eventLoop) h2Open(c *conn, id uint32, endStream bool) {
	h := c.h2
	st := &h2Stream{id: id, sendWindow: h.peerInitWindow, recvWindow: h2StreamWindow, declared: -1}
	st.out.limit = h2StreamBuffer
	rs := lp.getReqState()
	st.rs = rs
	h.streams[id] = st
	lp.idleTimers.disarm(c)
	r := &rs.req
	r.Type, r.ConnID, r.Server, r.RemoteAddr, r.LocalAddr, r.life, r.rs = HTTP, c.id, lp.srv, c.remote, c.local, &rs.life, rs
	r.TLS = c.tlsState()
	r.Proto = "HTTP/2.0"
	r.Chunked, r.Body, r.BodyDone = false, nil, false
	ok := lp.h2Request(rs, h.fields)
	rs.resp.reset(lp, c, rs)
	rs.resp.h2 = st
	rs.handler = lp.srv.currentHandler()
	if !ok {
		lp.h2Reset(c, st, h2ProtocolError)
		return
	}
	st.declared = r.ContentLength
	if endStream {
		st.remoteDone = true
		if r.ContentLength > 0 {
			lp.h2Reset(c, st, h2ProtocolError) // a length the body did not have
			return
		}
		r.ContentLength = 0
	} else if r.ContentLength < 0 {
		r.ContentLength = -1
	}
	rs.bodyMax = lp.lim.maxBody
	if status, reason := lp.h2Check(c, rs, h.tooBig); status != 0 {
		lp.h2Refuse(c, st, status, reason)
		return
	}
	if endStream {
		rs.bodyDone, r.BodyDone = true, true
		lp.h2Dispatch(c, st)
		lp.h2Progress(c, st)
		return
	}
	rs.stream = lp.streamed(r)
	if rs.stream {
		lp.h2Dispatch(c, st)
		if st.gone || c.closing() {
			return
		}
	}
	if !rs.handled && headerHasToken(r.Header, "Expect", "100-continue") {
		lp.h2Continue(c, st)
	}
	lp.h2Progress(c, st)
	lp.h2Timers(c)
}

// h2Check is what the loop checks of every request before the handler
// sees it: the target, the Host allow-list (from :authority), the header
// list and body limits. It returns the refusal's status, or 0.
func (lp *eventLoop) h2Check(c *conn, rs *reqState, tooBig bool) (int, string) {
	r := &rs.req
	if tooBig {
		return 431, "header list too large"
	}
	if status, reason := splitTarget(r); status != 0 {
		return status, reason
	}
	if !lp.hostAllowed(r.Host, r.Host != "") {
		return 421, "host not allowed: " + r.Host
	}
	if r.ContentLength > lp.lim.maxBody {
		return 413, errBodyTooLarge.Error()
	}
	return 0, ""
}

// h2Request fills rs's Request from a decoded header block, checking it as
// RFC 9113 §8.2 and §8.3 ask; false means the request is malformed.
func (lp *eventLoop) h2Request(rs *reqState, fields []hpack.HeaderField) bool {
	r := &rs.req
	r.Method, r.URI, r.Host = "", "", ""
	r.ContentLength = -1
	var seen [4]bool
	regular := false
	out := rs.fields[:0]
	cookie := -1
	ok := true
	for _, f := range fields {
		if strings.HasPrefix(f.Name, ":") {
			var i int
			switch f.Name {
			case ":method":
				i, r.Method = 0, f.Value
			case ":scheme":
				i = 1
			case ":authority":
				i, r.Host = 2, f.Value
			case ":path":
				i, r.URI = 3, f.Value
			default:
				ok = false
				continue
			}
			if regular || seen[i] {
				ok = false
			}
			seen[i] = true
			continue
		}
		regular = true
		if !validH2Field(f) {
			ok = false
			continue
		}
		switch f.Name {
		case "connection", "proxy-connection", "keep-alive", "transfer-encoding", "upgrade":
			ok = false
			continue
		case "te":
			if f.Value != "trailers" {
				ok = false
			}
		case "host":
			if r.Host == "" {
				r.Host = f.Value
			}
		case "content-length":
			n, err := strconv.ParseInt(f.Value, 10, 64)
			if err != nil || n < 0 || !validLength(f.Value) || r.ContentLength >= 0 && r.ContentLength != n {
				ok = false
			}
			r.ContentLength = n
		case "cookie":
			// A client may split cookies into fields of their own (RFC
			// 9113 §8.2.3); handlers expect the one field of HTTP/1.1.
			if cookie >= 0 {
				out[cookie].Value += "; " + f.Value
				continue
			}
			cookie = len(out)
		}
		out = append(out, HeaderField{Name: f.Name, Value: f.Value})
	}
	rs.fields = out
	r.Header = out
	if r.Method == "CONNECT" {
		r.URI = r.Host
		return ok && seen[2] && !seen[1] && !seen[3]
	}
	return ok && seen[0] && seen[1] && seen[3] && r.URI != ""
}

// validH2Field reports whether a field may stand in an HTTP/2 request: a
// lowercase token for a name (RFC 9113 §8.2.1), and a value without NUL,
// CR or LF.
func validH2Field(f hpack.HeaderField) bool {
	if f.Name == "" {
		return false
	}
	for i := 0; i < len(f.Name); i++ {
		b := f.Name[i]
		if !tokenByte[b] || 'A' <= b && b <= 'Z' {
			return false
		}
	}
	for i := 0; i < len(f.Value); i++ {
		if b := f.Value[i]; b == 0 || b == '\r' || b == '\n' {
			return false
		}
	}
	return true
}

// h2Dispatch calls the handler for st's request; like dispatch, it sends
// the answer unless the handler detached it or (streaming, before the last
// piece) wrote nothing.
func (lp *eventLoop) h2Dispatch(c *conn, st *h2Stream) {
	rs := st.rs
	w := &rs.resp
	if !rs.counted {
		rs.counted = true
		lp.srv.counters.requests.Add(1)
	}
	lp.callHandler(w, &rs.req)
	if c.closed() || st.gone {
		return
	}
	if w.detached {
		rs.handled = true
		return
	}
	if rs.stream && !rs.req.BodyDone && !w.answered() {
		return
	}
	rs.handled = true
	lp.h2Answer(c, st)
}

// h2Refuse answers st's request from the loop, with a short plain-text
// status, as refuse does on HTTP/1.1, but only this stream ends.
func (lp *eventLoop) h2Refuse(c *conn, st *h2Stream, status int, reason string) {
	lp.srv.counters.refused.Add(1)
	lp.srv.logger().Debug("phttp: refused HTTP/2 request", "status", status, "reason", reason, "remote", c.remote.String(), "conn", uint64(c.id), "stream", st.id)
	rs := st.rs
	rs.handled = true
	w := &rs.resp
	w.Status = status
	w.Header = w.Header[:0]
	w.Header.Set("Content-Type", "text/plain; charset=utf-8")
	w.Body = append(append(append(w.Body[:0], statusText(status)...), ": "...), reason...)
	w.Body = append(w.Body, '\n')
	lp.h2Answer(c, st)
}

// h2Body takes a piece of st's body (or, with end, its end): buffered,
// streamed to the handler, written to its BodyReader, or dropped once the
// answer no longer wants it. MaxBodyBytes bounds it as on HTTP/1.1.
func (lp *eventLoop) h2Body(c *conn, st *h2Stream, piece []byte, end bool) {
	rs := st.rs
	st.received += int64(len(piece))
	if st.declared >= 0 && (st.received > st.declared || end && st.received != st.declared) {
		lp.h2Reset(c, st, h2ProtocolError) // content-length and DATA disagree (RFC 9113 §8.1.1)
		return
	}
	rs.bodyMax -= int64(len(piece))
	if rs.bodyMax < 0 {
		if rs.pipe != nil {
			rs.pipe.end(errBodyLimit(lp.lim.maxBody))
		}
		if !rs.handled {
			lp.h2Refuse(c, st, 413, errBodyTooLarge.Error())
			lp.h2Progress(c, st)
			return
		}
		lp.h2Reset(c, st, h2Cancel)
		return
	}
	switch {
	case rs.pipe != nil:
		rs.pipe.write(piece)
	case rs.handled:
	case rs.stream:
		if len(piece) > 0 || end {
			rs.req.Body, rs.req.BodyDone = piece, end
			lp.h2Dispatch(c, st)
			if st.gone || c.closing() {
				return
			}
		}
	default:
		lp.gatherPiece(rs, piece, end)
	}
	if end {
		st.remoteDone = true
		rs.bodyDone = true
		if rs.pipe != nil {
			rs.pipe.end(io.EOF)
		}
		if !rs.handled && (!rs.stream || rs.pipe != nil) {
			if rs.pipe != nil {
				rs.req.Body = nil
			}
			rs.req.BodyDone = true
			lp.h2Dispatch(c, st)
			if st.gone || c.closing() {
				return
			}
		}
	}
	lp.h2Progress(c, st)
}

// h2Progress ends st once both sides are done: its END_STREAM went and
// the client's came. An answer complete before its body tells the client
// to stop sending (RST_STREAM NO_ERROR, RFC 9113 §8.1), unless a
// BodyReader still wants the body.
func (lp *eventLoop) h2Progress(c *conn, st *h2Stream) {
	if st.gone || !st.localDone {
		return
	}
	if !st.remoteDone {
		if p := st.rs.pipe; p != nil && p.wanted() {
			return
		}
		lp.queueRST(c, st.id, h2NoError)
	}
	lp.closeStream(c, st, ErrAnswerSent)
}

// h2Reset ends st with a stream error: RST_STREAM with code, and the
// stream's request and answer are dropped (its context ends with
// ErrClosed, its sends fail with ErrClosed).
func (lp *eventLoop) h2Reset(c *conn, st *h2Stream, code h2Code) {
	if st.gone {
		return
	}
	lp.srv.logger().Debug("phttp: HTTP/2 stream error", "code", code.String(), "stream", st.id, "remote", c.remote.String(), "conn", uint64(c.id))
	lp.queueRST(c, st.id, code)
	lp.closeStream(c, st, ErrClosed)
}

// h2ResetID is h2Reset for a stream that never opened.
func (lp *eventLoop) h2ResetID(c *conn, id uint32, code h2Code) {
	lp.srv.logger().Debug("phttp: HTTP/2 stream refused", "code", code.String(), "stream", id, "remote", c.remote.String(), "conn", uint64(c.id))
	lp.queueRST(c, id, code)
}

func (lp *eventLoop) queueRST(c *conn, id uint32, code h2Code) {
	p := appendH2Header(lp.scratch[:0], 4, h2RSTStream, 0, id)
	p = appendUint32(p, uint32(code))
	lp.scratch = p
	lp.queueLoop(c, p)
}

// closeStream removes st from its connection, then closes the connection
// if it was waiting for its streams to end.
func (lp *eventLoop) closeStream(c *conn, st *h2Stream, cause error) {
	lp.dropStream(c, st, cause)
	lp.h2CloseIfDone(c)
}

// dropStream removes st: its context ends with cause, its BodyReader and
// detached sender get ErrClosed, and its state goes back to the pool
// unless a detached answer still holds it.
func (lp *eventLoop) dropStream(c *conn, st *h2Stream, cause error) {
	if st.gone {
		return
	}
	st.gone = true
	h := c.h2
	delete(h.streams, st.id)
	// The sends close before the context ends, so that a goroutine woken
	// by the context finds them closed.
	q := &st.out
	q.close()
	q.mu.Lock()
	for i := range q.items {
		lp.releaseItem(&q.items[i], ErrClosed)
	}
	q.items, q.queued, st.head = nil, 0, nil
	q.mu.Unlock()
	rs := st.rs
	rs.life.end(cause)
	if rs.pipe != nil {
		rs.pipe.end(cause)
	}
	lp.putReqState(rs)
}
