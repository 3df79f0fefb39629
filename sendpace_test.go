package phttp

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestPaceBacklogReturnsToZero: paced frames leave the loop's backlog
// however their connection ends, even when it is gone before the loop
// picks them up (the ready list skips closed connections). A count that
// leaked would make every later waiting send wait paceMaxWait.
func TestPaceBacklogReturnsToZero(t *testing.T) {
	ids := make(chan ConnID, 64)
	srv := startPaceServer(t, ids)
	const clients = 20
	conns := make([]net.Conn, clients)
	for i := range conns {
		conns[i] = dialUpgraded(t, srv.Addr().String())
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

// startPaceServer runs a server on loopback that accepts every WebSocket
// upgrade and sends each connection's id to ids; the test stops it.
func startPaceServer(t *testing.T, ids chan<- ConnID) *Server {
	t.Helper()
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
	t.Cleanup(func() {
		srv.Stop()
		<-done
	})
	return srv
}

// dialUpgraded opens a WebSocket connection to addr, with a deadline of
// ten seconds for all it does.
func dialUpgraded(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	if br.Buffered() > 0 {
		t.Fatalf("%d bytes after the upgrade's answer", br.Buffered())
	}
	return c
}

// TestPaceBacklogBounded: while four goroutines broadcast Messages to 200
// clients that read as fast as they can, the frames that waiting sends
// queued and the loop has not picked up stay within paceLimit, but for
// one item per sender that passed the check at the same time. Unpaced,
// the broadcasters ran tens of MiB ahead of the loop. Past the limit
// only a wait that ran out lets them go on (the loop starved of CPU for
// paceMaxWait, which a loaded machine may do): then the peak is only
// logged.
func TestPaceBacklogBounded(t *testing.T) {
	const clients, msgs, senders = 200, 2000, 4
	ids := make(chan ConnID, clients)
	srv := startPaceServer(t, ids)
	var read sync.WaitGroup
	want := int64(msgs * (2 + 64))
	for range clients {
		c := dialUpgraded(t, srv.Addr().String())
		defer c.Close()
		read.Add(1)
		go func() {
			defer read.Done()
			if n, err := io.CopyN(io.Discard, c, want); err != nil {
				t.Errorf("a client read %d of %d bytes: %v", n, want, err)
			}
		}()
	}
	conns := make([]ConnID, clients)
	for i := range conns {
		conns[i] = <-ids
	}
	var peak atomic.Int64
	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if n := srv.lp.pace.backlog.Load(); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-stop:
				return
			default:
				time.Sleep(50 * time.Microsecond) // sampling, not waiting for an event
			}
		}
	}()
	m, _ := NewMessage(WebSocketText, []byte(strings.Repeat("x", 64)))
	var sent sync.WaitGroup
	for k := range senders {
		sent.Add(1)
		go func() {
			defer sent.Done()
			for range msgs {
				for _, id := range conns[k*clients/senders : (k+1)*clients/senders] {
					if err := srv.SendMessage(id, m); err != nil {
						t.Errorf("SendMessage: %v", err)
						return
					}
				}
			}
		}()
	}
	sent.Wait()
	read.Wait()
	close(stop)
	<-sampled
	ranOut := srv.lp.pace.gaveUp.Load() != 0
	t.Logf("%d Messages to %d clients from %d goroutines: the backlog peaked at %d KiB (limit %d KiB); a wait ran out: %v",
		msgs, clients, senders, peak.Load()>>10, paceLimit>>10, ranOut)
	if bound := int64(paceLimit + senders*paceItemCost); peak.Load() > bound && !ranOut {
		t.Errorf("the backlog reached %d bytes, over the %d the pacing allows, with no wait run out", peak.Load(), bound)
	}
}
