package phttp

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// ErrCannotHijack is returned by Hijack on a Response that is not an HTTP
// request's (a WebSocket or raw event's), or whose answer already began.
var ErrCannotHijack = errors.New("phttp: only an HTTP answer that has not begun can be hijacked")

// Hijack takes the request's connection out of HTTP and returns it as a
// net.Conn, for code written against net.Conn: gorilla/websocket's
// Upgrader through the net/http bridge, or a protocol of your own after a
// 101 you write yourself. Nothing of the Response is sent; the bytes the
// client sent after this request (and the rest of its body, once the loop
// has read past it) are what the net.Conn reads.
//
// The connection stays on the loop: no goroutine waits on its socket.
// Reads take from a window of 64 KiB that the loop fills (it stops
// reading the socket while the window is full); writes queue through the
// connection's send queue with its credit, like SendRaw, and Close is
// CloseRaw. Read and Write wait, so call them from goroutines other than
// the loop. Call Hijack from the goroutine that owns w (the handler, or
// the one a detached Response was handed to), before anything of the
// answer was flushed.
func (w *Response) Hijack() (net.Conn, error) {
	if w.lp == nil || w.rs == nil || w.r == nil || w.r.Type != HTTP || w.done || w.wroteHead || w.upgraded || w.h2 != nil {
		return nil, ErrCannotHijack
	}
	c := w.c
	hc := &hijackConn{lp: w.lp, c: c, local: c.local, remote: c.remote}
	hc.pipe = newBodyPipe(func() { w.lp.wakeFor(c) })
	q := &c.q
	q.mu.Lock()
	if q.closed || q.answerTaken || q.answerStarted {
		q.mu.Unlock()
		return nil, ErrClosed
	}
	q.ws = rawOpen // writes may begin before the loop has switched its side
	q.mu.Unlock()
	w.hijacked = hc
	w.Status, w.Header, w.Body = 0, w.Header[:0], w.Body[:0]
	w.upgraded, w.raw = true, true
	if w.detached {
		w.finishAnswer(false)
	}
	return hc, nil
}

// hijackConn is the net.Conn that Hijack returns. The loop writes what it
// reads into pipe; everything else is the caller's, behind the queue.
type hijackConn struct {
	lp      *eventLoop
	c       *conn
	pipe    *bodyPipe
	writeDL deadline
	local   net.Addr
	remote  net.Addr

	closeOnce sync.Once
}

// Read reads what the client sent. It returns io.EOF once the client
// closed its side and everything before was read, and net.ErrClosed after
// Close.
func (hc *hijackConn) Read(b []byte) (int, error) {
	n, err := hc.pipe.read(b)
	if errors.Is(err, ErrClosed) || errors.Is(err, ErrServerStopped) {
		err = &net.OpError{Op: "read", Net: "tcp", Source: hc.local, Addr: hc.remote, Err: err}
	}
	return n, err
}

// Write queues b whole (a copy) on the connection, waiting while the
// queue holds SendQueueBytes (or briefly while the loop is behind, as
// Server.SendWebSocket does), or until the write deadline.
func (hc *hijackConn) Write(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	it := outItem{b: append([]byte(nil), b...)}
	passed := hc.writeDL.wait()
	if !hc.lp.pace.await(passed) {
		return 0, &net.OpError{Op: "write", Net: "tcp", Source: hc.local, Addr: hc.remote, Err: os.ErrDeadlineExceeded}
	}
	var err error
	if it.credit, err = hc.c.q.acquireUntil(len(b), true, passed); err != nil {
		return 0, &net.OpError{Op: "write", Net: "tcp", Source: hc.local, Addr: hc.remote, Err: err}
	}
	if err := hc.lp.queueItem(hc.c, it, kindRaw, paceCost(it, kindRaw)); err != nil {
		return 0, &net.OpError{Op: "write", Net: "tcp", Source: hc.local, Addr: hc.remote, Err: err}
	}
	return len(b), nil
}

// Close sends what was written, then closes the connection. Reads waiting
// return net.ErrClosed.
func (hc *hijackConn) Close() error {
	err := net.ErrClosed
	hc.closeOnce.Do(func() {
		err = nil
		hc.pipe.end(net.ErrClosed)
		hc.pipe.close()
		q := &hc.c.q
		q.mu.Lock()
		schedule := false
		if !q.closed {
			q.rawClose = true
			schedule = q.scheduleLocked()
		}
		q.mu.Unlock()
		if schedule {
			hc.lp.wakeFor(hc.c)
		}
	})
	return err
}

func (hc *hijackConn) LocalAddr() net.Addr  { return hc.local }
func (hc *hijackConn) RemoteAddr() net.Addr { return hc.remote }

func (hc *hijackConn) SetDeadline(t time.Time) error {
	hc.pipe.readDL.set(t)
	hc.writeDL.set(t)
	return nil
}

func (hc *hijackConn) SetReadDeadline(t time.Time) error {
	hc.pipe.readDL.set(t)
	return nil
}

func (hc *hijackConn) SetWriteDeadline(t time.Time) error {
	hc.writeDL.set(t)
	return nil
}

// hijackEnd is why reads of a hijacked connection end when it closes:
// io.EOF after the client's FIN, else the connection's close cause.
func (lp *eventLoop) hijackEnd(c *conn) error {
	if c.peerEOF {
		return io.EOF
	}
	return lp.closeCause()
}
