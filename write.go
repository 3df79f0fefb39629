package phttp

import (
	"errors"

	gws "github.com/gobwas/ws"
	pws "github.com/phttp-go/phttp/ws"
)

const (
	outChunk = 16 << 10 // pooled buffer size for the loop's own answers
	maxIov   = 512      // buffers per writev
	maxPool  = 256      // pooled buffers kept
)

// queueLoop copies p into c's queue on behalf of the loop: no credit, no
// waiting. Small answers share one pooled buffer, so a pipelined batch
// leaves in one writev.
func (lp *eventLoop) queueLoop(c *conn, parts ...[]byte) {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	q := &c.q
	q.mu.Lock()
	dst := lp.tailLocked(q, n)
	start := len(dst)
	for _, p := range parts {
		dst = append(dst, p...)
	}
	lp.commitTailLocked(q, dst, start)
	q.mu.Unlock()
}

// queueAnswer writes the handler's answer (head and body) straight into
// c's queue: no scratch copy of the head on the way.
func (lp *eventLoop) queueAnswer(c *conn, w *Response) {
	body := w.Body
	if !w.bodyAllowed() {
		body = nil
	}
	q := &c.q
	q.mu.Lock()
	dst := lp.tailLocked(q, answerHeadHint+len(w.Header)*48+len(w.Trailer)*48+len(body)+len(w.greeting))
	start := len(dst)
	dst = w.appendWhole(dst, lp.date.get(lp.wall))
	dst = w.appendWholeBody(dst, body)
	dst = w.appendGreeting(dst)
	lp.commitTailLocked(q, dst, start)
	q.mu.Unlock()
}

// answerHeadHint is room for a head's fixed lines (status, Date,
// Content-Length, Connection) when choosing the buffer an answer goes in.
const answerHeadHint = 160

// queueFrameLoop frames p into c's queue as the loop's own answer (a
// handler's WebSocket reply, during its call): no copy of its own, no
// wake-up, since the loop serves its ready list before it polls again.
// Data frames are compressed where permessage-deflate was negotiated.
func (lp *eventLoop) queueFrameLoop(c *conn, op gws.OpCode, p []byte) error {
	var err error
	if (op == gws.OpText || op == gws.OpBinary) && c.q.compressed() && deflate(p, func(z []byte) { err = lp.queueFrameBits(c, op, z, true) }) {
		return err
	}
	return lp.queueFrameBits(c, op, p, false)
}

// queueFrameBits is queueFrameLoop for a payload already compressed
// (rsv1) or sent as it is.
func (lp *eventLoop) queueFrameBits(c *conn, op gws.OpCode, p []byte, rsv1 bool) error {
	q := &c.q
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.refuseFrameLocked(); err != nil {
		return err
	}
	dst := lp.tailLocked(q, pws.FrameSize(len(p)))
	start := len(dst)
	dst = pws.AppendFrame(dst, op, true, p)
	if rsv1 {
		dst[start] |= 0x40 // "Per-Message Compressed" (RFC 7692)
	}
	lp.commitTailLocked(q, dst, start)
	if op == gws.OpText || op == gws.OpBinary {
		lp.srv.counters.wsOut.Add(1)
	}
	if q.scheduleLocked() {
		lp.readyMu.Lock()
		lp.ready = append(lp.ready, c)
		lp.readyMu.Unlock()
	}
	return nil
}

// tailLocked returns the buffer n more bytes go into: the last item if it
// is a pooled buffer with room that no write has started on, else a new
// one. q.mu must be held.
func (lp *eventLoop) tailLocked(q *sendQueue, n int) []byte {
	last := len(q.items) - 1
	if last >= 0 && q.items[last].pooled && (last > 0 || q.head == 0) && cap(q.items[last].b)-len(q.items[last].b) >= n {
		return q.items[last].b
	}
	dst := lp.getOut(n)
	q.items = append(q.items, outItem{b: dst, pooled: cap(dst) == outChunk})
	return dst
}

// commitTailLocked stores the tail buffer back after bytes were appended
// to it from start on (append may have moved it). q.mu must be held.
func (lp *eventLoop) commitTailLocked(q *sendQueue, dst []byte, start int) {
	q.items[len(q.items)-1].b = dst
	q.queued += len(dst) - start
	lp.srv.counters.queued.Add(int64(len(dst) - start))
}

// queueCloseFrame queues the loop's close frame for c, once: frames queued
// after it are refused. It reports whether this call queued it.
func (lp *eventLoop) queueCloseFrame(c *conn, code CloseCode, reason string) bool {
	q := &c.q
	q.mu.Lock()
	if q.ws == wsClosing {
		q.mu.Unlock()
		return false
	}
	q.ws = wsClosing
	dst := lp.tailLocked(q, pws.FrameSize(125))
	start := len(dst)
	dst = pws.AppendClose(dst, gws.StatusCode(code), reason) // 1005 becomes an empty close
	lp.commitTailLocked(q, dst, start)
	q.mu.Unlock()
	return true
}

// getOut takes a buffer for the loop's own answers from the pool. The pool
// has a lock of its own because a Response's in-call sends reach it, and a
// goroutine handed a detached or kept Response may send while that call
// still runs.
func (lp *eventLoop) getOut(n int) []byte {
	if n > outChunk {
		return make([]byte, 0, n)
	}
	lp.outMu.Lock()
	defer lp.outMu.Unlock()
	if k := len(lp.outPool); k > 0 {
		b := lp.outPool[k-1]
		lp.outPool[k-1] = nil
		lp.outPool = lp.outPool[:k-1]
		return b[:0]
	}
	return make([]byte, 0, outChunk)
}

func (lp *eventLoop) putOut(b []byte) {
	if cap(b) != outChunk {
		return
	}
	lp.outMu.Lock()
	if len(lp.outPool) < maxPool {
		lp.outPool = append(lp.outPool, b[:0])
	}
	lp.outMu.Unlock()
}

// flush writes as much of c's queue as the socket takes, gives credit
// back, and asks for writability only while bytes remain. It reports
// whether c is still open.
func (lp *eventLoop) flush(c *conn) bool {
	q := &c.q
	q.mu.Lock()
	iov := lp.iov[:0]
	var file *fileRange
	for i := range q.items {
		if f := q.items[i].file; f != nil {
			if i == 0 {
				file = f // a file range at the front goes alone, by sendfile
			}
			break // buffers behind a file range wait for it
		}
		b := q.items[i].b
		if i == 0 {
			b = b[q.head:]
		}
		iov = append(iov, b)
		if len(iov) == maxIov {
			break
		}
	}
	sentOfFile := int64(q.head)
	left := q.queued
	q.mu.Unlock()
	var n int
	var err error
	switch {
	case file != nil:
		n, err = file.send(c.sock, sentOfFile)
	case len(iov) == 0 && c.tlsPending() == 0:
		lp.afterFlush(c, false, left)
		return true
	default:
		n, err = lp.writeConn(c, iov)
		clear(iov)
		lp.iov = iov[:0]
	}
	if err != nil && !errors.Is(err, errWouldBlock) {
		lp.closeConn(c, CloseAbnormal)
		return false
	}
	if n > 0 {
		left = lp.consumed(c, n)
	}
	left += c.tlsPending() // ciphertext not yet on the socket
	lp.afterFlush(c, n > 0, left)
	return !c.closed()
}

// consumed drops n written bytes from the front of c's queue and returns
// how many bytes are still queued.
func (lp *eventLoop) consumed(c *conn, n int) int {
	q := &c.q
	q.mu.Lock()
	defer q.mu.Unlock()
	q.queued -= n
	lp.srv.counters.queued.Add(-int64(n))
	lp.srv.counters.bytesOut.Add(int64(n))
	credit := 0
	done := 0
	for n > 0 && done < len(q.items) {
		it := &q.items[done]
		rest := it.size() - q.head
		if n < rest {
			q.head += n
			break
		}
		n -= rest
		q.head = 0
		credit += it.credit
		lp.releaseItem(it, nil)
		*it = outItem{}
		done++
	}
	if done > 0 {
		k := copy(q.items, q.items[done:])
		clear(q.items[k:])
		q.items = q.items[:k]
		if k == 0 && cap(q.items) > 8 {
			q.items = nil
		}
	}
	if credit > 0 {
		q.releaseLocked(credit)
	}
	return q.queued
}

// releaseItem gives a written (or dropped) item's buffer back, and tells
// a ReadFrom waiting on a file range how it ended (nil: all sent).
func (lp *eventLoop) releaseItem(it *outItem, err error) {
	switch {
	case it.file != nil:
		it.file.finish(err)
	case it.pooled:
		lp.putOut(it.b)
	case it.shared:
		putSharedBuf(it.b)
	}
}

// afterFlush updates writability interest, the write timer and, for a
// closing connection, moves on to shutdown once the queue is empty. left
// is what is still queued.
func (lp *eventLoop) afterFlush(c *conn, progressed bool, left int) {
	if c.h2 != nil && progressed && len(c.h2.sending) > 0 && left < lp.h2QueueLimit() && !c.closing() {
		lp.schedule(c) // streams that waited for room in the queue go on
	}
	if left > 0 {
		if progressed || c.writeTimer.list == nil {
			lp.writeTimers.arm(c, lp.now)
			c.writeHalf = false
		}
		lp.setWrite(c, true)
		if progressed && !c.closing() {
			lp.setRead(c, left)
		}
		return
	}
	lp.writeTimers.disarm(c)
	lp.setWrite(c, false)
	if c.blockedQ {
		c.blockedQ = false
		if len(c.inBuf) > 0 {
			lp.schedule(c) // input that waited for the client to read
		}
	}
	switch {
	case c.phase == phaseClosing:
		lp.startLinger(c)
	case !c.closing():
		lp.setRead(c, 0)
	}
}
