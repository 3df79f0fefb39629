package websocket_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/phttp-go/phttp"
)

// TestConcurrentSenders: 5 connections; 64 goroutines each send numbered
// messages to all of them with srv.SendWebSocket while every client sends
// numbered messages that the handler echoes. Each client checks that
// every goroutine's messages, and its own echoes, arrive exactly once
// and in order.
func TestConcurrentSenders(t *testing.T) {
	const (
		conns      = 5
		goroutines = 64
		perG       = 100 // messages per goroutine per connection
		echoes     = 300 // messages each client sends
	)
	s := startWS(t, nil)
	clients := make([]*websocket.Conn, conns)
	ids := make([]phttp.ConnID, conns)
	for i := range clients {
		clients[i] = s.dialGorilla(t, "/ws", nil)
		ids[i] = gorillaID(t, clients[i])
	}

	var wg sync.WaitGroup
	errs := make(chan error, conns*3+goroutines)
	start := make(chan struct{})

	// Readers: check order and exactly-once.
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := make([]int, goroutines)
			nextEcho := 0
			total := goroutines*perG + echoes
			c.SetReadDeadline(time.Now().Add(20 * time.Second))
			for got := 0; got < total; got++ {
				_, p, err := c.ReadMessage()
				if err != nil {
					errs <- fmt.Errorf("client %d: read after %d of %d messages: %v", i, got, total, err)
					return
				}
				var g, seq int
				if n, _ := fmt.Sscanf(string(p), "g%d %d", &g, &seq); n == 2 {
					if g < 0 || g >= goroutines || seq != next[g] {
						errs <- fmt.Errorf("client %d: %q, want g%d %d", i, p, g, next[max(0, min(g, goroutines-1))])
						return
					}
					next[g]++
					continue
				}
				if n, _ := fmt.Sscanf(string(p), "c%d", &seq); n == 1 && seq == nextEcho {
					nextEcho++
					continue
				}
				errs <- fmt.Errorf("client %d: unexpected message %q (next echo %d)", i, p, nextEcho)
				return
			}
		}()
	}
	// Client writers: numbered messages for the handler to echo.
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			c.SetWriteDeadline(time.Now().Add(20 * time.Second))
			for seq := range echoes {
				if err := c.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, "c%d", seq)); err != nil {
					errs <- fmt.Errorf("client %d: write %d: %v", i, seq, err)
					return
				}
			}
		}()
	}
	// Server-side senders.
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			buf := make([]byte, 0, 32)
			for seq := range perG {
				for _, id := range ids {
					buf = fmt.Appendf(buf[:0], "g%d %d", g, seq) // reused: sends copy
					if err := s.SendWebSocket(id, phttp.WebSocketText, buf); err != nil {
						errs <- fmt.Errorf("goroutine %d: SendWebSocket(%d) #%d: %v", g, id, seq, err)
						return
					}
				}
			}
		}()
	}
	close(start)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(25 * time.Second):
		for _, c := range clients {
			c.Close() // unblock the readers
		}
		<-done
		t.Fatalf("concurrent exchange did not finish within 25s")
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
