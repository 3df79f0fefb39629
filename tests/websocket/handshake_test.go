package websocket_test

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	gws "github.com/gobwas/ws"
	"github.com/gorilla/websocket"
	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// exchange writes req on a new connection and reads one response.
func (s *wsServer) exchange(t *testing.T, req string) (*http.Response, string) {
	t.Helper()
	c := s.Dial(t, wait)
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatalf("write: %v", err)
	}
	resp, body := testserver.ReadResponse(t, bufio.NewReader(c), "GET")
	return resp, body
}

func TestHandshakeAccept(t *testing.T) {
	s := startWS(t, nil)
	// RFC 6455 §1.3's example.
	resp, _ := s.exchange(t, upgradeRequest(s.Host, "/ws", "dGhlIHNhbXBsZSBub25jZQ==", ""))
	if resp.StatusCode != 101 {
		t.Fatalf("status %d, want 101", resp.StatusCode)
	}
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Errorf("Sec-WebSocket-Accept %q, want s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", got)
	}
	if !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") || !strings.EqualFold(resp.Header.Get("Connection"), "upgrade") {
		t.Errorf("Upgrade %q Connection %q", resp.Header.Get("Upgrade"), resp.Header.Get("Connection"))
	}
	if p := resp.Header.Get("Sec-WebSocket-Protocol"); p != "" {
		t.Errorf("Sec-WebSocket-Protocol %q chosen though none was offered", p)
	}

	// A random key, checked against our own derivation.
	key := newKey()
	resp, _ = s.exchange(t, upgradeRequest(s.Host, "/ws", key, ""))
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if got, want := resp.Header.Get("Sec-WebSocket-Accept"), base64.StdEncoding.EncodeToString(sum[:]); got != want {
		t.Errorf("Sec-WebSocket-Accept %q, want %q", got, want)
	}
}

func TestHandshakeRefused(t *testing.T) {
	s := startWS(t, nil)
	key := newKey()
	cases := []struct {
		name, req string
		status    int
	}{
		{"version 8", strings.Replace(upgradeRequest(s.Host, "/ws", key, ""), "Version: 13", "Version: 8", 1), 426},
		{"no version", strings.Replace(upgradeRequest(s.Host, "/ws", key, ""), "Sec-WebSocket-Version: 13\r\n", "", 1), 426},
		{"key of 3 bytes", upgradeRequest(s.Host, "/ws", "abc", ""), 400},
		{"key of 15 bytes", upgradeRequest(s.Host, "/ws", base64.StdEncoding.EncodeToString(make([]byte, 15)), ""), 400},
		{"key of 17 bytes", upgradeRequest(s.Host, "/ws", base64.StdEncoding.EncodeToString(make([]byte, 17)), ""), 400},
		{"key not base64", upgradeRequest(s.Host, "/ws", "!!!!!!!!!!!!!!!!!!!!!!==", ""), 400},
		{"no key", strings.Replace(upgradeRequest(s.Host, "/ws", key, ""), "Sec-WebSocket-Key: "+key+"\r\n", "", 1), 400},
		{"two keys", upgradeRequest(s.Host, "/ws", key, "Sec-WebSocket-Key: "+newKey()+"\r\n"), 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := s.exchange(t, tc.req)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d (%q), want %d", resp.StatusCode, body, tc.status)
			}
			if tc.status == 426 && resp.Header.Get("Sec-WebSocket-Version") != "13" {
				t.Errorf("426 without Sec-WebSocket-Version: 13 (headers %v)", resp.Header)
			}
			if resp.Header.Get("Sec-WebSocket-Accept") != "" {
				t.Errorf("refusal carries Sec-WebSocket-Accept")
			}
		})
	}
	s.checkEcho(t)
}

// TestHandshakeNotUpgrade: without Connection: upgrade (or Upgrade:
// websocket) the request is plain HTTP and gets the handler's answer.
func TestHandshakeNotUpgrade(t *testing.T) {
	s := startWS(t, nil)
	key := newKey()
	for name, req := range map[string]string{
		"no Connection":          strings.Replace(upgradeRequest(s.Host, "/ws", key, ""), "Connection: Upgrade\r\n", "", 1),
		"Connection: keep-alive": strings.Replace(upgradeRequest(s.Host, "/ws", key, ""), "Connection: Upgrade", "Connection: keep-alive", 1),
		"no Upgrade":             strings.Replace(upgradeRequest(s.Host, "/ws", key, ""), "Upgrade: websocket\r\n", "", 1),
		"Upgrade: h2c":           strings.Replace(upgradeRequest(s.Host, "/ws", key, ""), "Upgrade: websocket", "Upgrade: h2c", 1),
	} {
		t.Run(name, func(t *testing.T) {
			resp, body := s.exchange(t, req)
			if resp.StatusCode == 101 {
				t.Fatalf("upgraded without a proper Connection/Upgrade pair")
			}
			if resp.StatusCode != 200 || body != "plain http" {
				t.Errorf("status %d body %q, want the handler's plain answer", resp.StatusCode, body)
			}
		})
	}
	// Token lists and case are fine.
	req := strings.Replace(upgradeRequest(s.Host, "/ws", key, ""), "Connection: Upgrade", "Connection: keep-alive, UPGRADE", 1)
	req = strings.Replace(req, "Upgrade: websocket", "Upgrade: WebSocket", 1)
	if resp, _ := s.exchange(t, req); resp.StatusCode != 101 {
		t.Errorf("Connection: keep-alive, UPGRADE / Upgrade: WebSocket: status %d, want 101", resp.StatusCode)
	}
}

func TestSubprotocol(t *testing.T) {
	s := startWS(t, func(_ *phttp.Server, rec *recorder) { rec.protocol = "chat" })
	d := websocket.Dialer{HandshakeTimeout: wait, Subprotocols: []string{"superchat", "chat"}, TLSClientConfig: testserver.WSTLS()}
	c, resp, err := d.Dial(s.WSURL("/ws"), nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	if c.Subprotocol() != "chat" || resp.Header.Get("Sec-WebSocket-Protocol") != "chat" {
		t.Errorf("subprotocol %q (header %q), want chat", c.Subprotocol(), resp.Header.Get("Sec-WebSocket-Protocol"))
	}

	// Not offered: the server must not choose it.
	d.Subprotocols = []string{"superchat"}
	c2, resp, err := d.Dial(s.WSURL("/ws"), nil)
	if err != nil {
		t.Fatalf("dial without chat: %v", err)
	}
	defer c2.Close()
	if p := resp.Header.Get("Sec-WebSocket-Protocol"); p != "" {
		t.Errorf("server chose %q, which the client did not offer", p)
	}
	c3, resp, err := testserver.WSDialer().Dial(s.WSURL("/ws"), nil)
	if err != nil {
		t.Fatalf("dial offering nothing: %v", err)
	}
	defer c3.Close()
	if p := resp.Header.Get("Sec-WebSocket-Protocol"); p != "" {
		t.Errorf("server chose %q, though the client offered nothing", p)
	}
	// Offered in two header lines, with odd spacing.
	resp, _ = s.exchange(t, upgradeRequest(s.Host, "/ws", newKey(), "Sec-WebSocket-Protocol: a,b\r\nSec-WebSocket-Protocol:  x ,chat \r\n"))
	if resp.StatusCode != 101 || resp.Header.Get("Sec-WebSocket-Protocol") != "chat" {
		t.Errorf("chat offered in a second header line: status %d protocol %q", resp.StatusCode, resp.Header.Get("Sec-WebSocket-Protocol"))
	}
}

func TestOrigin(t *testing.T) {
	status := func(s *wsServer, origin string) int {
		extra := ""
		if origin != "" {
			extra = "Origin: " + origin + "\r\n"
		}
		resp, _ := s.exchange(t, upgradeRequest(s.Host, "/ws", newKey(), extra))
		return resp.StatusCode
	}
	s := startWS(t, nil)
	port := s.Host[strings.LastIndexByte(s.Host, ':')+1:]
	for _, tc := range []struct {
		origin string
		want   int
	}{
		{"", 101},
		{s.URL, 101},
		{"http://evil.example", 403},
		{"http://evil.example:" + port, 403},
		{"https://attacker.test", 403},
		{"null", 403},
	} {
		if got := status(s, tc.origin); got != tc.want {
			t.Errorf("Origin %q: status %d, want %d", tc.origin, got, tc.want)
		}
	}
	// The gorilla client with a foreign Origin is refused too.
	_, resp, err := testserver.WSDialer().Dial(s.WSURL("/ws"), http.Header{"Origin": {"http://evil.example"}})
	if err == nil || resp == nil || resp.StatusCode != 403 {
		t.Errorf("gorilla with a foreign origin: %v (resp %v), want 403", err, resp)
	}
	s.checkEcho(t)

	// CheckOrigin overrides the default both ways.
	s2 := startWS(t, func(srv *phttp.Server, _ *recorder) {
		srv.CheckOrigin = func(r *phttp.Request) bool { return r.Header.Get("Origin") == "http://friend.example" }
	})
	for _, tc := range []struct {
		origin string
		want   int
	}{
		{"http://friend.example", 101},
		{s2.URL, 403},
		{"http://evil.example", 403},
	} {
		if got := status(s2, tc.origin); got != tc.want {
			t.Errorf("CheckOrigin override, Origin %q: status %d, want %d", tc.origin, got, tc.want)
		}
	}
}

// TestEarlyFrames: a masked frame sent in the same write as the upgrade
// request reaches the frame reader and is echoed.
func TestEarlyFrames(t *testing.T) {
	s := startWS(t, nil)
	early := append(masked(gws.OpText, true, []byte("early")), masked(gws.OpPing, true, []byte("p"))...)
	early = append(early, masked(gws.OpBinary, false, []byte{1, 2})...)
	early = append(early, masked(gws.OpContinuation, true, []byte{3})...)
	rc := s.dialRaw(t, early)
	want := []struct {
		op gws.OpCode
		p  string
	}{{gws.OpText, "early"}, {gws.OpPong, "p"}, {gws.OpBinary, "\x01\x02\x03"}}
	for _, w := range want {
		f := rc.mustRead()
		if f.Header.OpCode != w.op || string(f.Payload) != w.p {
			t.Fatalf("frame %v %q, want %v %q", f.Header.OpCode, f.Payload, w.op, w.p)
		}
	}
	// A close right behind the request works too.
	rc2 := s.dialRaw(t, masked(gws.OpClose, true, closePayload(1000, "quick")))
	if code, _ := rc2.readClose(); code != 1000 {
		t.Errorf("close sent with the request: answered %d, want 1000", code)
	}
}

// TestAllowedOrigins: pages from the origins listed in AllowedOrigins may
// open a WebSocket besides the server's own; any other origin, another
// port or scheme of a listed one included, gets 403.
func TestAllowedOrigins(t *testing.T) {
	s := startWS(t, func(srv *phttp.Server, _ *recorder) {
		srv.AllowedOrigins = []string{"http://localhost:5173", "https://app.example"}
	})
	for origin, want := range map[string]int{
		"":                           101,
		s.URL:                        101,
		"http://localhost:5173":      101,
		"http://LOCALHOST:5173":      101,
		"https://app.example":        101,
		"https://app.example:443":    101,
		"http://localhost:5174":      403,
		"https://localhost:5173":     403,
		"http://app.example":         403,
		"http://evil.example":        403,
		"http://localhost:5173.evil": 403,
	} {
		resp, _ := s.exchange(t, upgradeRequest(s.Host, "/ws", newKey(), "Origin: "+origin+"\r\n"))
		if origin == "" {
			resp, _ = s.exchange(t, upgradeRequest(s.Host, "/ws", newKey(), ""))
		}
		if resp.StatusCode != want {
			t.Errorf("Origin %q: %d, want %d", origin, resp.StatusCode, want)
		}
	}
	// A real client from an allowed origin.
	c, _, err := testserver.WSDialer().Dial(s.WSURL("/ws"), http.Header{"Origin": {"http://localhost:5173"}})
	if err != nil {
		t.Fatalf("gorilla from an allowed origin: %v", err)
	}
	c.Close()
}

// TestGreeting: a message sent with w.SendWebSocket in the call that
// accepted the WebSocket goes out right after the 101, synchronous or
// detached; a handshake that fails sends no frame.
func TestGreeting(t *testing.T) {
	s := startWS(t, func(srv *phttp.Server, rec *recorder) {
		srv.Handler = func(w *phttp.Response, r *phttp.Request) {
			if r.Type != phttp.HTTP || r.Path == "/id" {
				rec.handle(w, r)
				return
			}
			w.AcceptWebSocket("")
			if err := w.SendWebSocket(phttp.WebSocketText, []byte("hello "+r.Path)); err != nil {
				return // the handshake failed: its refusal stands
			}
			w.SendWebSocket(phttp.WebSocketText, []byte("second"))
			if r.Path == "/detached" {
				w.Detach()
				go w.Send()
			}
		}
	})
	for _, path := range []string{"/sync", "/detached"} {
		c := s.dialGorilla(t, path, nil)
		deadline(c, wait)
		for _, want := range []string{"hello " + path, "second"} {
			if _, got, err := c.ReadMessage(); err != nil || string(got) != want {
				t.Fatalf("%s: read %q, %v; want %q", path, got, err, want)
			}
		}
		c.WriteMessage(websocket.TextMessage, []byte("echo"))
		if _, got, err := c.ReadMessage(); err != nil || string(got) != "echo" {
			t.Fatalf("%s: echo after the greeting: %q, %v", path, got, err)
		}
	}
	// A bad handshake (version 12): 426, and no frame behind it.
	bad := strings.Replace(upgradeRequest(s.Host, "/sync", newKey(), ""), "Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 12", 1)
	raw := s.RawExchange(t, bad+"GET /id HTTP/1.1\r\nHost: "+s.Host+"\r\nConnection: close\r\n\r\n", wait)
	if !strings.HasPrefix(raw, "HTTP/1.1 426") || strings.Contains(raw, "hello") || strings.Count(raw, "HTTP/1.1 ") != 2 {
		t.Errorf("refused handshake: %q", raw)
	}
}
