// Package http_test drives a real phttp server over loopback with net/http's
// client, raw sockets and curl: keep-alive, pipelining, limits, timeouts,
// hostile input, streaming bodies, the Host allow-list and the server's
// life cycle.
package http_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// echo answers every HTTP request with a one-line description of it, so a
// test can tell which request an answer belongs to.
func echo(w *phttp.Response, r *phttp.Request) {
	if r.Type != phttp.HTTP {
		return
	}
	fmt.Fprintf(w, "%s %s host=%s body=%q", r.Method, r.URI, r.Host, r.Body)
}

// echoBody is what echo answers.
func echoBody(method, uri, host, body string) string {
	return fmt.Sprintf("%s %s host=%s body=%q", method, uri, host, body)
}

// counting wraps h and counts its calls (atomically: the test goroutine
// reads the count while the loop runs).
type counting struct {
	n atomic.Int64
	h phttp.Handler
}

func (c *counting) handle(w *phttp.Response, r *phttp.Request) {
	c.n.Add(1)
	if c.h != nil {
		c.h(w, r)
	} else {
		echo(w, r)
	}
}

// syncBuffer is a bytes.Buffer the loop goroutine writes (through slog)
// while the test goroutine reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newLogger returns a debug-level text logger writing into a buffer.
func newLogger() (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// request builds a GET request with Host: localhost.
func get(path string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n"
}

// getClose builds a GET request with Host: localhost and Connection: close.
func getClose(path string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
}

// closeKind says how a read loop ended.
type closeKind int

const (
	endEOF     closeKind = iota // the server closed cleanly (FIN)
	endReset                    // the server reset the connection
	endTimeout                  // our deadline passed: the server kept it open
	endOther
)

func (k closeKind) String() string {
	return [...]string{"EOF", "reset", "timeout (still open)", "other error"}[k]
}

func classify(err error) closeKind {
	var ne net.Error
	switch {
	case err == nil, errors.Is(err, io.EOF):
		return endEOF
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return endReset
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return endTimeout
	}
	return endOther
}

// readToEnd reads from r until an error and says how it ended.
func readToEnd(r io.Reader) (string, closeKind) {
	var sb strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			return sb.String(), classify(err)
		}
	}
}

// exchange writes req on a new connection and returns what the server sent
// until it closed the connection (or d passed) and how that ended.
func exchange(t testing.TB, s *testserver.Running, req string, d time.Duration) (string, closeKind) {
	t.Helper()
	c := s.Dial(t, d)
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatalf("write: %v", err)
	}
	return readToEnd(c)
}

// parseAll parses every response in raw (answers to requests made with
// methods, in order) and returns them with their bodies.
func parseAll(t testing.TB, raw string, methods ...string) ([]*http.Response, []string) {
	t.Helper()
	br := bufio.NewReader(strings.NewReader(raw))
	var resps []*http.Response
	var bodies []string
	for i, m := range methods {
		resp, err := http.ReadResponse(br, &http.Request{Method: m})
		if err != nil {
			t.Fatalf("response %d of %d: %v\nraw: %q", i+1, len(methods), err, raw)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("response %d body: %v", i+1, err)
		}
		resps = append(resps, resp)
		bodies = append(bodies, string(b))
	}
	return resps, bodies
}

// hasClose reports whether resp asks for the connection to close
// (net/http's ReadResponse moves "Connection: close" into resp.Close).
func hasClose(resp *http.Response) bool {
	if resp.Close {
		return true
	}
	for _, v := range resp.Header.Values("Connection") {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "close") {
				return true
			}
		}
	}
	return false
}

// mustServe checks that a new client is answered normally.
func mustServe(t testing.TB, s *testserver.Running) {
	t.Helper()
	mustServeHost(t, s, "localhost")
}

// mustServeHost is mustServe with another Host.
func mustServeHost(t testing.TB, s *testserver.Running, host string) {
	t.Helper()
	c := s.Dial(t, 5*time.Second)
	defer c.Close()
	if _, err := io.WriteString(c, "GET /still-serving HTTP/1.1\r\nHost: "+host+"\r\n\r\n"); err != nil {
		t.Fatalf("still serving? write: %v", err)
	}
	resp, body := testserver.ReadResponse(t, bufio.NewReader(c), "GET")
	if resp.StatusCode != 200 {
		t.Fatalf("still serving? status %d, body %q", resp.StatusCode, body)
	}
}

// waitUntil polls cond every few milliseconds for at most d: for state that
// has no event to wait on (Connections()).
func waitUntil(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// roundTrip writes req on c and reads one response.
func roundTrip(t testing.TB, c net.Conn, br *bufio.Reader, req, method string) (*http.Response, string) {
	t.Helper()
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatalf("write: %v", err)
	}
	return testserver.ReadResponse(t, br, method)
}

// expectNothing checks that nothing arrives on c within d.
func expectNothing(t testing.TB, c net.Conn, d time.Duration, what string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	var b [256]byte
	n, err := c.Read(b[:])
	if n > 0 || classify(err) != endTimeout {
		t.Fatalf("%s: expected nothing, got %q (err %v)", what, b[:n], err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
}

// awaitClosed reads from c (whose deadline is set by the caller) until the
// server closes it, failing if data arrives or the deadline passes.
func awaitClosed(t testing.TB, c net.Conn, what string) closeKind {
	t.Helper()
	got, how := readToEnd(c)
	if got != "" {
		t.Errorf("%s: unexpected bytes before close: %q", what, got)
	}
	if how == endTimeout || how == endOther {
		t.Fatalf("%s: connection not closed by the server (%v)", what, how)
	}
	return how
}
