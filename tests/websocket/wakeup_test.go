package websocket_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/phttp-go/phttp"
)

// TestBroadcastRounds: a goroutine other than the loop sends one message
// to each of 200 connections per round and waits until every client has
// it, with no other traffic to wake the loop: each send must wake it.
func TestBroadcastRounds(t *testing.T) {
	const (
		conns  = 200
		rounds = 50
	)
	s := startWS(t, nil)
	ids := make([]phttp.ConnID, conns)
	clients := make([]*websocket.Conn, conns)
	for i := range clients {
		clients[i] = s.dialGorilla(t, "/ws", nil)
		ids[i] = gorillaID(t, clients[i])
	}
	var got atomic.Int64
	var target atomic.Int64
	arrived := make(chan struct{}, 1)
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
				if got.Add(1) == target.Load() {
					arrived <- struct{}{}
				}
			}
		}()
	}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
		wg.Wait()
	}()
	msg := []byte("broadcast")
	for r := range rounds {
		target.Store(int64(r+1) * conns)
		for _, id := range ids {
			if err := s.SendWebSocket(id, phttp.WebSocketText, msg); err != nil {
				t.Fatalf("round %d: SendWebSocket: %v", r, err)
			}
		}
		select {
		case <-arrived:
		case <-time.After(wait):
			t.Fatalf("round %d: only %d of %d messages arrived within %v (sends from another goroutine not flushed: lost wake-up?)",
				r, got.Load()-int64(r)*conns, conns, wait)
		}
	}
}

// TestPostWakeups: many goroutines Post functions and wait for each to
// run; with nothing else happening, every Post must wake the loop.
func TestPostWakeups(t *testing.T) {
	s := startWS(t, nil)
	const goroutines, posts = 8, 2000
	var wg sync.WaitGroup
	errs := make(chan string, goroutines)
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range posts {
				done := make(chan struct{})
				if err := s.Post(func() { close(done) }); err != nil {
					errs <- err.Error()
					return
				}
				select {
				case <-done:
				case <-time.After(wait):
					errs <- "posted function " + itoa(i) + " did not run: lost wake-up"
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func itoa(i int) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + i%10)}, b...)
		i /= 10
		if i == 0 {
			return string(b)
		}
	}
}
