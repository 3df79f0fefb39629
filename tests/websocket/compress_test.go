package websocket_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/phttp-go/phttp"
	"github.com/phttp-go/phttp/tests/testserver"
)

// countingConn counts the bytes a client reads off and writes to the wire.
type countingConn struct {
	net.Conn
	in, out *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.in.Add(int64(n))
	return n, err
}

func (c countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.out.Add(int64(n))
	return n, err
}

// dialDeflate opens a gorilla client offering permessage-deflate, whose
// wire bytes are counted in in and out.
func (s *wsServer) dialDeflate(t testing.TB, in, out *atomic.Int64) (*websocket.Conn, *http.Response) {
	t.Helper()
	d := websocket.Dialer{
		HandshakeTimeout:  wait,
		EnableCompression: true,
		TLSClientConfig:   testserver.WSTLS(),
		ReadBufferSize:    64 << 10,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return countingConn{c, in, out}, nil
		},
	}
	c, resp, err := d.Dial(s.WSURL("/ws"), nil)
	if err != nil {
		t.Fatalf("gorilla dial with compression: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c, resp
}

// compressible is n bytes of text that deflate shrinks well but not to
// nothing: words drawn at random from a small vocabulary.
func compressible(n int) []byte {
	words := strings.Fields("the loop owns every socket and writes queued frames with writev while other goroutines send")
	r := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[r.IntN(len(words))])
		b.WriteByte(' ')
	}
	return b.Bytes()[:n]
}

// random is n incompressible bytes.
func random(n int) []byte {
	r := rand.New(rand.NewPCG(3, 4))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

var deflateSizes = []int{0, 1, 63, 64, 125, 126, 1000, 65535, 65536, 1 << 20, 4 << 20}

// TestCompressionGorillaEcho: gorilla with EnableCompression negotiates
// permessage-deflate and gets text and binary echoes from 0 bytes to
// 4 MiB back intact, compressible or not.
func TestCompressionGorillaEcho(t *testing.T) {
	s := startWS(t, func(s *phttp.Server, _ *recorder) { s.WebSocketCompression = true })
	var in, out atomic.Int64
	c, resp := s.dialDeflate(t, &in, &out)
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); ext != "permessage-deflate; server_no_context_takeover; client_no_context_takeover" {
		t.Fatalf("Sec-WebSocket-Extensions %q", ext)
	}
	deadline(c, wait)
	for _, n := range deflateSizes {
		for _, typ := range []int{websocket.TextMessage, websocket.BinaryMessage} {
			for _, p := range [][]byte{compressible(n), random(n)} {
				if typ == websocket.TextMessage {
					p = compressible(n)
				}
				deadline(c, wait)
				if err := c.WriteMessage(typ, p); err != nil {
					t.Fatalf("write %d bytes: %v", n, err)
				}
				gotType, got, err := c.ReadMessage()
				if err != nil {
					t.Fatalf("echo of %d bytes: %v", n, err)
				}
				if gotType != typ || !bytes.Equal(got, p) {
					t.Fatalf("echo of %d bytes (type %d): got %d bytes type %d", n, typ, len(got), gotType)
				}
			}
		}
	}
}

// TestCompressionOnTheWire: a 1 MiB compressible message crosses the wire
// in under a quarter of its size each way, from a handler's reply and
// from a Message, and the server's Stats agree.
func TestCompressionOnTheWire(t *testing.T) {
	s := startWS(t, func(s *phttp.Server, _ *recorder) { s.WebSocketCompression = true })
	var in, out atomic.Int64
	c, _ := s.dialDeflate(t, &in, &out)
	id := gorillaID(t, c)
	deadline(c, wait)
	p := compressible(1 << 20)
	in0, out0, srvOut0 := in.Load(), out.Load(), s.Stats().BytesOut
	if err := c.WriteMessage(websocket.TextMessage, p); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.ReadMessage(); err != nil || !bytes.Equal(got, p) {
		t.Fatalf("echo: %d bytes, %v", len(got), err)
	}
	sent, recv, srvOut := out.Load()-out0, in.Load()-in0, s.Stats().BytesOut-srvOut0
	t.Logf("1 MiB echo: %d bytes up, %d down (server counted %d)", sent, recv, srvOut)
	if sent > int64(len(p)/4) || recv > int64(len(p)/4) {
		t.Errorf("1 MiB compressible message took %d bytes up, %d down; want under %d", sent, recv, len(p)/4)
	}
	switch {
	case testserver.OverTLS && (recv < srvOut || recv > srvOut+srvOut/50+1024):
		// BytesOut counts what the server framed; TLS adds its records'
		// headers and tags (about 22 bytes per 16 KiB record) on the wire.
		t.Errorf("server BytesOut grew by %d, client read %d over TLS: more than record overhead apart", srvOut, recv)
	case !testserver.OverTLS && srvOut != recv:
		t.Errorf("server BytesOut grew by %d, client read %d", srvOut, recv)
	}
	m, err := phttp.NewMessage(phttp.WebSocketText, p)
	if err != nil {
		t.Fatal(err)
	}
	in1 := in.Load()
	if err := s.SendMessage(id, m); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.ReadMessage(); err != nil || !bytes.Equal(got, p) {
		t.Fatalf("Message: %d bytes, %v", len(got), err)
	}
	if recv := in.Load() - in1; recv > int64(len(p)/4) {
		t.Errorf("1 MiB Message took %d bytes down, want under %d", recv, len(p)/4)
	}
}

// TestCompressionNotOffered: a client that offers nothing gets no
// extension and plain frames; a server without WebSocketCompression
// ignores an offer.
func TestCompressionNotOffered(t *testing.T) {
	s := startWS(t, func(s *phttp.Server, _ *recorder) { s.WebSocketCompression = true })
	c, resp, err := (&websocket.Dialer{HandshakeTimeout: wait, TLSClientConfig: testserver.WSTLS()}).Dial(s.WSURL("/ws"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); ext != "" {
		t.Errorf("no offer, yet Sec-WebSocket-Extensions %q", ext)
	}
	rc := s.dialRaw(t, nil) // rawConn.read refuses frames with RSV bits
	rc.write(masked(1, true, compressible(4096)))
	if f := rc.mustRead(); len(f.Payload) != 4096 {
		t.Errorf("echo to a client without the extension: %d bytes", len(f.Payload))
	}

	off := startWS(t, nil)
	var in, out atomic.Int64
	c2, resp2 := off.dialDeflate(t, &in, &out)
	if ext := resp2.Header.Get("Sec-WebSocket-Extensions"); ext != "" {
		t.Errorf("WebSocketCompression off, yet Sec-WebSocket-Extensions %q", ext)
	}
	deadline(c2, wait)
	p := compressible(1 << 16)
	c2.WriteMessage(websocket.TextMessage, p)
	if _, got, err := c2.ReadMessage(); err != nil || !bytes.Equal(got, p) {
		t.Fatalf("echo without compression: %d bytes, %v", len(got), err)
	}
}
