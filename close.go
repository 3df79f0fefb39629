package phttp

// Closing happens here only. A graceful close stops reading requests,
// flushes the queue, sends FIN (shutdown SHUT_WR) and then reads and drops
// until the client closes or lingerTimeout passes, so that bytes the client
// is still sending do not turn our last answer into a reset. An abort
// (closeConn) drops the queue at once.

// beginClose starts a graceful close of c: no more input is handled, and
// what it holds of partial input is released at once.
func (lp *eventLoop) beginClose(c *conn) {
	if c.closing() {
		return
	}
	lp.enter(c, phaseClosing)
	c.keepAlive = false
	lp.releaseInput(c)
	lp.idleTimers.disarm(c)
	lp.headerTimers.disarm(c)
	lp.bodyTimers.disarm(c)
	lp.setInterest(c, c.interest&wantWrite)
	lp.flush(c)
}

// releaseInput drops what c holds of input (the request in progress, a
// partial head or frame, a message under assembly), gives its share of
// MaxBufferedBytes back, and ends the contexts of its request or
// WebSocket: nothing more will be read for them.
func (lp *eventLoop) releaseInput(c *conn) {
	lp.releaseReqState(c)
	lp.h2Release(c)
	c.inBuf = nil
	if c.ws != nil {
		c.ws.reader.Reset()
		c.ws.life.end(lp.closeCause())
	}
	if c.raw != nil {
		c.raw.life.end(lp.closeCause())
	}
	lp.dropHeld(c)
}

// closeCause is why the contexts of a closing connection end: the server
// stopping, or the connection itself going.
func (lp *eventLoop) closeCause() error {
	if lp.stopping {
		return ErrServerStopped
	}
	return ErrClosed
}

// startLinger sends FIN and drains the client's last bytes for a while.
func (lp *eventLoop) startLinger(c *conn) {
	lp.enter(c, phaseLinger)
	c.q.close()
	lp.closeNotify(c)
	if err := shutdownWrite(c.sock); err != nil || c.peerEOF {
		lp.closeConn(c, CloseAbnormal)
		return
	}
	lp.lingerTimers.arm(c, lp.now)
	lp.setInterest(c, wantRead)
}

// closeConn closes c now: the one place a connection's socket is closed.
// code is what the handler's WebSocketClose reports if it has not seen one.
func (lp *eventLoop) closeConn(c *conn, code CloseCode) {
	if c.closed() {
		return
	}
	c.phase = phaseClosed // always legal: no need to ask the table
	c.q.close()
	// The ready list skips a closed connection, so its paced frames are
	// dropped from the backlog here (no sender queues more once closed).
	lp.pace.done(c.q.takePaced())
	c.endTLS()
	disarmAll(c)
	lp.poll.remove(c.sock)
	closeSocket(c.sock)
	lp.slots[c.slot] = nil
	lp.freeSlots = append(lp.freeSlots, c.slot)
	lp.releaseQueue(c)
	if c.rejected {
		lp.rejecting--
		lp.dropHeld(c)
		return
	}
	lp.srv.conns.remove(c.id)
	lp.srv.connCount.Add(-1)
	lp.reportWSClose(c, code, "")
	lp.reportRawEnd(c)
	lp.releaseInput(c)
	if lp.shuttingDown && lp.srv.connCount.Load() == 0 {
		lp.drainedOnce.Do(func() { close(lp.drained) })
	}
}

// releaseQueue returns the pooled buffers of a closed connection's queue.
func (lp *eventLoop) releaseQueue(c *conn) {
	q := &c.q
	q.mu.Lock()
	for i := range q.items {
		lp.releaseItem(&q.items[i], ErrClosed)
	}
	q.items = nil
	lp.srv.counters.queued.Add(-int64(q.queued))
	q.queued = 0
	q.mu.Unlock()
}

// resetConn closes c with RST: the one way to tell a client that an
// answer whose body ends at close did not end well.
func (lp *eventLoop) resetConn(c *conn) {
	setResetOnClose(c.sock)
	lp.closeConn(c, CloseAbnormal)
}

func (lp *eventLoop) onReadTimeout(c *conn) {
	lp.srv.logger().Debug("phttp: read timeout; closing", "remote", c.remote.String(), "conn", uint64(c.id))
	if c.h2 != nil && c.h2.settings {
		lp.h2Fail(c, h2NoError, "read timeout") // a stream's body stalled
		return
	}
	lp.closeConn(c, CloseAbnormal)
}

func (lp *eventLoop) onIdleTimeout(c *conn) {
	if c.h2 != nil {
		lp.h2Fail(c, h2NoError, "idle timeout")
		return
	}
	if c.idle() {
		lp.beginClose(c)
		return
	}
	lp.closeConn(c, CloseAbnormal)
}

func (lp *eventLoop) onLingerTimeout(c *conn) { lp.closeConn(c, CloseAbnormal) }

// minReadProgress is how much the peer's unacknowledged bytes must fall to
// count as reading: a client that takes nothing still lets a few bytes be
// acknowledged now and then (window probes), tens of bytes, not kilobytes.
const minReadProgress = 1024

// onWriteTimeout closes a connection whose queued bytes made no progress
// for WriteTimeout: a stalled consumer must not hold its senders. The timer
// fires twice per WriteTimeout. Our own writes succeed again only once a
// third of the send buffer is free, which a slow reader may take longer
// than WriteTimeout to drain; where the kernel tells how many bytes the
// peer has not acknowledged, that count is noted at the half (when bytes
// in flight at the start have settled) and a count that fell by the end
// means the client is reading. A client that takes nothing is closed at
// WriteTimeout.
func (lp *eventLoop) onWriteTimeout(c *conn) {
	unsent, known := unsentBytes(c.sock)
	if !c.writeHalf {
		c.writeHalf = true
		c.unsentMark = unsent
		lp.writeTimers.arm(c, lp.now)
		return
	}
	if known && unsent <= c.unsentMark-minReadProgress {
		lp.writeTimers.arm(c, lp.now) // it read: a new window starts
		c.writeHalf = false
		lp.flush(c)
		return
	}
	// When the timer fires late, the loop itself was late (a long handler,
	// a GC pause) and a client that took what it was offered meanwhile has
	// room now: try once more before blaming it. A timer on time is not
	// retried, since a socket frees a few KiB as data in flight is
	// acknowledged even when its reader takes nothing.
	if late := lp.now - c.writeTimer.deadline; late > lp.lim.writeTimeout/10 {
		before := lp.queuedBytes(c)
		if !lp.flush(c) {
			return
		}
		if after := lp.queuedBytes(c); after < before || after == 0 {
			return // progress: flush re-armed (or stopped) the timer
		}
	}
	lp.srv.logger().Debug("phttp: write timeout; closing a stalled client", "remote", c.remote.String(), "conn", uint64(c.id), "queued", lp.queuedBytes(c))
	lp.srv.counters.evicted.Add(1)
	code := CloseAbnormal
	if c.ws != nil && lp.tryWriteClose(c, ClosePolicyViolation, "write timeout") {
		code = ClosePolicyViolation
	}
	lp.closeConn(c, code)
}
