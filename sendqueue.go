package phttp

import (
	"os"
	"slices"
	"sync"
	"sync/atomic"
)

// outItem is one queued buffer: a whole frame or response piece, so that
// bytes from different senders never interleave inside one.
type outItem struct {
	b      []byte
	file   *fileRange // instead of b: a stretch of a file, sent with sendfile(2)
	credit int        // send credit to give back once b is fully written
	pooled bool       // b belongs to the loop's buffer pool
	shared bool       // b came from sharedBufs: recycled once written
	small  bool       // b is a small copy the item alone holds: small frames may join it
	ref    bool       // b is a Message's frame, which other queues share
}

// size is how many bytes the item puts on the wire.
func (it *outItem) size() int {
	if it.file != nil {
		return int(it.file.n)
	}
	return len(it.b)
}

// sharedBufs recycles the buffers of detached answers (made on any
// goroutine) once the loop has written them, so that a long stream of
// Flushes reuses a few pieces instead of allocating one per call.
var sharedBufs sync.Pool // of *[]byte

const (
	minShared = 4 << 10 // smaller pieces are cheaper to allocate than to pool
	maxShared = 1 << 20 // larger ones are not kept alive by the pool
)

// getSharedBuf returns an empty buffer with room for n bytes.
func getSharedBuf(n int) []byte {
	if n >= minShared && n <= maxShared {
		if p, _ := sharedBufs.Get().(*[]byte); p != nil && cap(*p) >= n {
			return (*p)[:0]
		}
	}
	return make([]byte, 0, n)
}

// putSharedBuf gives a written buffer back for reuse.
func putSharedBuf(b []byte) {
	if cap(b) >= minShared && cap(b) <= maxShared {
		b = b[:0]
		sharedBufs.Put(&b)
	}
}

const (
	// joinCopy is the largest copied frame (or raw write) that joins the
	// queue's last item rather than taking an item of its own, and
	// joinRef the largest Message frame copied to join it: under an
	// item's own 48 bytes a copy costs less than a reference. joinedMax
	// is the most one joined buffer holds.
	joinCopy  = 512
	joinRef   = 48
	joinedMax = 4 << 10
)

// appendLocked queues it at the end. Frames and raw bytes (the kinds a
// broadcaster pushes, which are paced for the same reason) join the last
// item when they are small (joinTailLocked), and are marked for later
// ones to join. q.mu must be held.
func (q *sendQueue) appendLocked(it outItem, kind sendKind) {
	if kind.paced() {
		if q.joinTailLocked(it, kind) {
			return
		}
		it.ref = kind == kindMessage
		it.small = !it.ref && len(it.b) <= joinCopy
	}
	q.items = append(q.items, it)
}

// joinTailLocked appends a small frame's bytes to the queue's last item
// when that is a small copy with room (or a small Message frame, which
// it turns into one), and reports whether it did. Without it a client
// that stops reading holds an item per frame queued to it: 4 MiB of
// 20-byte frames took 15 MiB of heap. Frames stay whole and in order;
// the joined credit comes back when the whole buffer is written. A write
// the loop began on the last item reads only the bytes it had, so
// appending after them is safe, but like tailLocked this leaves such an
// item alone. q.mu must be held.
func (q *sendQueue) joinTailLocked(it outItem, kind sendKind) bool {
	switch {
	case kind == kindMessage && len(it.b) > joinRef,
		kind != kindMessage && len(it.b) > joinCopy:
		return false
	}
	last := len(q.items) - 1
	if last < 0 || (last == 0 && q.head > 0) {
		return false
	}
	t := &q.items[last]
	switch {
	case len(t.b)+len(it.b) > joinedMax:
		return false
	case t.ref && len(t.b) <= joinRef:
		t.b = append(make([]byte, 0, 2*(len(t.b)+len(it.b))), t.b...)
		t.ref, t.small = false, true
	case !t.small:
		return false
	}
	t.b = append(t.b, it.b...)
	t.credit += it.credit
	return true
}

// creditWaiter is a sender parked until credit frees up or the queue closes.
type creditWaiter struct {
	n       int
	granted bool
	ready   chan struct{}
}

// sendQueue is a connection's outbound queue: the one part of a connection
// that goroutines other than the loop touch. Senders on other goroutines
// take byte credit first (waiting, first come first served, while the queue
// holds limit bytes of theirs); the loop writes the items in order and
// gives the credit back as bytes reach the kernel. The loop's own answers
// take no credit and never wait; it pauses reading a client instead.
type sendQueue struct {
	// mu guards every field below. Held briefly, never across a syscall.
	mu      sync.Mutex
	items   []outItem
	head    int // bytes of items[0] already written
	queued  int // bytes in items not yet written
	closed  bool
	limit   int // credit in all: the server's SendQueueBytes
	used    int // credit taken and not yet given back
	waiters []*creditWaiter
	// paced is what this queue's waiting frames count in the loop's send
	// backlog (sendPace) until the loop picks them up.
	paced int

	// scheduled is true while the connection is on the loop's ready list.
	scheduled bool
	// end carries a detached answer's end from its goroutine to the loop
	// (serveQueued moves it into the request's record, reqState.end).
	end answerEnd
	// ws is our side of the WebSocket close handshake: the one record of
	// whether frames may still be queued.
	ws wsSendState
	// answerStarted: a detached answer queued bytes. answerTaken: the
	// loop answered in its place (a 413 past MaxBodyBytes before the
	// answer began), so the detached answer's bytes are refused.
	answerStarted, answerTaken bool
	// rawClose: CloseRaw asked the loop to close the connection.
	rawClose bool
	// deflate: the connection negotiated permessage-deflate. Set once,
	// before ws opens the queue to frames, never changed after; atomic
	// (not under mu) so that a broadcast's every send does not take the
	// lock once more just to read it.
	deflate atomic.Bool
}

// compressed reports whether data frames to this connection may be
// compressed. Any goroutine.
func (q *sendQueue) compressed() bool { return q.deflate.Load() }

// wsSendState says whether WebSocket frames may be queued on a connection.
type wsSendState uint8

const (
	wsNotOpen wsSendState = iota // not upgraded (yet): frames are refused with ErrNotWebSocket
	wsOpen                       // frames may be queued
	wsClosing                    // our close frame is queued: later frames get ErrClosed
	rawOpen                      // upgraded with AcceptUpgrade: raw bytes may be queued, frames not
)

// acquire takes n bytes of credit, waiting while the queue is full unless
// wait is false. A request larger than the whole limit takes the whole
// limit, so that one big message still goes through, alone.
func (q *sendQueue) acquire(n int, wait bool) (int, error) {
	return q.acquireUntil(n, wait, nil)
}

// acquireUntil is acquire that gives up waiting, with
// os.ErrDeadlineExceeded, once passed is closed (a nil channel never is).
func (q *sendQueue) acquireUntil(n int, wait bool, passed <-chan struct{}) (int, error) {
	if n > q.limit {
		n = q.limit
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return 0, ErrClosed
	}
	if len(q.waiters) == 0 && q.used+n <= q.limit {
		q.used += n
		q.mu.Unlock()
		return n, nil
	}
	if !wait {
		q.mu.Unlock()
		return 0, ErrQueueFull
	}
	w := &creditWaiter{n: n, ready: make(chan struct{})}
	q.waiters = append(q.waiters, w)
	q.mu.Unlock()
	select {
	case <-w.ready:
	case <-passed:
		q.mu.Lock()
		if i := slices.Index(q.waiters, w); i >= 0 && !w.granted {
			q.waiters = slices.Delete(q.waiters, i, i+1)
			q.releaseLocked(0) // those behind it may fit now
			q.mu.Unlock()
			return 0, os.ErrDeadlineExceeded
		}
		q.mu.Unlock()
		<-w.ready // granted or closed meanwhile
	}
	if !w.granted {
		return 0, ErrClosed
	}
	return n, nil
}

// releaseLocked gives credit back and wakes the waiters it now covers, in
// order. q.mu must be held.
func (q *sendQueue) releaseLocked(n int) {
	q.used -= n
	for len(q.waiters) > 0 {
		w := q.waiters[0]
		if q.used+w.n > q.limit {
			break
		}
		q.used += w.n
		w.granted = true
		close(w.ready)
		q.waiters[0] = nil
		q.waiters = q.waiters[1:]
	}
	if len(q.waiters) == 0 {
		q.waiters = nil
	}
}

// refund returns credit that was acquired but not queued.
func (q *sendQueue) refund(n int) {
	if n == 0 {
		return
	}
	q.mu.Lock()
	q.releaseLocked(n)
	q.mu.Unlock()
}

// scheduleLocked marks the connection as needing the loop and reports
// whether it was not marked yet. q.mu must be held.
func (q *sendQueue) scheduleLocked() bool {
	if q.scheduled {
		return false
	}
	q.scheduled = true
	return true
}

// close marks the queue closed and releases every waiting sender with
// ErrClosed. Safe from any goroutine; idempotent.
func (q *sendQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.closed = true
	for _, w := range q.waiters {
		close(w.ready)
	}
	q.waiters = nil
}

// takePacedLocked returns what the queue counts in the loop's send
// backlog and stops counting it: the loop has picked its frames up.
// q.mu must be held.
func (q *sendQueue) takePacedLocked() int {
	n := q.paced
	q.paced = 0
	return n
}

// takePaced is takePacedLocked for a queue whose lock is not held.
func (q *sendQueue) takePaced() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.takePacedLocked()
}

// refuseFrameLocked says why a WebSocket frame may not be queued now, or
// nil: the connection is gone or our close frame went (ErrClosed), or it
// is not upgraded (ErrNotWebSocket). q.mu must be held.
func (q *sendQueue) refuseFrameLocked() error {
	switch {
	case q.closed || q.ws == wsClosing:
		return ErrClosed
	case q.ws != wsOpen:
		return ErrNotWebSocket
	}
	return nil
}

// refuseRawLocked says why raw bytes may not be queued now, or nil.
// q.mu must be held.
func (q *sendQueue) refuseRawLocked() error {
	switch {
	case q.closed:
		return ErrClosed
	case q.ws != rawOpen:
		return ErrNotUpgraded
	}
	return nil
}

// free reports the bytes a sender may still queue without waiting.
func (q *sendQueue) free() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return -1
	}
	if q.used >= q.limit {
		return 0
	}
	return q.limit - q.used
}
