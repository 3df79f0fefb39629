package phttp

// AcceptUpgrade answers an upgrade request with 101 Switching Protocols to
// protocol (one of the tokens the client listed in its Upgrade header,
// compared without case), for a protocol of the handler's own: from then
// on the connection carries raw bytes, which reach the handler as Raw
// events and go out with SendRaw. A request that did not offer protocol
// (or did not ask to upgrade, or is not HTTP/1.1) is answered 400 instead.
// The connection changes protocol once the handler returns (or, detached,
// once Send is called); w.SendRaw in the same call sends bytes right after
// the 101. Only from the goroutine that owns w, like Write. For
// WebSocket, use AcceptWebSocket.
func (w *Response) AcceptUpgrade(protocol string) {
	if w.r == nil || w.r.Type != HTTP || w.rs == nil {
		return
	}
	r := w.r
	if r.Proto != "HTTP/1.1" || !headerHasToken(r.Header, "Connection", "upgrade") || !validProtocol(protocol) || !headerHasToken(r.Header, "Upgrade", protocol) {
		w.Status = 400
		w.Header = w.Header[:0]
		w.Header.Set("Content-Type", "text/plain; charset=utf-8")
		w.Body = append(append(w.Body[:0], "the request did not offer an upgrade to "...), protocol...)
		return
	}
	w.Status = 101
	w.Body = w.Body[:0]
	w.Header = w.Header[:0]
	w.Header.Set("Upgrade", protocol)
	w.Header.Set("Connection", "Upgrade")
	w.upgraded, w.raw = true, true
}

// validProtocol reports whether p can stand in an Upgrade header: a token
// (RFC 9110 §7.8 allows a "/version" after it, which this server does not
// offer to match).
func validProtocol(p string) bool {
	if p == "" {
		return false
	}
	for i := 0; i < len(p); i++ {
		if !tokenByte[p[i]] {
			return false
		}
	}
	return true
}

// SendRaw queues p on connection id, upgraded with AcceptUpgrade. It waits
// while the connection's queue is full (or briefly while the loop is
// behind, as SendWebSocket does), and returns ErrClosed if the
// connection is gone or goes while it waits. Like SendWebSocket it is for
// goroutines other than the loop; there, use TrySendRaw or w.SendRaw. p
// may be reused once it returns; bytes from one goroutine arrive in order,
// and one call's bytes are never split by another's.
func (s *Server) SendRaw(id ConnID, p []byte) error { return s.sendRaw(id, p, sendWait) }

// TrySendRaw is SendRaw that returns ErrQueueFull instead of waiting. Safe
// from any goroutine, the handler and posted functions included.
func (s *Server) TrySendRaw(id ConnID, p []byte) error { return s.sendRaw(id, p, sendTry) }

func (s *Server) sendRaw(id ConnID, p []byte, mode sendMode) error {
	c := s.conns.get(id)
	if c == nil {
		return ErrClosed
	}
	return s.lp.enqueue(c, outItem{b: append([]byte(nil), p...)}, mode, kindRaw)
}

// SendRaw sends p on the connection this event came from, upgraded with
// AcceptUpgrade; in the call that accepted the upgrade, p follows the 101.
// It never waits: during the handler call the bytes are the loop's own
// answer; a Response kept past its call sends like Server.TrySendRaw.
func (w *Response) SendRaw(p []byte) error {
	if w.lp == nil || w.c == nil {
		return ErrNotUpgraded
	}
	if w.rs != nil {
		if w.upgraded && w.raw && !w.wroteHead && !w.done {
			w.greeting = append(w.greeting, p...)
			return nil
		}
		return ErrNotUpgraded
	}
	mode := sendTry
	if w.inCall.Load() {
		mode = sendFree
	}
	return w.lp.enqueue(w.c, outItem{b: append([]byte(nil), p...)}, mode, kindRaw)
}

// CloseRaw closes connection id, upgraded with AcceptUpgrade, once what is
// queued on it has gone out. Later sends fail with ErrClosed. Safe from
// any goroutine.
func (s *Server) CloseRaw(id ConnID) error {
	c := s.conns.get(id)
	if c == nil {
		return ErrClosed
	}
	q := &c.q
	q.mu.Lock()
	if err := q.refuseRawLocked(); err != nil {
		q.mu.Unlock()
		return err
	}
	q.rawClose = true
	schedule := q.scheduleLocked()
	q.mu.Unlock()
	if schedule {
		s.lp.wakeFor(c)
	}
	return nil
}

// upgradeRaw turns c into a raw connection after its 101 was queued.
func (lp *eventLoop) upgradeRaw(c *conn, rs *reqState) {
	r := &rs.req
	raw := &rawConn{}
	raw.req = Request{
		Type: Raw, ConnID: c.id, Server: lp.srv, RemoteAddr: c.remote, LocalAddr: c.local, TLS: r.TLS, life: &raw.life,
		Method: r.Method, URI: r.URI, Path: r.Path, RawPath: r.RawPath,
		RawQuery: r.RawQuery, Fragment: r.Fragment, Host: r.Host, Proto: r.Proto,
	}
	raw.resp.lp, raw.resp.c, raw.resp.r, raw.resp.declared = lp, c, &raw.req, -1
	if hc := rs.resp.hijacked; hc != nil {
		raw.pipe = hc.pipe
	}
	c.raw = raw
	lp.switchProtocol(c, rs, phaseRaw, rawOpen)
}

// readRaw hands everything read to the handler as one Raw event.
func (lp *eventLoop) readRaw(c *conn, data []byte) int {
	if p := c.raw.pipe; p != nil {
		p.write(data) // a copy: data is the read buffer
		if p.full() {
			lp.updateRead(c)
		}
		return len(data)
	}
	r, w := lp.rawEvent(c)
	r.Body = data
	r.ContentLength = int64(len(data))
	lp.callHandler(w, r)
	r.Body = nil
	if w.panicked && !c.closing() {
		lp.reportRawEnd(c)
		lp.beginClose(c)
	}
	return len(data)
}

// rawEvent readies c's Request and Response for the next Raw event,
// resetting only what a handler call may have changed (see wsEvent).
func (lp *eventLoop) rawEvent(c *conn) (*Request, *Response) {
	r, w := &c.raw.req, &c.raw.resp
	r.Body, r.ContentLength, r.BodyDone = nil, 0, false
	w.Status, w.Header, w.Body, w.panicked = 0, w.Header[:0], w.Body[:0], false
	return r, w
}

// reportRawEnd gives the handler its one last Raw event (BodyDone).
func (lp *eventLoop) reportRawEnd(c *conn) {
	if c.raw == nil || c.raw.reported {
		return
	}
	c.raw.reported = true
	if p := c.raw.pipe; p != nil {
		p.end(lp.hijackEnd(c)) // the taker reads what came, then the end
		return
	}
	r, w := lp.rawEvent(c)
	r.BodyDone = true
	lp.callHandler(w, r)
}
