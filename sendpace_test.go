package phttp

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestPaceBacklogReturnsToZero: paced frames leave the loop's backlog
// however their connection ends, even when it is gone before the loop
// picks them up (the ready list skips closed connections). A count that
// leaked would make every later waiting send wait paceMaxWait.
func TestPaceBacklogReturnsToZero(t *testing.T) {
	ids := make(chan ConnID, 64)
	srv := &Server{Handler: func(w *Response, r *Request) {
		if r.Type == HTTP && r.IsWebSocketUpgrade() {
			w.AcceptWebSocket("")
			ids <- r.ConnID
		}
	}}
	if err := srv.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run() }()
	defer func() {
		srv.Stop()
		<-done
	}()
	const clients = 20
	conns := make([]net.Conn, clients)
	for i := range conns {
		c, err := net.DialTimeout("tcp", srv.Addr().String(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		req := "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
		if _, err := c.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("upgrade: %v %v", resp, err)
		}
		conns[i] = c
	}
	m, _ := NewMessage(WebSocketText, []byte(strings.Repeat("x", 64)))
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for range clients {
			id := <-ids
			for range 2000 { // the clients never read: the queues fill and the sends fail once they close
				if srv.SendMessage(id, m) != nil {
					break
				}
			}
		}
	}()
	for _, c := range conns {
		c.(*net.TCPConn).SetLinger(0) // a reset: the server closes at once
		c.Close()
	}
	<-sent
	deadline := time.Now().Add(10 * time.Second)
	for srv.Connections() > 0 && time.Now().Before(deadline) {
		backlog := make(chan struct{})
		srv.Post(func() { close(backlog) }) // a loop turn: wait for it, not for a clock
		<-backlog
	}
	if n := srv.Connections(); n > 0 {
		t.Fatalf("%d connections still open", n)
	}
	left := make(chan int64, 1)
	srv.Post(func() { left <- srv.lp.pace.backlog.Load() })
	if n := <-left; n != 0 {
		t.Fatalf("the send backlog holds %d bytes with no connection left", n)
	}
}
