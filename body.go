package phttp

import (
	"fmt"
	"os"
	"sync"
	"time"
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
	// owes100: the loop holds back a 100 Continue until the first Read
	// (as net/http does), so that a handler that answers without reading
	// spares the client its upload; asked100: that Read came; reading:
	// a Read has begun at all.
	owes100, asked100, reading bool
	taken                      int64 // bytes Read has returned (HTTP/2 gives them back as window)
	// notify: wake the loop at the first Read after every write (HTTP/2,
	// where what was read goes back to the client as window), not only
	// when the pipe falls below the window.
	notify bool
	readDL deadline // Read gives up with os.ErrDeadlineExceeded past it
}

func newBodyPipe(resume func()) *bodyPipe {
	p := &bodyPipe{resume: resume}
	p.ready.L = &p.mu
	p.readDL.onPass = p.wakeReaders
	return p
}

func (p *bodyPipe) wakeReaders() {
	p.mu.Lock()
	p.ready.Broadcast()
	p.mu.Unlock()
}

// deferContinue asks the pipe to tell the loop when the body is first
// read; it reports false when a Read already began (send the 100 now).
// The loop's.
func (p *bodyPipe) deferContinue() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reading {
		return false
	}
	p.owes100 = true
	return true
}

// continueAsked reports, once, that the reader wants the body the loop
// holds a 100 Continue back for. The loop's.
func (p *bodyPipe) continueAsked() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	asked := p.asked100
	p.asked100 = false
	return asked
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
	p.paused = p.paused || p.notify
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
	full := len(p.buf)-p.off >= bodyWindow && p.err == nil && !p.discard
	p.paused = p.paused || full
	return full
}

// progress reports how many bytes the reader is done with (-1 once it
// closed: all of them). With notify, while bytes wait unread the next
// Read wakes the loop, decided under the same lock so that no Read in
// between goes unreported. The loop's.
func (p *bodyPipe) progress() (done int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.discard {
		return -1
	}
	p.paused = p.notify && len(p.buf) > p.off && p.err == nil
	return p.taken
}

// wanted reports whether the reader still takes the body: it has not
// closed, and the body has not ended. The loop's.
func (p *bodyPipe) wanted() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.discard && p.err == nil
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
	return r.p.read(b)
}

func (p *bodyPipe) read(b []byte) (int, error) {
	p.mu.Lock()
	p.reading = true
	ask := p.owes100
	if ask {
		p.owes100, p.asked100 = false, true
		p.mu.Unlock()
		p.resume()
		p.mu.Lock()
	}
	passed := p.readDL.wait()
	for p.off == len(p.buf) && p.err == nil && !isClosed(passed) {
		p.ready.Wait()
	}
	if p.off == len(p.buf) {
		err := p.err
		if err == nil {
			err = os.ErrDeadlineExceeded
		}
		p.mu.Unlock()
		return 0, err
	}
	n := copy(b, p.buf[p.off:])
	p.off += n
	p.taken += int64(n)
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

// SetReadDeadline makes a Read that waits past t return an error
// wrapping os.ErrDeadlineExceeded (the zero time: no deadline), as
// net.Conn does; http.ResponseController uses it. Any goroutine.
func (r bodyReader) SetReadDeadline(t time.Time) error {
	r.p.readDL.set(t)
	return nil
}

// Close tells the loop that the rest of the body is not wanted: it is
// read and dropped (within MaxBodyBytes), and the connection goes on.
func (r bodyReader) Close() error { return r.p.close() }

func (p *bodyPipe) close() error {
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
