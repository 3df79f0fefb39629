package http_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// hijackEcho serves a hijacked connection: it writes its own 101, then
// echoes lines until "quit" (closing) or the client's end, and reports
// how reading ended.
func hijackEcho(conn net.Conn, ended chan<- error) {
	defer conn.Close()
	io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
	br := bufio.NewReader(conn)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			ended <- err
			return
		}
		if line == "quit\n" {
			ended <- nil
			return
		}
		if _, err := io.WriteString(conn, "echo "+line); err != nil {
			ended <- err
			return
		}
	}
}

// TestHijack: Response.Hijack hands the connection over as a net.Conn,
// from the handler call and from a detached answer's goroutine; bytes the
// client sent right after the head are read first; the client's FIN is
// io.EOF; Close from the taker closes the socket.
func TestHijack(t *testing.T) {
	ended := make(chan error, 4)
	misuse := make(chan error, 4)
	srv := &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		if r.Type != phttp.HTTP {
			return
		}
		switch r.Path {
		case "/in-call":
			conn, err := w.Hijack()
			if err != nil {
				misuse <- err
				return
			}
			go hijackEcho(conn, ended)
		case "/detached":
			w.Detach()
			go func() {
				conn, err := w.Hijack()
				if err != nil {
					misuse <- err
					w.Send()
					return
				}
				hijackEcho(conn, ended)
			}()
		case "/flushed":
			w.Detach()
			go func() {
				w.WriteString("x")
				w.Flush()
				_, err := w.Hijack()
				misuse <- err
				w.Send()
			}()
		}
	}}
	s := testserver.Start(t, srv)
	for _, path := range []string{"/in-call", "/detached"} {
		for _, quit := range []bool{true, false} {
			c := s.Dial(t, 10*time.Second)
			fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\nfirst\n", path)
			br := bufio.NewReader(c)
			resp, err := readResponse(br)
			if err != nil || resp != "HTTP/1.1 101 Switching Protocols" {
				t.Fatalf("%s: %q %v", path, resp, err)
			}
			for i := range 50 {
				fmt.Fprintf(c, "line %d\n", i)
			}
			for _, want := range append([]string{"first"}, lines(50)...) {
				got, err := br.ReadString('\n')
				if err != nil || got != "echo "+want+"\n" {
					t.Fatalf("%s: got %q %v, want echo %s", path, got, err, want)
				}
			}
			if quit {
				io.WriteString(c, "quit\n")
				if err := recvTimeout(t, ended, 5*time.Second, "the taker's end"); err != nil {
					t.Errorf("%s: quit: %v", path, err)
				}
				if _, err := br.ReadByte(); err != io.EOF {
					t.Errorf("%s: after the taker's Close: %v, want EOF", path, err)
				}
			} else {
				testserver.CloseWrite(c)
				if err := recvTimeout(t, ended, 5*time.Second, "the taker's end"); err != io.EOF {
					t.Errorf("%s: after the client's FIN the taker read %v, want io.EOF", path, err)
				}
			}
		}
	}
	c := s.Dial(t, 5*time.Second)
	io.WriteString(c, "GET /flushed HTTP/1.1\r\nHost: localhost\r\n\r\n")
	if err := recvTimeout(t, misuse, 5*time.Second, "Hijack after Flush"); !errors.Is(err, phttp.ErrCannotHijack) {
		t.Errorf("Hijack after Flush: %v, want ErrCannotHijack", err)
	}
	waitUntil(t, 5*time.Second, "the hijacked connections to close", func() bool { return srv.Connections() <= 1 })
}

// TestHijackReadDeadline: a hijacked connection's read deadline ends a
// Read that waits, and a later deadline lets reading go on.
func TestHijackReadDeadline(t *testing.T) {
	result := make(chan string, 1)
	srv := &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		if r.Type != phttp.HTTP {
			return
		}
		conn, err := w.Hijack()
		if err != nil {
			result <- err.Error()
			return
		}
		go func() {
			defer conn.Close()
			buf := make([]byte, 16)
			conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			_, err := conn.Read(buf)
			first := errors.Is(err, os.ErrDeadlineExceeded)
			conn.SetReadDeadline(time.Time{})
			io.WriteString(conn, "go\n")
			n, err := io.ReadFull(conn, buf[:4])
			result <- fmt.Sprintf("deadline=%v then %q %v", first, buf[:n], err)
		}()
	}}
	s := testserver.Start(t, srv)
	c := s.Dial(t, 10*time.Second)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
	br := bufio.NewReader(c)
	if line, _ := br.ReadString('\n'); line != "go\n" {
		t.Fatalf("got %q, want go", line)
	}
	io.WriteString(c, "data")
	if got := recvTimeout(t, result, 5*time.Second, "the taker"); got != `deadline=true then "data" <nil>` {
		t.Errorf("got %s", got)
	}
}

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

func readResponse(br *bufio.Reader) (string, error) {
	status, err := br.ReadString('\n')
	if err != nil {
		return "", err
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return "", err
		}
		if line == "\r\n" {
			return strings.TrimSpace(status), nil
		}
	}
}

func lines(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("line %d", i)
	}
	return out
}
