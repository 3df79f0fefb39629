package http_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// TestInvalidFinalStatus: a final status outside 200–599 set by the
// handler is answered 500 and logged, synchronous or detached; a 101 the
// loop did not agree to (no AcceptWebSocket) is one of them, and the bytes
// after it are still parsed as the next HTTP request.
func TestInvalidFinalStatus(t *testing.T) {
	logger, logs := newLogger()
	s := testserver.Start(t, &phttp.Server{Logger: logger, Handler: func(w *phttp.Response, r *phttp.Request) {
		var status int
		fmt.Sscan(r.Query().Get("s"), &status)
		if r.Query().Get("detach") != "" {
			w.Detach()
			go func() {
				w.Status = status
				w.WriteString("detached")
				w.Send()
			}()
			return
		}
		w.Status = status
		if status == 101 {
			w.SetHeader("Upgrade", "echo")
		}
		w.WriteString("body")
	}})
	for _, status := range []string{"100", "103", "42", "-1", "1000", "101", "199", "600"} {
		for _, detach := range []string{"", "&detach=1"} {
			c := s.Dial(t, 5*time.Second)
			br := bufio.NewReader(c)
			io.WriteString(c, get("/?s="+status+detach)+get("/?s=204"))
			resp, _ := testserver.ReadResponse(t, br, "GET")
			if resp.StatusCode != 500 {
				t.Errorf("status %s%s: answered %d, want 500", status, detach, resp.StatusCode)
			}
			next, _ := testserver.ReadResponse(t, br, "GET")
			if next.StatusCode != 204 {
				t.Errorf("status %s%s: the request after it was answered %d, want 204", status, detach, next.StatusCode)
			}
			c.Close()
		}
	}
	for _, ok := range []string{"200", "299", "599"} {
		if raw, _ := exchange(t, s, getClose("/?s="+ok), 5*time.Second); testserver.StatusOf(raw) != atoi(ok) {
			t.Errorf("status %s: %q", ok, raw)
		}
	}
	if n := strings.Count(logs.String(), "invalid final status"); n != 16 {
		t.Errorf("logged %d invalid statuses, want 16 (once each)", n)
	}
}

func atoi(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}

// TestDetachedBodyStaysValid: a goroutine started right after Detach reads
// the request's body, path and headers after other clients' bytes went
// through the loop's read buffer: it sees its own request, not theirs.
func TestDetachedBodyStaysValid(t *testing.T) {
	release := make(chan struct{})
	s := testserver.Start(t, &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		if r.Path != "/slow" {
			fmt.Fprintf(w, "%s", r.Body)
			return
		}
		w.Detach()
		// As in "w.Detach(); go use(r.Body)": the slice is taken before
		// the handler returns.
		go func(body []byte) {
			<-release
			fmt.Fprintf(w, "%s %s %s", r.Path, r.Header.Get("X-Mine"), body)
			w.Send()
		}(r.Body)
	}})
	a := s.Dial(t, 10*time.Second)
	mine := strings.Repeat("A", 3000)
	io.WriteString(a, "POST /slow HTTP/1.1\r\nHost: localhost\r\nX-Mine: a-header\r\nContent-Length: 3000\r\n\r\n"+mine)
	// Other clients' requests and bodies now pass through the read buffer.
	for i := range 20 {
		other := strings.Repeat(string(rune('a'+i%26)), 3000)
		raw, _ := exchange(t, s, "POST /fast HTTP/1.1\r\nHost: localhost\r\nX-Mine: other\r\nConnection: close\r\nContent-Length: 3000\r\n\r\n"+other, 5*time.Second)
		if !strings.HasSuffix(raw, other) {
			t.Fatalf("other client %d: %q", i, raw)
		}
	}
	close(release)
	resp, body := testserver.ReadResponse(t, bufio.NewReader(a), "POST")
	if want := "/slow a-header " + mine; resp.StatusCode != 200 || body != want {
		t.Fatalf("detached answer read %.80q..., want %.80q...", body, want)
	}
}

// TestStopWhileStepping: Stop from another goroutine, while a program
// drives the loop with Step, runs nothing of the teardown there: the
// handler's WebSocketClose (and every other call) comes on the goroutine
// that drives the loop, in its next Step, which returns ErrServerStopped.
func TestStopWhileStepping(t *testing.T) {
	var inStep atomic.Bool
	var wrongGoroutine, closes atomic.Int64
	srv := &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		if !inStep.Load() {
			wrongGoroutine.Add(1)
		}
		switch r.Type {
		case phttp.HTTP:
			w.AcceptWebSocket("")
		case phttp.WebSocketClose:
			closes.Add(1)
		}
	}}
	if err := srv.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	steps := make(chan chan error)
	driverDone := make(chan struct{})
	go func() { // the driver: one Step per request on steps
		defer close(driverDone)
		for reply := range steps {
			inStep.Store(true)
			err := srv.Step(20 * time.Millisecond)
			inStep.Store(false)
			reply <- err
		}
	}()
	step := func() error {
		reply := make(chan error)
		steps <- reply
		return <-reply
	}
	defer func() { close(steps); <-driverDone }()

	c, err := net.DialTimeout("tcp", srv.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	br := bufio.NewReader(c)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var status string
	for i := 0; i < 200 && status == ""; i++ {
		if err := step(); err != nil {
			t.Fatalf("Step: %v", err)
		}
		c.SetReadDeadline(time.Now().Add(time.Millisecond))
		status, _ = br.ReadString('\n')
	}
	if !strings.Contains(status, "101") {
		t.Fatalf("no 101 within 200 steps: %q", status)
	}
	srv.Stop() // the driver is between steps now
	if closes.Load() != 0 {
		t.Fatal("Stop ran the handler's WebSocketClose on its own goroutine")
	}
	if err := step(); !errors.Is(err, phttp.ErrServerStopped) {
		t.Fatalf("the Step after Stop: %v, want ErrServerStopped", err)
	}
	if closes.Load() != 1 || wrongGoroutine.Load() != 0 {
		t.Fatalf("WebSocketClose seen %d times (want 1), handler calls outside Step: %d", closes.Load(), wrongGoroutine.Load())
	}
}

// TestPostRacingStop: every Post either runs its function or returns
// ErrClosed, whatever the timing against Stop; and Shutdown after Stop
// does not claim a graceful end.
func TestPostRacingStop(t *testing.T) {
	for round := range 30 {
		srv := &phttp.Server{}
		s := testserver.Start(t, srv)
		var accepted, ran atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for range 200 {
					switch err := srv.Post(func() { ran.Add(1) }); {
					case err == nil:
						accepted.Add(1)
					case !errors.Is(err, phttp.ErrClosed):
						t.Errorf("round %d: Post returned %v, want nil or ErrClosed", round, err)
						return
					}
				}
			}()
		}
		close(start)
		s.StopAndWait(t)
		wg.Wait()
		if accepted.Load() != ran.Load() {
			t.Fatalf("round %d: %d Posts returned nil but %d functions ran", round, accepted.Load(), ran.Load())
		}
		if err := srv.Shutdown(context.Background()); err == nil {
			t.Fatalf("round %d: Shutdown after Stop returned nil", round)
		}
	}
}

// TestDetachedClientGone: a client that closes while its answer is
// detached is noticed: the connection is no longer counted, the answer's
// Flush returns ErrClosed, and Shutdown does not wait for it.
func TestDetachedClientGone(t *testing.T) {
	flushErr := make(chan error, 1)
	gone := make(chan struct{})
	srv := &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		w.Detach()
		go func() {
			<-gone
			w.WriteString("late")
			flushErr <- w.Flush()
		}()
	}}
	s := testserver.Start(t, srv)
	c := s.Dial(t, 5*time.Second)
	io.WriteString(c, get("/hang"))
	waitUntil(t, 5*time.Second, "the connection to be counted", func() bool { return srv.Connections() == 1 })
	c.Close()
	start := time.Now()
	waitUntil(t, 5*time.Second, "a client that left its detached answer to be uncounted", func() bool { return srv.Connections() == 0 })
	t.Logf("noticed in %v", time.Since(start).Round(time.Millisecond))
	close(gone)
	select {
	case err := <-flushErr:
		if !errors.Is(err, phttp.ErrClosed) {
			t.Fatalf("Flush after the client left: %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Flush did not return")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

// TestAbsoluteFormAuthority: an absolute-form target's authority is
// checked exactly as a Host header is: malformed ones get 400, and the
// allow-list applies to it.
func TestAbsoluteFormAuthority(t *testing.T) {
	calls := &counting{}
	s := testserver.Start(t, &phttp.Server{Handler: calls.handle})
	for _, target := range []string{"http://h\\x/", "http://a:80:90/", "http://[::1/", "http://localhost:evil/", "http://local host/", "http://[::1]x/"} {
		raw, _ := exchange(t, s, "GET "+target+" HTTP/1.1\r\nHost: localhost\r\n\r\n", 5*time.Second)
		if got := testserver.StatusOf(raw); got != 400 {
			t.Errorf("GET %s: %d, want 400 (%q)", target, got, raw)
		}
		hostRaw, _ := exchange(t, s, "GET / HTTP/1.1\r\nHost: "+strings.TrimSuffix(strings.TrimPrefix(target, "http://"), "/")+"\r\n\r\n", 5*time.Second)
		if got := testserver.StatusOf(hostRaw); got != 400 {
			t.Errorf("the same authority as a Host header: %d, want 400", got)
		}
	}
	for target, want := range map[string]int{"http://evil.example/": 421, "http://localhost:8080/x": 200, "http://[::1]:1/": 200, "HTTP://127.0.0.1/": 200} {
		raw, _ := exchange(t, s, "GET "+target+" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", 5*time.Second)
		if got := testserver.StatusOf(raw); got != want {
			t.Errorf("GET %s: %d, want %d", target, got, want)
		}
	}
	if n := calls.n.Load(); n != 3 {
		t.Errorf("handler called %d times, want 3 (the allowed absolute forms only)", n)
	}
}

// TestBufferedBytesBudget: MaxBufferedBytes bounds the partial input of
// all connections together. Unfinished heads and bodies within it are
// served; past it the connection holding the most is refused (431 for a
// head, 413 for a body) and the others go on.
func TestBufferedBytesBudget(t *testing.T) {
	const budget = 44 << 10
	s := testserver.Start(t, &phttp.Server{MaxBufferedBytes: budget, MaxBodyBytes: 1 << 20, Handler: echoLen})
	partialHead := func(n int) (net.Conn, *bufio.Reader) {
		c := s.Dial(t, 10*time.Second)
		io.WriteString(c, "GET /h HTTP/1.1\r\nHost: localhost\r\nX-Pad: "+strings.Repeat("p", n))
		return c, bufio.NewReader(c)
	}
	partialBody := func(n, total int) (net.Conn, *bufio.Reader) {
		c := s.Dial(t, 10*time.Second)
		fmt.Fprintf(c, "POST /b HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n%s", total, strings.Repeat("b", n))
		return c, bufio.NewReader(c)
	}
	barrier := func() { mustServe(t, s); mustServe(t, s) } // the loop has read what was sent before

	// Within the budget: three unfinished heads (8 KiB buffers) and two
	// unfinished bodies (4 KiB), 33 KiB in all, each under what a hog
	// below holds when the sum passes the budget (over TLS a hog comes a
	// record, 16 KiB, at a time, and the budget refuses whoever holds the
	// most at that moment).
	var heads, bodies []net.Conn
	var headR, bodyR []*bufio.Reader
	for range 3 {
		c, br := partialHead(4 << 10)
		heads, headR = append(heads, c), append(headR, br)
	}
	for range 2 {
		c, br := partialBody(4000, 8000)
		bodies, bodyR = append(bodies, c), append(bodyR, br)
	}
	barrier()
	// Past it: one connection with far more than any other.
	hog, hogR := partialHead(60 << 10)
	resp, _ := testserver.ReadResponse(t, hogR, "GET")
	if resp.StatusCode != 431 || !hasClose(resp) {
		t.Fatalf("the biggest holder past the budget: %d, want 431 with Connection: close", resp.StatusCode)
	}
	hog.Close()
	bigBody, bigBodyR := partialBody(120000, 240000)
	resp, _ = testserver.ReadResponse(t, bigBodyR, "POST")
	if resp.StatusCode != 413 {
		t.Fatalf("the biggest body holder past the budget: %d, want 413", resp.StatusCode)
	}
	bigBody.Close()
	// The others finish and are served.
	for i, c := range heads {
		io.WriteString(c, "\r\n\r\n")
		if resp, body := testserver.ReadResponse(t, headR[i], "GET"); resp.StatusCode != 200 || body != "0" {
			t.Errorf("head %d within the budget: %d %q", i, resp.StatusCode, body)
		}
	}
	for i, c := range bodies {
		io.WriteString(c, strings.Repeat("b", 4000))
		if resp, body := testserver.ReadResponse(t, bodyR[i], "POST"); resp.StatusCode != 200 || body != "8000" {
			t.Errorf("body %d within the budget: %d %q", i, resp.StatusCode, body)
		}
	}
	mustServe(t, s)
}

// echoLen answers with the length of the request body.
func echoLen(w *phttp.Response, r *phttp.Request) {
	if r.Type == phttp.HTTP {
		fmt.Fprintf(w, "%d", len(r.Body))
	}
}
