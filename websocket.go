package phttp

import (
	"errors"

	"github.com/gobwas/httphead"
	gws "github.com/gobwas/ws"
	"github.com/phttp-go/phttp/sha1"
	pws "github.com/phttp-go/phttp/ws"
)

// AcceptWebSocket answers an upgrade request with 101 Switching Protocols,
// choosing protocol (one the client offered in Sec-WebSocket-Protocol, or
// "" for none). A bad handshake is answered instead: 400 for a missing
// upgrade token or a bad key, 405 for a method other than GET, 426 with
// Sec-WebSocket-Version: 13 for another version. The connection becomes a
// WebSocket once the handler returns (or, detached, once Send is called).
// Only from the goroutine that owns w, like Write.
func (w *Response) AcceptWebSocket(protocol string) {
	if w.r == nil || w.r.Type != HTTP {
		return
	}
	r := w.r
	status, reason := checkHandshake(r)
	if status != 0 {
		w.Status = status
		w.Header = w.Header[:0]
		if status == 426 {
			w.Header.Set("Sec-WebSocket-Version", "13")
		}
		w.Header.Set("Content-Type", "text/plain; charset=utf-8")
		w.Body = append(w.Body[:0], reason...)
		return
	}
	w.Status = 101
	w.Body = w.Body[:0]
	w.Header = w.Header[:0]
	w.Header.Set("Upgrade", "websocket")
	w.Header.Set("Connection", "Upgrade")
	w.Header.Set("Sec-WebSocket-Accept", sha1.AcceptKey(r.Header.Get("Sec-WebSocket-Key")))
	if protocol != "" && offeredProtocol(r.Header, protocol) {
		w.Header.Set("Sec-WebSocket-Protocol", protocol)
	}
	if w.lp != nil && w.lp.srv.WebSocketCompression {
		if ext := negotiateDeflate(r.Header); ext != "" {
			w.Header.Set("Sec-WebSocket-Extensions", ext)
		}
	}
	w.upgraded, w.raw = true, false
}

// checkHandshake validates RFC 6455 §4.2.1 on a parsed request.
func checkHandshake(r *Request) (int, string) {
	switch {
	case r.Method != "GET":
		return 405, "WebSocket handshake needs GET\n"
	case r.Proto != "HTTP/1.1":
		return 400, "WebSocket handshake needs HTTP/1.1\n"
	case !headerHasToken(r.Header, "Upgrade", "websocket"):
		return 400, "missing Upgrade: websocket\n"
	case !headerHasToken(r.Header, "Connection", "upgrade"):
		return 400, "missing Connection: upgrade\n"
	case len(r.Header.Values("Sec-WebSocket-Version")) != 1 || r.Header.Get("Sec-WebSocket-Version") != "13":
		return 426, "unsupported Sec-WebSocket-Version; 13 is supported\n"
	case len(r.Header.Values("Sec-WebSocket-Key")) != 1 || !sha1.ValidKey(r.Header.Get("Sec-WebSocket-Key")):
		return 400, "bad Sec-WebSocket-Key\n"
	}
	return 0, ""
}

func offeredProtocol(h Header, protocol string) bool {
	for _, v := range h.Values("Sec-WebSocket-Protocol") {
		found := false
		httphead.ScanTokens([]byte(v), func(t []byte) bool {
			found = string(t) == protocol
			return !found
		})
		if found {
			return true
		}
	}
	return false
}

// upgrade turns c into a WebSocket after its 101 was queued. The
// connection gets its own Request (the upgrade request's strings, which
// every event carries) and Response, for all its events.
func (lp *eventLoop) upgrade(c *conn, rs *reqState) {
	r := &rs.req
	ws := &wsConn{}
	ws.req = Request{
		ConnID: c.id, Server: lp.srv, RemoteAddr: c.remote, LocalAddr: c.local, TLS: r.TLS, BodyDone: true, life: &ws.life,
		Method: r.Method, URI: r.URI, Path: r.Path, RawPath: r.RawPath,
		RawQuery: r.RawQuery, Fragment: r.Fragment, Host: r.Host, Proto: "HTTP/1.1",
	}
	ws.resp.lp, ws.resp.c, ws.resp.r, ws.resp.declared = lp, c, &ws.req, -1
	ws.reader.MaxMessageBytes = lp.lim.maxMessage
	if lp.srv.WebSocketCompression && deflateAccepted(rs.resp.Header) {
		ws.reader.Compression = true
		c.q.deflate.Store(true) // before switchProtocol opens the queue to frames
	}
	c.ws = ws
	lp.switchProtocol(c, rs, phaseWS, wsOpen)
	lp.startPings(c)
}

// switchProtocol ends c's HTTP life after a 101: the request's state goes
// back to the pool, c enters phase, its queue takes what the new protocol
// sends (sending), and bytes that came right behind the request are
// handled next turn. No read timer runs on an upgraded connection.
func (lp *eventLoop) switchProtocol(c *conn, rs *reqState, phase connPhase, sending wsSendState) {
	c.rs = nil
	lp.putReqState(rs)
	if !lp.enter(c, phase) {
		return
	}
	disarmAll(c)
	c.q.mu.Lock()
	c.q.ws = sending
	queued := c.q.queued
	c.q.mu.Unlock()
	if queued > 0 {
		lp.writeTimers.arm(c, lp.now)
	}
	lp.updateRead(c)
	if len(c.inBuf) > 0 {
		lp.schedule(c)
	}
}

// closeQueued reports whether our close frame is queued on c: no more
// messages are delivered or answered then.
func (lp *eventLoop) closeQueued(c *conn) bool {
	c.q.mu.Lock()
	defer c.q.mu.Unlock()
	return c.q.ws == wsClosing
}

// readFrames feeds frames to the WebSocket reader and handles one event;
// it returns the bytes used, or 0 for "need more".
func (lp *eventLoop) readFrames(c *conn, data []byte) int {
	ws := c.ws
	n, ev, err := ws.reader.Read(data)
	if err != nil {
		code, reason := CloseProtocolError, err.Error()
		var perr pws.ProtocolError
		if errors.As(err, &perr) {
			code, reason = CloseCode(perr.Code), perr.Reason
		}
		lp.srv.logger().Debug("phttp: WebSocket protocol error", "code", uint16(code), "reason", reason, "remote", c.remote.String(), "conn", uint64(c.id))
		lp.failWebSocket(c, code, reason)
		return len(data)
	}
	switch ev.Kind {
	case pws.Text, pws.Binary:
		if !lp.closeQueued(c) {
			c.served++
			lp.deliverMessage(c, ev)
		}
	case pws.Ping:
		lp.queueFrameLoop(c, gws.OpPong, ev.Payload) // refused once our close is queued
	case pws.Close:
		lp.onPeerClose(c, CloseCode(ev.Code), ev.Reason)
		return len(data)
	}
	return n
}

// deliverMessage hands one whole message to the handler.
func (lp *eventLoop) deliverMessage(c *conn, ev pws.Event) {
	r, w := lp.wsEvent(c)
	r.Type = WebSocketText
	if ev.Kind == pws.Binary {
		r.Type = WebSocketBinary
	}
	r.Body = ev.Payload
	r.ContentLength = int64(len(r.Body))
	lp.srv.counters.wsIn.Add(1)
	lp.callHandler(w, r)
	r.Body = nil
	if w.panicked && !c.closing() {
		lp.failWebSocket(c, CloseInternalError, "handler panic")
	}
}

// wsEvent readies c's Request and Response for the next event. It resets
// only what a handler call may have changed: another goroutine may be
// using the Response (kept from an earlier event) at the same time, and
// reads only what never changes.
func (lp *eventLoop) wsEvent(c *conn) (*Request, *Response) {
	r, w := &c.ws.req, &c.ws.resp
	r.Body, r.ContentLength, r.CloseCode, r.CloseReason = nil, 0, 0, ""
	w.Status, w.Header, w.Body, w.panicked = 0, w.Header[:0], w.Body[:0], false
	return r, w
}

// onPeerClose answers the client's close frame (echoing its code) unless
// ours went first, tells the handler, and closes gracefully.
func (lp *eventLoop) onPeerClose(c *conn, code CloseCode, reason string) {
	lp.queueCloseFrame(c, code, "")
	lp.reportWSClose(c, code, reason)
	lp.beginClose(c)
}

// failWebSocket closes with code after a protocol error or handler panic.
func (lp *eventLoop) failWebSocket(c *conn, code CloseCode, reason string) {
	lp.queueCloseFrame(c, code, reason)
	lp.reportWSClose(c, code, reason)
	lp.beginClose(c)
}

// reportWSClose gives the handler its one WebSocketClose for c.
func (lp *eventLoop) reportWSClose(c *conn, code CloseCode, reason string) {
	if c.ws == nil || c.ws.reported {
		return
	}
	c.ws.reported = true
	r, w := lp.wsEvent(c)
	r.Type = WebSocketClose
	r.CloseCode = code
	r.CloseReason = reason
	lp.callHandler(w, r)
}

// tryWriteClose drops what is queued and writes a close frame straight to
// the socket, when the queue stands at a frame boundary so that the frame
// cannot land inside another and no close frame of ours went before it.
// It reports whether the frame went out whole.
func (lp *eventLoop) tryWriteClose(c *conn, code CloseCode, reason string) bool {
	q := &c.q
	q.mu.Lock()
	ok := q.head == 0 && q.ws != wsClosing
	q.mu.Unlock()
	if !ok {
		return false
	}
	frame := pws.AppendClose(nil, gws.StatusCode(code), reason)
	n, err := lp.writeConn(c, [][]byte{frame})
	return err == nil && n == len(frame)
}

// serveQueued handles what another goroutine asked of c: bytes to write,
// a finished detached answer, or a close handshake to start.
func (lp *eventLoop) serveQueued(c *conn) {
	if c.tls != nil && !c.tls.open {
		lp.afterHandshake(c) // its goroutine may be done
		if c.closed() {
			return
		}
	}
	if c.h2 != nil {
		lp.h2Serve(c)
		return
	}
	q := &c.q
	q.mu.Lock()
	q.scheduled = false
	// Whatever becomes of them now (written, held by this client's own
	// credit, or dropped with the connection), the loop has picked these
	// frames up.
	defer lp.pace.done(q.takePacedLocked())
	end := q.end
	started := q.answerStarted
	q.end = answerEnd{}
	if end.done {
		q.answerStarted = false // the next request's answer starts afresh
	}
	closing := q.ws == wsClosing
	rawClose := q.rawClose
	q.mu.Unlock()
	if rs := c.rs; rs != nil && rs.expect100 && rs.pipe != nil && rs.pipe.continueAsked() {
		if started {
			rs.expect100 = false // a final answer went first: a 100 now would break the framing
		}
		lp.sendContinue(c, rs)
	}
	if end.done && c.rs != nil {
		rs := c.rs
		lp.answerEnded(rs, end)
		lp.afterAnswer(c, rs)
		if c.closed() {
			return
		}
		if len(c.inBuf) > 0 && (c.phase == phaseHead || c.phase == phaseWS || c.phase == phaseRaw) {
			lp.schedule(c) // requests that waited behind the answer
		}
	}
	if rawClose && c.phase == phaseRaw {
		lp.reportRawEnd(c)
		lp.beginClose(c) // CloseRaw: what is queued goes out, then FIN
		return
	}
	if closing && c.phase == phaseWS && c.readTimer.list != &lp.lingerTimers {
		lp.lingerTimers.arm(c, lp.now) // CloseWebSocket: the client has this long to answer
	}
	if !c.closed() {
		lp.flush(c)
	}
}
