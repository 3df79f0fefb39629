package phttp

import (
	"errors"

	"github.com/phttp-go/phttp/http11"
)

// consume feeds data to c's current phase and returns how many bytes it
// used; the caller keeps the rest (a partial head, chunk line or frame
// header, or requests beyond this turn's budget) for later.
func (lp *eventLoop) consume(c *conn, data []byte) int {
	off := 0
	for lp.slots[c.slot] == c {
		switch c.phase {
		case phaseHead, phaseWS:
			if off == len(data) {
				return off
			}
			if c.served >= lp.lim.maxPipelined {
				lp.schedule(c) // fairness: the rest waits for the next turn
				lp.updateRead(c)
				return off
			}
			if lp.queuedBytes(c) >= lp.lim.queueBytes {
				c.blockedQ = true // the client is not reading its answers
				lp.updateRead(c)
				return off
			}
			var n int
			if c.phase == phaseHead {
				n = lp.readHead(c, data[off:])
			} else {
				n = lp.readFrames(c, data[off:])
			}
			if n == 0 {
				return off // needs more bytes
			}
			off += n
		case phaseBody, phaseDiscard:
			if off == len(data) {
				return off
			}
			n := lp.readBody(c, data[off:])
			if n == 0 {
				return off
			}
			off += n
		case phaseAnswer:
			return off // input waits for the detached answer
		default: // closing: what the client still sends is dropped
			return len(data)
		}
	}
	return len(data)
}

// readHead parses a request head from data; it returns the bytes used
// (the head, or everything when the request was refused), or 0 for "need
// more".
func (lp *eventLoop) readHead(c *conn, data []byte) int {
	rs := c.rs
	if rs == nil {
		rs = lp.getReqState()
		c.rs = rs
	}
	n, err := rs.parser.Parse(data)
	if err != nil {
		lp.refuse(c, err)
		return len(data)
	}
	if n == 0 {
		// A head cut short: ReadHeaderTimeout runs from its first byte
		// (or from the accept, whose timer is already running).
		if c.readTimer.list != &lp.headerTimers {
			lp.headerTimers.arm(c, lp.now)
		}
		return 0
	}
	// A whole head stops the idle or header timer: no read timer runs
	// while the request is handled.
	if l := c.readTimer.list; l != nil {
		l.disarm(c)
	}
	lp.startRequest(c, rs, data[:n])
	return n
}

// refuse answers bad input with its status and Connection: close, logs it
// once at debug level, and closes the connection gracefully.
func (lp *eventLoop) refuse(c *conn, err error) {
	status, reason := 400, err.Error()
	var perr *http11.Error
	var rerr *requestError
	switch {
	case errors.As(err, &perr):
		status, reason = perr.Status, perr.Reason
	case errors.As(err, &rerr):
		status, reason = rerr.status, rerr.reason
	}
	lp.srv.logger().Debug("phttp: refused request", "status", status, "reason", reason, "remote", c.remote.String(), "conn", uint64(c.id))
	lp.queueStatus(c, status, reason, nil)
	lp.beginClose(c)
}

// readBody takes body bytes from data for the request in progress.
func (lp *eventLoop) readBody(c *conn, data []byte) int {
	rs := c.rs
	var used int
	var piece []byte
	var done bool
	if rs.left >= 0 {
		used = int(min(rs.left, int64(len(data))))
		piece = data[:used]
		rs.left -= int64(used)
		done = rs.left == 0
	} else {
		var err error
		used, piece, done, err = rs.chunks.Decode(data)
		if err != nil {
			if rs.answered {
				lp.closeConn(c, CloseAbnormal)
			} else {
				lp.refuse(c, err)
			}
			return len(data)
		}
		if used == 0 && !done {
			return 0
		}
		// A chunk-size line that promises more than the body may hold is
		// refused now, before its data is read.
		promised := int64(min(rs.chunks.Pending(), uint64(lp.lim.maxBody)+1))
		switch {
		case c.phase == phaseDiscard && rs.bodyMax-int64(len(piece))-promised < 0:
			lp.closeConn(c, CloseAbnormal)
			return len(data)
		case c.phase == phaseBody && !lp.srv.StreamBodies && int64(len(rs.body)+len(piece))+promised > lp.lim.maxBody:
			lp.refuse(c, errBodyTooLarge)
			return len(data)
		}
	}
	lp.bodyTimers.arm(c, lp.now) // progress: the stall timer starts again
	if c.phase == phaseDiscard {
		rs.bodyMax -= int64(len(piece))
		if rs.bodyMax < 0 {
			lp.closeConn(c, CloseAbnormal) // more than MaxBodyBytes to throw away
			return len(data)
		}
	} else if lp.srv.StreamBodies {
		lp.streamPiece(c, rs, piece, done)
	} else if !lp.gatherPiece(c, rs, piece, done) {
		return len(data)
	}
	if done && lp.slots[c.slot] == c && c.rs == rs {
		lp.bodyTimers.disarm(c)
		rs.bodyDone = true
		if !lp.srv.StreamBodies && !rs.answered {
			lp.dispatch(c, rs)
		}
		lp.afterAnswer(c, rs)
	}
	return used
}

// gatherPiece adds a piece to a buffered body; it refuses a body over
// MaxBodyBytes with 413.
func (lp *eventLoop) gatherPiece(c *conn, rs *reqState, piece []byte, done bool) bool {
	if int64(len(rs.body)+len(piece)) > lp.lim.maxBody {
		lp.refuse(c, errBodyTooLarge)
		return false
	}
	if done && len(rs.body) == 0 {
		rs.req.Body = piece // the whole body came in one read: no copy
		return true
	}
	rs.body = append(rs.body, piece...)
	rs.req.Body = rs.body
	return true
}

// streamPiece hands one piece of the body to the handler.
func (lp *eventLoop) streamPiece(c *conn, rs *reqState, piece []byte, done bool) {
	if rs.answered || (len(piece) == 0 && !done) {
		return
	}
	rs.req.Body = piece
	rs.req.BodyDone = done
	lp.dispatch(c, rs)
	if rs.answered && !done {
		c.phase = phaseDiscard
	}
}

// afterAnswer moves a request on once its answer and body are both done.
func (lp *eventLoop) afterAnswer(c *conn, rs *reqState) {
	if lp.slots[c.slot] != c || c.rs != rs || c.phase == phaseClosing {
		return
	}
	switch {
	case !rs.bodyDone && rs.answered && rs.closeAfter && rs.answerDone:
		lp.beginClose(c) // the rest of the body is not worth reading
	case !rs.bodyDone && rs.answered:
		c.phase = phaseDiscard
	case !rs.bodyDone:
		c.phase = phaseBody
	case !rs.answerDone:
		c.phase = phaseAnswer
		lp.updateRead(c)
	default:
		lp.finishRequest(c, rs)
	}
}

// finishRequest ends a request whose answer is queued and whose body was
// read: the connection closes, upgrades, or waits for the next request.
func (lp *eventLoop) finishRequest(c *conn, rs *reqState) {
	c.served++
	if rs.closeAfter || !c.keepAlive || lp.shuttingDown {
		lp.beginClose(c)
		return
	}
	if rs.upgrade {
		lp.upgrade(c, rs)
		return
	}
	c.rs = nil
	lp.putReqState(rs)
	c.phase = phaseHead
	if c.peerEOF && len(c.inBuf) == 0 {
		lp.beginClose(c)
		return
	}
	lp.idleTimers.arm(c, lp.now)
	lp.updateRead(c)
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
	if rs.resp.detached || len(lp.rsPool) >= maxPool {
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
	rs.bodyDone, rs.answered, rs.answerDone, rs.closeAfter, rs.expect100, rs.upgrade = false, false, false, false, false, false
	lp.rsPool = append(lp.rsPool, rs)
}

// releaseReqState drops the request in progress of a closing connection.
func (lp *eventLoop) releaseReqState(c *conn) {
	if c.rs != nil {
		lp.putReqState(c.rs)
		c.rs = nil
	}
}
