package phttp

import (
	"errors"
	"io"
)

// The read path: bytes come off a socket into the shared read buffer (or
// the connection's own, when a partial head or frame is pending), and
// consume feeds them to whatever the connection's phase says they are.

// onReadable reads once from c and feeds what came to its phase.
func (lp *eventLoop) onReadable(c *conn) {
	var buf []byte
	own := len(c.inBuf) > 0
	if own {
		if cap(c.inBuf)-len(c.inBuf) < 4096 {
			grown := make([]byte, len(c.inBuf), max(2*cap(c.inBuf), len(c.inBuf)+readBufSize/4))
			copy(grown, c.inBuf)
			c.inBuf = grown
		}
		buf = c.inBuf[len(c.inBuf):cap(c.inBuf)]
	} else {
		buf = lp.readBuf
	}
	n, err := lp.readConn(c, buf)
	if err != nil {
		if errors.Is(err, errWouldBlock) {
			return
		}
		lp.onReadEnd(c, err)
		return
	}
	if c.closing() || c.rejected {
		return // draining so that close sends FIN, not RST
	}
	c.served = 0
	lp.srv.counters.bytesIn.Add(int64(n))
	lp.heard(c)
	if own {
		lp.consumeOwn(c, c.inBuf[:len(c.inBuf)+n])
	} else {
		lp.consumeShared(c, lp.readBuf[:n])
	}
	lp.account(c)
	lp.flushIfQueued(c)
	if c.phase == phaseAnswer {
		lp.updateRead(c) // read ahead only so far
	}
	if c.tls != nil && c.tls.more && !c.closed() {
		lp.schedule(c) // decrypted bytes may wait where the poller cannot see them
	}
}

// answerReadAhead is how much a connection may send while its detached
// answer is pending before the loop stops reading it.
const answerReadAhead = 16 << 10

// flushIfQueued writes what this turn's answers queued on c: one writev for
// a whole pipelined batch.
func (lp *eventLoop) flushIfQueued(c *conn) {
	if !c.closing() && (lp.queuedBytes(c) > 0 || c.tlsPending() > 0) {
		lp.flush(c)
	}
}

// onReadEnd handles EOF or a read error.
func (lp *eventLoop) onReadEnd(c *conn, err error) {
	if err != io.EOF || c.rejected || c.phase == phaseWS || c.phase == phaseH2 || c.closing() {
		lp.closeConn(c, CloseAbnormal)
		return
	}
	// The client half-closed: answer what it sent, then close.
	c.peerEOF = true
	c.keepAlive = false
	lp.setInterest(c, c.interest&wantWrite)
	switch c.phase {
	case phaseHead:
		if c.rs != nil || len(c.inBuf) == 0 {
			lp.beginClose(c) // a head cut short, or nothing more will come
		}
		// Otherwise whole requests wait in inBuf (the turn's budget ran
		// out): they are answered, and finishRequest closes after the last.
	case phaseBody, phaseDiscard:
		lp.closeConn(c, CloseAbnormal) // a body cut short
	case phaseRaw:
		lp.reportRawEnd(c) // the peer finished sending: ours goes out, then FIN
		lp.beginClose(c)
	case phaseAnswer:
		lp.onClientGone(c) // as the hang-up watch takes it
	}
}

// onClientGone is a hang-up watch firing (a detached answer in progress,
// or a body paused behind a full BodyReader): the client sent FIN, or
// reset, while it waited. It is taken
// as gone, as net/http takes an EOF during a handler: the connection
// closes now, so the answer's Flush and Send return ErrClosed and it no
// longer counts in Connections or holds up Shutdown.
func (lp *eventLoop) onClientGone(c *conn) {
	lp.srv.logger().Debug("phttp: client went away during a detached answer", "remote", c.remote.String(), "conn", uint64(c.id))
	lp.closeConn(c, CloseAbnormal)
}

// consumeShared feeds bytes read into the shared buffer; what is left (a
// partial head or frame) is copied into the connection's own buffer.
func (lp *eventLoop) consumeShared(c *conn, data []byte) {
	used := lp.consume(c, data)
	if used < len(data) && !c.closing() {
		rest := data[used:]
		c.inBuf = append(make([]byte, 0, max(len(rest)+4096, 8192)), rest...)
	}
}

// consumeOwn feeds the connection's own buffer and keeps the rest at its front.
func (lp *eventLoop) consumeOwn(c *conn, data []byte) {
	used := lp.consume(c, data)
	if c.closing() {
		return
	}
	n := copy(data, data[used:])
	if n == 0 {
		c.inBuf = nil
		return
	}
	c.inBuf = data[:n]
}

// consume feeds data to c's current phase and returns how many bytes it
// used; the caller keeps the rest (a partial head, chunk line or frame
// header, or requests beyond this turn's budget) for later.
func (lp *eventLoop) consume(c *conn, data []byte) int {
	off := 0
	for !c.closed() {
		switch c.phase {
		case phaseH2:
			if off == len(data) {
				return off
			}
			if lp.queuedBytes(c) >= lp.lim.queueBytes {
				c.blockedQ = true // the client is not reading: its PINGs and SETTINGS wait
				lp.updateRead(c)
				return off
			}
			n := lp.readH2(c, data[off:])
			if n == 0 {
				return off
			}
			off += n
		case phaseHead, phaseWS, phaseRaw:
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
			switch c.phase {
			case phaseHead:
				if !c.began && c.rs == nil {
					if prefix, complete := lp.h2Wanted(c, data[off:]); prefix {
						if !complete {
							return off // the rest of the preface, or a request that starts alike
						}
						lp.startH2(c)
						continue
					}
					if lp.lim.protocols&HTTP1 == 0 {
						lp.refuseHTTP1(c, data[off:])
						return len(data)
					}
				}
				n = lp.readHead(c, data[off:])
			case phaseWS:
				n = lp.readFrames(c, data[off:])
			default:
				n = lp.readRaw(c, data[off:])
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

// schedule puts c on the resume list to go on next turn.
func (lp *eventLoop) schedule(c *conn) {
	if !c.scheduled {
		c.scheduled = true
		lp.resume = append(lp.resume, c)
	}
}

// serveResume goes on with connections that stopped for fairness or were
// unblocked: their buffered input is consumed before anything new is read.
func (lp *eventLoop) serveResume() {
	if len(lp.resume) == 0 {
		return
	}
	list := lp.resume
	lp.resume = lp.spare[:0]
	for _, c := range list {
		c.scheduled = false
		c.served = 0
		if c.closed() {
			continue
		}
		if len(c.inBuf) > 0 && c.phase != phaseAnswer && !c.closing() {
			lp.consumeOwn(c, c.inBuf)
			lp.account(c)
		}
		if !c.closed() && c.h2 != nil {
			lp.h2Pump(c) // the queue made room for streams that waited on it
		}
		if !c.closed() {
			lp.updateRead(c)
			lp.flushIfQueued(c)
		}
		if !c.closed() && c.tls != nil && c.tls.more && c.interest&wantRead != 0 {
			lp.onReadable(c) // what crypto/tls still holds
		}
	}
	clear(list)
	lp.spare = list[:0]
}

// updateRead asks for readability only when the connection can take input:
// not while an answer is pending or the queue holds a full SendQueueBytes,
// not while it is over its pipelining budget for this turn.
func (lp *eventLoop) updateRead(c *conn) { lp.setRead(c, lp.queuedBytes(c)) }

// setRead is updateRead for a caller that knows the queued bytes.
func (lp *eventLoop) setRead(c *conn, queued int) {
	want := c.interest & wantWrite
	switch {
	case c.closed(), c.phase == phaseClosing:
		if c.closed() {
			return
		}
	case c.phase == phaseLinger:
		want |= wantRead
	case c.phase == phaseAnswer:
		switch {
		case c.peerEOF:
		case len(c.inBuf) < answerReadAhead:
			// Go on reading: most clients send nothing while they wait,
			// so the interest need not change twice per detached answer
			// (two epoll_ctl calls); a pipelining client's next requests
			// wait in inBuf, and its FIN is taken as gone (onReadEnd).
			want |= wantRead
		default:
			want |= wantHangup // notice a client that leaves its answer
		}
	case c.peerEOF, c.scheduled, queued >= lp.lim.queueBytes:
	case c.phase == phaseRaw && c.raw.pipe != nil && c.raw.pipe.full():
		want |= wantHangup // the taker reads slowly; a client that leaves is noticed
	case c.phase == phaseBody && c.rs.pipe != nil && c.rs.pipe.full():
		lp.bodyTimers.disarm(c) // the reader is slow, not the client
		want |= wantHangup      // but a client that gives up is noticed
	default:
		want |= wantRead
		if c.phase == phaseBody && c.rs.pipe != nil && c.readTimer.list == nil {
			lp.bodyTimers.arm(c, lp.now)
		}
	}
	lp.setInterest(c, want)
	if want&wantRead != 0 && c.tls != nil && c.tls.more {
		lp.schedule(c) // input may wait inside crypto/tls, unseen by the poller
	}
}

func (lp *eventLoop) queuedBytes(c *conn) int {
	c.q.mu.Lock()
	n := c.q.queued
	c.q.mu.Unlock()
	return n
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
		if !c.began && lp.h2cOn(c) && !looksLikeHTTP1(data) {
			lp.dropNeither(c)
			return len(data)
		}
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

// readBody takes body bytes from data for the request in progress.
// MaxBodyBytes bounds every body, buffered, streamed or discarded: a
// chunk-size line that promises more than may still come is refused
// before its data is read.
func (lp *eventLoop) readBody(c *conn, data []byte) int {
	rs := c.rs
	var used int
	var piece []byte
	var done bool
	var promised int64
	if rs.left >= 0 {
		used = int(min(rs.left, int64(len(data))))
		piece = data[:used]
		rs.left -= int64(used)
		done = rs.left == 0
	} else {
		var err error
		used, piece, done, err = rs.chunks.Decode(data)
		if err != nil {
			if rs.handled {
				lp.closeConn(c, CloseAbnormal)
			} else {
				lp.refuse(c, err)
			}
			return len(data)
		}
		if used == 0 && !done {
			return 0
		}
		promised = int64(min(rs.chunks.Pending(), uint64(lp.lim.maxBody)+1))
	}
	rs.bodyMax -= int64(len(piece))
	if rs.bodyMax < 0 || rs.bodyMax-promised < 0 {
		lp.bodyTooLarge(c, rs)
		return len(data)
	}
	lp.bodyTimers.arm(c, lp.now) // progress: the stall timer starts again
	switch {
	case c.phase == phaseDiscard:
	case rs.pipe != nil:
		rs.pipe.write(piece)
	case rs.stream:
		lp.streamPiece(c, rs, piece, done)
	default:
		lp.gatherPiece(rs, piece, done)
	}
	if done && !c.closed() && c.rs == rs {
		lp.bodyTimers.disarm(c)
		rs.bodyDone = true
		if rs.pipe != nil {
			rs.pipe.end(io.EOF)
		}
		if !rs.handled && (!rs.stream || rs.pipe != nil) {
			if rs.pipe != nil {
				rs.req.Body = nil // the body went to the reader
			}
			rs.req.BodyDone = true
			lp.dispatch(c, rs)
		}
		lp.afterAnswer(c, rs)
	} else if rs.pipe != nil && !c.closed() {
		lp.updateRead(c) // a full pipe pauses the socket
	}
	return used
}

// bodyTooLarge ends a body past MaxBodyBytes: 413 while nothing was
// answered, else (the answer has started, or the rest was being
// discarded) the connection closes.
func (lp *eventLoop) bodyTooLarge(c *conn, rs *reqState) {
	if rs.pipe != nil {
		rs.pipe.end(errBodyLimit(lp.lim.maxBody))
	}
	if c.phase == phaseBody && (!rs.handled || rs.resp.detached && lp.takeAnswer(c)) {
		lp.refuse(c, errBodyTooLarge)
		return
	}
	lp.closeConn(c, CloseAbnormal)
}

// takeAnswer claims a detached answer that has not queued anything yet,
// so the loop can refuse the request itself; the answer's own sends then
// get ErrClosed. It reports whether the answer was still unstarted.
func (lp *eventLoop) takeAnswer(c *conn) bool {
	q := &c.q
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.answerStarted {
		return false
	}
	q.answerTaken = true
	return true
}

// gatherPiece adds a piece to a buffered body.
func (lp *eventLoop) gatherPiece(rs *reqState, piece []byte, done bool) {
	if done && len(rs.body) == 0 {
		rs.req.Body = piece // the whole body came in one read: no copy
		return
	}
	rs.body = append(rs.body, piece...)
	rs.req.Body = rs.body
}

// streamPiece hands one piece of the body to the handler.
func (lp *eventLoop) streamPiece(c *conn, rs *reqState, piece []byte, done bool) {
	if rs.handled || (len(piece) == 0 && !done) {
		return
	}
	rs.req.Body = piece
	rs.req.BodyDone = done
	lp.dispatch(c, rs)
	if rs.handled && !done && !c.closed() {
		lp.enter(c, phaseDiscard)
	}
}
