package websocket_test

import (
	"errors"
	"testing"
	"time"

	gws "github.com/gobwas/ws"
	"github.com/gorilla/websocket"
	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// TestClientClose: the client closes 1000 "bye"; the server echoes 1000,
// ends the TCP stream, and the handler sees WebSocketClose{1000, "bye"}.
func TestClientClose(t *testing.T) {
	s := startWS(t, nil)
	c := s.dialGorilla(t, "/ws", nil)
	id := gorillaID(t, c)
	deadline(c, wait)
	if err := c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), time.Now().Add(wait)); err != nil {
		t.Fatalf("writing close: %v", err)
	}
	_, _, err := c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("after our close: %v, want the server's close frame", err)
	}
	if ce.Code != websocket.CloseNormalClosure {
		t.Errorf("server answered close %d %q, want 1000", ce.Code, ce.Text)
	}
	c.UnderlyingConn().SetReadDeadline(time.Now().Add(wait))
	if n, err := c.UnderlyingConn().Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Errorf("server did not end the TCP stream after the close handshake: n=%d err=%v", n, err)
	}
	ev := s.expectOneClose(t, id, phttp.CloseNormal)
	if ev.reason != "bye" {
		t.Errorf("handler saw close reason %q, want \"bye\"", ev.reason)
	}
	s.checkEcho(t)
}

// TestClientCloseNoStatus: an empty close frame is answered with an empty
// close frame (1005 must never be sent) and reported as 1005.
func TestClientCloseNoStatus(t *testing.T) {
	s := startWS(t, nil)
	rc := s.dialRaw(t, nil)
	id := rc.id()
	rc.write(masked(gws.OpClose, true, nil))
	f := rc.mustRead()
	if f.Header.OpCode != gws.OpClose || len(f.Payload) != 0 {
		t.Errorf("answer to an empty close: %v %q, want an empty close frame", f.Header.OpCode, f.Payload)
	}
	rc.expectEOF()
	rc.c.Close()
	s.expectOneClose(t, id, phttp.CloseNoStatus)
}

// TestClientCloseEchoesCode: the server's answer carries the client's
// code (RFC 6455 §5.5.1), for an application code too.
func TestClientCloseEchoesCode(t *testing.T) {
	s := startWS(t, nil)
	for _, code := range []uint16{1001, 1003, 1011, 3000, 4999} {
		rc := s.dialRaw(t, nil)
		id := rc.id()
		rc.write(masked(gws.OpClose, true, closePayload(code, "why")))
		if got, _ := rc.readClose(); got != code {
			t.Errorf("client closed %d: server answered %d", code, got)
		}
		rc.c.Close()
		ev := s.expectOneClose(t, id, phttp.CloseCode(code))
		if ev.reason != "why" {
			t.Errorf("client closed %d: handler saw reason %q", code, ev.reason)
		}
	}
}

// TestServerClose: CloseWebSocket(id, 4000, "done") reaches the client
// after what was queued before it; later sends fail with ErrClosed; the
// handler sees one WebSocketClose.
func TestServerClose(t *testing.T) {
	s := startWS(t, nil)
	c := s.dialGorilla(t, "/ws", nil)
	id := gorillaID(t, c)
	if err := s.SendWebSocket(id, phttp.WebSocketText, []byte("last words")); err != nil {
		t.Fatalf("SendWebSocket: %v", err)
	}
	if err := s.CloseWebSocket(id, 4000, "done"); err != nil {
		t.Fatalf("CloseWebSocket: %v", err)
	}
	if err := s.SendWebSocket(id, phttp.WebSocketText, []byte("too late")); !errors.Is(err, phttp.ErrClosed) {
		t.Errorf("SendWebSocket after CloseWebSocket: %v, want ErrClosed", err)
	}
	if err := s.CloseWebSocket(id, 4000, "again"); !errors.Is(err, phttp.ErrClosed) {
		t.Errorf("second CloseWebSocket: %v, want ErrClosed", err)
	}
	deadline(c, wait)
	_, p, err := c.ReadMessage()
	if err != nil || string(p) != "last words" {
		t.Fatalf("message queued before the close: %q, %v", p, err)
	}
	_, _, err = c.ReadMessage() // gorilla answers the close frame itself
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("after CloseWebSocket: %v, want a close frame", err)
	}
	if ce.Code != 4000 || ce.Text != "done" {
		t.Errorf("client saw close %d %q, want 4000 \"done\"", ce.Code, ce.Text)
	}
	ev := s.rec.waitClose(t, id)
	t.Logf("handler saw WebSocketClose %d %q after a server-initiated close", ev.code, ev.reason)
	if ev.code != 4000 {
		t.Errorf("handler saw close code %d, want 4000 (the client's echo)", ev.code)
	}
	c.Close()
	waitGone(t, s.Server, id)
	if all := s.rec.closesOf(id); len(all) != 1 {
		t.Errorf("handler saw %d WebSocketClose events %v, want 1", len(all), all)
	}
}

// TestServerCloseBadCode: codes a server may not send are refused.
func TestServerCloseBadCode(t *testing.T) {
	s := startWS(t, nil)
	c := s.dialGorilla(t, "/ws", nil)
	id := gorillaID(t, c)
	for _, code := range []phttp.CloseCode{0, 999, 1005, 1006, 1015, 1016, 2999, 5000} {
		if err := s.CloseWebSocket(id, code, ""); !errors.Is(err, phttp.ErrBadCloseCode) {
			t.Errorf("CloseWebSocket(%d): %v, want ErrBadCloseCode", code, err)
		}
	}
	deadline(c, wait)
	if err := c.WriteMessage(websocket.TextMessage, []byte("open")); err != nil {
		t.Fatal(err)
	}
	if _, p, err := c.ReadMessage(); err != nil || string(p) != "open" {
		t.Fatalf("after refused closes: %q, %v", p, err)
	}
}

// TestServerCloseUnanswered: a client that never answers the server's
// close frame is dropped after a short wait; the handler still sees one
// WebSocketClose.
func TestServerCloseUnanswered(t *testing.T) {
	s := startWS(t, nil)
	rc := s.dialRaw(t, nil)
	id := rc.id()
	if err := s.CloseWebSocket(id, phttp.CloseGoingAway, "bye"); err != nil {
		t.Fatal(err)
	}
	f := rc.mustRead()
	if f.Header.OpCode != gws.OpClose {
		t.Fatalf("frame %v, want close", f.Header.OpCode)
	}
	start := time.Now()
	waitGone(t, s.Server, id) // bounded by wait
	t.Logf("unanswered close dropped after %v", time.Since(start).Round(time.Millisecond))
	ev := s.rec.waitClose(t, id)
	if all := s.rec.closesOf(id); len(all) != 1 {
		t.Errorf("handler saw %v, want one WebSocketClose", all)
	}
	t.Logf("handler saw %d %q", ev.code, ev.reason)
}

// TestClientVanishes: a TCP close without a close frame is reported as
// 1006, once.
func TestClientVanishes(t *testing.T) {
	s := startWS(t, nil)
	t.Run("idle", func(t *testing.T) {
		rc := s.dialRaw(t, nil)
		id := rc.id()
		rc.c.Close()
		s.expectOneClose(t, id, phttp.CloseAbnormal)
	})
	t.Run("mid-message", func(t *testing.T) {
		rc := s.dialRaw(t, nil)
		id := rc.id()
		rc.write(masked(gws.OpText, false, []byte("half")))
		rc.write(masked(gws.OpContinuation, true, []byte("the rest"))[:5])
		rc.c.Close()
		s.expectOneClose(t, id, phttp.CloseAbnormal)
	})
	t.Run("reset", func(t *testing.T) {
		rc := s.dialRaw(t, nil)
		id := rc.id()
		testserver.TCP(rc.c).SetLinger(0) // RST instead of FIN
		rc.c.Close()
		s.expectOneClose(t, id, phttp.CloseAbnormal)
	})
	t.Run("gorilla", func(t *testing.T) {
		c := s.dialGorilla(t, "/ws", nil)
		id := gorillaID(t, c)
		c.NetConn().Close()
		s.expectOneClose(t, id, phttp.CloseAbnormal)
	})
	s.checkEcho(t)
}

func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}
