package phttp

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// TLS on the loop. crypto/tls reads records resumably: when the
// connection under it says "would block" with an error that is
// Temporary, a record read stops and starts again later with nothing
// lost. Its handshake cannot stop that way, so each handshake runs on a
// goroutine of its own, fed by the loop through tlsTransport, and ends
// when the handshake does (or when the connection closes: a client that
// stalls mid-handshake is closed by ReadHeaderTimeout, which ends its
// goroutine too). After the handshake the loop alone uses the tls.Conn:
// it reads ciphertext from the socket into the transport and plaintext
// out of tls.Conn.Read, and encrypts what its queue holds with
// tls.Conn.Write into the transport, whose bytes it then writes to the
// socket. An idle TLS connection has no goroutine and no buffer beyond
// what crypto/tls keeps.

const (
	// tlsBatch bounds the plaintext one flush encrypts, so the ciphertext
	// waiting for the socket stays small.
	tlsBatch = 64 << 10
	// idleTLSBuf is the most a transport buffer keeps once empty: enough
	// for a small request or answer without an allocation, while an idle
	// connection does not hold on to its handshake's flight.
	idleTLSBuf = 1 << 10
)

// tlsSession is a TLS connection's state. The loop's, but for the
// transport, which the handshake goroutine shares while it runs.
type tlsSession struct {
	conn  *tls.Conn
	tr    *tlsTransport
	open  bool                 // the handshake succeeded: the loop uses conn
	state *tls.ConnectionState // after the handshake, for Request.TLS
	// more: the last read filled the caller's buffer, so decrypted
	// bytes may still wait inside conn where the poller cannot see them.
	more bool
	// sentClose: close_notify is queued.
	sentClose bool
}

// tlsTransport is the net.Conn under tls.Conn: ciphertext in from the
// loop, ciphertext out to the loop. mu guards everything below it.
type tlsTransport struct {
	mu       sync.Mutex
	ready    sync.Cond // the handshake goroutine waits on it for input
	in       []byte    // ciphertext the loop read, not yet taken by crypto/tls
	inOff    int
	eof      bool   // the client's FIN came (or the connection broke)
	closed   bool   // the loop closed the connection
	out      []byte // ciphertext crypto/tls wrote, not yet on the socket
	blocking bool   // during the handshake: Read waits instead of "would block"
	finished bool   // the handshake goroutine is done
	hsErr    error  // ... and how the handshake ended
	wake     func() // wakes the loop for the connection (any goroutine)
	local    net.Addr
	remote   net.Addr
}

// errTLSWouldBlock is what the transport answers crypto/tls when the
// loop has no more ciphertext for it: Temporary, so that crypto/tls
// keeps its state and the read can resume.
var errTLSWouldBlock error = tlsWouldBlock{}

type tlsWouldBlock struct{}

func (tlsWouldBlock) Error() string   { return "phttp: tls transport would block" }
func (tlsWouldBlock) Timeout() bool   { return true }
func (tlsWouldBlock) Temporary() bool { return true }

func (t *tlsTransport) Read(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for t.inOff == len(t.in) && !t.eof && !t.closed {
		if !t.blocking {
			return 0, errTLSWouldBlock
		}
		t.ready.Wait()
	}
	if t.inOff == len(t.in) {
		return 0, io.EOF
	}
	n := copy(b, t.in[t.inOff:])
	t.inOff += n
	if t.inOff == len(t.in) {
		t.in, t.inOff = t.in[:0], 0
		if cap(t.in) > idleTLSBuf {
			t.in = nil // a burst (or the handshake's flight) need not stay with an idle connection
		}
	}
	return n, nil
}

func (t *tlsTransport) Write(b []byte) (int, error) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return 0, net.ErrClosed
	}
	t.out = append(t.out, b...)
	wake := t.blocking
	t.mu.Unlock()
	if wake {
		t.wake() // the handshake's flight: the loop writes it
	}
	return len(b), nil
}

// Close is crypto/tls's (after a failed handshake): the loop closes the
// socket itself.
func (t *tlsTransport) Close() error {
	t.mu.Lock()
	t.closed = true
	t.ready.Broadcast()
	t.mu.Unlock()
	return nil
}

func (t *tlsTransport) LocalAddr() net.Addr              { return t.local }
func (t *tlsTransport) RemoteAddr() net.Addr             { return t.remote }
func (t *tlsTransport) SetDeadline(time.Time) error      { return nil }
func (t *tlsTransport) SetReadDeadline(time.Time) error  { return nil }
func (t *tlsTransport) SetWriteDeadline(time.Time) error { return nil }
func (t *tlsTransport) feed(p []byte, eof bool) {
	t.mu.Lock()
	t.in = append(t.in, p...)
	t.eof = t.eof || eof
	t.ready.Broadcast()
	t.mu.Unlock()
}

func (t *tlsTransport) sawEOF() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.eof
}

// pendingOut is how much ciphertext waits for the socket.
func (t *tlsTransport) pendingOut() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.out)
}

// writeOut writes waiting ciphertext to s and reports whether some is
// still waiting.
func (t *tlsTransport) writeOut(s sysSocket) (bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.out) == 0 {
		return false, nil
	}
	n, err := writeSockets(s, [][]byte{t.out})
	if n > 0 {
		k := copy(t.out, t.out[n:])
		t.out = t.out[:k]
	}
	if len(t.out) == 0 && cap(t.out) > idleTLSBuf {
		t.out = nil
	}
	if err != nil && !errors.Is(err, errWouldBlock) {
		return true, err
	}
	return len(t.out) > 0, nil
}

// startTLS begins the TLS handshake of a new connection on a goroutine of
// its own.
func (lp *eventLoop) startTLS(c *conn) {
	tr := &tlsTransport{blocking: true, local: c.local, remote: c.remote, wake: func() { lp.wakeFor(c) }}
	tr.ready.L = &tr.mu
	t := &tlsSession{conn: tls.Server(tr, lp.tlsConf), tr: tr}
	c.tls = t
	go func() {
		err := t.conn.Handshake()
		tr.mu.Lock()
		tr.blocking, tr.finished, tr.hsErr = false, true, err
		tr.mu.Unlock()
		tr.wake()
	}()
}

// handshakeEnded reports whether c's handshake goroutine has finished,
// and how.
func (t *tlsSession) handshakeEnded() (bool, error) {
	t.tr.mu.Lock()
	defer t.tr.mu.Unlock()
	return t.tr.finished, t.tr.hsErr
}

// afterHandshake moves c on once its handshake goroutine is done: into
// HTTP, or closed (a plaintext HTTP request first gets net/http's 400).
func (lp *eventLoop) afterHandshake(c *conn) {
	t := c.tls
	done, err := t.handshakeEnded()
	if !done || t.open {
		return
	}
	if err != nil {
		var rec tls.RecordHeaderError
		if errors.As(err, &rec) && looksLikeHTTP(rec.RecordHeader[:]) {
			lp.srv.logger().Debug("phttp: plaintext HTTP on a TLS listener", "remote", c.remote.String())
			c.tls = nil // what follows is plaintext, as the client speaks it
			lp.queueLoop(c, plaintextOnTLS)
			lp.beginClose(c)
			return
		}
		lp.srv.logger().Debug("phttp: TLS handshake failed", "remote", c.remote.String(), "err", err)
		lp.closeConn(c, CloseAbnormal)
		return
	}
	t.open = true
	st := t.conn.ConnectionState()
	t.state = &st
	if st.NegotiatedProtocol == "h2" {
		lp.startH2(c)
	}
	lp.onReadable(c) // the client's first request may have come with its Finished
}

// plaintextOnTLS is net/http's answer to HTTP spoken to a TLS listener.
var plaintextOnTLS = []byte("HTTP/1.0 400 Bad Request\r\nConnection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")

func looksLikeHTTP(hdr []byte) bool {
	for _, m := range []string{"GET /", "HEAD ", "POST ", "PUT /", "OPTIO", "DELET", "PATCH", "CONNE"} {
		if bytes.HasPrefix([]byte(m), hdr) || bytes.HasPrefix(hdr, []byte(m)) {
			return true
		}
	}
	return false
}

// readConn reads plaintext from c into buf: the socket's bytes, or for
// TLS what they decrypt to. errWouldBlock: nothing now.
func (lp *eventLoop) readConn(c *conn, buf []byte) (int, error) {
	t := c.tls
	if t == nil {
		return readSocket(c.sock, buf)
	}
	if !t.open {
		if t.tr.sawEOF() {
			lp.setInterest(c, c.interest&^wantRead)
			return 0, errWouldBlock
		}
		return 0, lp.feedHandshake(c)
	}
	total := 0
	for total < len(buf) {
		n, err := t.conn.Read(buf[total:])
		total += n
		switch {
		case err == nil:
			continue
		case errors.Is(err, errTLSWouldBlock):
			m, serr := readSocket(c.sock, lp.tlsBuf)
			switch {
			case m > 0:
				t.tr.feed(lp.tlsBuf[:m], false)
				continue
			case serr == io.EOF:
				t.tr.feed(nil, true)
				continue
			case errors.Is(serr, errWouldBlock):
				t.more = false
				if total == 0 {
					return 0, errWouldBlock
				}
				return total, nil
			default:
				return total, serr
			}
		case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
			if total > 0 {
				t.more = true // the end is reported on the next read
				return total, nil
			}
			return 0, io.EOF
		default:
			if total > 0 {
				t.more = true
				return total, nil
			}
			lp.srv.logger().Debug("phttp: TLS read failed", "remote", c.remote.String(), "err", err)
			return 0, err
		}
	}
	t.more = true
	return total, nil
}

// feedHandshake moves the socket's bytes to the handshake goroutine. A
// FIN is handed over too, not acted on: the client may have sent its
// Finished, a request and its FIN at once, and the request is answered
// once the handshake is done (readConn then reports the end).
func (lp *eventLoop) feedHandshake(c *conn) error {
	n, err := readSocket(c.sock, lp.tlsBuf)
	switch {
	case n > 0:
		c.tls.tr.feed(lp.tlsBuf[:n], false)
	case err == io.EOF:
		c.tls.tr.feed(nil, true)
		lp.setInterest(c, c.interest&^wantRead) // nothing more will come; the end would be reported every turn
	case err != nil && !errors.Is(err, errWouldBlock):
		return err
	}
	return errWouldBlock
}

// writeConn writes iov to c: straight to the socket, or for TLS
// encrypted, in which case the plaintext counts as written once
// encrypted and the ciphertext goes out as the socket takes it.
func (lp *eventLoop) writeConn(c *conn, iov [][]byte) (int, error) {
	t := c.tls
	if t == nil {
		return writeSockets(c.sock, iov)
	}
	if waiting, err := t.tr.writeOut(c.sock); err != nil || waiting {
		if err == nil {
			err = errWouldBlock
		}
		return 0, err
	}
	if !t.open || len(iov) == 0 {
		return 0, nil
	}
	plain := lp.tlsPlain[:0]
	for _, b := range iov {
		plain = append(plain, b[:min(len(b), tlsBatch-len(plain))]...)
		if len(plain) == tlsBatch {
			break
		}
	}
	lp.tlsPlain = plain[:0]
	if _, err := t.conn.Write(plain); err != nil {
		return 0, err
	}
	if _, err := t.tr.writeOut(c.sock); err != nil {
		return 0, err
	}
	return len(plain), nil
}

// tlsPending is the ciphertext c still has to write.
func (c *conn) tlsPending() int {
	if c.tls == nil {
		return 0
	}
	return c.tls.tr.pendingOut()
}

// closeNotify queues TLS's close_notify before the connection's FIN, and
// writes it if the socket takes it at once.
func (lp *eventLoop) closeNotify(c *conn) {
	t := c.tls
	if t == nil || !t.open || t.sentClose {
		return
	}
	t.sentClose = true
	t.conn.CloseWrite() // into the transport: never blocks
	t.tr.writeOut(c.sock)
}

// endTLS releases c's TLS state when the connection closes: a handshake
// goroutine still waiting for input ends.
func (c *conn) endTLS() {
	if c.tls != nil {
		c.tls.tr.Close()
	}
}

// tlsState is what Request.TLS reports for c.
func (c *conn) tlsState() *tls.ConnectionState {
	if c.tls == nil {
		return nil
	}
	return c.tls.state
}
