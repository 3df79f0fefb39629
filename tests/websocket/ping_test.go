package websocket_test

import (
	"sync/atomic"
	"testing"
	"time"

	gws "github.com/gobwas/ws"
	"github.com/gorilla/websocket"
	"github.com/phttp-go/phttp"
)

const pingEvery = 200 * time.Millisecond

// TestPingSilentPeerClosed: a peer that answers no ping is pinged after
// one interval and closed after the second, counted in Stats.
func TestPingSilentPeerClosed(t *testing.T) {
	s := startWS(t, func(s *phttp.Server, _ *recorder) { s.PingInterval = pingEvery })
	rc := s.dialRaw(t, nil)
	id := rc.id() // the last bytes the client sends
	start := time.Now()
	ev := s.rec.waitClose(t, id)
	took := time.Since(start)
	if took < 2*pingEvery-20*time.Millisecond || took > 2*pingEvery+300*time.Millisecond {
		t.Errorf("silent peer closed after %v, want about two intervals (%v)", took, 2*pingEvery)
	}
	if ev.code != phttp.ClosePolicyViolation {
		t.Errorf("handler saw close code %d, want 1008", ev.code)
	}
	// On the wire: one ping, then the close frame with 1008.
	f := rc.mustRead()
	if f.Header.OpCode != gws.OpPing {
		t.Fatalf("first frame after silence: %v, want a ping", f.Header.OpCode)
	}
	if code, reason := rc.readClose(); code != 1008 || reason != "ping timeout" {
		t.Errorf("close frame %d %q, want 1008 \"ping timeout\"", code, reason)
	}
	st := s.Stats()
	if st.PingTimeouts != 1 || st.Evicted != 1 {
		t.Errorf("Stats PingTimeouts %d, Evicted %d; want 1 and 1", st.PingTimeouts, st.Evicted)
	}
}

// TestPingLiveClientStays: a client that reads (and so answers pings)
// but sends nothing else stays open over many intervals.
func TestPingLiveClientStays(t *testing.T) {
	s := startWS(t, func(s *phttp.Server, _ *recorder) { s.PingInterval = pingEvery })
	c := s.dialGorilla(t, "/ws", nil)
	id := gorillaID(t, c)
	var pings atomic.Int32
	c.SetPingHandler(func(data string) error {
		pings.Add(1)
		return c.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(wait))
	})
	readErr := make(chan error, 1)
	go func() {
		_, _, err := c.ReadMessage()
		readErr <- err
	}()
	select {
	case err := <-readErr:
		t.Fatalf("live client's connection ended: %v", err)
	case <-time.After(6 * pingEvery): // the span under test: no event marks it
	}
	if s.SendCapacity(id) < 0 {
		t.Fatalf("the server closed a client that answers pings")
	}
	if n := pings.Load(); n < 2 {
		t.Errorf("client saw %d pings in six intervals of silence, want at least 2", n)
	}
	if st := s.Stats(); st.PingTimeouts != 0 {
		t.Errorf("Stats.PingTimeouts %d, want 0", st.PingTimeouts)
	}
	if err := s.SendWebSocket(id, phttp.WebSocketText, []byte("still here")); err != nil {
		t.Fatalf("send to the live client: %v", err)
	}
	if err := <-readErr; err != nil {
		t.Fatalf("live client read: %v", err)
	}
}

// TestPingOffByDefault: without PingInterval a silent peer is neither
// pinged nor closed.
func TestPingOffByDefault(t *testing.T) {
	s := startWS(t, nil)
	rc := s.dialRaw(t, nil)
	id := rc.id()
	rc.c.SetReadDeadline(time.Now().Add(3 * pingEvery))
	if h, err := gws.ReadHeader(rc.br); err == nil {
		t.Fatalf("server sent a %v frame to a silent peer without PingInterval", h.OpCode)
	}
	if s.SendCapacity(id) < 0 {
		t.Fatalf("silent peer closed without PingInterval")
	}
}
