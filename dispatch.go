package phttp

import (
	"fmt"
	"runtime/debug"
)

// startRequest turns a parsed head into the Request, checks what the loop
// checks for every request (target form, Host allow-list, body limit,
// WebSocket origin), and calls the handler or starts reading the body.
func (lp *eventLoop) startRequest(c *conn, rs *reqState, raw []byte) {
	// Every string of the Request is a slice of this copy of the head, so
	// they outlive the read buffer; the arena makes it far less than one
	// allocation per request.
	head := lp.heads.copy(raw)
	c.began = true
	h := &rs.head
	r := &rs.req
	r.Type, r.ConnID, r.Server, r.RemoteAddr, r.LocalAddr, r.life, r.rs = HTTP, c.id, lp.srv, c.remote, c.local, &rs.life, rs
	r.TLS = c.tlsState()
	r.Method = head[h.Method.Start:h.Method.End]
	r.URI = head[h.Target.Start:h.Target.End]
	r.Proto = "HTTP/1.1"
	if h.Minor == 0 {
		r.Proto = "HTTP/1.0"
	}
	fields := rs.fields[:0]
	for _, f := range h.Fields {
		fields = append(fields, HeaderField{Name: head[f.Name.Start:f.Name.End], Value: head[f.Value.Start:f.Value.End]})
	}
	rs.fields = fields
	r.Header = fields
	r.ContentLength = h.ContentLength
	if h.Chunked {
		r.ContentLength = -1
	} else if h.ContentLength < 0 {
		r.ContentLength = 0 // no body framing: no body (RFC 9112 §6.3), as net/http says
	}
	r.Chunked = h.Chunked
	r.BodyDone = false
	r.Body = nil
	r.Host = ""
	if h.HasHost {
		r.Host = head[h.Host.Start:h.Host.End]
	}
	c.keepAlive = !h.Close && (h.Minor >= 1 || h.KeepAlive) && c.keepAlive
	rs.resp.reset(lp, c, rs)
	rs.handler = lp.srv.currentHandler()

	if status, reason := splitTarget(r); status != 0 {
		lp.refuse(c, &requestError{status, reason})
		return
	}
	if !lp.hostAllowed(r.Host, h.HasHost || r.Host != "") {
		lp.refuse(c, &requestError{421, "host not allowed: " + r.Host})
		return
	}
	hasBody := h.ContentLength > 0 || h.Chunked
	if h.ContentLength > lp.lim.maxBody {
		lp.refuse(c, errBodyTooLarge)
		return
	}
	// The parser saw Connection: upgrade; only then is Upgrade worth a
	// look. Every upgrade (WebSocket or the handler's own) passes the
	// origin check: a page must not open a socket to us in its name.
	if h.Upgrade && r.Header.Has("Upgrade") && !lp.originAllowed(r) {
		lp.refuse(c, &requestError{403, "origin not allowed to upgrade"})
		return
	}
	rs.left = h.ContentLength
	if h.Chunked {
		rs.left = -1
	}
	rs.bodyMax = lp.lim.maxBody
	rs.expect100 = h.Expect100 && h.Minor >= 1 && hasBody
	if !hasBody {
		rs.bodyDone = true
		r.BodyDone = true
		lp.dispatch(c, rs)
		lp.afterAnswer(c, rs)
		return
	}
	lp.enter(c, phaseBody)
	lp.bodyTimers.arm(c, lp.now)
	rs.stream = lp.streamed(r)
	if rs.stream {
		lp.dispatch(c, rs)
		if c.closed() || c.rs != rs {
			return
		}
		if rs.handled {
			lp.afterAnswer(c, rs)
			return
		}
	}
	lp.sendContinue(c, rs)
}

// streamed decides whether r's body goes to the handler piece by piece:
// Server.StreamBody when set, else StreamBodies.
func (lp *eventLoop) streamed(r *Request) bool {
	if f := lp.srv.StreamBody; f != nil {
		return f(r)
	}
	return lp.srv.StreamBodies
}

// sendContinue answers Expect: 100-continue once the handler lets the
// body come (it did not answer at the head).
func (lp *eventLoop) sendContinue(c *conn, rs *reqState) {
	if rs.expect100 && !rs.bodyDone {
		lp.queueLoop(c, continue100)
	}
	rs.expect100 = false
}

// dispatch calls the handler for rs's request and sends the answer unless
// the handler detached it or (streaming, before the last piece) wrote
// nothing.
func (lp *eventLoop) dispatch(c *conn, rs *reqState) {
	w := &rs.resp
	if !rs.counted {
		rs.counted = true // a streamed request is one request, however many calls
		lp.srv.counters.requests.Add(1)
	}
	lp.callHandler(w, &rs.req)
	if c.closed() || c.rs != rs {
		return
	}
	if w.detached {
		rs.handled = true
		if rs.expect100 && rs.pipe != nil && !rs.bodyDone && rs.pipe.deferContinue() {
			return // the 100 goes when the BodyReader is first read (serveQueued)
		}
		lp.sendContinue(c, rs)
		return
	}
	if rs.stream && !rs.req.BodyDone && !w.answered() {
		return // "a call before BodyDone that writes nothing sends nothing"
	}
	rs.handled = true
	lp.writeAnswer(c, rs)
}

// callHandler runs the handler with panics recovered: a panic answers 500
// (or, for a WebSocket message, closes 1011), is logged, and the loop goes
// on. While it runs, w knows it is in its handler call (Response.inCall):
// its sends are the loop's own and never wait.
func (lp *eventLoop) callHandler(w *Response, r *Request) {
	w.inCall.Store(true)
	defer w.inCall.Store(false)
	defer func() {
		if p := recover(); p != nil {
			lp.srv.logger().Error("phttp: handler panic", "panic", fmt.Sprint(p), "method", r.Method, "path", r.Path, "conn", uint64(r.ConnID), "stack", string(debug.Stack()))
			w.panicked = true
			if w.detached {
				return // its owner may be another goroutine now: leave it be
			}
			w.internalError()
		}
	}()
	h := lp.srv.currentHandler()
	if r.rs != nil && r.rs.handler != nil {
		h = r.rs.handler // a request finishes with the handler it started with
	}
	if h != nil {
		h(w, r)
	} else if r.Type == HTTP {
		w.Status = 404
	}
}

// callPosted runs a function from Post with the same panic protection.
func (lp *eventLoop) callPosted(f func()) {
	defer func() {
		if p := recover(); p != nil {
			lp.srv.logger().Error("phttp: posted function panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
	}()
	f()
}

// writeAnswer queues the handler's answer for a synchronous response.
func (lp *eventLoop) writeAnswer(c *conn, rs *reqState) {
	w := &rs.resp
	if w.hijacked != nil {
		w.done = true
		lp.answerEnded(rs, answerEnd{done: true, upgrade: true, raw: true})
		return
	}
	w.checkStatus()
	if !c.keepAlive || rs.end.close || lp.shuttingDown || rs.expect100 && !rs.bodyDone {
		w.closeConn = true
	}
	lp.queueAnswer(c, w) // may set closeConn (the handler's own Connection: close)
	w.done = true
	lp.answerEnded(rs, answerEnd{done: true, close: w.closeConn, upgrade: w.upgraded, raw: w.raw})
}

// answerEnded records the end of rs's answer: the one place rs.end is set.
func (lp *eventLoop) answerEnded(rs *reqState, e answerEnd) {
	rs.end.done = true
	rs.end.close = rs.end.close || e.close
	rs.end.upgrade = e.upgrade
	rs.end.raw = e.raw
	rs.end.reset = e.reset
}

// afterAnswer moves a request on once its answer and body are both done.
func (lp *eventLoop) afterAnswer(c *conn, rs *reqState) {
	if c.closing() || c.rs != rs {
		return
	}
	switch {
	case !rs.bodyDone && rs.handled && rs.end.done && (rs.end.close || rs.expect100):
		// The rest of the body is not worth reading; or the client waits
		// for a 100 Continue that never came and may or may not send the
		// body now, so nothing after it could be framed (net/http closes
		// too).
		lp.closeAfterAnswer(c, rs)
	case !rs.bodyDone && rs.handled && rs.pipe == nil:
		lp.enter(c, phaseDiscard)
	case !rs.bodyDone:
		lp.enter(c, phaseBody)
	case !rs.end.done:
		if lp.enter(c, phaseAnswer) {
			lp.updateRead(c)
		}
	default:
		lp.finishRequest(c, rs)
	}
}

// finishRequest ends a request whose answer is queued and whose body was
// read: the connection closes, upgrades, or waits for the next request.
func (lp *eventLoop) finishRequest(c *conn, rs *reqState) {
	c.served++
	rs.life.end(ErrAnswerSent)
	if rs.resp.hijacked != nil && rs.end.upgrade && !rs.end.close {
		lp.upgradeRaw(c, rs) // a hijacked connection is its taker's, keep-alive or not
		return
	}
	if rs.end.close || !c.keepAlive || lp.shuttingDown {
		lp.closeAfterAnswer(c, rs)
		return
	}
	switch {
	case rs.end.upgrade && rs.end.raw:
		lp.upgradeRaw(c, rs)
		return
	case rs.end.upgrade:
		lp.upgrade(c, rs)
		return
	}
	c.rs = nil
	lp.putReqState(rs)
	if !lp.enter(c, phaseHead) {
		return
	}
	if c.peerEOF && len(c.inBuf) == 0 {
		lp.beginClose(c)
		return
	}
	lp.idleTimers.arm(c, lp.now)
	lp.updateRead(c)
}

// closeAfterAnswer closes c once its answer is queued: gracefully, or
// with a reset for an aborted answer whose body would end at close.
func (lp *eventLoop) closeAfterAnswer(c *conn, rs *reqState) {
	if rs.end.reset {
		lp.resetConn(c)
		return
	}
	lp.beginClose(c)
}

func (lp *eventLoop) getReqState() *reqState {
	var rs *reqState
	if k := len(lp.rsPool); k > 0 {
		rs = lp.rsPool[k-1]
		lp.rsPool[k-1] = nil
		lp.rsPool = lp.rsPool[:k-1]
	} else {
		rs = new(reqState)
	}
	rs.parser.MaxHeaderBytes = lp.lim.maxHeader
	rs.parser.Reset(&rs.head)
	rs.chunks.MaxTrailerBytes = lp.lim.maxHeader
	rs.chunks.Reset()
	return rs
}

// putReqState returns rs to the pool unless a detached answer still owns it.
// It resets only what startRequest does not set afresh: clearing the whole
// state (with the garbage collector's barriers on its pointers) cost more
// than parsing the next request.
func (lp *eventLoop) putReqState(rs *reqState) {
	if rs.resp.detached && !rs.resp.released.Load() || len(lp.rsPool) >= maxPool {
		return
	}
	rs.body = rs.body[:0]
	if cap(rs.body) > 64<<10 {
		rs.body = nil
	}
	if cap(rs.resp.Body) > 64<<10 {
		rs.resp.Body = nil
	}
	rs.req.Body = nil
	rs.life.reset()
	rs.bodyDone, rs.handled, rs.expect100, rs.end, rs.counted = false, false, false, answerEnd{}, false
	rs.stream, rs.pipe = false, nil
	lp.rsPool = append(lp.rsPool, rs)
}

// releaseReqState drops the request in progress of a closing connection,
// ending its Context first.
func (lp *eventLoop) releaseReqState(c *conn) {
	if c.rs != nil {
		cause := lp.closeCause()
		c.rs.life.end(cause)
		if c.rs.pipe != nil {
			c.rs.pipe.end(cause)
		}
		lp.putReqState(c.rs)
		c.rs = nil
	}
}
