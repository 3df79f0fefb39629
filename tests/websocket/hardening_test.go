package websocket_test

import (
	"bytes"
	"testing"

	gws "github.com/gobwas/ws"
	"github.com/gorilla/websocket"
	"github.com/phttp-go/phttp"
	pws "github.com/phttp-go/phttp/ws"
)

// TestKeptResponseReachesItsConnection: a Response kept from one
// connection's event and used later from another goroutine sends to that
// connection, while other connections' events come and go; never to
// another connection.
func TestKeptResponseReachesItsConnection(t *testing.T) {
	kept := make(chan *phttp.Response, 1)
	s := startWS(t, func(srv *phttp.Server, rec *recorder) {
		srv.Handler = func(w *phttp.Response, r *phttp.Request) {
			if r.Type == phttp.WebSocketText && string(r.Body) == "keep" {
				kept <- w
				return
			}
			rec.handle(w, r)
		}
	})
	a := s.dialGorilla(t, "/a", nil)
	aID := gorillaID(t, a)
	b := s.dialGorilla(t, "/b", nil)
	deadline(a, wait)
	deadline(b, wait)
	if err := a.WriteMessage(websocket.TextMessage, []byte("keep")); err != nil {
		t.Fatal(err)
	}
	w := <-kept
	// B's events run on the loop between the kept Response's sends.
	for i := range 50 {
		msg := []byte{'b', byte('0' + i%10)}
		if err := b.WriteMessage(websocket.TextMessage, msg); err != nil {
			t.Fatalf("b write: %v", err)
		}
		if _, got, err := b.ReadMessage(); err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("b read %q, %v; want its own echo %q", got, err, msg)
		}
		if err := w.SendWebSocket(phttp.WebSocketText, []byte{'a', byte('0' + i%10)}); err != nil {
			t.Fatalf("kept Response: %v", err)
		}
	}
	for i := range 50 {
		if _, got, err := a.ReadMessage(); err != nil || string(got) != string([]byte{'a', byte('0' + i%10)}) {
			t.Fatalf("a's message %d: %q, %v", i, got, err)
		}
	}
	a.Close()
	waitGone(t, s.Server, aID)
	if err := w.SendWebSocket(phttp.WebSocketText, []byte("late")); err != phttp.ErrClosed {
		t.Errorf("kept Response of a closed connection: %v, want ErrClosed", err)
	}
}

// TestEndlessEmptyContinuations: a message of empty continuation frames
// that never ends is closed with 1009 once it passes MaxFragments, and
// the server goes on serving.
func TestEndlessEmptyContinuations(t *testing.T) {
	s := startWS(t, nil)
	rc := s.dialRaw(t, nil)
	id := rc.id()
	rc.write(masked(gws.OpText, false, nil))
	empty := masked(gws.OpContinuation, false, nil)
	batch := bytes.Repeat(empty, 256)
	var code uint16
	done := make(chan struct{})
	go func() {
		defer close(done)
		code, _ = rc.readClose()
	}()
	for i := 0; i <= pws.MaxFragments/256; i++ {
		if _, err := rc.c.Write(batch); err != nil {
			break // the server closed: what it said is read above
		}
	}
	<-done
	if code != 1009 {
		t.Fatalf("endless empty continuations: close %d, want 1009", code)
	}
	s.expectOneClose(t, id, phttp.CloseMessageTooBig)
	s.checkEcho(t)
}

// TestBufferedBytesMessages: MaxBufferedBytes counts WebSocket messages
// under assembly: past it the connection assembling the most is closed
// 1009, and the others finish their messages.
func TestBufferedBytesMessages(t *testing.T) {
	s := startWS(t, func(srv *phttp.Server, _ *recorder) { srv.MaxBufferedBytes = 256 << 10 })
	small := make([]*rawConn, 3)
	part := randomBytes(40000)
	for i := range small {
		small[i] = s.dialRaw(t, nil)
		small[i].write(masked(gws.OpBinary, false, part))
	}
	barrier(t, s.Server)
	hog := s.dialRaw(t, nil)
	hogID := hog.id()
	hog.write(masked(gws.OpBinary, false, randomBytes(200000)))
	if code, _ := hog.readClose(); code != 1009 {
		t.Fatalf("the biggest holder past the budget: close %d, want 1009", code)
	}
	s.expectOneClose(t, hogID, phttp.CloseMessageTooBig)
	for i, rc := range small {
		rc.write(masked(gws.OpContinuation, true, part))
		f := rc.mustRead()
		if f.Header.OpCode != gws.OpBinary || !bytes.Equal(f.Payload, append(append([]byte(nil), part...), part...)) {
			t.Errorf("conn %d within the budget: %v, %d bytes", i, f.Header.OpCode, len(f.Payload))
		}
	}
}
