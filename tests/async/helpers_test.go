// Package async holds the end-to-end tests of phttp's asynchronous side
// (issue 3): detached answers finished from other goroutines, WebSocket
// frames pushed through the bounded per-connection queue, Post, and the
// WriteTimeout that frees broadcasters from stalled clients. Every test
// drives a real server over loopback with net/http, gorilla/websocket or
// raw sockets; every network loop is bounded in count and in time.
package async

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
)

const (
	kib = 1 << 10
	mib = 1 << 20
)

// The deterministic byte streams: stream seed at offset off is
// patTable[(off+seed*7919) % patPeriod]. The period is prime, so a 64 KiB
// piece that arrives twice, late or early shifts the pattern and is
// caught, and streams with different seeds differ.
const patPeriod = 65521

var patTable = func() []byte {
	r := rand.New(rand.NewPCG(0x5eed, 3))
	b := make([]byte, 2*patPeriod)
	for i := range patPeriod {
		b[i] = byte(r.Uint32())
	}
	copy(b[patPeriod:], b[:patPeriod])
	return b
}()

func patStart(off int64, seed int) int {
	return int((off + int64(seed)*7919) % patPeriod)
}

// appendPattern appends n bytes of stream seed, from offset off, to dst.
func appendPattern(dst []byte, off int64, seed, n int) []byte {
	for n > 0 {
		s := patStart(off, seed)
		k := min(n, patPeriod)
		dst = append(dst, patTable[s:s+k]...)
		off += int64(k)
		n -= k
	}
	return dst
}

// checkPattern compares p, byte by byte, with stream seed from offset off;
// it returns the index of the first byte that differs, or -1.
func checkPattern(p []byte, off int64, seed int) int {
	for i := 0; i < len(p); {
		s := patStart(off+int64(i), seed)
		k := min(len(p)-i, patPeriod)
		if !bytes.Equal(p[i:i+k], patTable[s:s+k]) {
			for j := range k {
				if p[i+j] != patTable[s+j] {
					return i + j
				}
			}
		}
		i += k
	}
	return -1
}

// streamPattern finishes a detached answer with size bytes of stream seed,
// flushed in pieces of piece bytes, the way a worker would: it returns the
// first error of Flush or Send.
func streamPattern(w *phttp.Response, seed, size, piece int) error {
	for off := 0; off < size; off += piece {
		w.Body = appendPattern(w.Body[:0], int64(off), seed, min(piece, size-off))
		if err := w.Flush(); err != nil {
			return fmt.Errorf("flush at %d: %w", off, err)
		}
	}
	if err := w.Send(); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	return nil
}

// readPatternBody reads the body of resp in reads of at most bufSize bytes
// and checks it against stream seed; it returns the bytes read.
func readPatternBody(r io.Reader, seed int, bufSize int, pace func(n int64)) (int64, error) {
	buf := make([]byte, bufSize)
	var off int64
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if i := checkPattern(buf[:n], off, seed); i >= 0 {
				return off, fmt.Errorf("byte %d of stream %d differs", off+int64(i), seed)
			}
			off += int64(n)
			if pace != nil {
				pace(off)
			}
		}
		if err == io.EOF {
			return off, nil
		}
		if err != nil {
			return off, err
		}
	}
}

// readResponse is testserver.ReadResponse for goroutines other than the
// test's: it returns errors instead of failing.
func readResponse(br *bufio.Reader, method string) (*http.Response, []byte, error) {
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		return nil, nil, fmt.Errorf("reading response: %w", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return resp, body, fmt.Errorf("reading body: %w", err)
	}
	return resp, body, nil
}

// dialSmallBuffer dials addr with the socket's receive buffer set to rcvbuf
// bytes before connecting, so that a client that stops reading stalls the
// server after a few KiB instead of megabytes of kernel buffer.
func dialSmallBuffer(network, addr string, rcvbuf int) (net.Conn, error) {
	return dialSmallWindow(network, addr, rcvbuf, 0)
}

// dialSmallWindow is dialSmallBuffer that also announces a maximum segment
// size of mss bytes (if not 0). On loopback the MSS is about 64 KiB and
// the server's send buffer starts at some 20 segments, over a MiB; a small
// MSS keeps it at a few dozen KiB, so that a stalled client fills the
// server's queue soon.
func dialSmallWindow(network, addr string, rcvbuf, mss int) (net.Conn, error) {
	d := net.Dialer{Timeout: 5 * time.Second, Control: func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = setSmallWindow(fd, rcvbuf, mss) })
		if err != nil {
			return err
		}
		return serr
	}}
	return d.Dial(network, addr)
}

// waitUntil polls cond every millisecond until it holds or d passes, for
// conditions no channel reports (a queue's credit, a connection count).
func waitUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
}

// recvTimeout receives from ch or fails the test after d.
func recvTimeout[T any](t testing.TB, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("timed out after %v waiting for %s", d, what)
		panic("unreachable")
	}
}

// postWait runs f on srv's loop goroutine and waits (at most 5 s) for it.
func postWait(t testing.TB, srv *phttp.Server, f func()) {
	t.Helper()
	done := make(chan struct{})
	if err := srv.Post(func() { f(); close(done) }); err != nil {
		t.Fatalf("Post: %v", err)
	}
	recvTimeout(t, done, 5*time.Second, "a posted function")
}

// getRequest is a minimal HTTP/1.1 GET for raw sockets.
func getRequest(target string) string {
	return "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n"
}

// lagProbe measures how late the server's loop runs: every 10 ms it posts
// a function and records how long the loop took to run it. Timing bounds
// add the worst lag, so that a loop starved by a busy machine (or by the
// hundreds of client goroutines sharing the test process under -race) is
// told apart from a server that is late by itself.
type lagProbe struct {
	max  atomic.Int64 // time.Duration
	stop chan struct{}
	done chan struct{}
}

func startLagProbe(srv *phttp.Server) *lagProbe {
	p := &lagProbe{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for {
			ran := make(chan struct{})
			t0 := time.Now()
			if srv.Post(func() {
				if d := int64(time.Since(t0)); d > p.max.Load() {
					p.max.Store(d)
				}
				close(ran)
			}) != nil {
				return
			}
			select {
			case <-ran:
			case <-p.stop:
				return
			}
			select {
			case <-p.stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return p
}

// finish stops the probe and returns the worst lag seen.
func (p *lagProbe) finish() time.Duration {
	close(p.stop)
	<-p.done
	return time.Duration(p.max.Load())
}
