package websocket_test

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	gws "github.com/gobwas/ws"
	"github.com/gorilla/websocket"
	"github.com/phttp-go/phttp"
)

// TestMessageBroadcast sends one Message to many gorilla clients, from a
// goroutine with SendMessage and from a posted function with
// TrySendMessage: each gets every message whole and in order.
func TestMessageBroadcast(t *testing.T) {
	s := startWS(t, nil)
	const clients, msgs = 20, 50
	conns := make([]*websocket.Conn, clients)
	ids := make([]phttp.ConnID, clients)
	for i := range conns {
		conns[i] = s.dialGorilla(t, "/ws", nil)
		ids[i] = gorillaID(t, conns[i])
	}
	var wg sync.WaitGroup
	got := make([][]string, clients)
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			deadline(c, wait)
			for range 2 * msgs {
				_, p, err := c.ReadMessage()
				if err != nil {
					t.Errorf("client %d: %v", i, err)
					return
				}
				got[i] = append(got[i], string(p))
			}
		}()
	}
	for n := range msgs {
		m, err := phttp.NewMessage(phttp.WebSocketText, fmt.Appendf(nil, "goroutine %d %s", n, bytes.Repeat([]byte("x"), n*100)))
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if err := s.SendMessage(id, m); err != nil {
				t.Fatalf("SendMessage: %v", err)
			}
		}
	}
	posted := make(chan error, 1)
	s.Post(func() {
		for n := range msgs {
			m, _ := phttp.NewMessage(phttp.WebSocketBinary, fmt.Appendf(nil, "posted %d", n))
			for _, id := range ids {
				if err := s.TrySendMessage(id, m); err != nil {
					posted <- err
					return
				}
			}
		}
		posted <- nil
	})
	if err := <-posted; err != nil {
		t.Fatalf("TrySendMessage on the loop: %v", err)
	}
	wg.Wait()
	for i := range got {
		if len(got[i]) != 2*msgs {
			continue // reported by the reader
		}
		for n := range msgs {
			want := fmt.Sprintf("goroutine %d %s", n, bytes.Repeat([]byte("x"), n*100))
			if got[i][n] != want {
				t.Fatalf("client %d message %d: %.40q, want %.40q", i, n, got[i][n], want)
			}
			if want := fmt.Sprintf("posted %d", n); got[i][msgs+n] != want {
				t.Fatalf("client %d message %d: %q, want %q", i, msgs+n, got[i][msgs+n], want)
			}
		}
	}
}

// TestMessageErrors: the same validation as SendWebSocket, and the
// connection errors.
func TestMessageErrors(t *testing.T) {
	s := startWS(t, nil)
	if _, err := phttp.NewMessage(phttp.HTTP, nil); !errors.Is(err, phttp.ErrBadMessageType) {
		t.Errorf("NewMessage(HTTP): %v, want ErrBadMessageType", err)
	}
	if _, err := phttp.NewMessage(phttp.WebSocketText, []byte{0xff}); !errors.Is(err, phttp.ErrInvalidUTF8) {
		t.Errorf("NewMessage(invalid text): %v, want ErrInvalidUTF8", err)
	}
	m, err := phttp.NewMessage(phttp.WebSocketBinary, []byte{0xff})
	if err != nil {
		t.Fatalf("NewMessage(binary 0xff): %v", err)
	}
	if err := s.SendMessage(12345, m); !errors.Is(err, phttp.ErrClosed) {
		t.Errorf("SendMessage to an unknown id: %v, want ErrClosed", err)
	}
	c := s.dialGorilla(t, "/ws", nil)
	id := gorillaID(t, c)
	if err := s.SendMessage(id, nil); !errors.Is(err, phttp.ErrBadMessageType) {
		t.Errorf("SendMessage(nil): %v, want ErrBadMessageType", err)
	}
	// An HTTP connection is not a WebSocket.
	hc := s.Dial(t, wait)
	hc.Write([]byte("GET /id HTTP/1.1\r\nHost: " + s.Host + "\r\n\r\n"))
	buf := make([]byte, 4096)
	n, _ := hc.Read(buf)
	body := buf[bytes.Index(buf[:n], []byte("\r\n\r\n"))+4 : n]
	var hid uint64
	fmt.Sscan(string(body), &hid)
	if err := s.TrySendMessage(phttp.ConnID(hid), m); !errors.Is(err, phttp.ErrNotWebSocket) {
		t.Errorf("TrySendMessage to an HTTP connection: %v, want ErrNotWebSocket", err)
	}
	c.Close()
	waitGone(t, s.Server, id)
	if err := s.TrySendMessage(id, m); !errors.Is(err, phttp.ErrClosed) {
		t.Errorf("TrySendMessage after close: %v, want ErrClosed", err)
	}
}

// TestMessageCredit: a queue holding a Message is charged the frame's
// bytes against SendQueueBytes, exactly, and TrySendMessage says
// ErrQueueFull when what is left is less than a frame; a waiting
// SendMessage goes through once the client reads. The sends run in one
// posted function, so the loop writes nothing meanwhile and the credit
// is what the queue holds.
func TestMessageCredit(t *testing.T) {
	const limit = 64 << 10
	s := startWS(t, func(s *phttp.Server, _ *recorder) { s.SendQueueBytes = limit })
	rc := s.dialRaw(t, nil)
	id := rc.id()
	payload := bytes.Repeat([]byte("m"), 16<<10)
	m, _ := phttp.NewMessage(phttp.WebSocketBinary, payload)
	const frameSize = 16<<10 + 4
	type result struct {
		sent int
		err  error
	}
	res := make(chan result, 1)
	s.Post(func() {
		for sent := 0; sent < 100; sent++ {
			before := s.SendCapacity(id)
			err := s.TrySendMessage(id, m)
			after := s.SendCapacity(id)
			switch {
			case err == nil && before-after != frameSize:
				res <- result{sent, fmt.Errorf("a send took %d bytes of credit, want %d", before-after, frameSize)}
				return
			case errors.Is(err, phttp.ErrQueueFull) && before >= frameSize:
				res <- result{sent, fmt.Errorf("ErrQueueFull with %d bytes of credit free", before)}
				return
			case err != nil:
				res <- result{sent, err}
				return
			}
		}
		res <- result{100, errors.New("the queue never filled")}
	})
	r := <-res
	if !errors.Is(r.err, phttp.ErrQueueFull) {
		t.Fatalf("after %d sends: %v", r.sent, r.err)
	}
	if r.sent != limit/frameSize {
		t.Errorf("%d frames of %d bytes fit in %d bytes of credit, want %d", r.sent, frameSize, limit, limit/frameSize)
	}
	done := make(chan error, 1)
	go func() { done <- s.SendMessage(id, m) }()
	for i := 0; i <= r.sent; i++ {
		f := rc.mustRead()
		if f.Header.OpCode != gws.OpBinary || !bytes.Equal(f.Payload, payload) {
			t.Fatalf("frame %d: %v, %d bytes", i, f.Header.OpCode, len(f.Payload))
		}
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("SendMessage after the client read: %v", err)
		}
	case <-time.After(wait):
		t.Fatalf("SendMessage still waiting after the client read everything")
	}
}
