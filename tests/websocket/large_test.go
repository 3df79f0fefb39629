package websocket_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/phttp-go/phttp"
)

// TestLargeConcurrentFrames: 8 goroutines send messages of up to 300 KiB
// (several larger than SendQueueBytes) to one connection at once, so the
// loop writes them in many partial writes: every message arrives whole,
// never interleaved with another, in each goroutine's order.
func TestLargeConcurrentFrames(t *testing.T) {
	const (
		queueBytes = 64 << 10
		goroutines = 8
		perG       = 12
	)
	s := startWS(t, func(s *phttp.Server, _ *recorder) { s.SendQueueBytes = queueBytes })
	c := s.dialGorilla(t, "/ws", nil)
	c.SetReadLimit(-1)
	id := gorillaID(t, c)

	// Message (g, seq): 8-byte header then a pattern of a size that
	// depends on both.
	size := func(g, seq int) int { return 1 + (g*7919+seq*104729)%(300<<10) }
	body := func(g, seq int) []byte {
		b := pattern(8+size(g, seq), byte(g*31+seq))
		binary.BigEndian.PutUint32(b, uint32(g))
		binary.BigEndian.PutUint32(b[4:], uint32(seq))
		return b
	}

	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := range perG {
				if err := s.SendWebSocket(id, phttp.WebSocketBinary, body(g, seq)); err != nil {
					errs <- fmt.Errorf("goroutine %d message %d: %v", g, seq, err)
					return
				}
			}
		}()
	}
	next := make([]int, goroutines)
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	for n := 0; n < goroutines*perG; n++ {
		_, p, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("after %d messages: %v", n, err)
		}
		if len(p) < 8 {
			t.Fatalf("message %d: %d bytes", n, len(p))
		}
		g, seq := int(binary.BigEndian.Uint32(p)), int(binary.BigEndian.Uint32(p[4:]))
		if g >= goroutines || seq != next[g] {
			t.Fatalf("message %d: goroutine %d #%d, want #%d", n, g, seq, next[min(g, goroutines-1)])
		}
		if !bytes.Equal(p, body(g, seq)) {
			t.Fatalf("goroutine %d #%d: content damaged (%d bytes, want %d)", g, seq, len(p), len(body(g, seq)))
		}
		next[g]++
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestMessageLargerThanQueue: one message bigger than SendQueueBytes
// still goes through (it takes the whole queue), from another goroutine
// and from the handler.
func TestMessageLargerThanQueue(t *testing.T) {
	s := startWS(t, func(s *phttp.Server, _ *recorder) { s.SendQueueBytes = 16 << 10 })
	c := s.dialGorilla(t, "/ws", nil)
	id := gorillaID(t, c)
	big := randomBytes(1 << 20)
	done := make(chan error, 1)
	go func() { done <- s.SendWebSocket(id, phttp.WebSocketBinary, big) }()
	deadline(c, wait)
	if _, p, err := c.ReadMessage(); err != nil || !bytes.Equal(p, big) {
		t.Fatalf("1 MiB message through a 16 KiB queue: %s, %v", describe(p), err)
	}
	if err := <-done; err != nil {
		t.Fatalf("SendWebSocket: %v", err)
	}
	if err := s.TrySendWebSocket(id, phttp.WebSocketBinary, big); err != nil {
		t.Fatalf("TrySendWebSocket of 1 MiB on an empty 16 KiB queue: %v", err)
	}
	if _, p, err := c.ReadMessage(); err != nil || !bytes.Equal(p, big) {
		t.Fatalf("1 MiB TrySendWebSocket: %s, %v", describe(p), err)
	}
}
