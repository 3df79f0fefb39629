package phttp

import (
	"unicode/utf8"

	gws "github.com/gobwas/ws"
	pws "github.com/phttp-go/phttp/ws"
)

// sendMode says how a send pays for its place in the queue.
type sendMode uint8

const (
	sendWait sendMode = iota // take credit, waiting while the queue is full
	sendTry                  // take credit or fail with ErrQueueFull
	sendFree                 // the loop's own answer: no credit, never waits
)

// sendKind says what a queued buffer is, for the checks it must pass.
type sendKind uint8

const (
	kindAnswer  sendKind = iota // bytes of a detached answer
	kindFrame                   // a WebSocket data frame: refused before the upgrade and after our close
	kindMessage                 // kindFrame whose bytes a Message shares with other queues
	kindClose                   // our close frame: the last frame the connection sends
	kindRaw                     // bytes on a connection upgraded with AcceptUpgrade
)

// The send path: every way bytes get into a connection's queue from user
// code. Which side a call is for is in its name or its receiver, never
// guessed from the goroutine that makes it:
//   - Server.SendWebSocket and a detached Response's Flush and Send wait
//     for credit: they are for goroutines other than the loop;
//   - Server.TrySendWebSocket, CloseWebSocket, SendCapacity and Post never
//     wait: safe anywhere, the handler and posted functions included;
//   - the Response a handler call was given sends as the loop's own answer
//     (no credit, never waiting) while that call runs (Response.inCall).

// enqueue queues it (a copy the caller no longer touches) on c, paying as
// mode says. Credit taken for a buffer that cannot be queued is given back.
func (lp *eventLoop) enqueue(c *conn, it outItem, mode sendMode, kind sendKind) error {
	pace := 0
	if mode == sendWait && kind.paced() {
		pace = paceCost(it, kind)
		lp.pace.await(nil)
	}
	if mode != sendFree {
		var err error
		if it.credit, err = c.q.acquire(len(it.b), mode == sendWait); err != nil { // a file range takes none: it holds no memory
			return err
		}
	}
	return lp.queueItem(c, it, kind, pace)
}

// paced reports whether a waiting send of this kind waits for the loop
// to catch up too (sendPace): frames and raw bytes, which a broadcaster
// pushes to many connections; a detached answer is one client's stream.
func (k sendKind) paced() bool {
	return k == kindFrame || k == kindMessage || k == kindRaw
}

// paceCost is what a queued item counts in the loop's send backlog
// (sendPace): its bookkeeping, and its bytes unless a Message shares them.
func paceCost(it outItem, kind sendKind) int {
	if kind == kindMessage {
		return paceItemCost
	}
	return paceItemCost + len(it.b)
}

// queueItem queues it, whose credit is paid, on c after the checks its
// kind must pass; it gives the credit back when it cannot. pace is the
// item's cost in the loop's send backlog, or 0 for a send not paced.
func (lp *eventLoop) queueItem(c *conn, it outItem, kind sendKind, pace int) error {
	q := &c.q
	q.mu.Lock()
	var err error
	switch kind {
	case kindAnswer:
		if q.closed || q.answerTaken {
			err = ErrClosed
		}
		q.answerStarted = q.answerStarted || err == nil
	case kindRaw:
		err = q.refuseRawLocked()
	default:
		err = q.refuseFrameLocked()
	}
	if err != nil {
		q.mu.Unlock()
		q.refund(it.credit)
		return err
	}
	q.appendLocked(it, kind)
	q.queued += it.size()
	if pace > 0 {
		q.paced += pace
		lp.pace.add(pace)
	}
	lp.srv.counters.queued.Add(int64(it.size()))
	if kind == kindFrame || kind == kindMessage {
		lp.srv.counters.wsOut.Add(1)
	}
	if kind == kindClose {
		q.ws = wsClosing
	}
	schedule := q.scheduleLocked()
	q.mu.Unlock()
	if schedule {
		lp.wakeFor(c)
	}
	return nil
}

// SendWebSocket queues one message (a single frame) to the WebSocket
// connection id. It waits while the connection's queue is full, and returns
// ErrClosed if the connection is gone or goes while it waits. It also
// waits, for at most 50 ms, while the loop is behind: when the frames that
// waiting sends queued and the loop has not yet picked up cost more than
// 2 MiB, so that a broadcast to many clients does not queue far ahead of
// the writes (see DESIGN.md, "Waiting sends are paced"). It is for
// goroutines other than the loop: the loop frees queue space, so a
// handler or posted function that waited here on a full queue would wait
// for itself; there, use TrySendWebSocket (or, replying on the event's
// own connection, w.SendWebSocket). p may be reused once it returns.
// Messages from one goroutine arrive in the order sent; frames never
// interleave.
func (s *Server) SendWebSocket(id ConnID, t RequestType, p []byte) error {
	return s.sendWebSocket(id, t, p, sendWait)
}

// TrySendWebSocket is SendWebSocket that returns ErrQueueFull instead of
// waiting when the queue has no room. Safe from any goroutine, including
// the handler and posted functions.
func (s *Server) TrySendWebSocket(id ConnID, t RequestType, p []byte) error {
	return s.sendWebSocket(id, t, p, sendTry)
}

func (s *Server) sendWebSocket(id ConnID, t RequestType, p []byte, mode sendMode) error {
	op, err := frameOpcode(t, p)
	if err != nil {
		return err
	}
	c := s.conns.get(id)
	if c == nil { // a connection in the table means the loop exists
		return ErrClosed
	}
	frame := buildFrameFor(c.q.compressed(), op, p)
	return s.lp.enqueue(c, outItem{b: frame}, mode, kindFrame)
}

// frameOpcode checks a message for sending and returns its opcode.
func frameOpcode(t RequestType, p []byte) (gws.OpCode, error) {
	switch t {
	case WebSocketText:
		if !utf8.Valid(p) {
			return 0, ErrInvalidUTF8
		}
		return gws.OpText, nil
	case WebSocketBinary:
		return gws.OpBinary, nil
	}
	return 0, ErrBadMessageType
}

// SendWebSocket sends a message on the connection this WebSocket event
// came from. It never waits: during the handler call the frame is queued
// as the loop's own answer. On the upgrade request itself, after
// AcceptWebSocket, it sends a greeting: the frame goes out right after
// the 101 (and not at all if the answer turns out not to be one). It returns ErrClosed once the connection is
// closing. A Response kept past its handler call may be used from any
// goroutine: it still reaches only its own connection, and behaves like
// Server.TrySendWebSocket (ErrQueueFull when the queue is full).
func (w *Response) SendWebSocket(t RequestType, p []byte) error {
	if w.lp == nil || w.c == nil {
		return ErrNotWebSocket
	}
	if w.rs != nil && w.upgraded && !w.raw && !w.wroteHead && !w.done {
		// Accepted but the 101 has not gone yet: the frame follows it.
		op, err := frameOpcode(t, p)
		if err != nil {
			return err
		}
		w.greeting = pws.AppendFrame(w.greeting, op, true, p)
		return nil
	}
	if w.inCall.Load() {
		op, err := frameOpcode(t, p)
		if err != nil {
			return err
		}
		return w.lp.queueFrameLoop(w.c, op, p)
	}
	op, err := frameOpcode(t, p)
	if err != nil {
		return err
	}
	frame := buildFrameFor(w.c.q.compressed(), op, p)
	return w.lp.enqueue(w.c, outItem{b: frame}, sendTry, kindFrame) // a Response kept past its handler call: never wait
}

// CloseWebSocket starts the closing handshake on connection id: a close
// frame with code and reason (cut to fit 123 bytes) follows what is
// queued, later sends fail with ErrClosed, and the connection closes when
// the client answers or after a short wait. Safe from any goroutine.
func (s *Server) CloseWebSocket(id ConnID, code CloseCode, reason string) error {
	if !pws.ValidSendCode(gws.StatusCode(code)) {
		return ErrBadCloseCode
	}
	c := s.conns.get(id)
	if c == nil {
		return ErrClosed
	}
	frame := pws.AppendClose(nil, gws.StatusCode(code), reason)
	return s.lp.enqueue(c, outItem{b: frame}, sendFree, kindClose)
}

// SendCapacity returns how many bytes senders on other goroutines may
// still queue to connection id without waiting, or -1 if it is gone. Safe
// from any goroutine.
func (s *Server) SendCapacity(id ConnID) int {
	c := s.conns.get(id)
	if c == nil {
		return -1
	}
	return c.q.free()
}

// Post runs f on the loop goroutine, after the functions posted before it,
// so that state the handler owns is only ever touched there. Either f runs
// (at the latest while the server tears down, on the goroutine that drove
// the loop) and Post returns nil, or Post returns ErrClosed and f never
// runs. Safe from any goroutine; f must not block, like a handler.
func (s *Server) Post(f func()) error {
	if s.stopped.Load() {
		return ErrClosed
	}
	lp, err := s.loop()
	if err != nil {
		return err
	}
	lp.postMu.Lock()
	if lp.postsClosed {
		lp.postMu.Unlock()
		return ErrClosed
	}
	lp.posts = append(lp.posts, f)
	lp.postMu.Unlock()
	// f is queued and will run: teardown runs what is queued after it
	// closes the list. A wake that fails cannot undo that, so it is
	// logged, not returned; the loop also collects posts on every turn.
	if err := lp.poll.wake(); err != nil {
		s.logger().Error("phttp: waking the loop", "err", err)
	}
	return nil
}
