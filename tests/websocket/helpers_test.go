// Package websocket_test drives a real phttp server over loopback with real
// WebSocket clients (gorilla/websocket, and raw frames written with
// gobwas/ws's helpers) to check RFC 6455 behaviour end to end.
package websocket_test

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	gws "github.com/gobwas/ws"
	"github.com/gorilla/websocket"
	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// wait bounds every single wait in these tests.
const wait = 10 * time.Second

// closeEvent is one WebSocketClose the handler saw.
type closeEvent struct {
	code   phttp.CloseCode
	reason string
}

// recorder is the test handler: it accepts upgrades (with protocol),
// echoes messages, answers "whoami" with the connection's id, answers
// HTTP "/id" with the id too, and records every WebSocketClose.
type recorder struct {
	protocol string

	mu     sync.Mutex
	closes map[phttp.ConnID][]closeEvent
	chans  map[phttp.ConnID]chan closeEvent
}

func newRecorder() *recorder {
	return &recorder{closes: map[phttp.ConnID][]closeEvent{}, chans: map[phttp.ConnID]chan closeEvent{}}
}

// chanFor returns the channel on which id's close events arrive. mu held.
func (rec *recorder) chanFor(id phttp.ConnID) chan closeEvent {
	ch := rec.chans[id]
	if ch == nil {
		ch = make(chan closeEvent, 8)
		rec.chans[id] = ch
	}
	return ch
}

func (rec *recorder) handle(w *phttp.Response, r *phttp.Request) {
	switch r.Type {
	case phttp.HTTP:
		if r.IsWebSocketUpgrade() {
			w.AcceptWebSocket(rec.protocol)
			return
		}
		if r.Path == "/id" {
			w.WriteString(strconv.FormatUint(uint64(r.ConnID), 10))
			return
		}
		w.WriteString("plain http")
	case phttp.WebSocketText:
		if string(r.Body) == "whoami" {
			w.SendWebSocket(phttp.WebSocketText, []byte(strconv.FormatUint(uint64(r.ConnID), 10)))
			return
		}
		w.SendWebSocket(r.Type, r.Body)
	case phttp.WebSocketBinary:
		w.SendWebSocket(r.Type, r.Body)
	case phttp.WebSocketClose:
		ev := closeEvent{r.CloseCode, r.CloseReason}
		rec.mu.Lock()
		rec.closes[r.ConnID] = append(rec.closes[r.ConnID], ev)
		ch := rec.chanFor(r.ConnID)
		rec.mu.Unlock()
		select {
		case ch <- ev:
		default: // more than 8 closes for one id: closesOf reports it
		}
	}
}

// closesOf returns every close event recorded for id.
func (rec *recorder) closesOf(id phttp.ConnID) []closeEvent {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]closeEvent(nil), rec.closes[id]...)
}

// waitClose waits for the handler's first WebSocketClose on id.
func (rec *recorder) waitClose(t testing.TB, id phttp.ConnID) closeEvent {
	t.Helper()
	rec.mu.Lock()
	ch := rec.chanFor(id)
	rec.mu.Unlock()
	select {
	case ev := <-ch:
		return ev
	case <-time.After(wait):
		t.Fatalf("conn %d: handler saw no WebSocketClose within %v", id, wait)
		return closeEvent{}
	}
}

// wsServer is a running server with its recording handler.
type wsServer struct {
	*testserver.Running
	rec *recorder
}

// startWS starts a server with the recorder as handler; cfg may adjust it.
func startWS(t testing.TB, cfg func(*phttp.Server, *recorder)) *wsServer {
	t.Helper()
	rec := newRecorder()
	s := &phttp.Server{Handler: rec.handle}
	if cfg != nil {
		cfg(s, rec)
	}
	return &wsServer{Running: testserver.Start(t, s), rec: rec}
}

// barrier waits until the loop has run a posted function: everything the
// loop was doing when it was called is finished.
func barrier(t testing.TB, s *phttp.Server) {
	t.Helper()
	done := make(chan struct{})
	if err := s.Post(func() { close(done) }); err != nil {
		t.Fatalf("Post: %v", err)
	}
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatalf("posted function did not run within %v", wait)
	}
}

// waitGone waits until the server has dropped connection id (there is no
// event for that, so SendCapacity is polled, bounded), then lets the loop
// finish the iteration that dropped it.
func waitGone(t testing.TB, s *phttp.Server, id phttp.ConnID) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for s.SendCapacity(id) != -1 {
		if time.Now().After(deadline) {
			t.Fatalf("conn %d still open %v after the client closed", id, wait)
		}
		time.Sleep(time.Millisecond)
	}
	barrier(t, s)
}

// expectOneClose checks that the handler saw exactly one WebSocketClose on
// id, once the server has dropped the connection.
func (s *wsServer) expectOneClose(t testing.TB, id phttp.ConnID, code phttp.CloseCode) closeEvent {
	t.Helper()
	ev := s.rec.waitClose(t, id)
	if ev.code != code {
		t.Errorf("conn %d: handler saw WebSocketClose code %d (%q), want %d", id, ev.code, ev.reason, code)
	}
	waitGone(t, s.Server, id)
	if all := s.rec.closesOf(id); len(all) != 1 {
		t.Errorf("conn %d: handler saw %d WebSocketClose events %v, want exactly 1", id, len(all), all)
	}
	return ev
}

// dialGorilla opens a gorilla client on path.
func (s *wsServer) dialGorilla(t testing.TB, path string, hdr http.Header) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: wait, TLSClientConfig: testserver.WSTLS()}
	c, resp, err := d.Dial(s.WSURL(path), hdr)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("gorilla dial %s: %v (status %d)", path, err, status)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// gorillaID asks the server for the connection's id.
func gorillaID(t testing.TB, c *websocket.Conn) phttp.ConnID {
	t.Helper()
	c.SetWriteDeadline(time.Now().Add(wait))
	c.SetReadDeadline(time.Now().Add(wait))
	defer c.SetReadDeadline(time.Time{})
	defer c.SetWriteDeadline(time.Time{})
	if err := c.WriteMessage(websocket.TextMessage, []byte("whoami")); err != nil {
		t.Fatalf("whoami: %v", err)
	}
	_, p, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("whoami answer: %v", err)
	}
	id, err := strconv.ParseUint(string(p), 10, 64)
	if err != nil {
		t.Fatalf("whoami answer %q: %v", p, err)
	}
	return phttp.ConnID(id)
}

// checkEcho opens a fresh gorilla connection and checks one echo: the
// server still serves others.
func (s *wsServer) checkEcho(t testing.TB) {
	t.Helper()
	c := s.dialGorilla(t, "/ws", nil)
	deadline(c, wait)
	if err := c.WriteMessage(websocket.TextMessage, []byte("still there?")); err != nil {
		t.Fatalf("echo check write: %v", err)
	}
	_, p, err := c.ReadMessage()
	if err != nil || string(p) != "still there?" {
		t.Fatalf("echo check on a new connection: %q, %v", p, err)
	}
	c.Close()
}

// newKey returns a fresh Sec-WebSocket-Key.
func newKey() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// upgradeRequest is a well-formed handshake for path with extra header
// lines (each ending in \r\n).
func upgradeRequest(host, path, key, extra string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n" + extra + "\r\n"
}

// rawConn is a hand-driven WebSocket client on a plain TCP connection.
type rawConn struct {
	t  testing.TB
	c  net.Conn
	br *bufio.Reader
}

// dialRaw does a manual handshake (plus early bytes sent in the same
// write) and checks the 101.
func (s *wsServer) dialRaw(t testing.TB, early []byte) *rawConn {
	t.Helper()
	return s.dialRawConn(t, s.Dial(t, 30*time.Second), early)
}

func (s *wsServer) dialRawConn(t testing.TB, c net.Conn, early []byte) *rawConn {
	t.Helper()
	req := append([]byte(upgradeRequest(s.Host, "/ws", newKey(), "")), early...)
	if _, err := c.Write(req); err != nil {
		t.Fatalf("handshake write: %v", err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
	if err != nil {
		t.Fatalf("handshake response: %v", err)
	}
	if resp.StatusCode != 101 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		t.Fatalf("handshake status %d, want 101: %s", resp.StatusCode, body)
	}
	return &rawConn{t: t, c: c, br: br}
}

// frame compiles one client frame. masked frames get a fresh random mask.
func frame(op gws.OpCode, fin bool, rsv byte, masked bool, p []byte) []byte {
	f := gws.NewFrame(op, fin, append([]byte(nil), p...))
	f.Header.Rsv = rsv
	if masked {
		f = gws.MaskFrame(f)
	}
	b, err := gws.CompileFrame(f)
	if err != nil {
		panic(err)
	}
	return b
}

// masked compiles a normal masked client frame.
func masked(op gws.OpCode, fin bool, p []byte) []byte { return frame(op, fin, 0, true, p) }

// closePayload is a close frame body with code and reason.
func closePayload(code uint16, reason string) []byte {
	return append([]byte{byte(code >> 8), byte(code)}, reason...)
}

func (rc *rawConn) write(b []byte) {
	rc.t.Helper()
	rc.c.SetWriteDeadline(time.Now().Add(wait))
	if _, err := rc.c.Write(b); err != nil {
		rc.t.Fatalf("raw write: %v", err)
	}
}

// read reads one server frame and checks that servers' frames are
// unmasked and carry no reserved bits.
func (rc *rawConn) read() (gws.Frame, error) {
	rc.c.SetReadDeadline(time.Now().Add(wait))
	var f gws.Frame
	h, err := gws.ReadHeader(rc.br)
	if err != nil {
		return f, err
	}
	if h.Length > 2<<20 { // no test sends the server more than 1 MiB
		return f, fmt.Errorf("server frame of %d bytes", h.Length)
	}
	f.Header = h
	f.Payload = make([]byte, h.Length)
	if _, err := io.ReadFull(rc.br, f.Payload); err != nil {
		return f, err
	}
	if f.Header.Masked {
		return f, errors.New("server frame is masked")
	}
	if f.Header.Rsv != 0 {
		return f, fmt.Errorf("server frame has RSV bits %03b", f.Header.Rsv)
	}
	return f, nil
}

// mustRead is read that fails the test on error.
func (rc *rawConn) mustRead() gws.Frame {
	rc.t.Helper()
	f, err := rc.read()
	if err != nil {
		rc.t.Fatalf("reading a frame: %v", err)
	}
	return f
}

// id asks for the connection's id with a "whoami" text frame.
func (rc *rawConn) id() phttp.ConnID {
	rc.t.Helper()
	rc.write(masked(gws.OpText, true, []byte("whoami")))
	f := rc.mustRead()
	if f.Header.OpCode != gws.OpText {
		rc.t.Fatalf("whoami answer opcode %v", f.Header.OpCode)
	}
	id, err := strconv.ParseUint(string(f.Payload), 10, 64)
	if err != nil {
		rc.t.Fatalf("whoami answer %q", f.Payload)
	}
	return phttp.ConnID(id)
}

// readClose reads frames (dropping data frames) until a close frame and
// returns its code and reason; code 0 means an empty close body. It then
// expects the server to end the TCP stream.
func (rc *rawConn) readClose() (code uint16, reason string) {
	rc.t.Helper()
	for range 1000 {
		f, err := rc.read()
		if err != nil {
			rc.t.Fatalf("waiting for a close frame: %v", err)
		}
		if f.Header.OpCode != gws.OpClose {
			continue
		}
		if len(f.Payload) >= 2 {
			code = uint16(f.Payload[0])<<8 | uint16(f.Payload[1])
			reason = string(f.Payload[2:])
		} else if len(f.Payload) == 1 {
			rc.t.Errorf("server close frame with a 1-byte payload")
		}
		rc.expectEOF()
		return code, reason
	}
	rc.t.Fatalf("no close frame in 1000 frames")
	return 0, ""
}

// expectEOF reads until the server ends the stream; it must not send
// anything after its close frame.
func (rc *rawConn) expectEOF() {
	rc.t.Helper()
	rc.c.SetReadDeadline(time.Now().Add(wait))
	rest, err := io.ReadAll(rc.br)
	if len(rest) > 0 {
		rc.t.Errorf("%d bytes after the server's close frame: %q", len(rest), trim(rest))
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		rc.t.Errorf("server did not close the TCP connection within %v after its close frame", wait)
	}
}

func trim(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

// pattern returns n bytes of printable ASCII that vary with seed.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte((i+int(seed))%26)
	}
	return b
}

// randomBytes returns n random bytes.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	if n > 0 { // wine's stand-in for ProcessPrng kills the process on an empty read
		rand.Read(b)
	}
	return b
}

// describe shortens a payload for a failure message.
func describe(p []byte) string {
	if len(p) <= 40 {
		return strconv.Quote(string(p))
	}
	return fmt.Sprintf("%d bytes %q...", len(p), p[:40])
}

// deadline sets both deadlines of a gorilla connection.
func deadline(c *websocket.Conn, d time.Duration) {
	c.SetReadDeadline(time.Now().Add(d))
	c.SetWriteDeadline(time.Now().Add(d))
}
