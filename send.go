package phttp

import (
	"bytes"
	"runtime"
	"strconv"
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
	kindAnswer sendKind = iota // bytes of a detached answer
	kindFrame                  // a WebSocket data frame: refused before the upgrade and after our close
	kindClose                  // our close frame: the last frame the connection sends
)

// enqueue queues it (a copy the caller no longer touches) on c, paying as
// mode says; it never decides by itself whether the caller is on the loop.
// Credit taken for a buffer that cannot be queued is given back.
func (lp *eventLoop) enqueue(c *conn, it outItem, mode sendMode, kind sendKind) error {
	if mode != sendFree {
		var err error
		if it.credit, err = c.q.acquire(len(it.b), mode == sendWait); err != nil {
			return err
		}
	}
	q := &c.q
	q.mu.Lock()
	var err error
	if kind == kindAnswer {
		if q.closed {
			err = ErrClosed
		}
	} else {
		err = q.refuseFrameLocked()
	}
	if err != nil {
		q.mu.Unlock()
		q.refund(it.credit)
		return err
	}
	q.items = append(q.items, it)
	q.queued += len(it.b)
	if kind == kindClose {
		q.wsCloseSent, q.wsClose = true, true
	}
	schedule := q.scheduleLocked()
	q.mu.Unlock()
	if schedule {
		lp.wakeFor(c)
	}
	return nil
}

// onLoop reports whether the caller is user code running on the loop
// goroutine. The goroutine ID is looked up only while the loop is inside a
// callback, so senders on other goroutines rarely pay for it.
func (lp *eventLoop) onLoop() bool {
	return lp.inCallback.Load() && currentGoroutineID() == lp.goroutine.Load()
}

// currentGoroutineID reads the running goroutine's ID from its stack
// header ("goroutine 42 [running]:").
func currentGoroutineID() uint64 {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	b := bytes.TrimPrefix(buf[:n], []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseUint(string(b), 10, 64)
	return id
}

// SendWebSocket queues one message (a single frame) to the WebSocket
// connection id. It waits while the connection's queue is full, and returns
// ErrClosed if the connection is gone or goes while it waits; called from
// user code on the loop goroutine it never waits (ErrQueueFull). Safe from
// any goroutine; p may be reused once it returns. Messages from one
// goroutine arrive in the order sent; frames never interleave.
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
	frame, err := buildFrame(t, p)
	if err != nil {
		return err
	}
	c := s.conns.get(id)
	if c == nil { // a connection in the table means the loop exists
		return ErrClosed
	}
	if mode == sendWait && s.lp.onLoop() {
		mode = sendTry // user code on the loop must not wait for the loop
	}
	return s.lp.enqueue(c, outItem{b: frame}, mode, kindFrame)
}

func buildFrame(t RequestType, p []byte) ([]byte, error) {
	op, err := frameOpcode(t, p)
	if err != nil {
		return nil, err
	}
	return pws.AppendFrame(make([]byte, 0, pws.FrameSize(len(p))), op, true, p), nil
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
// came from. It never waits: from the handler the frame is queued as the
// loop's own answer. It returns ErrClosed once the connection is closing.
// Safe from any goroutine; from one other than the loop it behaves like
// Server.TrySendWebSocket (ErrQueueFull when the queue is full), since w
// may outlive its handler call.
func (w *Response) SendWebSocket(t RequestType, p []byte) error {
	if w.lp == nil || w.c == nil {
		return ErrNotWebSocket
	}
	if w.lp.current.Load() == w && !w.detached || w.lp.onLoop() {
		op, err := frameOpcode(t, p)
		if err != nil {
			return err
		}
		return w.lp.queueFrameLoop(w.c, op, p)
	}
	frame, err := buildFrame(t, p)
	if err != nil {
		return err
	}
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
// so that state the handler owns is only ever touched there. It returns
// ErrClosed once the server has stopped. Safe from any goroutine; f must
// not block, like a handler.
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
	return lp.poll.wake()
}
