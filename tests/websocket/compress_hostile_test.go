package websocket_test

import (
	"bufio"
	"bytes"
	"compress/flate"
	"io"
	"net/http"
	"testing"
	"time"

	gws "github.com/gobwas/ws"
	"github.com/phttp-go/phttp"
)

// deflateRaw compresses p as a permessage-deflate payload: a sync flush
// with its 00 00 ff ff tail removed (RFC 7692 §7.2.1).
func deflateRaw(p []byte) []byte {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	w.Write(p)
	w.Flush()
	return bytes.TrimSuffix(b.Bytes(), []byte{0, 0, 0xff, 0xff})
}

// inflateRaw undoes deflateRaw.
func inflateRaw(z []byte) ([]byte, error) {
	r := flate.NewReader(io.MultiReader(bytes.NewReader(z), bytes.NewReader([]byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff})))
	return io.ReadAll(r)
}

var rsv1 = gws.Rsv(true, false, false)

// dialOffer does a raw handshake offering the given extensions and
// returns the connection and the extension the server answered.
func (s *wsServer) dialOffer(t testing.TB, offer string) (*rawConn, string) {
	t.Helper()
	c := s.Dial(t, 30*time.Second)
	extra := ""
	if offer != "" {
		extra = "Sec-WebSocket-Extensions: " + offer + "\r\n"
	}
	if _, err := c.Write([]byte(upgradeRequest(s.Host, "/ws", newKey(), extra))); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	return &rawConn{t: t, c: c, br: br}, resp.Header.Get("Sec-WebSocket-Extensions")
}

// readMessage reads one server data frame, compressed or not, and
// returns its opcode and payload (inflated).
func (rc *rawConn) readMessage() (gws.OpCode, []byte, bool) {
	rc.t.Helper()
	rc.c.SetReadDeadline(time.Now().Add(wait))
	h, err := gws.ReadHeader(rc.br)
	if err != nil {
		rc.t.Fatalf("reading a frame: %v", err)
	}
	p := make([]byte, h.Length)
	if _, err := io.ReadFull(rc.br, p); err != nil {
		rc.t.Fatalf("reading a payload: %v", err)
	}
	if h.Rsv&^rsv1 != 0 || (h.Rsv != 0 && !h.OpCode.IsData()) {
		rc.t.Fatalf("server frame %v with RSV bits %03b", h.OpCode, h.Rsv)
	}
	if h.Rsv == 0 {
		return h.OpCode, p, false
	}
	out, err := inflateRaw(p)
	if err != nil {
		rc.t.Fatalf("server sent bad compressed data: %v", err)
	}
	return h.OpCode, out, true
}

const deflateOK = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"

// TestCompressionNegotiation: offers are taken in order; one with a bad,
// unknown or repeated parameter, or a server window under 15 bits, is
// declined; the answer is always the same.
func TestCompressionNegotiation(t *testing.T) {
	s := startWS(t, func(s *phttp.Server, _ *recorder) { s.WebSocketCompression = true })
	for _, tc := range []struct {
		offer, want string
	}{
		{"permessage-deflate", deflateOK},
		{"permessage-deflate; client_max_window_bits", deflateOK}, // Chromium's offer
		{"permessage-deflate; client_max_window_bits=10", deflateOK},
		{"permessage-deflate; server_no_context_takeover; client_no_context_takeover", deflateOK},    // gorilla's
		{"permessage-deflate; server_max_window_bits=15", deflateOK + "; server_max_window_bits=15"}, // accepted by repeating it
		{"permessage-deflate; server_max_window_bits=10", ""},
		{"permessage-deflate; server_max_window_bits=10, permessage-deflate", deflateOK},
		{"permessage-deflate; server_max_window_bits", ""},
		{"permessage-deflate; server_max_window_bits=16", ""},
		{"permessage-deflate; client_max_window_bits=7", ""},
		{"permessage-deflate; mystery", ""},
		{"permessage-deflate; server_no_context_takeover; server_no_context_takeover", ""},
		{"permessage-deflate; client_no_context_takeover=1", ""},
		{"x-webkit-deflate-frame", ""},
		{"foo, permessage-deflate", deflateOK},
	} {
		rc, got := s.dialOffer(t, tc.offer)
		if got != tc.want {
			t.Errorf("offer %q: answered %q, want %q", tc.offer, got, tc.want)
		}
		rc.c.Close()
	}
}

// TestCompressionRawFrames: compressed and plain messages from a raw
// client, fragmented or not, are delivered; the server's own frames are
// compressed once the message is worth it, never control frames.
func TestCompressionRawFrames(t *testing.T) {
	s := startWS(t, func(s *phttp.Server, _ *recorder) { s.WebSocketCompression = true })
	rc, ext := s.dialOffer(t, "permessage-deflate")
	if ext != deflateOK {
		t.Fatalf("extension %q", ext)
	}
	p := compressible(10000)
	z := deflateRaw(p)
	rc.write(frame(gws.OpText, true, rsv1, true, z))
	if op, got, compressed := rc.readMessage(); op != gws.OpText || !bytes.Equal(got, p) || !compressed {
		t.Fatalf("echo: %v %d bytes compressed=%v", op, len(got), compressed)
	}
	// Fragmented: RSV1 on the first frame only, a ping between.
	rc.write(frame(gws.OpBinary, false, rsv1, true, z[:100]))
	rc.write(masked(gws.OpPing, true, []byte("p")))
	rc.write(frame(gws.OpContinuation, true, 0, true, z[100:]))
	if op, got, _ := rc.readMessage(); op != gws.OpPong || string(got) != "p" {
		t.Fatalf("pong: %v %q", op, got)
	}
	if op, got, _ := rc.readMessage(); op != gws.OpBinary || !bytes.Equal(got, p) {
		t.Fatalf("fragmented echo: %v %d bytes", op, len(got))
	}
	// Plain messages still work; a tiny one comes back plain.
	rc.write(masked(gws.OpText, true, []byte("hi")))
	if op, got, compressed := rc.readMessage(); op != gws.OpText || string(got) != "hi" || compressed {
		t.Fatalf("small echo: %v %q compressed=%v", op, got, compressed)
	}
	// An empty compressed message.
	rc.write(frame(gws.OpText, true, rsv1, true, deflateRaw(nil)))
	if op, got, _ := rc.readMessage(); op != gws.OpText || len(got) != 0 {
		t.Fatalf("empty echo: %v %q", op, got)
	}
}

// TestCompressionHostile: misplaced RSV1, bad deflate data, bad UTF-8
// inside, and messages that inflate past MaxMessageBytes close with a
// clear code; a message inflating to exactly the limit passes.
func TestCompressionHostile(t *testing.T) {
	const limit = 64 << 10
	s := startWS(t, func(s *phttp.Server, _ *recorder) {
		s.WebSocketCompression = true
		s.MaxMessageBytes = limit
	})
	atLimit := compressible(limit)
	for _, tc := range []struct {
		name   string
		frames [][]byte
		code   uint16
	}{
		{"RSV1 on a continuation", [][]byte{frame(gws.OpText, false, 0, true, []byte("a")), frame(gws.OpContinuation, true, rsv1, true, deflateRaw([]byte("b")))}, 1002},
		{"RSV1 on a ping", [][]byte{frame(gws.OpPing, true, rsv1, true, nil)}, 1002},
		{"RSV1 on a close", [][]byte{frame(gws.OpClose, true, rsv1, true, closePayload(1000, ""))}, 1002},
		{"RSV2 with RSV1", [][]byte{frame(gws.OpText, true, gws.Rsv(true, true, false), true, deflateRaw([]byte("x")))}, 1002},
		{"bad deflate data", [][]byte{frame(gws.OpBinary, true, rsv1, true, []byte{0xff, 0xfe, 0xfd, 0xfc, 0xfb})}, 1007},
		{"invalid UTF-8 inside", [][]byte{frame(gws.OpText, true, rsv1, true, deflateRaw([]byte{'a', 0xff, 'b'}))}, 1007},
		{"one byte past the limit", [][]byte{frame(gws.OpBinary, true, rsv1, true, deflateRaw(compressible(limit+1)))}, 1009},
		{"zip bomb", [][]byte{frame(gws.OpBinary, true, rsv1, true, deflateRaw(make([]byte, 16<<20)))}, 1009},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc, _ := s.dialOffer(t, "permessage-deflate")
			id := rc.id()
			for _, f := range tc.frames {
				rc.write(f)
			}
			if code, _ := rc.readClose(); code != tc.code {
				t.Errorf("close code %d, want %d", code, tc.code)
			}
			s.expectOneClose(t, id, phttp.CloseCode(tc.code))
		})
	}
	t.Run("exactly the limit", func(t *testing.T) {
		rc, _ := s.dialOffer(t, "permessage-deflate")
		rc.write(frame(gws.OpText, true, rsv1, true, deflateRaw(atLimit)))
		if op, got, _ := rc.readMessage(); op != gws.OpText || !bytes.Equal(got, atLimit) {
			t.Fatalf("echo at the limit: %v %d bytes", op, len(got))
		}
	})
	s.checkEcho(t)
}

// TestCompressionWindowBitsAnswer: a connection whose offer was answered
// with server_max_window_bits=15 is compressed like any other.
func TestCompressionWindowBitsAnswer(t *testing.T) {
	s := startWS(t, func(s *phttp.Server, _ *recorder) { s.WebSocketCompression = true })
	rc, ext := s.dialOffer(t, "permessage-deflate; server_max_window_bits=15")
	if ext != deflateOK+"; server_max_window_bits=15" {
		t.Fatalf("extension %q", ext)
	}
	p := compressible(5000)
	rc.write(frame(gws.OpBinary, true, rsv1, true, deflateRaw(p)))
	if op, got, compressed := rc.readMessage(); op != gws.OpBinary || !bytes.Equal(got, p) || !compressed {
		t.Fatalf("echo: %v %d bytes compressed=%v", op, len(got), compressed)
	}
}
