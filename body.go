package phttp

import (
	"fmt"
	"sync"
)

// bodyWindow is how much of a streamed body may wait unread in a
// BodyReader before the loop stops reading the client's socket: a slow
// disk slows the client (TCP flow control), not the server's heap.
const bodyWindow = 64 << 10

// bodyPipe carries a streamed body from the loop to the goroutine reading
// it through Request.BodyReader. The loop writes pieces as they arrive
// (a copy: the read buffer is reused) and pauses the socket while the
// pipe holds bodyWindow or more; the reader wakes the loop again once it
// has taken the pipe below that.
type bodyPipe struct {
	mu      sync.Mutex // guards everything below
	ready   sync.Cond  // signalled when bytes or the end arrive
	buf     []byte     // unread bytes
	off     int        // read position in buf
	err     error      // io.EOF once the body ended, else why it broke
	paused  bool       // the loop stopped reading for this pipe: wake it below the window
	resume  func()     // wakes the loop for this connection (any goroutine)
	discard bool       // the reader said it wants no more (closed)
}

func newBodyPipe(resume func()) *bodyPipe {
	p := &bodyPipe{resume: resume}
	p.ready.L = &p.mu
	return p
}

// write adds a piece of the body. The loop's.
func (p *bodyPipe) write(piece []byte) {
	if len(piece) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil || p.discard {
		return
	}
	if p.off > 0 {
		// Drop what was read: the unread rest is at most the window and
		// one read, so the copy is small, and the buffer never grows with
		// a reader that lags but never quite catches up.
		n := copy(p.buf, p.buf[p.off:])
		p.buf, p.off = p.buf[:n], 0
	}
	p.buf = append(p.buf, piece...)
	p.ready.Signal()
}

// end closes the pipe with err (io.EOF: the body is complete). Only the
// first end counts. The loop's.
func (p *bodyPipe) end(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		p.err = err
		p.ready.Broadcast()
	}
}

// full reports whether the loop must stop reading for this pipe, and if
// so remembers to be woken. The loop's.
func (p *bodyPipe) full() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused = len(p.buf)-p.off >= bodyWindow && p.err == nil && !p.discard
	return p.paused
}

// held is the memory the pipe holds, for MaxBufferedBytes.
func (p *bodyPipe) held() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return cap(p.buf)
}

// bodyReader is what BodyReader returns for a streamed body.
type bodyReader struct{ p *bodyPipe }

// Read blocks until body bytes arrive or the body ends. It returns io.EOF
// at the end of a whole body, an error wrapping ErrBodyTooLarge past
// MaxBodyBytes, and ErrClosed (or ErrServerStopped) when the connection
// went before the body ended.
func (r bodyReader) Read(b []byte) (int, error) {
	p := r.p
	p.mu.Lock()
	for p.off == len(p.buf) && p.err == nil {
		p.ready.Wait()
	}
	if p.off == len(p.buf) {
		err := p.err
		p.mu.Unlock()
		return 0, err
	}
	n := copy(b, p.buf[p.off:])
	p.off += n
	wake := p.paused && len(p.buf)-p.off < bodyWindow
	if wake {
		p.paused = false
	}
	if p.off == len(p.buf) && cap(p.buf) > 2*bodyWindow {
		p.buf, p.off = nil, 0 // one big read need not stay with the connection
	}
	p.mu.Unlock()
	if wake {
		p.resume()
	}
	return n, nil
}

// Close tells the loop that the rest of the body is not wanted: it is
// read and dropped (within MaxBodyBytes), and the connection goes on.
func (r bodyReader) Close() error {
	p := r.p
	p.mu.Lock()
	p.discard = true
	p.buf, p.off = nil, 0
	wake := p.paused
	p.paused = false
	p.mu.Unlock()
	if wake {
		p.resume()
	}
	return nil
}

// errBodyLimit is what a BodyReader reports past MaxBodyBytes.
func errBodyLimit(max int64) error {
	return fmt.Errorf("%w (%d bytes)", ErrBodyTooLarge, max)
}
