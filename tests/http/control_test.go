package http_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// roundTrips makes n sequential requests on one connection: once they are
// answered, the loop has handled everything sent before them.
func roundTrips(t *testing.T, c net.Conn, br *bufio.Reader, n int) {
	t.Helper()
	for range n {
		io.WriteString(c, get("/barrier"))
		testserver.ReadResponse(t, br, "GET")
	}
}

// TestPauseResume: while accepting is paused, connections already open go
// on and a new one is not accepted; after Resume it is served.
func TestPauseResume(t *testing.T) {
	testserver.SkipOverTLS(t, "a connection made while paused cannot finish its handshake, and Dial makes it")
	s := testserver.Start(t, &phttp.Server{Handler: echo})
	open := s.Dial(t, 10*time.Second)
	openR := bufio.NewReader(open)
	roundTrips(t, open, openR, 1)
	s.Pause()
	roundTrips(t, open, openR, 2) // the loop has applied the pause
	accepted := s.Stats().Accepted
	c := s.Dial(t, 10*time.Second) // completes in the kernel's backlog
	io.WriteString(c, get("/while-paused"))
	roundTrips(t, open, openR, 2)
	if got := s.Stats().Accepted; got != accepted {
		t.Fatalf("accepted %d connections while paused", got-accepted)
	}
	s.Resume()
	resp, body := testserver.ReadResponse(t, bufio.NewReader(c), "GET")
	if resp.StatusCode != 200 || body != echoBody("GET", "/while-paused", "localhost", "") {
		t.Fatalf("after Resume: %d %q", resp.StatusCode, body)
	}
}

// TestSetHandler: handlers swapped from another goroutine while 8 clients
// send requests: every request is answered, wholly by one handler.
func TestSetHandler(t *testing.T) {
	named := func(name string) phttp.Handler {
		return func(w *phttp.Response, r *phttp.Request) {
			w.SetHeader("X-Handler", name)
			w.WriteString(strings.Repeat(name, 100))
		}
	}
	srv := &phttp.Server{Handler: named("a")}
	s := testserver.Start(t, srv)
	var stop atomic.Bool
	swapped := make(chan int)
	go func() {
		n := 0
		for ; !stop.Load(); n++ {
			srv.SetHandler(named(string(rune('b' + n%2))))
			time.Sleep(50 * time.Microsecond)
		}
		swapped <- n
	}()
	client := testserver.Client()
	var wg sync.WaitGroup
	var answered atomic.Int64
	seen := [256]atomic.Int64{}
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				resp, err := client.Get(s.URL + "/")
				if err != nil {
					t.Error(err)
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				name := resp.Header.Get("X-Handler")
				if len(name) != 1 || string(body) != strings.Repeat(name, 100) {
					t.Errorf("torn answer: handler %q, body %.20q", name, body)
					return
				}
				seen[name[0]].Add(1)
				answered.Add(1)
			}
		}()
	}
	wg.Wait()
	stop.Store(true)
	n := <-swapped
	if answered.Load() != 1600 {
		t.Fatalf("%d of 1600 requests answered", answered.Load())
	}
	t.Logf("%d swaps; answers by a %d, b %d, c %d", n, seen['a'].Load(), seen['b'].Load(), seen['c'].Load())
	if seen['b'].Load()+seen['c'].Load() == 0 {
		t.Error("no request reached a handler set with SetHandler")
	}
}

// TestStats: the counters move by exactly the requests, refusals, bytes
// and messages a client makes.
func TestStats(t *testing.T) {
	s := testserver.Start(t, &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		switch {
		case r.IsWebSocketUpgrade():
			w.AcceptWebSocket("")
		case r.Type == phttp.WebSocketText:
			w.SendWebSocket(r.Type, r.Body)
		case r.Type == phttp.HTTP:
			w.WriteString("ok")
		}
	}})
	before := s.Stats()
	c := s.Dial(t, 10*time.Second)
	req := get("/a") + get("/b") + get("/c")
	io.WriteString(c, req)
	br := bufio.NewReader(c)
	var got int
	for range 3 {
		resp, body := testserver.ReadResponse(t, br, "GET")
		_ = resp
		got += len(body)
	}
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: x\r\n\r\n") // refused: 400
	raw, _ := io.ReadAll(br)
	c.Close()
	sentBytes := int64(len(req) + len("GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: x\r\n\r\n"))

	ws, _, err := testserver.WSDialer().Dial(s.WSURL("/ws"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		ws.WriteMessage(websocket.TextMessage, []byte(fmt.Sprint("m", i)))
		ws.ReadMessage()
	}
	ws.Close()
	waitUntil(t, 5*time.Second, "the connections to close", func() bool { return s.Connections() == 0 })

	after := s.Stats()
	d := func(a, b int64) int64 { return a - b }
	if d(after.Requests, before.Requests) != 4 { // three GETs and the upgrade
		t.Errorf("Requests moved by %d, want 4", d(after.Requests, before.Requests))
	}
	if d(after.Refused, before.Refused) != 1 || !strings.Contains(string(raw), "400") {
		t.Errorf("Refused moved by %d, want 1 (%q)", d(after.Refused, before.Refused), raw)
	}
	if d(after.Accepted, before.Accepted) != 2 {
		t.Errorf("Accepted moved by %d, want 2", d(after.Accepted, before.Accepted))
	}
	if d(after.WebSocketMessagesIn, before.WebSocketMessagesIn) != 3 || d(after.WebSocketMessagesOut, before.WebSocketMessagesOut) != 3 {
		t.Errorf("WebSocket messages in %d, out %d; want 3 and 3", d(after.WebSocketMessagesIn, before.WebSocketMessagesIn), d(after.WebSocketMessagesOut, before.WebSocketMessagesOut))
	}
	if in := d(after.BytesIn, before.BytesIn); in < sentBytes {
		t.Errorf("BytesIn moved by %d, less than the %d bytes of HTTP sent", in, sentBytes)
	}
	if after.QueuedBytes != 0 || after.Connections != 0 {
		t.Errorf("with every connection closed: QueuedBytes %d, Connections %d", after.QueuedBytes, after.Connections)
	}
	if after.String() == "" || !strings.Contains(after.String(), `"Requests":`) {
		t.Errorf("Stats.String: %q", after.String())
	}
}

// TestStatsBytesExact: on one connection, BytesIn and BytesOut are the
// bytes the client wrote and read.
func TestStatsBytesExact(t *testing.T) {
	s := testserver.Start(t, &phttp.Server{Handler: echo})
	before := s.Stats()
	c := s.Dial(t, 10*time.Second)
	req := getClose("/exact")
	io.WriteString(c, req)
	raw, _ := io.ReadAll(c)
	c.Close()
	waitUntil(t, 5*time.Second, "the connection to close", func() bool { return s.Connections() == 0 })
	after := s.Stats()
	if in, out := after.BytesIn-before.BytesIn, after.BytesOut-before.BytesOut; in != int64(len(req)) || out != int64(len(raw)) {
		t.Errorf("BytesIn %d, BytesOut %d; want %d and %d", in, out, len(req), len(raw))
	}
}

// TestAddConn: a connection accepted by a plain net.Listener is handed to
// a server that has no listener of its own, which serves it; its
// Request.LocalAddr is that listener's address.
func TestAddConn(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	srv := &phttp.Server{Handler: func(w *phttp.Response, r *phttp.Request) {
		fmt.Fprintf(w, "local %s", r.LocalAddr)
	}}
	done := make(chan error, 1)
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			t.Error(err)
			return
		}
		accepted <- c
	}()
	client, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	id, err := srv.AddConn(<-accepted)
	if err != nil || id == 0 {
		t.Fatalf("AddConn: %d, %v", id, err)
	}
	go func() { done <- srv.Run() }()
	client.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(client, get("/adopted"))
	_, body := testserver.ReadResponse(t, bufio.NewReader(client), "GET")
	if body != "local "+l.Addr().String() {
		t.Errorf("adopted connection answered %q, want the listener's address %s", body, l.Addr())
	}
	srv.Stop()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if _, err := srv.AddConn(client); err == nil {
		t.Error("AddConn after Stop succeeded")
	}
}

// TestLocalAddr: on a listener bound to one address, every request's
// LocalAddr is it; on a wildcard listener, the address the client reached.
func TestLocalAddr(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "0.0.0.0:0"} {
		srv := &phttp.Server{AllowedHosts: []string{"*"}, Handler: func(w *phttp.Response, r *phttp.Request) {
			fmt.Fprint(w, r.LocalAddr)
		}}
		s := testserver.StartOn(t, srv, "tcp", addr)
		c := s.Dial(t, 5*time.Second)
		io.WriteString(c, getClose("/"))
		raw, _ := io.ReadAll(c)
		if want := c.RemoteAddr().String(); !strings.HasSuffix(string(raw), "\r\n\r\n"+want) {
			t.Errorf("listener %s: %q, want LocalAddr %s", addr, raw, want)
		}
	}
}
