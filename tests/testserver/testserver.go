// Package testserver starts phttp servers on loopback for the end-to-end
// tests and gives them raw-socket helpers. It is test support only: it
// never listens beyond 127.0.0.1, [::1] or a temporary unix socket.
package testserver

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
)

// Running is a server whose loop runs on its own goroutine.
type Running struct {
	*phttp.Server
	URL  string // "http://127.0.0.1:port"
	Host string // "127.0.0.1:port"
	done chan error
}

// Start listens on 127.0.0.1:0, runs s on a new goroutine, and stops it
// (failing the test if Run returned an error) when the test ends.
func Start(t testing.TB, s *phttp.Server) *Running {
	t.Helper()
	return StartOn(t, s, "tcp", "127.0.0.1:0")
}

// StartOn is Start on another network and address.
func StartOn(t testing.TB, s *phttp.Server, network, addr string) *Running {
	t.Helper()
	if OverTLS && s.TLSConfig == nil {
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{LocalCert(t).TLS}}
	}
	if err := s.Listen(network, addr); err != nil {
		t.Fatalf("listen %s %s: %v", network, addr, err)
	}
	r := &Running{Server: s, done: make(chan error, 1)}
	r.Host = s.Addr().String()
	r.URL = "http://" + r.Host
	if s.TLSConfig != nil {
		r.URL = "https://" + r.Host
	}
	go func() { r.done <- s.Run() }()
	t.Cleanup(func() { r.StopAndWait(t) })
	return r
}

// StopAndWait stops the server and waits (at most 10 s) for Run to return.
func (r *Running) StopAndWait(t testing.TB) {
	t.Helper()
	r.Stop()
	select {
	case err, ok := <-r.done:
		// ErrServerStopped: Stop came before the goroutine entered Run.
		if ok && err != nil && !errors.Is(err, phttp.ErrServerStopped) {
			t.Errorf("Run returned %v", err)
		}
		if ok {
			close(r.done)
		}
	case <-time.After(10 * time.Second):
		t.Errorf("Run did not return within 10s of Stop")
	}
}

// Done is closed-or-sent when Run returns.
func (r *Running) Done() <-chan error { return r.done }

// Dial opens a connection to the server with a deadline of d for
// everything done on it: raw TCP, or with PHTTP_TEST_TLS a TLS
// connection whose handshake is done (use TCP to reach its socket).
func (r *Running) Dial(t testing.TB, d time.Duration) net.Conn {
	t.Helper()
	c := r.DialTCP(t, d)
	if !OverTLS || r.Server.TLSConfig == nil {
		return c
	}
	tc := tls.Client(c, clientTLS())
	if err := tc.Handshake(); err != nil {
		t.Fatalf("TLS handshake: %v", err)
	}
	return tc
}

// DialTCP opens a raw TCP connection to the server, TLS or not, with a
// deadline of d for everything done on it.
func (r *Running) DialTCP(t testing.TB, d time.Duration) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", r.Host, 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c.SetDeadline(time.Now().Add(d))
	t.Cleanup(func() { c.Close() })
	return c
}

// TCP returns the TCP connection under c (c itself on plain TCP).
func TCP(c net.Conn) *net.TCPConn {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	return c.(*net.TCPConn)
}

// CloseWrite half-closes c: on TLS, close_notify and then the FIN.
func CloseWrite(c net.Conn) error {
	if tc, ok := c.(*tls.Conn); ok {
		if err := tc.CloseWrite(); err != nil {
			return err
		}
	}
	return TCP(c).CloseWrite()
}

// Client returns a net/http client with its own keep-alive pool (one
// that trusts the test certificate with PHTTP_TEST_TLS).
func Client() *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	if OverTLS {
		tr.TLSClientConfig = clientTLS()
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// WSURL is the ws:// (or, over TLS, wss://) URL of path on the server.
func (r *Running) WSURL(path string) string {
	if r.Server.TLSConfig != nil {
		return "wss://" + r.Host + path
	}
	return "ws://" + r.Host + path
}

// ReadResponse reads one response from br for a request with method.
func ReadResponse(t testing.TB, br *bufio.Reader, method string) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return resp, string(body)
}

// RawExchange writes req on a new connection and returns everything the
// server sends until it closes the connection or d passes.
func (r *Running) RawExchange(t testing.TB, req string, d time.Duration) string {
	t.Helper()
	c := r.Dial(t, d)
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatalf("write: %v", err)
	}
	var sb strings.Builder
	io.Copy(&sb, c)
	return sb.String()
}

// StatusOf returns the status code of the first response in raw, or 0.
func StatusOf(raw string) int {
	resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(raw)), nil)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
